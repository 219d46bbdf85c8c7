"""Schematic geometry placed from the plan's words and real reference points.

A placed-features file (``layers/features/*.yaml``) lists features with their plan line and a
geometry spec built from named places (:mod:`fzgeo.plan.gazetteer`) or explicit lon/lat::

    section: 第四篇 第一章 第二节          # default plan section for every feature
    defaults: {precision: schematic, status: existing}
    features:
      - name: 向莆铁路
        line: 1234                       # plan line -> source_line
        term: 向莆                        # words on that line -> plan_term (default: name)
        attrs: {level: 国铁}              # the kind's own columns
        note: through the OSM stations of 抚州 and 南城
        inventory_id: xiangpu_railway      # entry of shared/plan/inventory.yaml, if any
        geometry: {line: [南昌站, 抚州站, 南城站]}

Geometry specs (REF is a place name, ``[lon, lat]``, or ``{at: REF, offset_km: [east, north]}``):
``{point: REF}``, ``{points: [REF, ...]}`` (a multipoint), ``{line: [REF, ...]}``,
``{polygon: [REF, ...]}``, ``{circle: REF, radius_km: R}``, ``{hull: [REF, ...], buffer_km: B}``,
``{counties: [NAME, ...]}`` (the union of those county-level units of ``admin_boundaries``, for
designations the plan gives to whole counties), ``{reach: RIVER, from: REF, to: REF}`` (the stretch
of that river of the ``rivers`` layer between the points nearest to the two references),
``{on_river: RIVER, at: REF}`` (the point of the river nearest to REF),
``{of_layer: LAYER, names: [NAME, ...]}`` (the union of those features of another layer, e.g. a
network frame drawn as the roads it is made of; the same geometry, not a copy placed again),
``{union: [SPEC, ...]}`` (the union of several specs, e.g. named features of two layers) and
``{buffer: SPEC, km: B}``. Shapes are built in EPSG:4548 (metres) and stored in EPSG:4490.

``clip: city`` (on a feature, or on the document for every feature) keeps the part inside the city
boundary (``admin_boundaries``, level ``city``): a line is split there with
:func:`split_at_boundary` (a line drawn to a station beyond the border, 南昌 or 鹰潭, is stored as
its in-city piece(s)); a polygon (a band buffered along a line) is cut to the boundary. A feature
wholly outside the city is an error, not an empty geometry.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import shapely
from geopandas import GeoDataFrame, GeoSeries
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from fzgeo.crs import STORAGE_CRS, WORK_CRS
from fzgeo.errors import ConfigError
from fzgeo.geom import polygonal
from fzgeo.plan import gazetteer
from fzgeo.plan.schema import LayerKind

PLAN_TITLE = "抚州市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要"
_TO_WORK = Transformer.from_crs(STORAGE_CRS, WORK_CRS, always_xy=True)
_TO_STORAGE = Transformer.from_crs(WORK_CRS, STORAGE_CRS, always_xy=True)


def plan_source(section: str | None, line: int | None) -> str:
    """The ``source`` text for a plan passage: ``《纲要》第四篇 第一章 第二节, 第1234行``."""
    parts = [f"《{PLAN_TITLE}》"]
    if section:
        parts.append(section)
    if line:
        parts.append(f"第{line}行")
    return " ".join(parts)


def _ref(ref: Any) -> Point:
    """A reference point in work-CRS metres."""
    if isinstance(ref, str):
        p = gazetteer.lookup(ref).point
    elif isinstance(ref, list | tuple) and len(ref) == 2:
        p = Point(float(ref[0]), float(ref[1]))
    elif isinstance(ref, Mapping) and "at" in ref:
        base = _ref(ref["at"])
        dx, dy = (1000.0 * float(v) for v in ref.get("offset_km", (0, 0)))
        return Point(base.x + dx, base.y + dy)
    else:
        raise ConfigError(f"cannot read place reference {ref!r}")
    x, y = _TO_WORK.transform(p.x, p.y)
    return Point(x, y)


def _refs(refs: Any) -> list[Point]:
    if not isinstance(refs, list) or not refs:
        raise ConfigError(f"expected a list of place references, got {refs!r}")
    return [_ref(r) for r in refs]


@cache
def _county_shapes() -> dict[str, BaseGeometry]:
    from fzgeo.plan import layers

    units = layers.load("admin_boundaries")
    units = units[units["level"] == "county"]
    return dict(zip(units["name"], units.to_crs(WORK_CRS).geometry, strict=True))


def _counties(names: Any) -> BaseGeometry:
    """The union of the named county-level units (work-CRS metres)."""
    if not isinstance(names, list) or not names:
        raise ConfigError(f"expected a list of county names, got {names!r}")
    shapes = _county_shapes()
    unknown = [n for n in names if n not in shapes]
    if unknown:
        raise ConfigError(f"unknown counties {unknown}; known: {', '.join(shapes)}")
    return shapely.union_all([shapes[n] for n in names])


@cache
def city_shape() -> BaseGeometry:
    """The city boundary (``admin_boundaries``, level ``city``) in work-CRS metres."""
    from fzgeo.plan import layers

    units = layers.load("admin_boundaries")
    city = units[units["level"] == "city"]
    if city.empty:
        raise ConfigError("admin_boundaries has no feature of level 'city'")
    return shapely.union_all(city.to_crs(WORK_CRS).geometry.values)


def _line_parts(geom: BaseGeometry) -> BaseGeometry:
    """The linear parts of ``geom`` (points where a line only touches are dropped), merged."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "LineString" and p.length > 0]
    if not parts:
        return LineString()
    merged = shapely.line_merge(shapely.multilinestrings(parts))
    return merged


def split_at_boundary(line: BaseGeometry, area: BaseGeometry) -> tuple[BaseGeometry, BaseGeometry]:
    """Split a (multi)line at the edge of ``area``: the parts ``(inside, outside)``.

    Both are (multi)lines, possibly empty; touching points are dropped, so the two lengths add
    up to the line's length. Both geometries must be in the same (metric) CRS.
    """
    if line.geom_type not in ("LineString", "MultiLineString"):
        raise ConfigError(f"can only split lines at a boundary, got {line.geom_type}")
    return _line_parts(line.intersection(area)), _line_parts(line.difference(area))


def _clip(geom: BaseGeometry, clip: Any) -> BaseGeometry:
    if clip is None:
        return geom
    if clip != "city":
        raise ConfigError(f"clip must be 'city', got {clip!r}")
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        inside = polygonal(geom.intersection(city_shape()))
        what = "polygon"
    else:
        inside, _ = split_at_boundary(geom, city_shape())
        what = "line"
    if inside.is_empty:
        raise ConfigError(f"the {what} lies wholly outside the city boundary (clip: city)")
    return inside


@cache
def _river(name: str) -> LineString:
    """The river of the ``rivers`` layer whose name starts with ``name``, as one line."""
    from fzgeo.plan import layers

    rivers = layers.load("rivers")
    rows = rivers[rivers["name"].str.startswith(name)]
    if rows.empty:
        raise ConfigError(f"no river named {name!r}; known: {', '.join(rivers['name'])}")
    merged = shapely.line_merge(shapely.union_all(rows.to_crs(WORK_CRS).geometry.to_numpy()))
    if not isinstance(merged, LineString):
        raise ConfigError(f"river {name!r} is not one continuous line in the rivers layer")
    return merged


def _reach(name: str, start: Any, end: Any) -> LineString:
    """The stretch of river ``name`` between the points nearest to ``start`` and ``end``."""
    river = _river(name)
    a, b = sorted((river.project(_ref(start)), river.project(_ref(end))))
    if b - a < 1.0:
        raise ConfigError(f"reach of {name!r} from {start!r} to {end!r} is empty")
    return substring(river, a, b)


def _of_layer(layer: str, names: Any) -> BaseGeometry:
    """The union of the features of ``layer`` named ``names`` (work-CRS metres)."""
    from fzgeo.plan import layers

    if not isinstance(names, list) or not names:
        raise ConfigError(f"expected a list of feature names of {layer!r}, got {names!r}")
    gdf = layers.load(layer)
    unknown = [n for n in names if n not in set(gdf["name"])]
    if unknown:
        raise ConfigError(f"{layer!r} has no feature named {unknown}")
    rows = gdf[gdf["name"].isin(names)].to_crs(WORK_CRS)
    geom = shapely.union_all(rows.geometry.to_numpy())
    return shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom


def build_geometry(spec: Mapping[str, Any]) -> BaseGeometry:
    """The geometry (in EPSG:4548 metres) described by ``spec``."""
    if "point" in spec:
        return _ref(spec["point"])
    if "points" in spec:
        return MultiPoint(_refs(spec["points"]))
    if "counties" in spec:
        return _counties(spec["counties"])
    if "reach" in spec:
        return _reach(spec["reach"], spec["from"], spec["to"])
    if "on_river" in spec:
        river = _river(spec["on_river"])
        return river.interpolate(river.project(_ref(spec["at"])))
    if "of_layer" in spec:
        return _of_layer(spec["of_layer"], spec.get("names"))
    if "line" in spec:
        return LineString(_refs(spec["line"]))
    if "polygon" in spec:
        return Polygon(_refs(spec["polygon"]))
    if "circle" in spec:
        return _ref(spec["circle"]).buffer(1000.0 * float(spec["radius_km"]), quad_segs=16)
    if "hull" in spec:
        hull = MultiPoint(_refs(spec["hull"])).convex_hull
        return hull.buffer(1000.0 * float(spec.get("buffer_km", 0.0)), quad_segs=16)
    if "buffer" in spec:
        return build_geometry(spec["buffer"]).buffer(1000.0 * float(spec["km"]), quad_segs=16)
    if "union" in spec:
        specs = spec["union"]
        if (
            not isinstance(specs, list)
            or not specs
            or not all(isinstance(s, Mapping) for s in specs)
        ):
            raise ConfigError(f"union expects a list of geometry specs, got {specs!r}")
        return shapely.union_all([build_geometry(s) for s in specs])
    raise ConfigError(f"unknown geometry spec {dict(spec)!r}")


def to_storage_geometry(geom: BaseGeometry) -> BaseGeometry:
    """A work-CRS geometry converted to EPSG:4490 degrees."""
    return shapely.transform(geom, _to_storage_coords)


def _to_storage_coords(xy: Any) -> Any:
    import numpy as np

    x, y = _TO_STORAGE.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def features_to_gdf(doc: Mapping[str, Any], *, kind: LayerKind) -> GeoDataFrame:
    """Turn a placed-features document into a GeoDataFrame of ``kind`` (not yet validated)."""
    defaults = dict(doc.get("defaults") or {})
    rows = []
    for i, feat in enumerate(doc.get("features") or []):
        try:
            geom = _clip(build_geometry(feat["geometry"]), feat.get("clip", doc.get("clip")))
        except (ConfigError, KeyError) as exc:
            where = f"feature {i} ({feat.get('name', '?')})"
            raise ConfigError(f"{where}: {exc}", path=f"layers/{kind.build.get('file')}") from exc
        line = feat.get("line")
        row = {
            **defaults,
            "name": feat["name"],
            "source_line": line,
            "plan_term": feat.get("term", feat["name"]) if line else feat.get("term"),
            "source": feat.get("source")
            or plan_source(feat.get("section", doc.get("section")), line),
            "note": feat.get("note"),
            "inventory_id": feat.get("inventory_id"),
            **{k: feat[k] for k in ("precision", "status") if k in feat},
            **(feat.get("attrs") or {}),
            "geometry": to_storage_geometry(geom),
        }
        rows.append(row)
    if not rows:
        from fzgeo.plan.schema import empty_layer

        return empty_layer(kind)
    geoms = [row.pop("geometry") for row in rows]
    return GeoDataFrame(rows, geometry=GeoSeries(geoms), crs=STORAGE_CRS)
