"""An ILLUSTRATIVE stand-in for the 三区三线 (示意, not official).

The official 生态保护红线, 永久基本农田 and 城镇开发边界 vectors are not public. So that a siting demo shows
real conflicts, this module derives plausible stand-ins from real reference features:

生态保护红线
    the nature reserves of the ``protected_areas`` layer, the reservoirs of
    ``layers/features/eco_nodes.yaml`` (approximate real locations), a 10 km belt inside the
    Jiangxi-Fujian border (武夷山) and, as a proxy for forested uplands, land far from every seat;
城镇开发边界
    the central city (hull of real points of 临川/抚州) and a circle around each county seat and
    each 建制镇 seat (GeoNames), minus the red line;
永久基本农田
    rings around the seats and a band along the 抚河 valley, minus the urban boundary and red line;
三区
    城镇空间 = the urban boundary, 农业空间 = the settled lowlands (farmland included) outside it and
    the red line, 生态空间 = the rest.

The three lines do not overlap each other (the planners' rule) and each lies in its zone; the
zones cover the city without overlap. Every feature says 示意 in its name and ``note`` and has
precision ``illustrative``. Built once per loader (the ``load`` of the builder's
:class:`~fzgeo.plan.context.BuildContext`, which reads the layers it derives from) in EPSG:4548;
stored in EPSG:4490 by :func:`fzgeo.plan.ecology.frame`, valid in both CRSs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import shapely
from geopandas import GeoDataFrame
from shapely.geometry.base import BaseGeometry

from fzgeo.geom import polygonal
from fzgeo.plan import gazetteer, placement
from fzgeo.plan.admin import city_work, counties_work
from fzgeo.plan.context import BuildContext, Load
from fzgeo.plan.ecology import eco_nodes, frame, fuhe_band, wuyi_belt
from fzgeo.plan.placement import plan_source

SECTION = "第八篇 第一章 第一节"
LINE = 1524  #: 城镇空间、农业空间、生态空间和城镇开发边界线、永久基本农田保护红线、生态保护红线“三区三线”
WUYI_REDLINE_M = 10000.0
CENTRAL_CITY_REFS = ("抚州市", "抚州北站", "抚州站", "温泉镇", "钟岭街道", "崇岗镇", "上顿渡镇")
CENTRAL_CITY_BUFFER_M = 2500.0
SEAT_RADIUS_M = {"东乡区": 3500.0, "南城县": 3500.0, "资溪县": 2500.0}
SEAT_RADIUS_DEFAULT_M = 3000.0
REMOTE_M = 8000.0  #: red-line proxy for forested uplands: this far from every seat
TOWN_RADIUS_M = 600.0  #: 建制镇 seats
FARM_SEAT_M = 6000.0  #: farmland ring around county seats reaches this far from the seat
FARM_TOWN_M = 2000.0
FARM_VALLEY_M = 3000.0  #: 抚河 valley plain either side of the river
AGRI_TOWN_M = 4500.0  #: 农业空间 envelope around township seats
AGRI_SEAT_M = 10000.0
AGRI_VALLEY_M = 8000.0
ZONE_INVENTORY = {
    "城镇空间": "urban_space",
    "农业空间": "agricultural_space",
    "生态空间": "ecological_space",
}
ILLUSTRATIVE = "示意，非官方数据 (illustrative, not official)"


@dataclass(frozen=True)
class StandIn:
    """The stand-in lines and zones, each a list of (name, county, geometry, extra) in EPSG:4548."""

    redline: list[tuple[str, str | None, BaseGeometry, dict[str, Any]]]
    urban: list[tuple[str, str | None, BaseGeometry, dict[str, Any]]]
    farmland: list[tuple[str, str | None, BaseGeometry, dict[str, Any]]]
    zones: dict[str, BaseGeometry]


@cache
def _seats() -> tuple[gazetteer.Place, ...]:
    """The prefecture, county and township seats inside the city (those with a county)."""
    kinds = ("prefecture_seat", "county_seat", "township_seat")
    found = {p.name: p for p in map(gazetteer.lookup, gazetteer.names())}
    return tuple(p for _, p in sorted(found.items()) if p.kind in kinds and p.county is not None)


def _union(geoms: Iterable[BaseGeometry]) -> BaseGeometry:
    return shapely.union_all(list(geoms))


def _redline(load: Load, city: BaseGeometry) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    taken = shapely.Polygon()
    for node in eco_nodes(load):
        if not node.redline_function:
            continue
        geom = node.geometry.difference(taken)
        out.append((f"{node.name}生态保护红线（示意）", node.county, geom, _node_extra(node)))
        taken = taken.union(geom)
    belt = wuyi_belt(city, WUYI_REDLINE_M).difference(taken)
    extra = {
        "function": "生物多样性维护、水源涵养",
        "note": f"{ILLUSTRATIVE}: a belt {WUYI_REDLINE_M / 1000:g} km deep inside the stretch of "
        "the city boundary taken as the Jiangxi-Fujian border (武夷山, the 一山 of 第八篇 第一章 "
        "第二节, line 1530), split by county",
    }
    out.append(("武夷山生态保护红线（示意）", None, belt, extra))
    taken = taken.union(belt)
    remote = city.difference(_envelope(city, shapely.Polygon(), REMOTE_M, REMOTE_M))
    extra = {
        "function": "水源涵养、水土保持",
        "note": f"{ILLUSTRATIVE}: proxy for forested uplands, land more than {REMOTE_M / 1000:g} "
        "km from every county and township seat (GeoNames); no land-cover data was available",
    }
    out.append(("山地林区生态保护红线（示意）", None, remote.difference(taken), extra))
    return out


def _node_extra(node: Any) -> dict[str, Any]:
    return {
        "function": node.redline_function,
        "note": f"{ILLUSTRATIVE}. {node.note} (ecological node of {node.source})",
    }


def _urban(city: BaseGeometry, redline: BaseGeometry) -> list[tuple[Any, ...]]:
    core = shapely.MultiPoint([placement.place(r) for r in CENTRAL_CITY_REFS]).convex_hull
    core = core.buffer(CENTRAL_CITY_BUFFER_M, quad_segs=16)
    note = f"{ILLUSTRATIVE}: hull of real points of the central city (GeoNames, OSM) + {CENTRAL_CITY_BUFFER_M / 1000:g} km"
    out: list[tuple[Any, ...]] = [
        ("抚州市中心城区城镇开发边界（示意）", "临川区", core, {"note": note})
    ]
    taken = core
    for place in _seats():
        if place.kind == "prefecture_seat":
            continue
        if place.kind == "county_seat":
            radius = SEAT_RADIUS_M.get(place.county or "", SEAT_RADIUS_DEFAULT_M)
            label = f"{place.county}县城"
        elif place.name.endswith("镇"):
            radius, label = TOWN_RADIUS_M, place.name
        else:
            continue
        geom = placement.place(place.name).buffer(radius, quad_segs=16).difference(taken)
        if geom.is_empty:
            continue
        note = f"{ILLUSTRATIVE}: circle of {radius / 1000:g} km around the seat ({place.source})"
        out.append((f"{label}城镇开发边界（示意）", place.county, geom, {"note": note}))
        taken = taken.union(geom)
    return [(n, c, polygonal(g.intersection(city).difference(redline)), e) for n, c, g, e in out]


def _envelope(city: BaseGeometry, valley: BaseGeometry, seat_m: float, town_m: float) -> Any:
    rings = []
    for place in _seats():
        radius = seat_m if place.kind in ("county_seat", "prefecture_seat") else town_m
        rings.append(placement.place(place.name).buffer(radius, quad_segs=16))
    return _union([*rings, valley]).intersection(city)


@cache
def _standin(load: Load) -> StandIn:
    city = city_work(load)
    red = [(n, c, polygonal(g.intersection(city)), e) for n, c, g, e in _redline(load, city)]
    red_all = _union(g for _, _, g, _ in red)
    urban = _urban(city, red_all)
    urban_all = _union(g for _, _, g, _ in urban)
    farm_env = _envelope(city, fuhe_band(load, FARM_VALLEY_M), FARM_SEAT_M, FARM_TOWN_M)
    farm_all = polygonal(farm_env.difference(urban_all).difference(red_all))
    note = (
        f"{ILLUSTRATIVE}: land within {FARM_SEAT_M / 1000:g} km of county seats, "
        f"{FARM_TOWN_M / 1000:g} km of township seats (GeoNames) and {FARM_VALLEY_M / 1000:g} km "
        "of the inferred 抚河, outside the urban boundary and red line, split by county"
    )
    farmland = [("永久基本农田（示意）", None, farm_all, {"note": note})]
    agri_env = _envelope(city, fuhe_band(load, AGRI_VALLEY_M), AGRI_SEAT_M, AGRI_TOWN_M)
    agri = polygonal(agri_env.union(farm_all).difference(urban_all).difference(red_all))
    eco = polygonal(city.difference(urban_all).difference(agri))
    zones = {"城镇空间": polygonal(urban_all), "农业空间": agri, "生态空间": eco}
    counties = counties_work(load)
    return StandIn(
        redline=_split_by_county(red, counties),
        urban=_split_by_county(urban, counties),
        farmland=_split_by_county(farmland, counties),
        zones=zones,
    )


def _split_by_county(
    items: list[tuple[Any, ...]], counties: Mapping[str, BaseGeometry]
) -> list[tuple[str, str | None, BaseGeometry, dict[str, Any]]]:
    """Cut features without a county along the county boundaries; keep the others whole."""
    out = []
    for name, county, geom, extra in items:
        if county is not None:
            out.append((name, county, geom, extra))
            continue
        for cname, cgeom in counties.items():
            part = polygonal(geom.intersection(cgeom))
            if not part.is_empty and part.area > 1.0:
                out.append((f"{name}·{cname}", cname, part, extra))
    return out


def _rows(
    items: list[tuple[Any, ...]], *, plan_term: str, inventory_id: str
) -> list[dict[str, Any]]:
    rows = []
    for name, county, geom, extra in items:
        row = {
            "name": name,
            "county": county,
            "precision": "illustrative",
            "status": "existing",
            "source_line": LINE,
            "plan_term": plan_term,
            "source": plan_source(SECTION, LINE),
            "inventory_id": inventory_id,
            **extra,
            "geometry": geom,
        }
        rows.append(row)
    return rows


def build_eco_redline(ctx: BuildContext) -> GeoDataFrame:
    """生态保护红线 stand-in (示意)."""
    return frame(
        _rows(
            _standin(ctx.load).redline,
            plan_term="生态保护红线",
            inventory_id="ecological_protection_red_line",
        )
    )


def build_urban_boundary(ctx: BuildContext) -> GeoDataFrame:
    """城镇开发边界 stand-in (示意)."""
    return frame(
        _rows(
            _standin(ctx.load).urban,
            plan_term="城镇开发边界线",
            inventory_id="urban_development_boundary",
        )
    )


def build_basic_farmland(ctx: BuildContext) -> GeoDataFrame:
    """永久基本农田 stand-in (示意)."""
    return frame(
        _rows(
            _standin(ctx.load).farmland,
            plan_term="永久基本农田保护红线",
            inventory_id="permanent_basic_farmland_red_line",
        )
    )


def build_spatial_zones(ctx: BuildContext) -> GeoDataFrame:
    """城镇空间, 农业空间, 生态空间 stand-in (示意), one feature each."""
    rows = [
        {
            "name": f"{zone}（示意）",
            "zone": zone,
            "precision": "illustrative",
            "status": "existing",
            "source_line": LINE,
            "plan_term": zone,
            "source": plan_source(SECTION, LINE),
            "inventory_id": ZONE_INVENTORY[zone],
            "note": f"{ILLUSTRATIVE}: derived from the stand-in lines (see fzgeo.plan.sanqu_standin)",
            "geometry": geom,
        }
        for zone, geom in _standin(ctx.load).zones.items()
    ]
    return frame(rows)
