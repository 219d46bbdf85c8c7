/* fzgeo web-map runtime (MIT, part of fzgeo). Draws the overlay layers of one map from the
 * configuration fzgeo writes, with grouped layer control, legend toggling, minimum zooms, lazy
 * tooltips/popups and a name search. Every attribute value is HTML-escaped before it reaches
 * innerHTML (Leaflet tooltips and popups set innerHTML). */
(function (global) {
  "use strict";

  function esc(value) {
    if (value === null || value === undefined) { return ""; }
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  /* The options of a feature in stroke pass ``pass`` (default: the top one), or null when its
   * symbol draws nothing in that pass. A multi-stroke line symbol (``strokes``, bottom first) of
   * k strokes draws in the top k of the layer's passes; a single stroke in the top pass. */
  function symbolFor(cfg, props, pass) {
    var s = cfg.style.base;
    var field = cfg.style.field;
    var passes = cfg.style.passes || 1;
    if (pass === undefined) { pass = passes - 1; }
    if (field && cfg.style.cats && Object.prototype.hasOwnProperty.call(cfg.style.cats, String(props[field]))) {
      s = cfg.style.cats[String(props[field])];
    }
    if (s.strokes) {
      var k = pass - (passes - s.strokes.length);
      if (k < 0) { return null; }
      s = Object.assign({}, s, s.strokes[k]);
      delete s.strokes;
    } else if (pass !== passes - 1) {
      return null;
    }
    if (props.precision === "illustrative") {
      s = Object.assign({}, s, cfg.illustrative);
    }
    return s;
  }

  function label(cfg, props) {
    var text = props[cfg.label];
    if (text === null || text === undefined || text === "") { text = cfg.name; }
    var mark = props.precision === "illustrative" ? "【示意】" : "";
    return '<span class="fz-tip">' + esc(mark + text) + '</span>';
  }

  function display(cfg, field, value) {
    var names = cfg.values[field];
    if (names && Object.prototype.hasOwnProperty.call(names, String(value))) {
      return names[String(value)];
    }
    return value;
  }

  function popup(cfg, props) {
    var rows = [];
    if (props.precision === "illustrative") {
      rows.push('<div class="fz-illustrative">示意：位置与范围仅为示意，非实测或法定数据</div>');
    }
    rows.push('<div class="fz-popup-layer">' + esc(cfg.name) + '</div><table class="fz-popup">');
    cfg.fields.forEach(function (pair) {
      var value = props[pair[0]];
      if (value === null || value === undefined || value === "") { return; }
      rows.push("<tr><th>" + esc(pair[1]) + "</th><td>" + esc(display(cfg, pair[0], value)) + "</td></tr>");
    });
    rows.push("</table>");
    return rows.join("");
  }

  var POPUP = { maxWidth: 380, maxHeight: 320 };

  function lineStyle(cfg, pass) {
    return function (f) {
      var s = symbolFor(cfg, f.properties, pass);
      var type = f.geometry && f.geometry.type;
      return (type === "LineString" || type === "MultiLineString") ? Object.assign({}, s, { fill: false }) : s;
    };
  }

  /* The lower stroke passes of a multi-stroke line layer (casings), each on its own canvas in a
   * sub-pane below the top pass, not interactive; they follow the top layer on and off the map. */
  function lowerPasses(map, cfg, data, pane, passes) {
    var lower = [];
    for (var i = 0; i < passes - 1; i++) {
      var name = pane + "-" + i;
      map.createPane(name, map.getPane(pane)).style.zIndex = String(i + 1);
      lower.push(L.geoJSON(data, {
        pane: name,
        renderer: L.canvas({ pane: name }),
        interactive: false,
        filter: (function (pass) { return function (f) { return symbolFor(cfg, f.properties, pass) !== null; }; }(i)),
        style: lineStyle(cfg, i)
      }));
    }
    return lower;
  }

  function addLayer(map, cfg, data, index) {
    var constants = cfg.constants || {};
    if (Object.keys(constants).length) {
      /* values shared by every feature travel once, in the layer's configuration */
      data.features.forEach(function (f) { f.properties = Object.assign({}, constants, f.properties); });
    }
    var paneName = "fz-pane-" + cfg.id;
    var pane = map.createPane(paneName);
    pane.style.zIndex = String(400 + index);
    var passes = cfg.style.passes || 1;
    var lower = passes > 1 ? lowerPasses(map, cfg, data, paneName, passes) : [];
    var topPane = paneName;
    if (passes > 1) {
      topPane = paneName + "-" + (passes - 1);
      map.createPane(topPane, pane).style.zIndex = String(passes);
    }
    var renderer = L.canvas({ pane: topPane });
    var layer = L.geoJSON(data, {
      pane: topPane,
      renderer: renderer,
      style: lineStyle(cfg, passes - 1),
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, Object.assign({ pane: topPane, renderer: renderer }, symbolFor(cfg, f.properties)));
      }
    });
    /* one layer-control entry: the top pass carries the lower ones on and off the map */
    layer.on("add", function () { lower.forEach(function (l) { map.addLayer(l); }); });
    layer.on("remove", function () { lower.forEach(function (l) { map.removeLayer(l); }); });
    /* one tooltip and one popup per layer, filled lazily for the feature under the pointer */
    layer.bindTooltip(function (l) { return label(cfg, l.feature.properties); }, { sticky: true });
    layer.bindPopup(function (l) { return popup(cfg, l.feature.properties); }, POPUP);
    layer.fzPane = pane;
    layer.fzConfig = cfg;
    layer.fzLower = lower;
    return layer;
  }

  function applyMinZoom(map, layers) {
    var zoom = map.getZoom();
    layers.forEach(function (layer) {
      var hidden = layer.fzConfig.minZoom && zoom < layer.fzConfig.minZoom;
      layer.fzPane.style.display = hidden ? "none" : "";
    });
  }

  function toggleLegend(id, on) {
    var rows = document.querySelectorAll('[data-fz-layer="' + id + '"]');
    Array.prototype.forEach.call(rows, function (row) { row.style.display = on ? "" : "none"; });
  }

  function searchControl(map, layers) {
    var index = [];
    layers.forEach(function (layer) {
      layer.eachLayer(function (f) {
        var name = f.feature.properties[layer.fzConfig.label];
        if (name !== null && name !== undefined && name !== "") {
          index.push({ name: String(name), layer: layer, feature: f });
        }
      });
    });
    var Search = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var box = L.DomUtil.create("div", "fz-search leaflet-bar");
        var input = L.DomUtil.create("input", "", box);
        input.type = "search";
        input.placeholder = "搜索名称";
        input.setAttribute("aria-label", "搜索名称");
        var list = L.DomUtil.create("ul", "", box);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        input.addEventListener("input", function () {
          list.innerHTML = "";
          var q = input.value.trim().toLowerCase();
          if (!q) { return; }
          index.filter(function (e) { return e.name.toLowerCase().indexOf(q) >= 0; })
            .slice(0, 12).forEach(function (e) {
              var li = L.DomUtil.create("li", "", list);
              li.textContent = e.name + "（" + e.layer.fzConfig.name + "）";
              li.addEventListener("click", function () { goTo(map, e); list.innerHTML = ""; });
            });
        });
        return box;
      }
    });
    var control = new Search();
    control.fzIndex = index;
    return control.addTo(map);
  }

  function anchor(f) {
    return f.getBounds ? f.getBounds().getCenter() : f.getLatLng();
  }

  function openFeature(map, layer, f) {
    /* the popup of one feature (search results, links), with the layer's own content */
    return L.popup(POPUP).setLatLng(anchor(f)).setContent(popup(layer.fzConfig, f.feature.properties)).openOn(map);
  }

  function goTo(map, entry) {
    if (!map.hasLayer(entry.layer)) { map.addLayer(entry.layer); }
    var f = entry.feature;
    if (f.getBounds) {
      map.fitBounds(f.getBounds(), { maxZoom: Math.max(map.getZoom(), 13), animate: false });
    } else {
      map.setView(f.getLatLng(), Math.max(map.getZoom(), 13), { animate: false });
    }
    openFeature(map, entry.layer, f);
  }

  function baseLayers(map, bases) {
    var out = {};
    bases.forEach(function (b, i) {
      var parts = b.tiles.map(function (t) {
        return L.tileLayer(t.url, { attribution: t.attribution, subdomains: t.subdomains || "abc", maxZoom: t.maxZoom || 18 });
      });
      var group = L.layerGroup(parts);
      out[esc(b.name)] = group;  /* the layer control sets names as HTML */
      if (i === 0) { group.addTo(map); }
    });
    return out;
  }

  function htmlControl(map, html, position, className) {
    var Box = L.Control.extend({
      options: { position: position },
      onAdd: function () {
        var div = L.DomUtil.create("div", className);
        div.innerHTML = html;  /* built and escaped by fzgeo */
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      }
    });
    return new Box().addTo(map);
  }

  function init(map, config, datasets) {
    if (config.titleHtml) { htmlControl(map, config.titleHtml, "topright", "fz-title"); }
    if (config.legendHtml) { htmlControl(map, config.legendHtml, "bottomleft", "fz-legend"); }
    var layers = [];
    var grouped = {};
    /* the grouped layer control sets group and layer names as HTML: escape them */
    (config.groupOrder || []).forEach(function (g) { grouped[esc(g)] = {}; });
    config.layers.forEach(function (cfg, i) {
      var layer = addLayer(map, cfg, datasets[i], i);
      layers.push(layer);
      var group = esc(cfg.group);
      if (!grouped[group]) { grouped[group] = {}; }
      grouped[group][esc(cfg.name)] = layer;
      if (cfg.visible) { layer.addTo(map); }
      toggleLegend(cfg.id, cfg.visible);
    });
    L.control.scale({ imperial: false, metric: true, maxWidth: 150 }).addTo(map);  /* 比例尺 */
    var bases = baseLayers(map, config.basemaps);
    var control = L.control.groupedLayers(bases, grouped, { collapsed: config.collapsed, groupCheckboxes: false });
    control.addTo(map);
    map.on("overlayadd", function (e) { if (e.layer.fzConfig) { toggleLegend(e.layer.fzConfig.id, true); } });
    map.on("overlayremove", function (e) { if (e.layer.fzConfig) { toggleLegend(e.layer.fzConfig.id, false); } });
    map.on("zoomend", function () { applyMinZoom(map, layers); });
    applyMinZoom(map, layers);
    var search = searchControl(map, layers);
    if (config.fit) {
      var bounds = L.latLngBounds([]);
      var only = config.fitTo || [];
      layers.forEach(function (l) {
        var wanted = !only.length || only.indexOf(l.fzConfig.id) >= 0;
        if (wanted && l.getLayers().length) { bounds.extend(l.getBounds()); }
      });
      if (bounds.isValid()) { map.fitBounds(bounds, { animate: false }); }
    }
    global.fzgeoMap = {
      map: map, layers: layers, control: control, search: search,
      openFeature: function (layer, f) { return openFeature(map, layer, f); }
    };
    document.documentElement.setAttribute("data-fz-ready", "1");
    return global.fzgeoMap;
  }

  global.FZ = { init: init, esc: esc };
}(window));
