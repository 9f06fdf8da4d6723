/* The product page's quicklook viewer, over Leaflet (the global L).
 *
 * An element [data-pleiades-image] with data-src, data-width and data-height
 * (hidden until this script shows it) becomes a zoomable view of the image:
 * Leaflet's CRS.Simple, one map unit a pixel, zoomed with the wheel or the
 * buttons, moved by dragging, up to four times the image's own size. The plain
 * image the page has for readers without script (a link to the full size) is
 * then hidden.
 */
(function () {
  "use strict";

  if (typeof L === "undefined") {
    return;
  }

  // Zoom levels are powers of two: 2 is four times the image's own size.
  const MAX_ZOOM = 2;

  function showImage(element) {
    const width = Number(element.dataset.width);
    const height = Number(element.dataset.height);
    if (!(width > 0 && height > 0) || !element.dataset.src) {
      return;
    }
    const section = element.parentNode;
    element.hidden = false;
    const map = L.map(element, {
      crs: L.CRS.Simple,
      minZoom: -8,
      maxZoom: MAX_ZOOM,
      zoomSnap: 0.25,
      zoomDelta: 0.5,
      attributionControl: false,
    });
    // Image rows go down, map latitudes up: the top of the image at y = 0.
    const bounds = L.latLngBounds([-height, 0], [0, width]);
    L.imageOverlay(element.dataset.src, bounds).addTo(map);
    map.fitBounds(bounds);
    map.setMinZoom(Math.min(map.getZoom(), 0) - 1);
    map.setMaxBounds(bounds.pad(0.25));
    if (window.ResizeObserver) {
      new ResizeObserver(() => map.invalidateSize()).observe(element);
    }
    section.querySelectorAll(".pleiades-quicklook-link").forEach((link) => {
      link.hidden = true;
    });
    section.querySelectorAll(".pleiades-zoom-help").forEach((help) => {
      help.hidden = false;
    });
  }

  function init() {
    document.querySelectorAll("[data-pleiades-image]").forEach((element) => {
      try {
        showImage(element);
      } catch (error) {
        element.hidden = true; // the plain image stays, as without script
        console.error("pleiades-quicklook:", error);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
