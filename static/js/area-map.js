// The map of a province or group of communes: the communes' outlines (from
// /api/v1/areas/SLUG/boundaries) coloured by one indicator (from
// /api/v1/indicators/communes), coverage hexagons of the communes in view once zoomed in
// (/api/v1/coverage/hexes?commune=), at street zoom the finest hexagons of the window alone
// (/api/v1/coverage/hexes?area=&resolution=10&bbox=), a tap on a commune opens its dashboard.
// The view is kept in the address (#zoom/lat/lon), so a link opens the same place. No framework; Leaflet is vendored in static/vendor.
(function () {
  "use strict";
  var container = document.getElementById("area-map");
  var source = document.getElementById("area-map-data");
  if (!container || !source || typeof L === "undefined") return;
  var data = JSON.parse(source.textContent);
  var form = document.getElementById("area-map-controls");
  var status = document.getElementById("area-map-status");
  var HEX_ZOOM = 11;
  var STREET_ZOOM = 15;  // resolution 10 (~65 m cells) for the window on screen
  var TECHNOLOGY = {"5g": "#1e7b3a", "4g": "#8cc265", "3g": "#f2c94c", "2g": "#f08a4b"};
  var values = {};

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  // A sequential scale from light (0 %) to dark teal (100 %); grey without data.
  function colour(value) {
    if (value === null || value === undefined) return "#c9d1d6";
    var t = Math.max(0, Math.min(1, value / 100));
    var from = [232, 244, 240], to = [11, 93, 91];
    var rgb = from.map(function (f, i) { return Math.round(f + (to[i] - f) * t); });
    return "rgb(" + rgb.join(",") + ")";
  }

  var map = L.map(container, {zoomControl: true, attributionControl: true, zoomSnap: 0.5});
  if (data.tile_url) {
    L.tileLayer(data.tile_url, {attribution: data.attribution, maxZoom: 19})
      .on("tileerror", function () { container.classList.add("tiles-failed"); })
      .addTo(map);
  } else {
    container.classList.add("no-tiles");
  }

  var layers = {};
  var names = [];  // [slug, name] in the order the route gives them
  var communes = L.featureGroup().addTo(map);
  map.setView([18.3, 105.9], 8);

  function getJSON(url, accept) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": accept}})
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      });
  }

  // The communes' outlines, from their own route (cached by the browser, revalidated by ETag).
  function drawCommunes(collection) {
    collection.features.forEach(function (feature) {
      var c = feature.properties;
      names.push([c.slug, c.name]);
      if (!feature.geometry) return;
      var layer = L.geoJSON(feature.geometry, {style: {color: "#ffffff", weight: 1, fillOpacity: 0.75,
                                                       fillColor: colour(null)}});
      layer.on("click", function () { window.location.href = c.dashboard_url; });
      layer.bindTooltip(esc(c.name), {sticky: true});
      layers[c.slug] = layer;
      layer.addTo(communes);
    });
    if (communes.getLayers().length) map.fitBounds(communes.getBounds(), {padding: [8, 8]});
    // Each commune's shapes name it (for tests and assistive tools), once drawn.
    Object.keys(layers).forEach(function (slug) {
      layers[slug].getLayers().forEach(function (part) {
        var path = part.getElement && part.getElement();
        if (path) path.setAttribute("data-commune", slug);
      });
    });
  }

  function restyle() {
    names.forEach(function (pair) {
      var layer = layers[pair[0]];
      if (!layer) return;
      var row = values[pair[0]];
      var value = row ? row.value : null;
      layer.setStyle({fillColor: colour(value)});
      var text = esc(pair[1]) + ": " + (value === null || value === undefined
        ? esc(data.labels.noData) : esc(value.toFixed(1)) + " %");
      if (row && row.status) text += " · " + esc(data.statusLabels[row.status] || row.status);
      layer.setTooltipContent(text);
    });
  }

  function loadValues() {
    var code = form.elements.code.value;
    status.textContent = data.labels.loading;
    var url = data.ranking_url + "?area=" + encodeURIComponent(data.area) +
      "&code=" + encodeURIComponent(code);
    return getJSON(url, "application/json")
      .then(function (body) {
        values = {};
        body.communes.forEach(function (row) { values[row.slug] = row; });
        restyle();
        status.textContent = map.getZoom() < HEX_ZOOM ? data.labels.zoomHint : "";
        container.setAttribute("data-loaded", code);
      })
      .catch(function () { status.textContent = data.labels.failed; });
  }

  // Hexagons of the communes in view, fetched per commune (each answers from its rollups in
  // tens of milliseconds) once zoomed in, and kept: panning back draws them without a request.
  var hexes = L.layerGroup();
  var hexesLoaded = {};
  function hexStyle(feature) {
    var best = feature.properties.best_technology;
    return {color: "#ffffff", weight: 0.5, fillOpacity: 0.7, fillColor: TECHNOLOGY[best] || "#b3261e"};
  }
  function loadHexes() {
    var view = map.getBounds();
    Object.keys(layers).forEach(function (slug) {
      if (hexesLoaded[slug] || !view.intersects(layers[slug].getBounds())) return;
      hexesLoaded[slug] = true;
      var url = data.hexes_url + "?commune=" + encodeURIComponent(slug) + "&resolution=8";
      getJSON(url, "application/geo+json")
        .then(function (body) {
          L.geoJSON(body, {style: hexStyle, interactive: false}).addTo(hexes);
        })
        .catch(function () { hexesLoaded[slug] = false; status.textContent = data.labels.failed; });
    });
  }

  // At street zoom, the window's cells at resolution 10, asked again as the window moves: the
  // answer follows the screen, not the province's streets already driven.
  var street = L.layerGroup();
  var streetLoads = 0;
  function loadStreet() {
    var mine = ++streetLoads;
    var view = map.getBounds().pad(0.1);
    var box = [view.getWest(), view.getSouth(), view.getEast(), view.getNorth()]
      .map(function (v) { return v.toFixed(5); }).join(",");
    var url = data.hexes_url + "?area=" + encodeURIComponent(data.area) + "&resolution=10&bbox=" + box;
    getJSON(url, "application/geo+json")
      .then(function (body) {
        if (mine !== streetLoads) return;
        street.clearLayers();
        L.geoJSON(body, {style: hexStyle, interactive: false}).addTo(street);
        container.setAttribute("data-street-cells", String(body.features.length));
      })
      .catch(function () { if (mine === streetLoads) status.textContent = data.labels.failed; });
  }

  function zoomed() {
    var zoom = map.getZoom();
    if (zoom >= STREET_ZOOM) {
      map.removeLayer(hexes);
      street.addTo(map);
      loadStreet();
      status.textContent = "";
    } else if (zoom >= HEX_ZOOM) {
      map.removeLayer(street);
      loadHexes();
      hexes.addTo(map);
      status.textContent = "";
    } else {
      map.removeLayer(hexes);
      map.removeLayer(street);
    }
    var centre = map.getCenter();
    history.replaceState(null, "", "#" + [zoom, centre.lat.toFixed(5), centre.lng.toFixed(5)].join("/"));
  }

  // #zoom/lat/lon in the address: open there instead of the whole area.
  function viewFromAddress() {
    var parts = window.location.hash.replace(/^#/, "").split("/").map(Number);
    if (parts.length !== 3 || parts.some(function (v) { return !isFinite(v); })) return false;
    if (parts[0] < 1 || parts[0] > 19 || Math.abs(parts[1]) > 90 || Math.abs(parts[2]) > 180) return false;
    map.setView([parts[1], parts[2]], parts[0]);
    return true;
  }
  status.textContent = data.labels.loading;
  getJSON(data.boundaries_url, "application/geo+json")
    .then(function (collection) {
      drawCommunes(collection);
      map.on("moveend", zoomed);
      viewFromAddress();
      form.addEventListener("change", loadValues);
      return loadValues();
    })
    .catch(function () { status.textContent = data.labels.failed; });
})();
