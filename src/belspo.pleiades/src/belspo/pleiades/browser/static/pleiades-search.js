/* The catalogue search page's map (@@search-catalogue), over pleiades-map.js.
 *
 * The element [data-pleiades-search-map] (hidden until this script shows it)
 * gets a map with the footprints of the results of its data-geojson (a GeoJSON
 * FeatureCollection whose features have the result's id), the box of the form's
 * field named by data-bbox-field, and buttons to draw the box (press, drag,
 * release) or clear it. The field stays the form's field: a box drawn is written
 * in it as "west, south, east, north", a box typed is drawn. Results and
 * footprints light up together when the pointer is over either. Footprints too
 * small to see at the map's zoom are shown by a marker at their centre.
 *
 * Without this script the page works the same: the box is typed in the field.
 * When the form is sent, its empty fields are left out, so that the address of
 * a search (to bookmark or share) holds only what it asks for.
 */
(function () {
  "use strict";

  if (typeof L === "undefined" || !window.pleiadesMap) {
    return;
  }

  const LABELS = {
    drawBox: "Draw a box",
    clearBox: "Clear the box",
    fitResults: "Show all results",
    help: "Press, drag and release on the map to draw the box; Escape cancels.",
  };
  const BOX_STYLE = {
    color: "#c0392b",
    weight: 2,
    dashArray: "6 4",
    fillOpacity: 0.05,
    interactive: false,
    className: "pleiades-search-box",
  };
  const RESULT_STYLE = { color: "#1f5fa8", weight: 1.5, fillOpacity: 0.12 };
  const HIGHLIGHT_STYLE = { color: "#e67e22", weight: 3, fillOpacity: 0.35 };
  // A scene is some 20 km wide: zoomed out to a country or the world, its
  // footprint is a dot or nothing. Below this size in pixels, a marker at its
  // centre stands for it.
  const MARKER_BELOW_PIXELS = 12;
  const MARKER_STYLE = {
    radius: 6,
    weight: 2,
    fillOpacity: 0.6,
    className: "pleiades-result-marker",
  };
  // A box drawn is written to four decimals (about 10 m): enough for a search.
  const DECIMALS = 4;

  const round = (value) => Math.round(value * 10 ** DECIMALS) / 10 ** DECIMALS + 0;
  const wrapLongitude = (lon) => ((((lon + 180) % 360) + 360) % 360) - 180;
  const clampLatitude = (lat) => Math.max(-90, Math.min(90, lat));

  // The box of the field, as the server reads it, or null.
  function parseBox(text) {
    const parts = text.split(/[\s,;]+/).filter(Boolean).map(Number);
    if (parts.length !== 4 || !parts.every(Number.isFinite)) {
      return null;
    }
    const [west, south, east, north] = parts;
    const inWorld =
      Math.abs(west) <= 180 &&
      Math.abs(east) <= 180 &&
      Math.abs(south) <= 90 &&
      Math.abs(north) <= 90;
    return inWorld && south <= north ? parts : null;
  }

  // The box of a rectangle drawn on the map, perhaps on another turn of the
  // world: longitudes brought back to [-180, 180] (west > east across 180°).
  function boxOf(latlngs) {
    const lngs = latlngs.map((point) => point.lng);
    const lats = latlngs.map((point) => clampLatitude(point.lat));
    let west = Math.min(...lngs);
    let east = Math.max(...lngs);
    if (east - west >= 360) {
      west = -180;
      east = 180;
    } else {
      west = wrapLongitude(west);
      east = wrapLongitude(east);
      if (east === -180 && west > east) {
        east = 180;
      }
    }
    return [west, Math.min(...lats), east, Math.max(...lats)].map(round);
  }

  // The box on the map: across 180°, drawn in one piece past it.
  function boxBounds([west, south, east, north]) {
    return L.latLngBounds([south, west], [north, west <= east ? east : east + 360]);
  }

  function button(label, onClick) {
    const node = document.createElement("button");
    node.type = "button"; // not a submit button of the form around
    node.className = "btn btn-sm btn-outline-secondary";
    node.textContent = label;
    node.addEventListener("click", onClick);
    return node;
  }

  class SearchMap {
    constructor(element) {
      this.element = element;
      this.labels = window.pleiadesMap.labelsOf(element, LABELS);
      this.field = element.closest("form").elements[element.dataset.bboxField];
      this.box = null; // the box's layer on the map
      this.stopTool = null;
      this.layers = new Map(); // result id -> footprint layer
      this.markers = new Map(); // result id -> marker, shown when zoomed out
      this.cancelOnEscape = (event) => event.key === "Escape" && this.stopDrawing();
      this.buildControls();
      element.hidden = false;
      this.results = this.resultLayer();
      this.map = window.pleiadesMap.createMap(this.mapElement, element, () =>
        this.home()
      );
      this.results.addTo(this.map);
      this.markerLayer = L.layerGroup().addTo(this.map);
      this.map.on("zoomend", () => this.showMarkers());
      this.readField();
      window.pleiadesMap.frame(this.map, this.home());
      this.showMarkers();
      this.field.addEventListener("input", () => this.readField());
      this.linkResults();
    }

    buildControls() {
      const toolbar = document.createElement("div");
      toolbar.className = "pleiades-map-toolbar";
      this.drawButton = button(this.labels.drawBox, () => this.toggleDrawing());
      this.drawButton.setAttribute("aria-pressed", "false");
      this.drawButton.id = "search-draw-box";
      const clear = button(this.labels.clearBox, () => this.clearBox());
      const fit = button(this.labels.fitResults, () =>
        window.pleiadesMap.frame(this.map, this.results.getBounds())
      );
      toolbar.append(this.drawButton, clear, fit);
      this.help = document.createElement("p");
      this.help.className = "form-text pleiades-draw-help";
      this.help.textContent = this.labels.help;
      this.help.hidden = true;
      this.mapElement = document.createElement("div");
      this.mapElement.className = "pleiades-map";
      this.element.append(toolbar, this.help, this.mapElement);
    }

    resultLayer() {
      const data = JSON.parse(this.element.dataset.geojson || "null");
      return L.geoJSON(window.pleiadesMap.unwrap(data), {
        style: RESULT_STYLE,
        className: "pleiades-result-footprint",
        onEachFeature: (feature, layer) => {
          const id = String(feature.id);
          this.layers.set(id, layer);
          const marker = L.circleMarker(
            layer.getBounds().getCenter(),
            Object.assign({}, RESULT_STYLE, MARKER_STYLE)
          );
          this.markers.set(id, marker);
          for (const shape of [layer, marker]) {
            this.linkShape(shape, id, feature.properties || {});
          }
        },
      });
    }

    // A result's footprint or marker: its title, its page, its entry in the list.
    linkShape(shape, id, properties) {
      shape.bindTooltip(() => properties.title || "", { sticky: true });
      shape.on("click", () => {
        if (properties.url && !this.stopTool) {
          window.location.assign(properties.url);
        }
      });
      shape.on("mouseover", () => this.highlight(id, true));
      shape.on("mouseout", () => this.highlight(id, false));
    }

    // Markers for the footprints too small to see at this zoom, and only those.
    showMarkers() {
      for (const [id, layer] of this.layers) {
        const bounds = layer.getBounds();
        const corner = this.map.latLngToLayerPoint(bounds.getSouthWest());
        const opposite = this.map.latLngToLayerPoint(bounds.getNorthEast());
        const small = corner.distanceTo(opposite) < MARKER_BELOW_PIXELS;
        const marker = this.markers.get(id);
        if (small) {
          this.markerLayer.addLayer(marker);
        } else {
          this.markerLayer.removeLayer(marker);
        }
      }
    }

    // What the map shows first: the box asked for, else the results.
    home() {
      if (this.box) {
        return this.box.getBounds();
      }
      const bounds = this.results && this.results.getBounds();
      return bounds && bounds.isValid() ? bounds : null;
    }

    linkResults() {
      document.querySelectorAll("[data-feature-id]").forEach((item) => {
        const id = item.dataset.featureId;
        const on = () => this.highlight(id, true);
        const off = () => this.highlight(id, false);
        item.addEventListener("mouseenter", on);
        item.addEventListener("mouseleave", off);
        item.addEventListener("focusin", on);
        item.addEventListener("focusout", off);
      });
    }

    highlight(id, on) {
      for (const shape of [this.layers.get(id), this.markers.get(id)]) {
        if (shape) {
          shape.setStyle(on ? HIGHLIGHT_STYLE : RESULT_STYLE);
          if (on && this.map.hasLayer(shape)) {
            shape.bringToFront();
          }
        }
      }
      const item = document.querySelector(`[data-feature-id="${CSS.escape(id)}"]`);
      if (item) {
        item.classList.toggle("pleiades-highlighted", on);
      }
    }

    // The field's box, drawn; nothing drawn while what is typed is no box.
    readField() {
      const box = parseBox(this.field.value);
      this.showBox(box);
      if (box && !this.map.getBounds().contains(this.box.getBounds())) {
        window.pleiadesMap.frame(this.map, this.box.getBounds());
      }
    }

    showBox(box) {
      if (this.box) {
        this.box.remove();
        this.box = null;
      }
      if (box) {
        this.box = L.rectangle(boxBounds(box), BOX_STYLE).addTo(this.map);
      }
    }

    writeBox(box) {
      this.field.value = box ? box.join(", ") : "";
      this.field.dispatchEvent(new Event("change", { bubbles: true }));
      this.showBox(box);
    }

    toggleDrawing() {
      if (this.stopTool) {
        this.stopDrawing();
        return;
      }
      this.drawButton.setAttribute("aria-pressed", "true");
      this.drawButton.classList.add("active");
      this.mapElement.classList.add("pleiades-drawing");
      this.help.hidden = false;
      document.addEventListener("keydown", this.cancelOnEscape);
      this.stopTool = window.pleiadesMap.drawRectangle(
        this.map,
        (latlngs) => this.showBox(boxOf(latlngs)),
        (latlngs) => {
          this.stopDrawing();
          this.writeBox(boxOf(latlngs));
        }
      );
    }

    stopDrawing() {
      if (this.stopTool) {
        this.stopTool();
        this.stopTool = null;
      }
      this.drawButton.setAttribute("aria-pressed", "false");
      this.drawButton.classList.remove("active");
      this.mapElement.classList.remove("pleiades-drawing");
      this.help.hidden = true;
      document.removeEventListener("keydown", this.cancelOnEscape);
      this.showBox(parseBox(this.field.value));
    }

    clearBox() {
      this.stopDrawing();
      this.writeBox(null);
    }
  }

  // Empty fields stay out of the address; back on the page, they are usable.
  function leaveOutEmptyFields(form) {
    form.addEventListener("submit", () => {
      for (const field of form.elements) {
        if (field.name && field.type !== "checkbox" && field.value.trim() === "") {
          field.disabled = true;
        }
      }
    });
    window.addEventListener("pageshow", () => {
      for (const field of form.elements) {
        field.disabled = false;
      }
    });
  }

  function init() {
    document.querySelectorAll("[data-pleiades-search-map]").forEach((element) => {
      try {
        new SearchMap(element);
      } catch (error) {
        element.hidden = true; // the form without its map, as without script
        console.error("pleiades-search:", error);
      }
    });
    document.querySelectorAll("form.pleiades-search-form").forEach(leaveOutEmptyFields);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
