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
    if (value === true || value === "true" || value === "True") { return "是"; }
    if (value === false || value === "false" || value === "False") { return "否"; }
    return value;
  }

  /* A number rounded for reading: at most ``digits`` decimals (default 2), none from 10 000 up,
   * trailing zeros dropped. */
  function num(value, digits) {
    var d = Math.abs(value) >= 10000 ? 0 : (digits === undefined ? 2 : digits);
    return String(Number(value.toFixed(d)));
  }

  /* An area in any unit as 公顷 and 亩 (1 公顷 = 15 亩), e.g. "184.12 公顷（2761.7 亩）". */
  var TO_HA = { ha: 1, km2: 100, m2: 0.0001, mu: 1 / 15 };
  function area(value, unit) {
    var ha = Number(value) * TO_HA[unit];
    return num(ha, 2) + " 公顷（" + num(ha * 15, 1) + " 亩）";
  }

  function shown(cfg, field, unit, value) {
    if (TO_HA[unit] && value !== "" && isFinite(Number(value))) { return area(value, unit); }
    value = display(cfg, field, value);
    return typeof value === "number" && !Number.isInteger(value) ? num(value) : value;
  }

  function row(label, value) {
    return "<tr><th>" + esc(label) + "</th><td>" + esc(value) + "</td></tr>";
  }

  /* The popup: the layer's name, then its fields in Chinese (areas in 公顷 and 亩, codes and
   * layer ids by their Chinese names, 是/否), the provenance as one line with the plan's words,
   * mapping notes and ids folded under 技术说明. */
  function popup(cfg, props) {
    var rows = [], tech = [];
    if (props.precision === "illustrative") {
      rows.push('<div class="fz-illustrative">示意：位置与范围仅为示意，非实测或法定数据</div>');
    }
    rows.push('<div class="fz-popup-layer">' + esc(cfg.name) + '</div><table class="fz-popup">');
    var empty = function (v) { return v === null || v === undefined || v === ""; };
    var hasSource = !empty(props.source);
    cfg.fields.forEach(function (f) {
      var field = f[0], label = f[1], unit = f[2], value = props[field];
      if (empty(value)) { return; }
      if (hasSource && (field === "plan_term" || field === "source_line")) { return; }
      if (unit === "tech") { tech.push(row(label, value)); return; }
      if (field === "source" && !empty(props.plan_term)) {
        value = value + "：“" + props.plan_term + "”";
      }
      rows.push(row(label, shown(cfg, field, unit, value)));
    });
    rows.push("</table>");
    if (tech.length) {
      rows.push('<details class="fz-tech"><summary>技术说明</summary><table class="fz-popup">' + tech.join("") + "</table></details>");
    }
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

  var OVERLAY_PANE = "fz-overlay";

  /* An unfilled polygon (an outline such as a boundary) catches the mouse on its outline only;
   * Leaflet's own test counts its whole interior, which would cover every layer below it. */
  var polygonContains = L.Polygon.prototype._containsPoint;
  L.Polygon.include({
    _containsPoint: function (p) {
      if (!this.options.fill || !this.options.fillOpacity) {
        return L.Polyline.prototype._containsPoint.call(this, p, true);
      }
      return polygonContains.call(this, p);
    }
  });

  /* The lower stroke passes of a multi-stroke line layer (casings): plain GeoJSON layers on the
   * shared canvas, not interactive, drawn just below the top pass and shown with it. */
  function lowerPasses(cfg, data, renderer, passes) {
    var lower = [];
    for (var i = 0; i < passes - 1; i++) {
      lower.push(L.geoJSON(data, {
        pane: OVERLAY_PANE,
        renderer: renderer,
        interactive: false,
        filter: (function (pass) { return function (f) { return symbolFor(cfg, f.properties, pass) !== null; }; }(i)),
        style: lineStyle(cfg, i),
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { renderer: renderer, interactive: false }); }
      }));
    }
    return lower;
  }

  /* A layer-control entry: the top stroke pass. While ticked (fzOn) it shows its passes unless
   * the zoom is below its minimum; hidden or unticked, none of its features is on the canvas,
   * so none catches the mouse. */
  var FzLayer = L.GeoJSON.extend({
    onAdd: function (map) { this.fzMap = map; this.fzOn = true; this.fzSync(); },
    onRemove: function (map) { this.fzMap = map; this.fzOn = false; this.fzSync(); },
    fzSync: function () {
      var map = this.fzMap, cfg = this.fzConfig;
      var show = !!this.fzOn && !(cfg.minZoom && map.getZoom() < cfg.minZoom);
      if (show === !!this.fzShown) { return; }
      this.fzShown = show;
      if (show) {
        this.fzLower.forEach(function (l) { map.addLayer(l); });
        L.LayerGroup.prototype.onAdd.call(this, map);
        this.fzRestack(this.fzIndex + 1);
      } else {
        L.LayerGroup.prototype.onRemove.call(this, map);
        this.fzLower.forEach(function (l) { map.removeLayer(l); });
      }
    }
  });

  function bringUp(f) { if (f.bringToFront) { f.bringToFront(); } }

  /* fzgeo's compact layer format (fzgeo.maps.render.encode_layer) as a GeoJSON
   * FeatureCollection: per feature a type character and one string of zig-zag base-32
   * coordinate differences (x, y; the first absolute; polygon rings without their closing
   * vertex), rings split by " ", parts by "!", features by ";"; properties by column. */
  var TYPES = { a: "Point", b: "MultiPoint", c: "LineString", d: "MultiLineString", e: "Polygon", f: "MultiPolygon" };
  function featureStrings(data) { return data.e.split(";"); }
  function typeOf(data, i) { return data.t.length === 1 ? data.t : data.t.charAt(i); }
  function decodeLayer(data) {
    var scale = Math.pow(10, data.d), x = 0, y = 0, features = [], strings = featureStrings(data);
    var cols = Object.keys(data.p || {});
    for (var i = 0; i < strings.length; i++) {
      var s = strings[i], parts = [], rings = [], ring = [], pos = 0, n = s.length;
      var closed = typeOf(data, i) === "e" || typeOf(data, i) === "f";
      while (pos <= n) {
        var c = pos < n ? s.charCodeAt(pos) : 33;
        if (c === 32 || c === 33) {
          if (closed && ring.length) { ring.push(ring[0]); }  /* left out by the encoder */
          rings.push(ring); ring = [];
          if (c === 33) { parts.push(rings); rings = []; }
          pos++;
          continue;
        }
        var v = [0, 0];
        for (var k = 0; k < 2; k++) {
          var r = 0, mult = 1, b;
          do { b = s.charCodeAt(pos++) - 63; r += (b & 31) * mult; mult *= 32; } while (b >= 32);
          v[k] = r % 2 ? -(r + 1) / 2 : r / 2;
        }
        x += v[0]; y += v[1];
        ring.push([x / scale, y / scale]);
      }
      var type = TYPES[typeOf(data, i)], coords;
      if (type === "Point") { coords = parts[0][0][0]; }
      else if (type === "MultiPoint") { coords = parts.map(function (p) { return p[0][0]; }); }
      else if (type === "LineString") { coords = parts[0][0]; }
      else if (type === "MultiLineString") { coords = parts.map(function (p) { return p[0]; }); }
      else if (type === "Polygon") { coords = parts[0]; }
      else { coords = parts; }
      var props = {};
      for (var j = 0; j < cols.length; j++) {
        var value = data.p[cols[j]][i];
        if (value !== null && value !== undefined) { props[cols[j]] = value; }
      }
      features.push({ type: "Feature", geometry: { type: type, coordinates: coords }, properties: props });
    }
    return { type: "FeatureCollection", features: features };
  }

  /* A layer of very many features (config ``big``, from fzgeo.maps.render.BIG_FROM): drawn
   * straight from its decoded coordinates onto its own canvas, under the shared one, without a
   * Leaflet object per feature (100 000 of them cost seconds of garbage collection). The
   * pointer finds its features through a grid index whenever no feature of the shared canvas
   * is under it; tooltips, popups and search work as for any layer. */
  var GRID = 128;
  function worldX(lng) { return lng / 360 + 0.5; }
  function worldY(lat) {
    var max = 85.0511287798, phi = Math.max(Math.min(lat, max), -max) * Math.PI / 180;
    return 0.5 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / (2 * Math.PI);
  }

  function decodeFlat(data) {
    var scale = Math.pow(10, data.d), x = 0, y = 0;
    var wx = [], wy = [], ringStart = [0], featRing = [0], types = [], strings = featureStrings(data);
    for (var i = 0; i < strings.length; i++) {
      var s = strings[i], pos = 0, n = s.length;
      while (pos <= n) {
        var c = pos < n ? s.charCodeAt(pos) : 33;
        if (c === 32 || c === 33) { ringStart.push(wx.length); pos++; continue; }
        var v = [0, 0];
        for (var k = 0; k < 2; k++) {
          var r = 0, mult = 1, b;
          do { b = s.charCodeAt(pos++) - 63; r += (b & 31) * mult; mult *= 32; } while (b >= 32);
          v[k] = r % 2 ? -(r + 1) / 2 : r / 2;
        }
        x += v[0]; y += v[1];
        wx.push(worldX(x / scale)); wy.push(worldY(y / scale));
      }
      featRing.push(ringStart.length - 1);
      types.push(TYPES[typeOf(data, i)]);
    }
    return { wx: wx, wy: wy, ringStart: ringStart, featRing: featRing, types: types };
  }

  var FzBigLayer = L.Layer.extend({
    initialize: function (cfg, data, constants) {
      this.fzConfig = cfg;
      this.fzLower = [];
      this.fzData = data;
      this.fzConstants = constants;
      var flat = this.fzFlat = decodeFlat(data);
      var n = flat.types.length, box = this.fzBox = new Float64Array(4 * n);
      var all = [Infinity, Infinity, -Infinity, -Infinity];
      var symbols = this.fzSymbols = [], cache = {}, field = cfg.style.field;
      for (var i = 0; i < n; i++) {
        var b = [Infinity, Infinity, -Infinity, -Infinity];
        for (var v = flat.ringStart[flat.featRing[i]]; v < flat.ringStart[flat.featRing[i + 1]]; v++) {
          var px = flat.wx[v], py = flat.wy[v];
          if (px < b[0]) { b[0] = px; } if (py < b[1]) { b[1] = py; }
          if (px > b[2]) { b[2] = px; } if (py > b[3]) { b[3] = py; }
        }
        box.set(b, 4 * i);
        all = [Math.min(all[0], b[0]), Math.min(all[1], b[1]), Math.max(all[2], b[2]), Math.max(all[3], b[3])];
        var props = this.fzProps(i), key = (field ? String(props[field]) : "") + "|" + props.precision;
        if (!cache[key]) {
          var passes = cfg.style.passes || 1, list = [];
          for (var p = 0; p < passes; p++) { list.push(symbolFor(cfg, props, p)); }
          cache[key] = list;
        }
        symbols.push(cache[key]);
      }
      this.fzAll = all;
      /* grid over the layer's extent: each feature in every cell its box touches */
      var grid = this.fzGrid = [], w = (all[2] - all[0]) || 1e-12, h = (all[3] - all[1]) || 1e-12;
      this.fzCell = [w / GRID, h / GRID];
      for (var j = 0; j < n; j++) {
        var c0 = this.fzCellOf(box[4 * j], box[4 * j + 1]), c1 = this.fzCellOf(box[4 * j + 2], box[4 * j + 3]);
        for (var gx = c0[0]; gx <= c1[0]; gx++) {
          for (var gy = c0[1]; gy <= c1[1]; gy++) {
            var cell = gx * GRID + gy;
            (grid[cell] || (grid[cell] = [])).push(j);
          }
        }
      }
    },
    fzCellOf: function (x, y) {
      var a = this.fzAll;
      return [Math.min(Math.max(Math.floor((x - a[0]) / this.fzCell[0]), 0), GRID - 1),
        Math.min(Math.max(Math.floor((y - a[1]) / this.fzCell[1]), 0), GRID - 1)];
    },
    fzProps: function (i) {
      var props = Object.assign({}, this.fzConstants), p = this.fzData.p || {};
      for (var col in p) {
        if (Object.prototype.hasOwnProperty.call(p, col) && p[col][i] !== null && p[col][i] !== undefined) { props[col] = p[col][i]; }
      }
      return props;
    },
    fzLatLngBounds: function (i) {
      var b = this.fzBox, m = this.fzMap || null;
      var unproject = function (x, y) {
        var lng = (x - 0.5) * 360, lat = (2 * Math.atan(Math.exp((0.5 - y) * 2 * Math.PI)) - Math.PI / 2) * 180 / Math.PI;
        return L.latLng(lat, lng);
      };
      void m;
      if (i === undefined) { return L.latLngBounds(unproject(this.fzAll[0], this.fzAll[3]), unproject(this.fzAll[2], this.fzAll[1])); }
      return L.latLngBounds(unproject(b[4 * i], b[4 * i + 3]), unproject(b[4 * i + 2], b[4 * i + 1]));
    },
    getBounds: function () { return this.fzLatLngBounds(); },
    getLayers: function () { return this.fzFlat.types.length ? [this] : []; },
    eachLayer: function () { return this; },
    fzEntries: function () {
      var out = [], self = this, label = this.fzConfig.label, col = (this.fzData.p || {})[label];
      for (var i = 0; i < this.fzFlat.types.length; i++) {
        var name = col ? col[i] : this.fzConstants[label];
        if (name !== null && name !== undefined && name !== "") {
          out.push({ name: String(name), layer: this, feature: this.fzFeature(i) });
        }
      }
      void self;
      return out;
    },
    fzFeature: function (i) {
      var self = this;
      return { feature: { properties: this.fzProps(i) }, getBounds: function () { return self.fzLatLngBounds(i); } };
    },
    onAdd: function (map) {
      this.fzMap = map; this.fzOn = true;
      if (!this.fzCanvas) {
        this.fzCanvas = L.DomUtil.create("canvas", "fz-big leaflet-zoom-hide");
        this.fzCanvas.style.pointerEvents = "none";
      }
      var pane = map.getPane(OVERLAY_PANE);
      pane.insertBefore(this.fzCanvas, pane.firstChild);
      map.on("moveend zoomend resize viewreset", this.fzSchedule, this);
      map.on("mousemove", this.fzHover, this);
      map.on("mouseout zoomstart movestart", this.fzHide, this);
      map.on("click", this.fzClick, this);
      this.fzSync();
    },
    onRemove: function (map) {
      this.fzOn = false;
      L.DomUtil.remove(this.fzCanvas);
      map.off("moveend zoomend resize viewreset", this.fzSchedule, this);
      map.off("mousemove", this.fzHover, this);
      map.off("mouseout zoomstart movestart", this.fzHide, this);
      map.off("click", this.fzClick, this);
      this.fzHide();
      this.fzShown = false;
    },
    fzSync: function () {
      var cfg = this.fzConfig, map = this.fzMap;
      this.fzShown = !!this.fzOn && !(cfg.minZoom && map.getZoom() < cfg.minZoom);
      if (!this.fzShown) { this.fzHide(); }
      this.fzSchedule();
    },
    /* one redraw per animation frame, however many view events came */
    fzSchedule: function () {
      if (this.fzFrame) { return; }
      this.fzFrame = L.Util.requestAnimFrame(function () { this.fzFrame = null; this.fzDraw(); }, this);
    },
    fzHide: function () {
      if (this.fzTip && this.fzMap) { this.fzMap.closeTooltip(this.fzTip); }
      this.fzHit = null;
    },
    fzDraw: function () {
      var map = this.fzMap, canvas = this.fzCanvas;
      if (!map || !canvas) { return; }
      var size = map.getSize(), ratio = window.devicePixelRatio || 1;
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(canvas, topLeft);
      canvas.width = size.x * ratio; canvas.height = size.y * ratio;
      canvas.style.width = size.x + "px"; canvas.style.height = size.y + "px";
      var ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      if (!this.fzShown) { return; }
      var scale = 256 * Math.pow(2, map.getZoom()), origin = map.getPixelOrigin();
      var ox = origin.x + topLeft.x, oy = origin.y + topLeft.y;
      var view = [ox / scale, oy / scale, (ox + size.x) / scale, (oy + size.y) / scale];
      var flat = this.fzFlat, box = this.fzBox, n = flat.types.length;
      var passes = this.fzConfig.style.passes || 1;
      this.fzLast = null;
      ctx.lineCap = ctx.lineJoin = "round";
      for (var p = 0; p < passes; p++) {
        for (var i = 0; i < n; i++) {
          if (box[4 * i + 2] < view[0] || box[4 * i] > view[2] || box[4 * i + 3] < view[1] || box[4 * i + 1] > view[3]) { continue; }
          var sym = this.fzSymbols[i][p];
          if (sym) { this.fzPath(ctx, i, sym, scale, ox, oy); }
        }
      }
    },
    fzStyle: function (ctx, sym) {
      if (this.fzLast === sym) { return; }
      this.fzLast = sym;
      ctx.fillStyle = sym.fillColor || sym.color;
      ctx.strokeStyle = sym.color;
      ctx.lineWidth = sym.weight;
      ctx.setLineDash(sym.dashArray ? String(sym.dashArray).split(/[ ,]+/).map(Number) : []);
    },
    fzPath: function (ctx, i, sym, scale, ox, oy) {
      var flat = this.fzFlat, type = flat.types[i], point = type === "Point" || type === "MultiPoint";
      var box = this.fzBox;
      this.fzStyle(ctx, sym);
      if (!point && (box[4 * i + 2] - box[4 * i]) * scale < 1.5 && (box[4 * i + 3] - box[4 * i + 1]) * scale < 1.5) {
        /* smaller than a pixel or two at this zoom: a speck in the outline colour */
        ctx.globalAlpha = sym.opacity === undefined ? 1 : sym.opacity;
        ctx.fillStyle = sym.color;
        ctx.fillRect(box[4 * i] * scale - ox, box[4 * i + 1] * scale - oy, 1.5, 1.5);
        ctx.fillStyle = sym.fillColor || sym.color;
        ctx.globalAlpha = 1;
        return;
      }
      ctx.beginPath();
      for (var r = flat.featRing[i]; r < flat.featRing[i + 1]; r++) {
        for (var v = flat.ringStart[r]; v < flat.ringStart[r + 1]; v++) {
          var x = flat.wx[v] * scale - ox, y = flat.wy[v] * scale - oy;
          if (point) { ctx.moveTo(x + sym.radius, y); ctx.arc(x, y, sym.radius, 0, 2 * Math.PI); }
          else if (v === flat.ringStart[r]) { ctx.moveTo(x, y); } else { ctx.lineTo(x, y); }
        }
        if (type === "Polygon" || type === "MultiPolygon") { ctx.closePath(); }
      }
      var line = type === "LineString" || type === "MultiLineString";
      if (!line && sym.fill) {
        ctx.globalAlpha = sym.fillOpacity;
        ctx.fill("evenodd");
      }
      if (sym.stroke !== false && sym.weight) {
        ctx.globalAlpha = sym.opacity === undefined ? 1 : sym.opacity;
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
    },
    /* the topmost feature of this layer under layer point ``pt`` (null: none) */
    fzFind: function (pt) {
      if (!this.fzShown) { return null; }
      var map = this.fzMap, scale = 256 * Math.pow(2, map.getZoom()), origin = map.getPixelOrigin();
      var x = (pt.x + origin.x) / scale, y = (pt.y + origin.y) / scale, a = this.fzAll;
      var slack = 4 / scale;
      if (x < a[0] - slack || x > a[2] + slack || y < a[1] - slack || y > a[3] + slack) { return null; }
      var c0 = this.fzCellOf(x - slack, y - slack), c1 = this.fzCellOf(x + slack, y + slack), best = -1;
      for (var gx = c0[0]; gx <= c1[0]; gx++) {
        for (var gy = c0[1]; gy <= c1[1]; gy++) {
          var list = this.fzGrid[gx * GRID + gy] || [];
          for (var k = 0; k < list.length; k++) {
            var i = list[k];
            if (i > best && this.fzContains(i, x, y, scale)) { best = i; }
          }
        }
      }
      return best < 0 ? null : best;
    },
    fzContains: function (i, x, y, scale) {
      var flat = this.fzFlat, box = this.fzBox, sym = this.fzSymbols[i][this.fzSymbols[i].length - 1] || {};
      var type = flat.types[i], tol = ((sym.weight || 0) / 2 + 2) / scale;
      if (type === "Point" || type === "MultiPoint") { tol = ((sym.radius || 4) + 1) / scale; }
      if (x < box[4 * i] - tol || x > box[4 * i + 2] + tol || y < box[4 * i + 1] - tol || y > box[4 * i + 3] + tol) { return false; }
      var inside = false, near = false;
      for (var r = flat.featRing[i]; r < flat.featRing[i + 1]; r++) {
        var s = flat.ringStart[r], e = flat.ringStart[r + 1];
        for (var v = s; v < e; v++) {
          var x1 = flat.wx[v], y1 = flat.wy[v];
          if (type === "Point" || type === "MultiPoint") { if (Math.hypot(x - x1, y - y1) <= tol) { return true; } continue; }
          var w = v + 1 < e ? v + 1 : (type === "Polygon" || type === "MultiPolygon" ? s : -1);
          if (w < 0) { continue; }
          var x2 = flat.wx[w], y2 = flat.wy[w];
          if ((y1 > y) !== (y2 > y) && x < (x2 - x1) * (y - y1) / (y2 - y1) + x1) { inside = !inside; }
          var dx = x2 - x1, dy = y2 - y1, t = dx || dy ? ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy) : 0;
          t = Math.max(0, Math.min(1, t));
          if (Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy)) <= tol) { near = true; }
        }
      }
      var filled = (type === "Polygon" || type === "MultiPolygon") && sym.fill && sym.fillOpacity;
      return near || (filled && inside);
    },
    fzHover: function (e) {
      var hit = this.fzCovered(e) ? null : this.fzFind(e.layerPoint);
      var map = this.fzMap;
      if (hit === null) {
        if (this.fzHit !== null && this.fzHit !== undefined) { this.fzHide(); }
        return;
      }
      if (!this.fzTip) { this.fzTip = L.tooltip({ sticky: true }); }
      if (hit !== this.fzHit) {
        this.fzTip.setContent(label(this.fzConfig, this.fzProps(hit)));
        this.fzHit = hit;
      }
      this.fzTip.setLatLng(e.latlng);
      if (!map.hasLayer(this.fzTip)) { map.openTooltip(this.fzTip); }
    },
    fzClick: function (e) {
      if (this.fzCovered(e)) { return; }
      var hit = this.fzFind(e.layerPoint);
      if (hit === null) { return; }
      L.popup(POPUP).setLatLng(e.latlng).setContent(popup(this.fzConfig, this.fzProps(hit))).openOn(this.fzMap);
    },
    /* whether a feature of the shared canvas (drawn above this layer) is under the pointer */
    fzCovered: function (e) {
      var renderer = this.fzRenderer;
      if (!renderer || !renderer._drawFirst) { return false; }
      for (var o = renderer._drawFirst; o; o = o.next) {
        if (o.layer.options.interactive && o.layer._containsPoint(e.layerPoint)) { return true; }
      }
      return false;
    }
  });

  function addBigLayer(map, cfg, data, index, renderer) {
    var layer = new FzBigLayer(cfg, data, cfg.constants || {});
    layer.fzIndex = index;
    layer.fzRenderer = renderer;
    layer.fzRestack = function () {};
    return layer;
  }

  function addLayer(map, cfg, data, index, renderer, restack) {
    if (cfg.big && data.e !== undefined) { return addBigLayer(map, cfg, data, index, renderer); }
    if (data.e !== undefined) { data = decodeLayer(data); }
    var constants = cfg.constants || {};
    if (Object.keys(constants).length) {
      /* values shared by every feature travel once, in the layer's configuration */
      data.features.forEach(function (f) { f.properties = Object.assign({}, constants, f.properties); });
    }
    var passes = cfg.style.passes || 1;
    var lower = passes > 1 ? lowerPasses(cfg, data, renderer, passes) : [];
    var layer = new FzLayer(data, {
      pane: OVERLAY_PANE,
      renderer: renderer,
      style: lineStyle(cfg, passes - 1),
      pointToLayer: function (f, latlng) {
        var marker = L.circleMarker(latlng, Object.assign({ renderer: renderer }, symbolFor(cfg, f.properties)));
        marker.feature = f;  /* the points of a MultiPoint answer for their feature */
        return marker;
      }
    });
    layer.fzConfig = cfg;
    layer.fzLower = lower;
    layer.fzIndex = index;
    layer.fzRestack = restack;
    layer.fzPane = map.getPane(OVERLAY_PANE);
    /* one tooltip and one popup per layer, filled lazily for the feature under the pointer */
    layer.bindTooltip(function (l) { return label(cfg, featureOf(l).properties); }, { sticky: true });
    layer.bindPopup(function (l) { return popup(cfg, featureOf(l).properties); }, POPUP);
    return layer;
  }

  function featureOf(l) {
    return l.feature || { properties: {} };
  }

  function applyMinZoom(map, layers) {
    layers.forEach(function (layer) { if (layer.fzMap) { layer.fzSync(); } });
  }

  function toggleLegend(id, on) {
    var rows = document.querySelectorAll('[data-fz-layer="' + id + '"]');
    Array.prototype.forEach.call(rows, function (row) { row.style.display = on ? "" : "none"; });
  }

  function searchControl(map, layers) {
    var index = [];
    layers.forEach(function (layer) {
      if (layer.fzEntries) { index.push.apply(index, layer.fzEntries()); return; }
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
              li.addEventListener("click", function (ev) {
                /* the list is emptied below: without stopping the click here the map would
                 * take it for a click on the map and close the popup just opened */
                L.DomEvent.stop(ev);
                list.innerHTML = "";
                input.blur();
                goTo(map, e);
              });
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

  /* The subtitle names the basemap only while its tiles load: until one tile has loaded, a
   * failed tile (no network, intranet) turns "底图：X" into "底图：X 未能加载". */
  function watchTiles(tile, name) {
    var sub = document.querySelector(".fz-title .fz-sub");
    if (!sub) { return; }
    var named = "底图：" + name;
    tile.on("tileerror", function () {
      if (!tile.fzLoaded && sub.textContent.indexOf(named + " 未能加载") < 0) {
        sub.textContent = sub.textContent.replace(named, named + " 未能加载");
      }
    });
    tile.on("tileload", function () {
      tile.fzLoaded = true;
      sub.textContent = sub.textContent.replace(named + " 未能加载", named);
    });
  }

  function baseLayers(map, bases) {
    var out = {};
    bases.forEach(function (b, i) {
      var parts = b.tiles.map(function (t) {
        var tile = L.tileLayer(t.url, { attribution: t.attribution, subdomains: t.subdomains || "abc", maxZoom: t.maxZoom || 18 });
        watchTiles(tile, b.name);
        return tile;
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

  /* Phones and small windows: the legend and the layer control start collapsed, and the one
   * opened collapses the other and fits between the top and bottom controls. */
  function isSmall() { return window.innerWidth < 700 || window.innerHeight < 500; }

  function cornerBottom(map, name) {
    var c = map._controlCorners[name];
    return c ? c.getBoundingClientRect().bottom : 0;
  }

  function responsive(map, control) {
    var box = document.querySelector(".fz-legend details");
    var mapRect = function () { return map.getContainer().getBoundingClientRect(); };
    if (box && isSmall()) { box.open = false; }
    var expand = control._expand;
    control._expand = function () {
      if (box && isSmall()) { box.open = false; }
      expand.apply(control, arguments);
      var form = control._form, top = form.getBoundingClientRect().top;
      var bottomStack = map._controlCorners.bottomleft.getBoundingClientRect();
      var limit = (isSmall() ? bottomStack.top : mapRect().bottom) - top - 12;
      form.style.maxHeight = Math.max(limit, 80) + "px";
      form.style.overflowY = "auto";
    };
    if (box) {
      box.addEventListener("toggle", function () {
        if (!box.open) { return; }
        if (isSmall()) { control._collapse(); }
        var legend = box.parentNode;
        var scale = document.querySelector(".leaflet-control-scale");
        var below = scale ? mapRect().bottom - scale.getBoundingClientRect().top : 0;
        var above = isSmall() ? Math.max(cornerBottom(map, "topleft"), cornerBottom(map, "topright")) : cornerBottom(map, "topleft");
        legend.style.maxHeight = Math.max(mapRect().bottom - below - above - 24, 80) + "px";
      });
    }
  }

  function setTitle(el, text) {
    if (el) { el.title = text; el.setAttribute("aria-label", text); }
  }

  /* Leaflet's control texts in Chinese, and an attribution naming the data sources (folded
   * away on small screens, where it would cover the map). */
  function chineseControls(map, control, attribution) {
    var zoom = map.zoomControl;
    if (zoom) {
      setTitle(zoom._zoomInButton, "放大");
      setTitle(zoom._zoomOutButton, "缩小");
    }
    setTitle(control._container.querySelector(".leaflet-control-layers-toggle"), "图层");
    var attr = map.attributionControl;
    if (attr) {
      attr.setPrefix('<span title="Leaflet 开源地图库">Leaflet</span>');
      if (attribution) {
        attr.addAttribution('<details class="fz-attr"' + (isSmall() ? "" : " open") +
          "><summary>数据来源</summary>" + esc(attribution) + "</details>");
      }
    }
  }

  /* A big layer's data travels gzip-compressed (fzgeo.maps.render.pack_dataset): big-endian
   * 32-bit words of five base-85 digits, inflated by the browser's DecompressionStream. */
  var PACK = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;.=>?@^_`{|}~";
  var EMPTY = { type: "FeatureCollection", features: [] };
  function unpack(data) {
    var table = new Uint8Array(128), s = data.z, words = s.length / 5;
    for (var i = 0; i < PACK.length; i++) { table[PACK.charCodeAt(i)] = i; }
    var bytes = new Uint8Array(4 * words), view = new DataView(bytes.buffer);
    for (var w = 0, p = 0; w < words; w++, p += 5) {
      view.setUint32(4 * w, (((table[s.charCodeAt(p)] * 85 + table[s.charCodeAt(p + 1)]) * 85 +
        table[s.charCodeAt(p + 2)]) * 85 + table[s.charCodeAt(p + 3)]) * 85 + table[s.charCodeAt(p + 4)]);
    }
    var stream = new Blob([bytes.subarray(0, data.n)]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  /* The layers are added once every packed layer is inflated; a layer the browser cannot
   * inflate stays empty, with a notice under the title naming it. */
  function init(map, config, datasets) {
    var packed = datasets.some(function (d) { return d && d.z !== undefined; });
    if (!packed) { return start(map, config, datasets); }
    var failed = [];
    var jobs = datasets.map(function (d, i) {
      if (!d || d.z === undefined) { return Promise.resolve(d); }
      var fail = function () { failed.push(i); return EMPTY; };
      if (typeof DecompressionStream === "undefined" || typeof Response === "undefined") { return Promise.resolve(fail()); }
      return unpack(d).catch(fail);
    });
    return Promise.all(jobs).then(function (data) {
      failed.forEach(function (i) { config.layers[i].big = false; });
      var result = start(map, config, data);
      if (failed.length) {
        var names = failed.sort(function (a, b) { return a - b; }).map(function (i) { return "「" + esc(config.layers[i].name) + "」"; }).join("、");
        var note = L.DomUtil.create("div", "fz-unpacked");
        note.innerHTML = "此浏览器无法解压图层" + names + "的数据，" + (failed.length > 1 ? "这些图层" : "该图层") + "未显示。请用 Chrome／Edge 80、Firefox 113、Safari 16.4 或更新版本打开。";
        var title = map.getContainer().querySelector(".fz-title");
        (title || map.getContainer()).appendChild(note);
      }
      return result;
    });
  }

  function start(map, config, datasets) {
    if (config.titleHtml) { htmlControl(map, config.titleHtml, "topright", "fz-title"); }
    if (config.legendHtml) { htmlControl(map, config.legendHtml, "bottomleft", "fz-legend"); }
    var layers = [];
    var grouped = {};
    /* the grouped layer control sets group and layer names as HTML: escape them */
    (config.groupOrder || []).forEach(function (g) { grouped[esc(g)] = {}; });
    /* one pane and one canvas for every layer: the renderer hit-tests all visible features and
     * the topmost under the pointer wins; the draw order is the layers' order, each layer's
     * stroke passes bottom first */
    map.createPane(OVERLAY_PANE).style.zIndex = "400";
    var renderer = L.canvas({ pane: OVERLAY_PANE });
    /* drawing order: areas, then lines, then points, so no area hides a line or a point; areas
     * of larger features first, lines widest first, points largest first, so that no layer
     * hides another entirely from the mouse; else the composition's order */
    var RANK = { polygon: 0, line: 1, point: 2 };
    var drawOrder = config.layers.map(function (cfg, i) { return i; }).sort(function (a, b) {
      var ca = config.layers[a], cb = config.layers[b];
      var ra = RANK[ca.geometry] || 0, rb = RANK[cb.geometry] || 0;
      /* sizes within 1 % count as equal (a conflict part as large as its site stays on top) */
      var sa = ca.size || 0, sb = cb.size || 0;
      var bigger = Math.abs(sa - sb) <= 0.01 * Math.max(sa, sb) ? 0 : sb - sa;
      /* a big layer (its own canvas, under the shared one) comes first */
      return (cb.big ? 1 : 0) - (ca.big ? 1 : 0) || ra - rb || bigger || a - b;
    });
    var stacked = [];
    var restack = function (from) {
      for (var j = from; j < stacked.length; j++) {
        if (stacked[j].fzShown) {
          stacked[j].fzLower.concat([stacked[j]]).forEach(function (p) { p.eachLayer(bringUp); });
        }
      }
    };
    config.layers.forEach(function (cfg, i) {
      var layer = addLayer(map, cfg, datasets[i], drawOrder.indexOf(i), renderer, restack);
      stacked[layer.fzIndex] = layer;
      layers.push(layer);
      var group = esc(cfg.group);
      if (!grouped[group]) { grouped[group] = {}; }
      grouped[group][esc(cfg.name)] = layer;
      toggleLegend(cfg.id, cfg.visible);
    });
    drawOrder.forEach(function (i) { if (config.layers[i].visible) { layers[i].addTo(map); } });
    L.control.scale({ imperial: false, metric: true, maxWidth: 150 }).addTo(map);  /* 比例尺 */
    var bases = baseLayers(map, config.basemaps);
    var control = L.control.groupedLayers(bases, grouped, { collapsed: config.collapsed || isSmall(), groupCheckboxes: false });
    responsive(map, control);  /* before addTo: the control binds its _expand when added */
    control.addTo(map);
    chineseControls(map, control, config.attribution);
    map.on("overlayadd", function (e) { if (e.layer.fzConfig) { toggleLegend(e.layer.fzConfig.id, true); } });
    map.on("overlayremove", function (e) { if (e.layer.fzConfig) { toggleLegend(e.layer.fzConfig.id, false); } });
    map.on("zoomend", function () { applyMinZoom(map, layers); });
    var search = searchControl(map, layers);
    if (config.fit) {
      var bounds = L.latLngBounds([]);
      var only = config.fitTo || [];
      layers.forEach(function (l) {
        var wanted = !only.length || only.indexOf(l.fzConfig.id) >= 0;
        if (wanted && l.getLayers().length) { bounds.extend(l.getBounds()); }
      });
      if (bounds.isValid()) {
        /* on wide screens keep the data clear of the title and layer control on the right */
        var right = isSmall() ? 12 : map._controlCorners.topright.getBoundingClientRect().width + 12;
        map.fitBounds(bounds, { animate: false, paddingTopLeft: [12, 12], paddingBottomRight: [right, 12] });
      }
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
