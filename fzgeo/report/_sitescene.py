"""What a site map draws, prepared once for all the maps of a report.

:class:`Layer`: a constraint layer the check used (cut down to the features near some map's
frame, projected to EPSG:4548) or a packaged context layer (county and city lines, rivers,
highways, railways), each with an STR-tree, feature labels (the layer's name column, else its id
column) and its paint; :class:`Site`: a site in EPSG:4548 with its verdict, size and conflict
parts (each with its legend text); :class:`Scene`: everything the maps of one report share,
including the locator inset of the city. :mod:`fzgeo.report._sitedraw` draws one map from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame
from pyproj import Transformer

from fzgeo import styles
from fzgeo.check import M2_PER_HA, M2_PER_MU, CheckResult
from fzgeo.check.rules import CONFLICT, NEAR, RuleSet
from fzgeo.crs import WORK_CRS, to_work
from fzgeo.errors import UnknownLayerError
from fzgeo.plan import layers as plan_layers
from fzgeo.report import _svg
from fzgeo.report._svg import Frame

#: Site attributes tried, in order, for a site's name.
LABEL_COLUMNS = ("name", "名称", "项目名称", "项目", "site_name", "title")
#: Constraint-layer columns tried for a feature's label when the check recorded none.
NAME_COLUMNS = ("name", "名称", "NAME", "HXMC", "BHHXMC", "MC", "mc", "XMMC", "要素名称")
ID_COLUMNS = ("BSM", "bsm", "编号", "id", "ID", "OBJECTID", "FID")
#: The packaged context layers, drawn under the constraint layers.
CONTEXT = ("admin_boundaries", "rivers", "highways", "railways")
INSET = 150.0  #: the locator inset's size in SVG units
_PALETTE = ("#1a9641", "#d9a400", "#e0452b", "#2c7bb6", "#a6611a", "#7b3294")


def site_label(result: CheckResult, position: int) -> str:
    """A site's name from its first name-like attribute, else ``项目 n``."""
    row = result.sites.iloc[position]
    for col in LABEL_COLUMNS:
        if col in result.sites.columns and isinstance(row[col], str) and row[col]:
            return row[col]
    return f"项目 {position + 1}"


@dataclass
class Layer:
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
class Label:
    """A feature label to place somewhere on ``spot`` (work CRS); lower ``rank`` goes first."""

    rank: tuple[bool, bool, float]
    spot: Any
    text: str


@dataclass
class Site:
    """A site to map: its number, name, verdict, EPSG:4548 geometry, size and parts."""

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
class Scene:
    """What every map of one report shares: layers, sites, counties, locator, banner, date."""

    layers: list[Layer]
    sites: dict[int, Site]
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


def constraint_layers(
    result: CheckResult, layers: Mapping[str, GeoDataFrame], boxes: np.ndarray
) -> list[Layer]:
    """The layers the check used (by display name), each cut down to the features near a frame."""
    rule_set: RuleSet = result.rules
    audit = (getattr(result, "audit", None) or {}).get("layers") or {}
    by_title = rule_set.layers_by_title()
    out = []
    for i, (title, gdf) in enumerate(layers.items()):
        if gdf is None:
            continue
        key = by_title.get(title)
        rules = rule_set.vector_rules(key)
        if key is not None and result.unused(key):
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
            Layer(
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
def context() -> tuple[GeoDataFrame | None, tuple[Layer, ...]]:
    """The packaged admin boundaries and context layers in the work CRS (once per process)."""
    drawn: list[Layer] = []
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
            drawn.append(Layer("县（区）界", "line", lines[~city], labels[~city], county_paint))
            drawn.append(Layer("市界", "line", lines[city], labels[city], city_paint))
        elif name == "rivers":
            drawn.append(Layer("河流", "line", geoms, labels, _paint("#4a90c8", 3.0), key=name))
        elif name == "highways":
            title = "高速公路与国省道（规划示意位置）"
            drawn.append(Layer(title, "line", geoms, labels, _paint("#e6550d", 2.4), key=name))
        else:
            paint, casing = _paint("#ffffff", 1.2, dash=(6, 6)), _paint("#444444", 3.0)
            title = "铁路（规划示意位置）"
            drawn.append(Layer(title, "line", geoms, labels, paint, casing=casing, key=name))
    return admin, tuple(drawn)


def part_text(rule: Any, verdict: str, exempt: bool) -> tuple[str, str]:
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


def site_records(result: CheckResult, positions: list[int]) -> dict[int, Site]:
    """The sites at ``positions`` in EPSG:4548, each with its parts and their legend texts.

    Parts are snapped to a 1 cm grid, which collapses the hair-thin slivers a difference can
    leave along shared edges (they would draw as spikes).
    """
    work = to_work(result.sites.iloc[positions][[result.sites.geometry.name]], what="sites")
    mine = result.parts_of(positions)  # those sites' alone: the whole batch's are not built
    mine_work = to_work(mine, what="overlap parts") if len(mine) else mine
    # on a 1 cm grid: the hair-thin slivers a difference leaves along shared edges collapse
    drawn = shapely.set_precision(np.asarray(mine_work.geometry.values, dtype=object), 0.01)
    rules = {r.id: r for r in result.rules.rules}
    by_site: dict[int, list[tuple[Any, str, str]]] = {p: [] for p in positions}
    hit_layers: dict[int, set[str]] = {p: set() for p in positions}
    for (_, row), geom in zip(mine.iterrows(), drawn, strict=True):
        exempt = bool(row.get("exempt", False))
        text, kind = part_text(rules.get(row["rule"]), str(row["verdict"]), exempt)
        by_site[int(row["site"])].append((geom, text, kind))
        hit_layers[int(row["site"])].add(result.rules.layer_title(str(row["layer"])))
    out = {}
    for pos, geom in zip(positions, work.geometry.values, strict=True):
        row = result.sites.iloc[pos]
        out[pos] = Site(
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


def locator(
    admin: GeoDataFrame | None,
) -> tuple[str, tuple[float, float, float, float, float] | None]:
    """The city and its counties, simplified, in an inset of :data:`INSET` units (drawn once)."""
    if admin is None:
        return "", None
    x0, y0, x1, y1 = admin.total_bounds
    scale = (INSET - 8) / max(x1 - x0, y1 - y0)
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
