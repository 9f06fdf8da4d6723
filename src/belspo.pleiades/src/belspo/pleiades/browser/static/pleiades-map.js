/* Maps of the Pleiades portal, over Leaflet (the global L). Plain ES2017, no build.
 *
 * Display maps: an element with data-pleiades-map shows the GeoJSON of its
 * data-geojson attribute (a geometry, Feature or FeatureCollection); features with
 * `url` and `title` properties get a popup link.
 *
 * Area of interest: a <textarea data-pleiades-area> holding GeoJSON gets a map, on
 * which a rectangle or a polygon is drawn; the textarea then holds a GeoJSON Polygon
 * (RFC 7946). The textarea stays the form field: without this script, or when the
 * map cannot start, people still type or paste GeoJSON in it.
 *
 * Nothing comes from outside the portal: the base map is the land outline shipped
 * beside this file. A tile layer is added only where the page asks for one, with a
 * data-tiles URL template (and data-tiles-attribution) on the map element or the
 * textarea.
 */
(function () {
  "use strict";

  // Without Leaflet the textareas stay as they are; loaded twice, once is enough.
  if (typeof L === "undefined" || window.pleiadesMap) {
    return;
  }

  // Metres: the sphere of geo/area.py (and geojson-area), so both give one area.
  const EARTH_RADIUS = 6378137;
  // Six decimals of a degree are 0.1 m: finer than any satellite image we sell.
  const DECIMALS = 6;
  // geo/footprint.py reads each edge the short way round the world; longer edges
  // are cut so that it reads the polygon as drawn.
  const MAX_EDGE_LONGITUDE = 90;
  const WORLD_VIEW = { center: [20, 0], zoom: 1 };

  const LABELS = {
    rectangle: "Rectangle",
    polygon: "Polygon",
    clear: "Clear",
    area: "Area",
    geojson: "GeoJSON",
    land: "Land",
    tiles: "Tiles",
  };
  const LAND_STYLE = {
    color: "#8a8a78",
    weight: 0.7,
    fillColor: "#f2efe6",
    fillOpacity: 1,
  };
  const SHAPE_STYLE = { color: "#c0392b", weight: 2, fillOpacity: 0.15 };
  // Shapes being drawn: clicks go through them to the map.
  const SKETCH_STYLE = Object.assign({}, SHAPE_STYLE, { interactive: false });

  /* ----- Geometry: positions are [longitude, latitude], as GeoJSON has them. ----- */

  const radians = (degrees) => (degrees * Math.PI) / 180;
  const round = (value) => Math.round(value * 10 ** DECIMALS) / 10 ** DECIMALS + 0;

  // Chamberlain & Duquette's ring area in m², as geojson-area and geo/area.py:
  // positive when the ring turns clockwise.
  function ringArea(ring) {
    const count = ring.length;
    if (count < 3) {
      return 0;
    }
    let total = 0;
    for (let i = 0; i < count; i++) {
      const west = ring[(i + count - 1) % count];
      const east = ring[(i + 1) % count];
      total += (radians(east[0]) - radians(west[0])) * Math.sin(radians(ring[i][1]));
    }
    return (total * EARTH_RADIUS * EARTH_RADIUS) / 2;
  }

  function polygonArea(rings) {
    const [exterior, ...holes] = rings;
    const holesArea = holes.reduce((sum, hole) => sum + Math.abs(ringArea(hole)), 0);
    return exterior ? Math.abs(ringArea(exterior)) - holesArea : 0;
  }

  function geometryAreaKm2(geometry) {
    const polygons =
      geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    return polygons.reduce((sum, rings) => sum + polygonArea(rings), 0) / 1e6;
  }

  // Longitudes made continuous (a ring crossing 180° goes on to 181°...), the way
  // geo/footprint.py reads a ring: Leaflet then draws it in one piece.
  function unwrapRing(ring) {
    const result = [];
    for (const [longitude, latitude] of ring) {
      let lon = longitude;
      const previous = result.length ? result[result.length - 1][0] : lon;
      while (lon - previous > 180) {
        lon -= 360;
      }
      while (previous - lon > 180) {
        lon += 360;
      }
      result.push([lon, latitude]);
    }
    return result;
  }

  function unwrapGeometry(geometry) {
    const polygon = (rings) => rings.map(unwrapRing);
    return geometry.type === "Polygon"
      ? { type: "Polygon", coordinates: polygon(geometry.coordinates) }
      : { type: "MultiPolygon", coordinates: geometry.coordinates.map(polygon) };
  }

  // A shape brought next to another: whole turns of the world added or taken
  // from its longitudes until its first position is within 180° of `longitude`.
  function nextTo(rings, longitude) {
    const first = rings[0][0][0];
    const turns = Math.round((longitude - first) / 360);
    return rings.map((ring) => ring.map(([lon, lat]) => [lon + turns * 360, lat]));
  }

  // Also the polygons of a MultiPolygon made continuous: a footprint stored cut
  // in two at 180° is drawn in one piece.
  function unwrapShapes(geometry) {
    const flat = unwrapGeometry(geometry);
    if (flat.type !== "MultiPolygon" || flat.coordinates.length < 2) {
      return flat;
    }
    const start = flat.coordinates[0][0][0][0];
    return {
      type: "MultiPolygon",
      coordinates: flat.coordinates.map((rings) => nextTo(rings, start)),
    };
  }

  // GeoJSON to display (a geometry, Feature or FeatureCollection) with its
  // polygons unwrapped: a footprint across 180° is drawn as one small shape, not
  // as a band around the world.
  function unwrapData(data) {
    if (!data) {
      return data;
    }
    if (data.type === "FeatureCollection") {
      const features = (data.features || []).map(unwrapData);
      return Object.assign({}, data, { features });
    }
    if (data.type === "Feature") {
      return Object.assign({}, data, { geometry: unwrapData(data.geometry) });
    }
    return areaGeometry(data) ? unwrapShapes(data) : data;
  }

  const wrapLongitude = (lon) =>
    lon >= -180 && lon <= 180 ? lon : ((((lon + 180) % 360) + 360) % 360) - 180;

  function densify(ring) {
    const result = [];
    ring.forEach((position, i) => {
      const next = ring[(i + 1) % ring.length];
      const steps = Math.ceil(Math.abs(next[0] - position[0]) / MAX_EDGE_LONGITUDE);
      for (let step = 0; step < Math.max(steps, 1); step++) {
        const t = step / Math.max(steps, 1);
        result.push([
          position[0] + t * (next[0] - position[0]),
          position[1] + t * (next[1] - position[1]),
        ]);
      }
    });
    return result;
  }

  const samePosition = (a, b) => a[0] === b[0] && a[1] === b[1];

  // Rounding may make neighbours equal; a ring repeats only its closing position.
  function withoutRepeats(ring) {
    const result = ring.filter((p, i) => i === 0 || !samePosition(p, ring[i - 1]));
    while (result.length > 1 && samePosition(result[0], result[result.length - 1])) {
      result.pop();
    }
    return result;
  }

  // The GeoJSON Polygon of vertices drawn on the map (Leaflet LatLngs, possibly on
  // another turn of the world): RFC 7946, exterior counter-clockwise, closed.
  function polygonOf(latlngs) {
    let ring = densify(latlngs.map((point) => [point.lng, point.lat]));
    if (ringArea(ring) > 0) {
      ring.reverse();
    }
    ring = withoutRepeats(
      ring.map(([lon, lat]) => [round(wrapLongitude(lon)), round(lat)])
    );
    if (ring.length < 3) {
      return null;
    }
    return { type: "Polygon", coordinates: [[...ring, ring[0]]] };
  }

  function parseGeoJSON(text) {
    try {
      const data = JSON.parse(text);
      return data && typeof data.type === "string" ? data : null;
    } catch (error) {
      return null;
    }
  }

  // The Polygon or MultiPolygon of an area of interest (maybe inside a Feature),
  // or null while what is typed is not one yet.
  function areaGeometry(data) {
    const geometry = data && data.type === "Feature" ? data.geometry : data;
    const kinds = ["Polygon", "MultiPolygon"];
    if (!geometry || !kinds.includes(geometry.type) || !isList(geometry.coordinates)) {
      return null;
    }
    const polygons =
      geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    return polygons.every(isPolygon) ? geometry : null;
  }

  const isList = Array.isArray;
  const isPosition = (p) => isList(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]);
  const isRing = (ring) => isList(ring) && ring.length >= 4 && ring.every(isPosition);
  const isPolygon = (rings) => isList(rings) && rings.length > 0 && rings.every(isRing);

  /* ----- Maps ----- */

  function staticUrl(name) {
    const portal = (document.body.dataset.portalUrl || "").replace(/\/+$/, "");
    return `${portal}/++plone++belspo.pleiades/${name}`;
  }

  // Downloaded once for all the maps of the page.
  let land = null;
  function landData() {
    if (!land) {
      land = fetch(staticUrl("land-110m.geojson"), { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : null))
        .catch(() => null);
    }
    return land;
  }

  // Translated labels come from data-label-* attributes of the element; the
  // English ones are the defaults.
  function labelsOf(element, defaults = LABELS) {
    const labels = {};
    for (const [key, english] of Object.entries(defaults)) {
      const attribute = `label${key[0].toUpperCase()}${key.slice(1)}`;
      labels[key] = element.dataset[attribute] || english;
    }
    return labels;
  }

  // Shows the bounds, or the world. A hidden map (size 0) cannot fit bounds; it is
  // framed again when it is shown (followSize).
  function frame(map, bounds) {
    if (bounds && bounds.isValid() && map.getSize().x > 0) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 12 });
    } else {
      map.setView(WORLD_VIEW.center, WORLD_VIEW.zoom);
    }
  }

  // A map created in a hidden tab has no size: Leaflet must be told when it gets
  // one, and the view set again then.
  function followSize(map, home) {
    if (!window.ResizeObserver) {
      return;
    }
    let hidden = map.getSize().x === 0;
    new ResizeObserver(() => {
      map.invalidateSize();
      const nowHidden = map.getSize().x === 0;
      if (hidden && !nowHidden) {
        frame(map, home());
      }
      hidden = nowHidden;
    }).observe(map.getContainer());
  }

  // A map with the land outline and, if `source` (the element the page wrote)
  // names one in data-tiles, a tile layer. `home` gives the bounds to show (or
  // nothing, for the whole world).
  function createMap(element, source, home) {
    const labels = labelsOf(source);
    const map = L.map(element, { minZoom: 1, maxZoom: 18 });
    // Its own pane: the outline arrives after the shapes and must stay below them.
    map.createPane("pleiades-land").style.zIndex = 250;
    const outline = L.geoJSON(null, {
      style: LAND_STYLE,
      pane: "pleiades-land",
      interactive: false,
    });
    landData().then((data) => data && outline.addData(data));
    if (source.dataset.tiles) {
      const tiles = L.tileLayer(source.dataset.tiles, {
        attribution: source.dataset.tilesAttribution || "",
      }).addTo(map);
      L.control.layers({ [labels.tiles]: tiles, [labels.land]: outline }).addTo(map);
    } else {
      outline.addTo(map);
    }
    frame(map, home());
    followSize(map, home);
    return map;
  }

  /* ----- Display maps ----- */

  function isWebAddress(url) {
    try {
      return ["http:", "https:"].includes(new URL(url, document.baseURI).protocol);
    } catch (error) {
      return false;
    }
  }

  // Built as DOM nodes, not HTML: titles are text people typed.
  function popupOf(properties) {
    const linked = properties.url && isWebAddress(properties.url);
    const node = document.createElement(linked ? "a" : "span");
    node.textContent = properties.title || properties.url;
    if (linked) {
      node.href = properties.url;
    }
    return node;
  }

  function showFeatures(element) {
    const data = unwrapData(parseGeoJSON(element.dataset.geojson || ""));
    const features = L.geoJSON(data, {
      style: SHAPE_STYLE,
      onEachFeature(feature, layer) {
        const properties = feature.properties || {};
        if (properties.url || properties.title) {
          layer.bindPopup(() => popupOf(properties));
        }
      },
    });
    createMap(element, element, () => features.getBounds()).addLayer(features);
  }

  /* ----- Drawing tools: each returns the function that stops it. ----- */

  function rectangleCorners(start, end) {
    const south = Math.min(start.lat, end.lat);
    const north = Math.max(start.lat, end.lat);
    const west = Math.min(start.lng, end.lng);
    const east = Math.max(start.lng, end.lng);
    return [
      L.latLng(south, west),
      L.latLng(south, east),
      L.latLng(north, east),
      L.latLng(north, west),
    ];
  }

  // Press, drag, release. Pointer events, so that a finger draws too; the map's
  // own dragging is off meanwhile.
  function drawRectangle(map, onChange, onDone) {
    const container = map.getContainer();
    const preview = L.polygon([], SKETCH_STYLE);
    let start = null;
    map.dragging.disable();

    function corners(event) {
      return rectangleCorners(start, map.mouseEventToLatLng(event));
    }
    function down(event) {
      if (event.button !== 0 || event.target.closest(".leaflet-control")) {
        return;
      }
      event.preventDefault();
      container.setPointerCapture(event.pointerId);
      start = map.mouseEventToLatLng(event);
    }
    function move(event) {
      if (start) {
        const latlngs = corners(event);
        preview.setLatLngs(latlngs).addTo(map);
        onChange(latlngs);
      }
    }
    function up(event) {
      if (!start) {
        return;
      }
      const end = map.latLngToContainerPoint(map.mouseEventToLatLng(event));
      const origin = map.latLngToContainerPoint(start);
      const latlngs = corners(event);
      start = null;
      preview.remove();
      // A click without a drag is no rectangle.
      if (Math.abs(end.x - origin.x) > 2 && Math.abs(end.y - origin.y) > 2) {
        onDone(latlngs);
      }
    }

    container.addEventListener("pointerdown", down);
    container.addEventListener("pointermove", move);
    container.addEventListener("pointerup", up);
    return () => {
      container.removeEventListener("pointerdown", down);
      container.removeEventListener("pointermove", move);
      container.removeEventListener("pointerup", up);
      preview.remove();
      map.dragging.enable();
    };
  }

  // Click the vertices; double-click, or click the first vertex, to finish.
  function drawPolygon(map, onChange, onDone) {
    const vertices = [];
    const line = L.polyline([], SKETCH_STYLE).addTo(map);
    const rubber = L.polyline([], Object.assign({ dashArray: "4 6" }, SKETCH_STYLE));
    rubber.addTo(map);
    let first = null;
    map.doubleClickZoom.disable();

    // The two clicks of a double-click add the last vertex twice: drop vertices
    // a few pixels from the previous one.
    function distinct(latlngs) {
      return latlngs.filter(
        (latlng, i) =>
          i === 0 ||
          map
            .latLngToContainerPoint(latlng)
            .distanceTo(map.latLngToContainerPoint(latlngs[i - 1])) > 4
      );
    }
    function finish() {
      const ring = distinct(vertices);
      if (ring.length >= 3) {
        onDone(ring);
      }
    }
    function add(event) {
      vertices.push(event.latlng);
      line.setLatLngs(vertices);
      onChange(vertices);
      if (!first) {
        first = L.circleMarker(
          event.latlng,
          Object.assign({}, SHAPE_STYLE, {
            radius: 6,
            fillOpacity: 1,
            // Its click finishes the polygon and adds no vertex on the map.
            bubblingMouseEvents: false,
          })
        );
        first.on("click", finish).addTo(map);
      }
    }
    function follow(event) {
      if (vertices.length) {
        rubber.setLatLngs([vertices[vertices.length - 1], event.latlng, vertices[0]]);
        onChange([...vertices, event.latlng]);
      }
    }

    map.on("click", add).on("mousemove", follow).on("dblclick", finish);
    return () => {
      map.off("click", add).off("mousemove", follow).off("dblclick", finish);
      [line, rubber, first].forEach((layer) => layer && layer.remove());
      // After the double-click that finished, so that it does not zoom.
      setTimeout(() => map.doubleClickZoom.enable(), 0);
    };
  }

  const TOOLS = { rectangle: drawRectangle, polygon: drawPolygon };

  /* ----- The area-of-interest editor ----- */

  function button(label, onClick) {
    const node = document.createElement("button");
    node.type = "button"; // not a submit button of the form around
    node.className = "btn btn-sm btn-outline-secondary";
    node.textContent = label;
    node.addEventListener("click", onClick);
    return node;
  }

  function formatKm2(km2) {
    const options = { maximumFractionDigits: km2 < 10 ? 2 : km2 < 1000 ? 1 : 0 };
    try {
      return km2.toLocaleString(document.documentElement.lang || undefined, options);
    } catch (error) {
      return km2.toLocaleString(undefined, options); // a lang that is no locale
    }
  }

  class AreaEditor {
    constructor(textarea) {
      this.textarea = textarea;
      this.labels = labelsOf(textarea);
      this.shape = null; // the area on the map: a Leaflet layer
      this.areaKm2 = null;
      this.mode = null; // the drawing tool in use: "rectangle", "polygon" or null
      this.stopTool = () => {};
      this.cancelOnEscape = (event) => event.key === "Escape" && this.stopDrawing();
      this.buildControls();
      try {
        this.map = createMap(this.mapElement, textarea, () =>
          this.shape ? this.shape.getBounds() : null
        );
      } catch (error) {
        this.mapElement.parentNode.remove(); // the textarea alone, as without script
        throw error;
      }
      const readable = this.read();
      frame(this.map, this.shape && this.shape.getBounds());
      textarea.addEventListener("input", () => this.read() && this.reframe());
      // What could not be read stays in sight, e.g. a form shown again with an error.
      this.showTextarea(!readable);
    }

    buildControls() {
      const container = document.createElement("div");
      container.className = "pleiades-area-editor";
      const toolbar = document.createElement("div");
      toolbar.className = "pleiades-map-toolbar";
      this.buttons = {
        rectangle: button(this.labels.rectangle, () => this.toggle("rectangle")),
        polygon: button(this.labels.polygon, () => this.toggle("polygon")),
        clear: button(this.labels.clear, () => this.clear()),
        geojson: button(this.labels.geojson, () =>
          this.showTextarea(this.textarea.hidden)
        ),
      };
      this.buttons.rectangle.setAttribute("aria-pressed", "false");
      this.buttons.polygon.setAttribute("aria-pressed", "false");
      if (this.textarea.id) {
        this.buttons.geojson.setAttribute("aria-controls", this.textarea.id);
      }
      toolbar.append(...Object.values(this.buttons));
      this.mapElement = document.createElement("div");
      this.mapElement.className = "pleiades-map";
      this.output = document.createElement("p");
      this.output.className = "pleiades-area";
      this.output.setAttribute("aria-live", "polite");
      container.append(toolbar, this.mapElement, this.output);
      this.textarea.after(container);
    }

    showTextarea(shown) {
      this.textarea.hidden = !shown;
      this.buttons.geojson.setAttribute("aria-expanded", String(shown));
      this.buttons.geojson.classList.toggle("active", shown);
    }

    toggle(mode) {
      const again = this.mode === mode;
      this.stopDrawing();
      if (!again) {
        this.startDrawing(mode);
      }
    }

    startDrawing(mode) {
      this.mode = mode;
      this.buttons[mode].setAttribute("aria-pressed", "true");
      this.buttons[mode].classList.add("active");
      this.mapElement.classList.add("pleiades-drawing");
      document.addEventListener("keydown", this.cancelOnEscape);
      this.stopTool = TOOLS[mode](
        this.map,
        (latlngs) => this.showArea(this.previewArea(latlngs)),
        (latlngs) => this.drawn(latlngs)
      );
    }

    stopDrawing() {
      this.stopTool();
      this.stopTool = () => {};
      for (const mode of Object.keys(TOOLS)) {
        this.buttons[mode].setAttribute("aria-pressed", "false");
        this.buttons[mode].classList.remove("active");
      }
      this.mode = null;
      this.mapElement.classList.remove("pleiades-drawing");
      document.removeEventListener("keydown", this.cancelOnEscape);
      this.showArea(this.areaKm2);
    }

    previewArea(latlngs) {
      const ring = latlngs.map((point) => [point.lng, point.lat]);
      return Math.abs(ringArea(ring)) / 1e6;
    }

    drawn(latlngs) {
      this.stopDrawing();
      const geometry = polygonOf(latlngs);
      if (geometry) {
        this.write(geometry);
        this.show(geometry);
        // Drawn on another turn of the world, it is shown on the first one.
        if (!this.map.getBounds().intersects(this.shape.getBounds())) {
          this.reframe();
        }
      }
    }

    clear() {
      this.stopDrawing();
      this.write(null);
      this.show(null);
    }

    // Reads the textarea: true if it holds an area (drawn then) or nothing.
    read() {
      const text = this.textarea.value.trim();
      const geometry = areaGeometry(parseGeoJSON(text));
      if (geometry || !text) {
        this.show(geometry);
      }
      return Boolean(geometry || !text);
    }

    write(geometry) {
      this.textarea.value = geometry ? JSON.stringify(geometry) : "";
      // Setting the value fires nothing; what watches the form for changes (Plone's
      // warning on leaving an edited form) listens for this.
      this.textarea.dispatchEvent(new Event("change", { bubbles: true }));
    }

    show(geometry) {
      if (this.shape) {
        this.shape.remove();
        this.shape = null;
      }
      this.areaKm2 = null;
      if (geometry) {
        const flat = unwrapGeometry(geometry);
        this.shape = L.geoJSON(flat, { style: SHAPE_STYLE, interactive: false });
        this.shape.addTo(this.map);
        this.areaKm2 = geometryAreaKm2(flat);
      }
      this.showArea(this.areaKm2);
    }

    reframe() {
      frame(this.map, this.shape && this.shape.getBounds());
    }

    showArea(km2) {
      this.output.textContent =
        km2 === null ? "" : `${this.labels.area}: ${formatKm2(km2)} km²`;
    }
  }

  /* ----- Start ----- */

  const started = new WeakSet();

  // Each element once; one that fails does not stop the others.
  function once(element, start) {
    if (started.has(element)) {
      return;
    }
    started.add(element);
    try {
      start(element);
    } catch (error) {
      console.error("pleiades-map:", element, error);
    }
  }

  // Also for content added later (a form loaded in an overlay): pleiadesMap.init(node).
  function init(root) {
    const scope = root || document;
    scope
      .querySelectorAll("[data-pleiades-map]")
      .forEach((element) => once(element, showFeatures));
    scope
      .querySelectorAll("textarea[data-pleiades-area]")
      .forEach((textarea) => once(textarea, () => new AreaEditor(textarea)));
  }

  // createMap, drawRectangle, frame, labelsOf and unwrap also serve the
  // catalogue search's map (pleiades-search.js).
  window.pleiadesMap = {
    init,
    areaKm2: geometryAreaKm2,
    polygonOf,
    createMap,
    drawRectangle,
    frame,
    labelsOf,
    unwrap: unwrapData,
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init());
  } else {
    init();
  }
})();
