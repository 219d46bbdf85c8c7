"""Per-site maps of a siting check: one SVG a planner can print and file, per site to review.

:func:`write_site_maps` draws, for each chosen site, ``maps/site_NNNNN.svg`` (NNNNN the site's
1-based number) with

- the site's outline, its conflict parts (the part inside a red line, or for a ``within`` rule
  the part outside the boundary, 界外部分（冲突）) and 邻近 parts;
- every checked constraint layer near the site (the layers the check used: the user's files
  when given), named in the legend, their features labelled by the layer's name column;
- context: county and city lines (packaged ``admin_boundaries``), rivers, highways and
  railways (packaged ``rivers``, ``highways``, ``railways``), with the county the site lies
  in and the nearest river, road and railway named in the side panel;
- a scale bar, a north arrow (grid north of EPSG:4548, within 1° of true north in 抚州), the
  frame's corner coordinates in EPSG:4548 (X north, Y east, metres), a locator of the site in
  the city, the site's name and verdict as title, and the 示意 banner when the check used an
  illustrative constraint layer (:func:`fzgeo.report._summary.illustrative_layers`).

SVG is text built straight from shapely coordinates (:mod:`fzgeo.report._svg`): a map takes
milliseconds, prints as vectors on A4, and its Chinese is set in the viewer's fonts, so no font
has to be installed where the check runs. Neighbouring features are found with an STR-tree of
each layer and cut to the frame with ``clip_by_rect``; a layer is projected to the work CRS only
where some frame needs it. Many maps are drawn in worker processes (``fork``), few in-process.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame
from pyproj import Transformer

from fzgeo import __version__, styles
from fzgeo._atomic import atomic_folder_files, prepare_folder
from fzgeo.check import M2_PER_HA, M2_PER_MU, CheckResult
from fzgeo.check.rules import CLEAR, CONFLICT, NEAR, RASTER_KINDS, RuleSet
from fzgeo.crs import WORK_CRS, to_work
from fzgeo.errors import ConfigError, UnknownLayerError
from fzgeo.plan import layers as plan_layers
from fzgeo.report import _svg
from fzgeo.report._summary import ILLUSTRATIVE, illustrative_layers
from fzgeo.report._svg import Frame, esc

MAX_MAPS = 200  #: site maps drawn at most (the most serious sites first)
WHICH = ("review", "all", "none")  #: which sites get a map: 冲突 and 邻近, every site, none
FOLDER = "maps"  #: the maps' folder inside the report folder
PARALLEL_MIN = 64  #: maps below which drawing in worker processes does not pay
#: Site attributes tried, in order, for a site's name.
LABEL_COLUMNS = ("name", "名称", "项目名称", "项目", "site_name", "title")
#: Constraint-layer columns tried for a feature's label when the check recorded none.
NAME_COLUMNS = ("name", "名称", "NAME", "HXMC", "BHHXMC", "MC", "mc", "XMMC", "要素名称")
ID_COLUMNS = ("BSM", "bsm", "编号", "id", "ID", "OBJECTID", "FID")
#: The packaged context layers, drawn under the constraint layers.
CONTEXT = ("admin_boundaries", "rivers", "highways", "railways")
_NEAREST = {"rivers": "最近河流", "highways": "最近公路", "railways": "最近铁路"}
_SEVERITY = {"一票否决": 0, "警告": 1, "复核": 2, "参考": 3}
_VERDICT_COLOUR = {CONFLICT: "#c62828", NEAR: "#e65100", CLEAR: "#2e7d32"}
_PALETTE = ("#1a9641", "#d9a400", "#e0452b", "#2c7bb6", "#a6611a", "#7b3294")
_COLLECTION = 7  #: shapely type id of a GeometryCollection
_MAP_FILE = re.compile(r"site_\d{5,}\.(svg|png)$")

# Layout in SVG units (1 unit = 1 px at 100 %): the frame left, the panel right.
_W = 800.0
_FRAME = 500.0
_PANEL_X = 548.0
_PANEL_W = 236.0
_BANNER_H = 34.0
_INSET = 150.0


# --- which sites ---------------------------------------------------------------------------


def site_label(result: CheckResult, position: int) -> str:
    """A site's name from its first name-like attribute, else ``项目 n``."""
    row = result.sites.iloc[position]
    for col in LABEL_COLUMNS:
        if col in result.sites.columns and isinstance(row[col], str) and row[col]:
            return row[col]
    return f"项目 {position + 1}"


def candidates(result: CheckResult, which: str = "review") -> list[int]:
    """The sites ``which`` asks for, most serious first, before the :data:`MAX_MAPS` cap.

    Order: 冲突 before 邻近 before the rest; then by severity (一票否决, 警告, 复核, 参考, other);
    then by the check's score (graver first); then input order.
    """
    if which not in WHICH:
        raise ConfigError(f"site maps: which must be one of {', '.join(WHICH)}, got {which!r}")
    sites = result.sites
    if which == "none" or not len(sites):
        return []
    verdict = sites["verdict"].to_numpy()
    wanted = np.ones(len(sites), bool) if which == "all" else np.isin(verdict, (CONFLICT, NEAR))
    rank = np.select([verdict == CONFLICT, verdict == NEAR], [0, 1], 2)
    severity = [
        min((_SEVERITY.get(s, 9) for s in str(v).split(";") if s), default=9)
        for v in sites["severity"].fillna("")
    ]
    score = pd.to_numeric(sites.get("score", 0.0), errors="coerce")
    score = np.nan_to_num(np.broadcast_to(np.asarray(score, float), len(sites)))
    order = np.lexsort((np.arange(len(sites)), -score, np.asarray(severity), rank))
    return [int(i) for i in order if wanted[i]]


def chosen(result: CheckResult, which: str = "review") -> tuple[list[int], int]:
    """The sites to map (at most :data:`MAX_MAPS`) and how many ``which`` asked for."""
    found = candidates(result, which)
    return found[:MAX_MAPS], len(found)


# --- what is drawn -------------------------------------------------------------------------


@dataclass
class _Layer:
    """A layer ready to draw: work-CRS geometries with an STR-tree, labels, paint, legend."""

    title: str
    kind: str  #: polygon, line or point
    geoms: np.ndarray
    labels: np.ndarray
    paint: str  #: SVG presentation attributes
    constraint: bool = False
    casing: str = ""  #: paint of a wider stroke drawn first (railways)
    key: str = ""  #: the packaged layer kind of a context layer
    band_m: float = 0.0  #: proximity rules: draw the band this far around the features
    band_geoms: np.ndarray | None = None
    tree: shapely.STRtree = field(init=False)
    band_tree: shapely.STRtree | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.tree = shapely.STRtree(self.geoms)
        if self.band_geoms is not None:
            self.band_tree = shapely.STRtree(self.band_geoms)


@dataclass(frozen=True)
class _Label:
    """A feature label to place somewhere on ``spot`` (work CRS); lower ``rank`` goes first."""

    rank: tuple[bool, bool, float]
    spot: Any
    text: str


@dataclass
class _Site:
    position: int
    label: str
    verdict: str
    severity: str
    rules_hit: str
    geom: Any
    size: str
    parts: list[tuple[Any, str, str]]  #: (work geometry, legend text, kind: conflict/near/within)
    layers: set[str] = field(default_factory=set)  #: display names of the parts' layers


@dataclass
class _Scene:
    layers: list[_Layer]
    sites: dict[int, _Site]
    counties: tuple[np.ndarray, np.ndarray] | None
    locator: str
    locator_frame: tuple[float, float, float, float, float] | None  #: x0, y1, scale, w, h
    banner: list[str]
    stamp: str


def _paint(
    stroke: str | None,
    width: float,
    *,
    fill: str | None = None,
    fill_opacity: float = 0.0,
    dash: Sequence[float] = (),
    opacity: float = 1.0,
) -> str:
    attrs = [f'fill="{fill}" fill-opacity="{fill_opacity:g}"' if fill else 'fill="none"']
    if stroke:
        attrs.append(f'stroke="{stroke}" stroke-width="{width:g}" stroke-linejoin="round"')
    if dash:
        attrs.append(f'stroke-dasharray="{",".join(f"{d:g}" for d in dash)}"')
    if opacity < 1:
        attrs.append(f'opacity="{opacity:g}"')
    return " ".join(attrs)


def _style_paint(key: str | None, index: int) -> tuple[str, str]:
    """The paint of a constraint layer: its packaged style's symbol, else a palette colour."""
    try:
        style = styles.style(plan_layers.kind(key).style) if key else None
    except UnknownLayerError:  # a rule layer that is no packaged kind
        style = None
    if style is None:
        colour = _PALETTE[index % len(_PALETTE)]
        return "polygon", _paint(colour, 1.4, fill=colour, fill_opacity=0.3)
    s = style.symbol
    if style.geometry == "polygon":
        return "polygon", _paint(
            s.stroke, min(s.width, 2.0), fill=s.fill, fill_opacity=s.fill_opacity
        )
    return style.geometry, _paint(s.stroke or s.fill or "#333333", max(min(s.width, 3.0), 1.5))


def _column(gdf: GeoDataFrame, recorded: str | None, names: Sequence[str]) -> str | None:
    if recorded and recorded in gdf.columns:
        return recorded
    return next((c for c in names if c in gdf.columns), None)


def _labels(gdf: GeoDataFrame, record: Mapping[str, Any]) -> np.ndarray:
    """A label per feature: its name, else its id (the columns the check recorded, else usual)."""
    name = _column(gdf, record.get("name_column"), NAME_COLUMNS)
    ident = _column(gdf, record.get("id_column"), ID_COLUMNS)
    out = np.full(len(gdf), "", dtype=object)
    for col in (ident, name):  # the name wins where both are set
        if col is not None:
            values = gdf[col].astype(object).to_numpy()
            ok = pd.notna(values) & (pd.Series(values).astype(str).str.strip() != "").to_numpy()
            out[ok] = [str(v) for v in values[ok]]
    return out


def _needed(gdf: GeoDataFrame, boxes: np.ndarray) -> np.ndarray:
    """Rows of ``gdf`` (any CRS) meeting any of ``boxes`` (work-CRS polygons)."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if gdf.crs is not None and not gdf.crs.equals(WORK_CRS):
        # each box's corners and edge midpoints, all in one call: the box around them
        x0, y0, x1, y1 = shapely.bounds(boxes).T
        xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
        xs = np.stack([x0, xm, x1, x1, x1, xm, x0, x0], axis=1)
        ys = np.stack([y0, y0, y0, ym, y1, y1, y1, ym], axis=1)
        t = Transformer.from_crs(WORK_CRS, gdf.crs, always_xy=True)
        nx, ny = (np.asarray(v).reshape(xs.shape) for v in t.transform(xs.ravel(), ys.ravel()))
        boxes = shapely.box(nx.min(1), ny.min(1), nx.max(1), ny.max(1))
    hit = shapely.STRtree(geoms).query(boxes)[1]
    return np.unique(hit)


def _where(gdf: GeoDataFrame, where: Mapping[str, Any]) -> np.ndarray:
    keep = np.ones(len(gdf), dtype=bool)
    for col, value in where.items():
        keep &= (gdf[col] == value).fillna(False).to_numpy(bool) if col in gdf.columns else False
    return keep


def _constraint_layers(
    result: CheckResult, layers: Mapping[str, GeoDataFrame], boxes: np.ndarray
) -> list[_Layer]:
    """The layers the check used (by display name), each cut down to the features near a frame."""
    rule_set: RuleSet = result.rules
    audit = (getattr(result, "audit", None) or {}).get("layers") or {}
    by_title = {rule_set.layer_title(r.layer): r.layer for r in rule_set.rules}
    out = []
    for i, (title, gdf) in enumerate(layers.items()):
        if gdf is None:
            continue
        key = by_title.get(title)
        rules = [r for r in rule_set.rules if r.layer == key and r.kind not in RASTER_KINDS]
        if key is not None and rules and all(r.id in result.skipped for r in rules):
            continue  # the check did not use it
        rows = _needed(gdf, boxes)
        near = gdf.iloc[rows]
        work = to_work(near, what=f"constraint layer {title}") if len(near) else near
        geoms = np.asarray(work.geometry.values, dtype=object)
        kind, paint = _style_paint(key, i)
        types = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
        if types and types <= {0, 4}:
            kind = "point"
        elif types and types <= {1, 2, 5}:
            kind = "line"
        band = next((r for r in rules if r.kind == "proximity" and r.distance_m > 0), None)
        out.append(
            _Layer(
                title,
                kind,
                geoms,
                _labels(near, audit.get(key or "", {})),
                paint,
                constraint=True,
                band_m=band.distance_m if band else 0.0,
                band_geoms=(geoms[_where(near, band.where)] if band.where else geoms)
                if band
                else None,
            )
        )
    return out


@cache
def _context() -> tuple[GeoDataFrame | None, tuple[_Layer, ...]]:
    """The packaged admin boundaries and context layers in the work CRS (once per process)."""
    drawn: list[_Layer] = []
    admin = None
    for name in CONTEXT:
        gdf = to_work(plan_layers.load(name), what=name)
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        labels = gdf["name"].fillna("").astype(str).to_numpy(object) if "name" in gdf else None
        labels = labels if labels is not None else np.full(len(gdf), "", dtype=object)
        if name == "admin_boundaries":
            admin = gdf
            city = gdf.get("level", pd.Series("", index=gdf.index)).to_numpy() == "city"
            lines = shapely.boundary(geoms)
            county_paint = _paint("#9e7fb8", 1.2, dash=(8, 3, 2, 3))
            city_paint = _paint("#6e3c96", 2.2, dash=(10, 3, 2, 3))
            drawn.append(_Layer("县（区）界", "line", lines[~city], labels[~city], county_paint))
            drawn.append(_Layer("市界", "line", lines[city], labels[city], city_paint))
        elif name == "rivers":
            drawn.append(_Layer("河流", "line", geoms, labels, _paint("#4a90c8", 3.0), key=name))
        elif name == "highways":
            title = "高速公路与国省道（规划示意位置）"
            drawn.append(_Layer(title, "line", geoms, labels, _paint("#e6550d", 2.4), key=name))
        else:
            paint, casing = _paint("#ffffff", 1.2, dash=(6, 6)), _paint("#444444", 3.0)
            title = "铁路（规划示意位置）"
            drawn.append(_Layer(title, "line", geoms, labels, paint, casing=casing, key=name))
    return admin, tuple(drawn)


def _part_text(rule: Any, verdict: str, exempt: bool) -> tuple[str, str]:
    """Legend text and paint kind of a site's part under ``rule`` with ``verdict``.

    A ``within`` rule's part is the site outside the boundary (界外部分); a proximity rule's the
    site inside its band; other rules' the overlap. Kinds: ``conflict``, ``within`` (hatched),
    ``near`` (邻近), ``clear`` (an exempted part whose verdict is 无冲突).
    """
    kind = {CONFLICT: "conflict", NEAR: "near"}.get(verdict, "clear")
    how = f"豁免，{verdict}" if exempt else verdict
    if rule is not None and rule.kind == "within":
        return f"界外部分（{how}）", "within" if kind == "conflict" else kind
    name = rule.name_zh if rule is not None else "管控线"
    if rule is not None and rule.kind == "proximity":
        return f"{name}内（{how}）", kind
    return f"与{name}重叠（{how}）", kind


def _size(row: pd.Series) -> str:
    area = row.get("site_area_m2")
    if area is not None and np.isfinite(area) and area > 0:
        return f"{area / M2_PER_HA:.4f} 公顷（{area / M2_PER_MU:.2f} 亩，{area:,.0f} 平方米）"
    length = row.get("site_length_m")
    if length is not None and np.isfinite(length) and length > 0:
        return f"{length:,.1f} 米"
    return ""


def _sites(result: CheckResult, positions: list[int]) -> dict[int, _Site]:
    work = to_work(result.sites.iloc[positions][[result.sites.geometry.name]], what="sites")
    parts = result.parts
    mine = parts[parts["site"].isin(positions)]
    mine_work = to_work(mine, what="overlap parts") if len(mine) else mine
    # on a 1 cm grid: the hair-thin slivers a difference leaves along shared edges collapse
    drawn = shapely.set_precision(np.asarray(mine_work.geometry.values, dtype=object), 0.01)
    rules = {r.id: r for r in result.rules.rules}
    by_site: dict[int, list[tuple[Any, str, str]]] = {p: [] for p in positions}
    hit_layers: dict[int, set[str]] = {p: set() for p in positions}
    for (_, row), geom in zip(mine.iterrows(), drawn, strict=True):
        exempt = bool(row.get("exempt", False))
        text, kind = _part_text(rules.get(row["rule"]), str(row["verdict"]), exempt)
        by_site[int(row["site"])].append((geom, text, kind))
        hit_layers[int(row["site"])].add(result.rules.layer_title(str(row["layer"])))
    out = {}
    for pos, geom in zip(positions, work.geometry.values, strict=True):
        row = result.sites.iloc[pos]
        out[pos] = _Site(
            pos,
            site_label(result, pos),
            str(row["verdict"]),
            str(row.get("severity") or ""),
            str(row.get("rules_hit") or ""),
            geom,
            _size(row),
            by_site[pos],
            hit_layers[pos],
        )
    return out


# --- the locator inset ----------------------------------------------------------------------


def _locator(
    admin: GeoDataFrame | None,
) -> tuple[str, tuple[float, float, float, float, float] | None]:
    """The city and its counties, simplified, in an inset of :data:`_INSET` units (drawn once)."""
    if admin is None:
        return "", None
    x0, y0, x1, y1 = admin.total_bounds
    scale = (_INSET - 8) / max(x1 - x0, y1 - y0)
    w, h = (x1 - x0) * scale, (y1 - y0) * scale
    frame = Frame(x0, y1 - (y1 - y0), x0 + (y1 - y0), y1, 0.0, 0.0, (y1 - y0) * scale)
    geoms = shapely.simplify(np.asarray(admin.geometry.values, object), 1.0 / scale)
    level = admin.get("level", pd.Series("", index=admin.index)).to_numpy()
    out = []
    for geom, lv in zip(geoms, level, strict=True):
        d, _ = _svg.path_data(geom, frame)
        paint = (
            'fill="#f3eef7" stroke="#6e3c96" stroke-width="1"'
            if lv == "city"
            else 'fill="none" stroke="#9e7fb8" stroke-width="0.5"'
        )
        out.append(f'<path d="{d}" fill-rule="evenodd" {paint}/>')
    return "".join(out), (x0, y1, scale, w, h)


# --- one map --------------------------------------------------------------------------------


def _wrap(text: str, em: float) -> list[str]:
    """``text`` in lines of about ``em`` ems (CJK one em, other characters half)."""
    lines, line, width = [], "", 0.0
    for ch in text:
        w = 1.0 if ord(ch) > 0x2E7F else 0.55
        if width + w > em and line:
            lines.append(line)
            line, width = "", 0.0
        line += ch
        width += w
    return [*lines, line] if line else lines


def _text(x: float, y: float, text: str, size: float = 11, **attrs: str) -> str:
    more = "".join(f' {k.rstrip("_").replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}"{more}>{esc(text)}</text>'


def _halo(x: float, y: float, text: str, size: float = 10) -> str:
    return _text(
        x,
        y,
        text,
        size,
        text_anchor="middle",
        fill="#333",
        stroke="#ffffff",
        stroke_width="3",
        paint_order="stroke",
        stroke_linejoin="round",
    )


def _coords(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


_HATCH = (
    '<pattern id="within-hatch" patternUnits="userSpaceOnUse" width="7" height="7" '
    'patternTransform="rotate(45)"><rect width="7" height="7" fill="#ef9a9a" fill-opacity="0.55"/>'
    '<path d="M0 0V7" stroke="#b71c1c" stroke-width="3"/></pattern>'
)
_PART_PAINT = {
    "conflict": 'fill="#d7191c" fill-opacity="0.7" stroke="#7f0000" stroke-width="1.2"',
    "within": 'fill="url(#within-hatch)" stroke="#7f0000" stroke-width="1.2"',
    "near": 'fill="#fb8c00" fill-opacity="0.6" stroke="#e65100" stroke-width="1.2"',
    "clear": 'fill="#9e9e9e" fill-opacity="0.35" stroke="#616161" stroke-width="1"',
}
_PART_LINE = {
    k: f'fill="none" stroke="{c}" stroke-width="14" stroke-linecap="round" stroke-opacity="0.85"'
    for k, c in (
        ("conflict", "#d7191c"),
        ("within", "#b71c1c"),
        ("near", "#fb8c00"),
        ("clear", "#9e9e9e"),
    )
}
_BAND_PAINT = 'fill="none" stroke="#1f6fb2" stroke-width="1.4" stroke-dasharray="7,4"'
_SITE_PAINT = 'fill="none" stroke="#111111" stroke-width="2.6" stroke-linejoin="round"'
_SITE_HALO = 'fill="none" stroke="#ffffff" stroke-width="6.5" stroke-linejoin="round"'
#: A line site (road, pipeline) is drawn heavier, so it reads over roads and rivers.
_LINE_SITE_PAINT = 'fill="none" stroke="#111111" stroke-width="3.6" stroke-linecap="round"'
_LINE_SITE_HALO = 'fill="none" stroke="#ffffff" stroke-width="8" stroke-linecap="round"'


def _geometry(geom: Any, frame: Frame, paint: str, *, kind: str, point_r: float = 4.0) -> str:
    """One geometry as an SVG path (lines unfilled) and circles for its points."""
    d, got = _svg.path_data(geom, frame)
    out = ""
    if d:
        if got == "line" or kind == "line":
            paint = _svg.unfilled(paint)
        out += f'<path d="{d}" fill-rule="evenodd" {paint}/>'
    if got == "point" or shapely.get_type_id(geom) == _COLLECTION:
        out += _svg.point_marks(geom, frame, point_r, paint)
    return out


def _band(layer: _Layer, frame: Frame) -> str:
    """The outline of a proximity rule's band (features buffered by its distance), dashed."""
    if layer.band_tree is None or layer.band_geoms is None:
        return ""
    reach = frame.outer(layer.band_m + 10.0)
    near = layer.band_geoms[layer.band_tree.query(shapely.box(*reach))]
    if not len(near):
        return ""
    cut = shapely.clip_by_rect(near, *reach)
    band = shapely.buffer(shapely.union_all(cut), layer.band_m, quad_segs=8)
    band = shapely.clip_by_rect(band, *frame.outer(4.0 / frame.scale))
    d, _ = _svg.path_data(shapely.boundary(band), frame)
    return f'<path d="{d}" {_BAND_PAINT}/>' if d else ""


def _draw_layer(layer: _Layer, frame: Frame, site: _Site, labels: list[_Label]) -> str:
    """A layer's features in the frame (cut to it), and label candidates for its features."""
    outer = frame.outer(4.0 / frame.scale)
    idx = np.sort(layer.tree.query(shapely.box(*outer)))
    cut = shapely.clip_by_rect(layer.geoms[idx], *outer)
    keep = ~shapely.is_empty(cut)
    idx, cut = idx[keep], shapely.simplify(cut[keep], 0.4 / frame.scale, preserve_topology=False)
    out = [_band(layer, frame)] if layer.band_m else []
    for i, geom in zip(idx, cut, strict=True):
        text = str(layer.labels[i])
        if layer.casing:
            out.append(_geometry(geom, frame, layer.casing, kind=layer.kind))
        body = _geometry(geom, frame, layer.paint, kind=layer.kind)
        if text and body.startswith("<path"):
            body = body.replace("/>", f"><title>{esc(layer.title)}：{esc(text)}</title></path>", 1)
        out.append(body)
        if layer.constraint and text:
            inner = shapely.clip_by_rect(geom, *frame.outer(-24.0 / frame.scale))
            free = shapely.difference(inner, shapely.buffer(site.geom, 16.0 / frame.scale))
            spot = free if not free.is_empty else inner
            if not spot.is_empty:
                hit = bool(shapely.intersects(layer.geoms[i], site.geom))
                rank = (layer.title not in site.layers, not hit, -float(inner.area))
                labels.append(_Label(rank, spot, text))
    if not any(out):
        return ""
    return f'<g class="layer" data-layer="{esc(layer.title)}">{"".join(out)}</g>'


def _spots(spot: Any) -> np.ndarray:
    """Candidate label points on ``spot``: a point on its surface, then a 5 x 5 grid inside it."""
    x0, y0, x1, y1 = shapely.bounds(spot)
    gx, gy = np.meshgrid(np.linspace(x0, x1, 7)[1:-1], np.linspace(y0, y1, 7)[1:-1])
    grid = shapely.points(gx.ravel(), gy.ravel())
    grid = grid[shapely.contains_xy(spot, gx.ravel(), gy.ravel())]
    points = np.concatenate([[shapely.point_on_surface(spot)], grid])
    return shapely.get_coordinates(points)


def _place(labels: list[_Label], frame: Frame, site: Any, *, most: int = 6) -> str:
    """Feature labels, none overlapping another or the site, at most ``most``.

    The features of the site's parts come first, then those the site meets, then the larger.
    Each label takes the first of its candidate points (:func:`_spots`) where it fits, moved
    sideways to stay inside the frame.
    """
    sx0, sy0, sx1, sy1 = shapely.bounds(site)
    (ax, ay), (bx, by) = frame.xy(np.array([[sx0, sy1], [sx1, sy0]]))
    placed = [(ax - 4, ay - 4, bx + 4, by + 4)]
    out = []
    for label in sorted(labels, key=lambda lab: lab.rank):
        half = sum(10.0 if ord(c) > 0x2E7F else 5.5 for c in label.text) / 2 + 3
        for px, py in frame.xy(_spots(label.spot)):
            x = min(max(px, frame.left + half + 2), frame.left + frame.size - half - 2)
            box = (x - half, py - 12, x + half, py + 4)
            if not any(
                b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3] for b in placed
            ):
                placed.append(box)
                out.append(_halo(x, py, label.text))
                break
        if len(out) == most:
            break
    return "".join(out)


def _nearest(layer: _Layer, geom: Any) -> str:
    if not len(layer.geoms):
        return ""
    i = int(layer.tree.query_nearest(geom, all_matches=False)[0])
    dist = float(shapely.distance(layer.geoms[i], geom))
    where = _svg.length_text(round(dist, -1) if dist >= 100 else round(dist)) if dist else "相交"
    name = layer.labels[i] or layer.title
    return f"{name} {where}"


def _county(scene: _Scene, geom: Any) -> str:
    if scene.counties is None:
        return ""
    geoms, names = scene.counties
    hit = shapely.intersects(geoms, shapely.point_on_surface(geom))
    return "、".join(names[hit]) if hit.any() else "抚州市外"


def _header(scene: _Scene, site: _Site) -> tuple[str, float]:
    """The 示意 banner (when due) and the title: site number, name, verdict, severity."""
    out = []
    top = 0.0
    if scene.banner:
        names = "、".join(scene.banner)
        text = f"所用管控图层含示意数据（{names}），非官方数据，本图不具法律效力，仅供参考。"
        out.append(
            f'<g class="banner"><rect x="1" y="1" width="{_W - 2:g}" height="{_BANNER_H - 2:g}" '
            'fill="#fff3cd" stroke="#c62828" stroke-width="2"/>'
            + _text(14, 23, "示意", 16, font_weight="bold", fill="#c62828")
            + _text(56, 22, text, 12, fill="#7f0000")
            + "</g>"
        )
        top = _BANNER_H
    colour = _VERDICT_COLOUR.get(site.verdict, "#222")
    severity = site.severity.replace(";", "、")
    out.append(
        f'<text class="title" x="24" y="{top + 30:g}" font-size="19" font-weight="bold">'
        f"{esc(site.position + 1)}. {esc(site.label)}"
        f'<tspan fill="{colour}" dx="14">{esc(site.verdict)}</tspan>'
        + (
            f'<tspan font-size="13" font-weight="normal" dx="6">（{esc(severity)}）</tspan>'
            if severity
            else ""
        )
        + "</text>"
    )
    return "".join(out), top


def _map_body(scene: _Scene, site: _Site, frame: Frame) -> tuple[str, dict[str, bool]]:
    """Inside the frame: layers, the site's parts, the site, feature labels (clipped)."""
    labels: list[_Label] = []
    body = [
        f'<rect x="{frame.left:g}" y="{frame.top:g}" width="{frame.size:g}" '
        f'height="{frame.size:g}" fill="#f6f5f0"/>'
    ]
    present: dict[str, bool] = {}
    for layer in scene.layers:
        drawn = _draw_layer(layer, frame, site, labels)
        present[layer.title] = bool(drawn)
        body.append(drawn)
    for geom, text, kind in site.parts:
        d, got = _svg.path_data(geom, frame)
        paint = _PART_PAINT[kind] if got == "polygon" else _PART_LINE[kind]
        body.append(
            f'<g class="part" data-kind="{kind}"><title>{esc(text)}</title>'
            + (f'<path d="{d}" fill-rule="evenodd" {paint}/>' if d else "")
            + _svg.point_marks(geom, frame, 7, _PART_PAINT[kind])
            + "</g>"
        )
    line = shapely.get_dimensions(site.geom) == 1
    halo, paint = (_LINE_SITE_HALO, _LINE_SITE_PAINT) if line else (_SITE_HALO, _SITE_PAINT)
    body.append(
        '<g class="site">'
        + _geometry(site.geom, frame, halo, kind="polygon", point_r=6)
        + _geometry(site.geom, frame, paint, kind="polygon", point_r=4)
        + "</g>"
    )
    body.append(_place(labels, frame, site.geom))
    return f'<g clip-path="url(#frame)">{"".join(body)}</g>', present


def _furniture(frame: Frame) -> str:
    """Frame line, north arrow, scale bar and the corner coordinates (EPSG:4548, X north)."""
    right, bottom = frame.left + frame.size, frame.top + frame.size
    out = [
        f'<rect x="{frame.left:g}" y="{frame.top:g}" width="{frame.size:g}" '
        f'height="{frame.size:g}" fill="none" stroke="#333" stroke-width="1.2"/>',
        _svg.north_arrow(x=right - 30, y=frame.top + 12),
        _svg.scale_bar(frame, x=frame.left + 16, y=bottom - 16),
    ]
    for left, upper in ((True, True), (False, True), (True, False), (False, False)):
        x = frame.left if left else right
        y = frame.top - 6 if upper else bottom + 14
        north, east = (frame.y1 if upper else frame.y0), (frame.x0 if left else frame.x1)
        text = f"X {_coords(north)}  Y {_coords(east)}"
        anchor = "start" if left else "end"
        out.append(_text(x, y, text, 10, text_anchor=anchor, fill="#444", class_="corner"))
    return "".join(out)


def _footer(scene: _Scene, frame: Frame, y: float) -> str:
    """Notes under the map: the CRS and axes, north, frame size, who drew it and when."""
    side = _svg.length_text(frame.x1 - frame.x0)
    lines = (
        "坐标：CGCS2000 / 3 度带高斯-克吕格投影，中央经线 117°E（EPSG:4548），"
        "X 为北坐标、Y 为东坐标，单位米。",
        f"图幅 {side} × {side}；北向为坐标纵线北（与真北相差不到 1°）；"
        "河流、道路、铁路为规划示意位置，仅供定位参考。",
        f"fzgeo {__version__} 制图，{scene.stamp}。",
    )
    return "".join(
        _text(frame.left, y + 15 * k, line, 10, fill="#555") for k, line in enumerate(lines)
    )


def render(scene: _Scene, site: _Site) -> str:
    """The SVG text of one site's map (see the module for what it shows)."""
    header, top = _header(scene, site)
    frame = Frame.around(shapely.bounds(site.geom), at=(24.0, top + 64, _FRAME))
    body, present = _map_body(scene, site, frame)
    panel, panel_bottom = _panel(scene, site, frame, present)
    footer_y = max(frame.top + frame.size, panel_bottom) + 36
    height = footer_y + 52
    return "".join(
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W:g} {height:g}" '
            f'width="{_W:g}" height="{height:g}" font-family="{_svg.FONT_FAMILY}" fill="#222">',
            f"<title>{esc(site.position + 1)}. {esc(site.label)}：{esc(site.verdict)}</title>",
            f'<defs><clipPath id="frame"><rect x="{frame.left:g}" y="{frame.top:g}" '
            f'width="{frame.size:g}" height="{frame.size:g}"/></clipPath>{_HATCH}</defs>',
            f'<rect width="{_W:g}" height="{height:g}" fill="#ffffff"/>',
            header,
            body,
            _furniture(frame),
            panel,
            _footer(scene, frame, footer_y),
            "</svg>",
        )
    )


def _legend(scene: _Scene, site: _Site, present: Mapping[str, bool]) -> list[tuple[str, str, str]]:
    """Legend entries (swatch kind, text, paint).

    The site, its parts, every checked layer (one with no feature in the frame says so) and
    the context layers that have features in the frame.
    """
    line = shapely.get_dimensions(site.geom) == 1
    entries = [
        ("line", "项目选址", _LINE_SITE_PAINT) if line else ("site", "项目选址", _SITE_PAINT)
    ]
    for _, text, kind in site.parts:
        if all(e[1] != text for e in entries):
            entries.append(("polygon", text, _PART_PAINT[kind]))
    for layer in scene.layers:
        if layer.constraint:
            text = layer.title if present.get(layer.title) else f"{layer.title}（图幅内无）"
            if layer.band_m:
                entries.append(("polygon", text, _BAND_PAINT))
            else:
                entries.append((layer.kind, text, layer.paint))
        elif present.get(layer.title):
            entries.append((layer.kind, layer.title, layer.casing or layer.paint))
    return entries


def _facts(scene: _Scene, site: _Site) -> list[tuple[str, str]]:
    """The panel's facts: verdicts, size, county, nearest river, road and railway."""
    facts = [("综合结论", site.verdict)]
    if site.severity:
        facts.append(("严重程度", site.severity.replace(";", "、")))
    if site.rules_hit:
        facts.append(("触及规则", site.rules_hit.replace(";", "、")))
    if site.size:
        facts.append(("面积" if "公顷" in site.size else "长度", site.size))
    if county := _county(scene, site.geom):
        facts.append(("所在区县", county))
    for layer in scene.layers:
        if layer.key in _NEAREST and (near := _nearest(layer, site.geom)):
            facts.append((_NEAREST[layer.key], near))
    return facts


def _panel(
    scene: _Scene, site: _Site, frame: Frame, present: Mapping[str, bool]
) -> tuple[str, float]:
    """The side panel (legend, facts, locator) and where it ends."""
    x, y = _PANEL_X, frame.top + 4
    out = [_text(x, y + 10, "图例", 13, font_weight="bold")]
    y += 22
    for kind, text, paint in _legend(scene, site, present):
        if kind == "site":
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="22" height="12" {paint}/>')
        else:
            out.append(_svg.swatch(kind, paint, x=x, y=y))
        lines = _wrap(text, (_PANEL_W - 30) / 11)
        out.extend(_text(x + 30, y + 10 + 14 * k, line, 11) for k, line in enumerate(lines))
        y += 6 + 14 * max(len(lines), 1)
    out.append(_text(x, y + 20, "检查结论", 13, font_weight="bold"))
    y += 40
    for key, value in _facts(scene, site):
        fill = _VERDICT_COLOUR.get(value, "#222") if key == "综合结论" else "#222"
        for line in _wrap(f"{key}：{value}", (_PANEL_W - 4) / 11):
            out.append(_text(x, y, line, 11, fill=fill))
            y += 15
    if scene.locator and scene.locator_frame is not None:
        lx0, ly1, scale, w, h = scene.locator_frame
        oy = max(y + 4, frame.top + frame.size - h)
        centre = shapely.centroid(site.geom)
        px, py = (centre.x - lx0) * scale, (ly1 - centre.y) * scale
        out.append(
            f'<g class="locator" transform="translate({x + (_PANEL_W - w) / 2:.1f} {oy:.1f})">'
            f'{scene.locator}<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="#c62828" '
            'stroke="#ffffff"/></g>'
        )
        y = oy + h
    return "".join(out), y


# --- writing -------------------------------------------------------------------------------

_SCENE: _Scene | None = None  #: the scene the worker processes draw from (inherited by fork)


def _draw_many(folder: str, positions: list[int]) -> dict[int, str]:
    """Draw the maps of ``positions`` from :data:`_SCENE` into ``folder/maps/``.

    They are written together (:func:`fzgeo._atomic.atomic_folder_files`: each file replaces
    its namesake atomically, synced once as a batch), far faster than one synced write each.
    """
    assert _SCENE is not None
    maps = Path(folder) / FOLDER
    with atomic_folder_files(maps / "site") as tmp:
        for pos in positions:
            name = f"site_{pos + 1:05d}.svg"
            (tmp / name).write_text(render(_SCENE, _SCENE.sites[pos]), encoding="utf-8")
    return {pos: f"{FOLDER}/site_{pos + 1:05d}.svg" for pos in positions}


def illustrative_titles(result: CheckResult, layers: Mapping[str, GeoDataFrame]) -> list[str]:
    """The Chinese names of the illustrative (示意) constraint layers the check used.

    The rule of :func:`fzgeo.report._summary.illustrative_layers` (a layer whose recorded
    ``precision`` values include ``illustrative``); when the check recorded no layers (an engine
    that fills no audit), the same rule on the ``precision`` column of ``layers``.
    """
    audit = (getattr(result, "audit", None) or {}).get("layers")
    if audit:
        titles = {r.layer: result.rules.layer_title(r.layer) for r in result.rules.rules}
        return [titles.get(n, n) for n in illustrative_layers(result)]
    return [
        title
        for title, gdf in layers.items()
        if gdf is not None
        and "precision" in gdf.columns
        and (gdf["precision"].astype(str) == ILLUSTRATIVE).any()
    ]


def _scene(result: CheckResult, layers: Mapping[str, GeoDataFrame], positions: list[int]) -> _Scene:
    sites = _sites(result, positions)
    frames = [
        Frame.around(shapely.bounds(s.geom), at=(0.0, 0.0, _FRAME)).outer(50.0)
        for s in sites.values()
    ]
    boxes = shapely.box(*np.asarray(frames).T) if frames else np.array([], dtype=object)
    admin, context = _context()
    drawn = [*context, *_constraint_layers(result, layers, boxes)]
    counties = None
    if admin is not None:
        level = admin.get("level", pd.Series("", index=admin.index)).to_numpy()
        county = level != "city"
        counties = (
            np.asarray(admin.geometry.values, object)[county],
            admin["name"].astype(str).to_numpy(object)[county],
        )
    locator, locator_frame = _locator(admin)
    banner = illustrative_titles(result, layers)
    stamp = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d")
    return _Scene(drawn, sites, counties, locator, locator_frame, banner, stamp)


def _can_fork() -> bool:
    """Whether worker processes may be forked: ``fork`` exists and no other thread runs.

    Forking a process that runs threads can deadlock the child.
    """
    return "fork" in get_all_start_methods() and threading.active_count() == 1


def _clean(folder: Path, keep: set[str]) -> None:
    """Remove site maps of an earlier run that this run did not draw."""
    maps = folder / FOLDER
    if maps.is_dir():
        for path in maps.iterdir():
            if _MAP_FILE.match(path.name) and f"{FOLDER}/{path.name}" not in keep:
                path.unlink(missing_ok=True)


def write_site_maps(
    result: CheckResult,
    folder: str | Path,
    layers: Mapping[str, GeoDataFrame],
    *,
    which: str = "review",
    workers: int | None = None,
) -> dict[int, str]:
    """Draw the site maps of ``result`` into ``folder/maps/`` and say where each went.

    Parameters
    ----------
    result
        What :func:`fzgeo.check.run` returned.
    folder
        The report folder; maps go to ``maps/site_NNNNN.svg`` in it (NNNNN: the site's 1-based
        number). Site maps of an earlier run that this run does not draw are removed.
    layers
        The constraint layers the check used, by display name (the Chinese name of their first
        rule, :meth:`fzgeo.check.constraints.ConstraintLayers.titled`), in any CRS.
    which
        ``review`` (冲突 and 邻近 sites), ``all`` or ``none``; most serious first, at most
        :data:`MAX_MAPS` (:func:`chosen` tells how many were asked for).
    workers
        Processes drawing the maps (default: the CPU count); fewer than :data:`PARALLEL_MIN`
        maps, a platform without ``fork`` or a process running other threads (a progress bar's
        monitor, a dask client) draw in this process.

    Returns
    -------
    dict
        Site position (0-based) -> path of its map relative to ``folder`` (``/`` separated).
    """
    global _SCENE
    folder = prepare_folder(Path(folder))
    positions, _ = chosen(result, which)
    if not positions:
        _clean(folder, set())
        return {}
    prepare_folder(folder / FOLDER)
    scene = _scene(result, layers, positions)
    workers = max(1, workers or os.cpu_count() or 1)
    _SCENE = scene
    try:
        if workers < 2 or len(positions) < PARALLEL_MIN or not _can_fork():
            out = _draw_many(str(folder), positions)
        else:
            chunks = [c.tolist() for c in np.array_split(positions, workers * 4) if len(c)]
            out = {}
            with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
                for done in pool.map(_draw_many, [str(folder)] * len(chunks), chunks):
                    out.update(done)
    finally:
        _SCENE = None
    _clean(folder, set(out.values()))
    return {pos: out[pos] for pos in positions}


__all__ = ["MAX_MAPS", "WHICH", "candidates", "chosen", "render", "site_label", "write_site_maps"]
