/* The commune's coverage map (templates/maps/map.html): hexagons and villages from the API,
   survey points and the boundary from the page. Works with no basemap tiles at all. At street
   zoom the hexagons are the window's at resolution 10 (bbox), asked again as the window moves;
   the view is kept in the address (#zoom/lat/lon). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var S = data.strings;
  var form = document.getElementById("map-controls");
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  var statusLine = document.getElementById("map-status");
  var container = document.getElementById("map");
  var number = new Intl.NumberFormat(data.locale, {maximumFractionDigits: 1});
  var GREY = "#9aa5ad";

  var SCALES = {
    best_technology: [["5g", "5G", "#1a7f37"], ["4g", "4G", "#5cb85c"], ["3g", "3G", "#f0c419"],
                      ["2g", "2G", "#f08a24"], [null, S.no_usable, "#c62828"]],
    signal_class: [["great", S.great, "#1a7f37"], ["good", S.good, "#5cb85c"],
                   ["moderate", S.moderate, "#c5d86d"], ["poor", S.poor, "#f08a24"],
                   ["none", S.none, "#c62828"]],
    median_download: [[100, "≥ 100", "#1a7f37"], [50, "50–100", "#5cb85c"], [20, "20–50", "#c5d86d"],
                      [5, "5–20", "#f08a24"], [0, "< 5", "#c62828"]]
  };
  var VALUE_SCALE = [[80, "80–100 %", "#1a7f37"], [60, "60–80 %", "#5cb85c"], [40, "40–60 %", "#c5d86d"],
                     [20, "20–40 %", "#f08a24"], [0, "0–20 %", "#c62828"]];

  function colourOf(mode, p) {
    var scale = SCALES[mode];
    if (mode === "median_download") {
      if (p.median_download_mbps === null) return GREY;
      for (var i = 0; i < scale.length; i++) if (p.median_download_mbps >= scale[i][0]) return scale[i][2];
      return GREY;
    }
    var value = mode === "best_technology" ? p.best_technology : p.signal_class;
    if (mode === "best_technology" && value === null && p.n === 0 && !p.households) return GREY;
    if (mode === "signal_class" && value === null) return GREY;
    for (var j = 0; j < scale.length; j++) if (scale[j][0] === value) return scale[j][2];
    return GREY;
  }

  function valueColour(value) {
    if (value === null || value === undefined) return GREY;
    for (var i = 0; i < VALUE_SCALE.length; i++) if (value >= VALUE_SCALE[i][0]) return VALUE_SCALE[i][2];
    return GREY;
  }

  function fmt(x, suffix) {
    return x === null || x === undefined ? "—" : number.format(x) + (suffix || "");
  }

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text === null || text === undefined ? "" : String(text);
    return div.innerHTML;
  }

  function row(label, value) {
    return "<tr><th>" + esc(label) + "</th><td>" + esc(value) + "</td></tr>";
  }

  var map = L.map(container, {zoomControl: true, attributionControl: true, zoomSnap: 0.5});
  if (data.tile_url) {
    // A failing tile server (no network) leaves the plain background: everything else still draws.
    L.tileLayer(data.tile_url, {attribution: data.attribution, maxZoom: 19})
      .on("tileerror", function () { container.classList.add("tiles-failed"); })
      .addTo(map);
  } else {
    container.classList.add("no-tiles");
  }

  var boundary = data.boundary ? L.geoJSON(data.boundary, {
    className: "boundary", interactive: false,
    style: {color: "#0b5d5b", weight: 2, fill: false, dashArray: "6 4"}
  }).addTo(map) : null;
  if (boundary) {
    map.fitBounds(boundary.getBounds(), {padding: [8, 8]});
  } else if (data.villages.length) {
    map.fitBounds(L.latLngBounds(data.villages.map(function (v) { return [v.lat, v.lon]; })).pad(0.3));
  } else {
    map.setView([16.0, 107.0], 6);
  }

  var hexLayer = L.geoJSON(null, {
    className: "hex",
    style: function (f) { return hexStyle(f.properties); },
    onEachFeature: function (f, layer) { layer.bindPopup(function () { return hexPopup(f.properties); }); }
  }).addTo(map);
  var villageLayer = L.geoJSON(null, {
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, {className: "village", radius: 9});
    },
    style: function (f) { return villageStyle(f.properties); },
    onEachFeature: function (f, layer) {
      layer.bindPopup(function () { return villagePopup(f.properties); });
      layer.bindTooltip(esc(f.properties.name), {direction: "top", offset: [0, -8]});
    }
  }).addTo(map);
  var pointLayer = L.layerGroup();  // off at first: the layers control shows it

  var overlays = {};
  overlays[S.hexagons] = hexLayer;
  overlays[S.villages] = villageLayer;
  if (data.points.length) overlays[S.points] = pointLayer;
  L.control.layers(null, overlays, {collapsed: true}).addTo(map);

  function mode() { return form.elements.colour.value; }
  function gapView() { return form.elements.gap.checked; }

  function hexStyle(p) {
    var style = {color: "#ffffff", weight: 1, fillColor: colourOf(mode(), p), fillOpacity: 0.6, opacity: 0.9};
    if (gapView()) {
      if (p.gap) { style.color = "#d50000"; style.weight = 3; style.fillOpacity = 0.7; }
      else { style.fillOpacity = 0.15; }
    }
    return style;
  }

  function villageStyle(p) {
    var below = gapView() && p.below_target;
    return {color: below ? "#d50000" : "#263238", weight: below ? 4 : 1.5,
            fillColor: valueColour(p.value), fillOpacity: 0.9, radius: below ? 11 : 9};
  }

  function hexPopup(p) {
    var html = "<table class='map-popup'>" +
      row(S.measurements, fmt(p.n)) +
      (p.estimated ? row(S.estimated, fmt(p.estimated)) : "") +
      row(S.households, p.households === null ? S.not_disclosed : fmt(p.households)) +
      row(S.best_technology, p.best_technology ? p.best_technology.toUpperCase() : S.no_usable) +
      row(S.signal_class, p.signal_class ? S[p.signal_class] : "—") +
      row(S.median_rsrp, fmt(p.median_rsrp_dbm)) +
      row(S.median_download, fmt(p.median_download_mbps)) +
      row(S.median_upload, fmt(p.median_upload_mbps)) +
      row(S.operators, p.operators.length ? p.operators.join(", ") : "—");
    return html + "</table><p class='muted'>" + esc(S.cell) + " " + esc(p.h3) + "</p>";
  }

  function villagePopup(p) {
    var interval = p.ci_low === null ? "—" : fmt(p.ci_low) + "–" + fmt(p.ci_high, " %");
    return "<strong>" + esc(p.name) + "</strong><table class='map-popup'>" +
      row(S.value, fmt(p.value, " %")) + row(S.interval, interval) + row("n", fmt(p.n)) +
      row(S.target, p.target === null ? "—" : (p.comparator === ">" ? "> " : "≥ ") + fmt(p.target, " %") +
          (p.target_year ? " (" + p.target_year + ")" : "")) +
      row(S.status, S["status_" + (p.status || "none")] || p.status) +
      (p.gap ? row(S.gap_to_target, fmt(p.gap) + (p.target_year ? " (" + p.target_year + ")" : "")) : "") +
      (p.below_target ? row(S.below_target, "✔") : "") + "</table>";
  }

  /* Survey points, clustered on a screen grid of GRID px: one circle per point, or a numbered
     bubble per grid square holding several (redrawn on zoom and pan). */
  var GRID = 48;
  function periodMatches(day, period) {
    if (!period) return true;
    if (period.indexOf("-Q") > 0) {
      var quarter = Math.floor((parseInt(day.slice(5, 7), 10) - 1) / 3) + 1;
      return day.slice(0, 4) === period.slice(0, 4) && String(quarter) === period.slice(6);
    }
    return day.slice(0, period.length) === period;
  }
  function drawPoints() {
    pointLayer.clearLayers();
    var period = form.elements.period.value;
    var bounds = map.getBounds().pad(0.2);
    var cells = {};
    data.points.forEach(function (pt) {
      if (!periodMatches(pt.date, period)) return;
      var latlng = L.latLng(pt.lat, pt.lon);
      if (!bounds.contains(latlng)) return;
      var px = map.project(latlng);
      var key = Math.floor(px.x / GRID) + ":" + Math.floor(px.y / GRID);
      (cells[key] = cells[key] || []).push(pt);
    });
    Object.keys(cells).forEach(function (key) {
      var group = cells[key];
      if (group.length === 1) {
        var pt = group[0];
        L.circleMarker([pt.lat, pt.lon], {className: "point", radius: 4, color: "#37474f", weight: 1,
                                          fillColor: "#ffffff", fillOpacity: 1})
          .bindPopup(esc(pt.village_name) + "<br>" + esc(S.surveyed_on) + " " +
                     esc(new Date(pt.date + "T00:00:00").toLocaleDateString(data.locale)))
          .addTo(pointLayer);
        return;
      }
      var lat = 0, lon = 0;
      group.forEach(function (p) { lat += p.lat; lon += p.lon; });
      var size = group.length < 10 ? 28 : group.length < 100 ? 34 : 40;
      L.marker([lat / group.length, lon / group.length], {icon: L.divIcon({
        className: "point-cluster", iconSize: [size, size], html: "<span>" + number.format(group.length) + "</span>"
      })}).on("click", function () { map.setView(this.getLatLng(), map.getZoom() + 2); }).addTo(pointLayer);
    });
  }
  map.on("zoomend moveend", function () { if (map.hasLayer(pointLayer)) drawPoints(); });
  map.on("overlayadd", function (e) { if (e.layer === pointLayer) drawPoints(); });

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    this._div = L.DomUtil.create("div", "map-legend");
    L.DomEvent.disableClickPropagation(this._div);
    return this._div;
  };
  legend.addTo(map);
  function drawLegend() {
    var m = mode();
    var title = m === "best_technology" ? S.best_technology : m === "signal_class" ? S.signal_class : S.median_download;
    var html = "<strong>" + esc(title) + "</strong>";
    SCALES[m].forEach(function (entry) {
      html += "<div><i style='background:" + entry[2] + "'></i>" + esc(entry[1]) + "</div>";
    });
    html += "<div><i style='background:" + GREY + "'></i>" + esc(S.no_data) + "</div>";
    if (gapView()) html += "<div><i class='gap'></i>" + esc(S.gap) + "</div>";
    var code = form.elements.code;
    html += "<strong>" + esc(S.villages) + ": " + esc(code.options[code.selectedIndex].text) + "</strong>";
    VALUE_SCALE.forEach(function (entry) {
      html += "<div><i class='dot' style='background:" + entry[2] + "'></i>" + esc(entry[1]) + "</div>";
    });
    if (gapView()) html += "<div><i class='dot below'></i>" + esc(S.below_target) + "</div>";
    // Folded on a phone at first (it would cover half the map); the reader's choice is kept.
    var details = legend._div.querySelector("details");
    var open = details ? details.open : window.matchMedia("(min-width: 48rem)").matches;
    legend._div.innerHTML = "<details" + (open ? " open" : "") + "><summary>" + esc(S.legend) +
      "</summary>" + html + "</details>";
  }

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k]) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
    });
    return parts.join("&");
  }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/geo+json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  var STREET_ZOOM = 15;
  var street = false;  // the hexagons drawn are a window's at resolution 10
  function hexParams() {
    var f = form.elements;
    var params = {commune: data.commune, technology: f.technology.value, operator: f.operator.value,
                  period: f.period.value};
    street = map.getZoom() >= STREET_ZOOM;
    if (street) {
      var view = map.getBounds().pad(0.1);
      params.resolution = "10";
      params.bbox = [view.getWest(), view.getSouth(), view.getEast(), view.getNorth()]
        .map(function (v) { return v.toFixed(5); }).join(",");
    }
    container.setAttribute("data-resolution", street ? "10" : "8");
    return params;
  }

  var loads = 0;
  // The villages do not depend on the window: asked again only when the indicator or the period
  // changes, not on every pan at street zoom (a phone on 3G pays for each answer).
  var villagesUrl = null, villagesAnswer = null;
  function villagesFor(f) {
    var url = data.villages_url + "?" + query({commune: data.commune, code: f.code.value,
                                               period: f.period.value});
    if (url !== villagesUrl) {
      villagesUrl = url;
      villagesAnswer = getJSON(url).catch(function (error) { villagesUrl = null; throw error; });
    }
    return villagesAnswer;
  }
  function load() {
    var mine = ++loads;
    var f = form.elements;
    container.removeAttribute("data-ready");
    statusLine.textContent = "";
    var hexes = getJSON(data.hexes_url + "?" + query(hexParams()));
    var villages = villagesFor(f);
    Promise.all([hexes, villages]).then(function (results) {
      if (mine !== loads) return;
      hexLayer.clearLayers().addData(results[0]);
      villageLayer.clearLayers().addData(results[1]);
      container.setAttribute("data-hexes", String(results[0].features.length));
      container.setAttribute("data-villages", String(results[1].features.filter(function (x) {
        return x.geometry; }).length));
      container.setAttribute("data-ready", "true");
      drawLegend();
      if (map.hasLayer(pointLayer)) drawPoints();
    }).catch(function () {
      if (mine !== loads) return;
      statusLine.textContent = S.load_failed;
      container.setAttribute("data-ready", "error");
    });
  }

  function restyle() {
    hexLayer.setStyle(function (f) { return hexStyle(f.properties); });
    villageLayer.eachLayer(function (layer) {
      var style = villageStyle(layer.feature.properties);
      layer.setStyle(style);
      layer.setRadius(style.radius);
    });
    drawLegend();
  }

  form.addEventListener("change", function (event) {
    var name = event.target.name;
    if (name === "colour" || name === "gap") restyle();
    else load();
  });

  // #zoom/lat/lon in the address: open there; the address follows the view.
  var parts = window.location.hash.replace(/^#/, "").split("/").map(Number);
  if (parts.length === 3 && parts.every(isFinite) && parts[0] >= 1 && parts[0] <= 19 &&
      Math.abs(parts[1]) <= 90 && Math.abs(parts[2]) <= 180) {
    map.setView([parts[1], parts[2]], parts[0]);
  }
  load();
  map.on("moveend", function () {
    var centre = map.getCenter();
    history.replaceState(null, "", "#" + [map.getZoom(), centre.lat.toFixed(5), centre.lng.toFixed(5)].join("/"));
    if (street || map.getZoom() >= STREET_ZOOM) load();
  });
})();
