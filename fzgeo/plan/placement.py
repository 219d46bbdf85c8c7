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

Specs that read another layer (``counties``, ``reach``, ``on_river``, ``of_layer`` and ``clip:
city``) need a ``load``: the one of the :class:`~fzgeo.plan.context.BuildContext` a builder is
given, or :func:`fzgeo.plan.layers.load` for a caller outside the registry. This module never
imports the registry, which builds its placed layers with it. Shapes read from other layers are
built once per loader, and the layer an ``of_layer`` spec draws from is read once per loader for
both its geometry and its precision.

Precision follows the placement method (:func:`placement_method`, applied by
:func:`features_to_gdf`, the one place it is decided): a feature placed at named points, reaches
or routes of the gazetteer, at named counties or on named rivers is ``schematic`` (or better where the data
says so: an OSM station, a county polygon); one
placed with an ``offset_km`` anywhere in its spec (a grid around the city point, a point "beside"
a seat, a distance the plan does not give) is ``illustrative``; one drawn from another layer
(``of_layer``) is no more precise than the least precise feature it is made of. A feature's own
``precision`` more precise than its method allows is an error; the document's ``defaults`` are
lowered to what the method allows. A ``note`` that calls the position illustrative while the
feature is not is an error too.

``clip: city`` (on a feature, or on the document for every feature) keeps the part inside the city
boundary (``admin_boundaries``, level ``city``): a line is split there with
:func:`split_at_boundary` (a line drawn to a station beyond the border, 南昌 or 鹰潭, is stored as
its in-city piece(s)); a polygon (a band buffered along a line) is cut to the boundary. A feature
wholly outside the city is an error, not an empty geometry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import numpy as np

import shapely
from geopandas import GeoDataFrame, GeoSeries
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from fzgeo.crs import STORAGE_CRS, WORK_CRS, to_work
from fzgeo.errors import ConfigError
from fzgeo.geom import POLYGON_TYPES, polygonal
from fzgeo.plan import gazetteer
from fzgeo.plan.admin import city_work, counties_work
from fzgeo.plan.context import Load
from fzgeo.plan.schema import PRECISIONS, LayerKind, empty_layer

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


def place(ref: Any) -> Point:
    """A place reference as a point in EPSG:4548 metres.

    ``ref`` is a gazetteer name, ``[lon, lat]`` in EPSG:4490 degrees, or
    ``{at: REF, offset_km: [east, north]}``.
    """
    if isinstance(ref, str):
        p = gazetteer.lookup(ref).point
    elif isinstance(ref, list | tuple) and len(ref) == 2:
        p = Point(float(ref[0]), float(ref[1]))
    elif isinstance(ref, Mapping) and "at" in ref:
        base = place(ref["at"])
        dx, dy = (1000.0 * float(v) for v in ref.get("offset_km", (0, 0)))
        return Point(base.x + dx, base.y + dy)
    else:
        raise ConfigError(f"cannot read place reference {ref!r}")
    x, y = _TO_WORK.transform(p.x, p.y)
    return Point(x, y)


def _refs(refs: Any) -> list[Point]:
    if not isinstance(refs, list) or not refs:
        raise ConfigError(f"expected a list of place references, got {refs!r}")
    return [place(r) for r in refs]


def _loader(load: Load | None, what: str) -> Load:
    """``load``, or a ConfigError saying that ``what`` reads another layer."""
    if load is None:
        msg = (
            f"{what} reads another layer: pass load (the BuildContext's, or fzgeo.plan.layers.load)"
        )
        raise ConfigError(msg)
    return load


def _counties(names: Any, load: Load | None) -> BaseGeometry:
    """The union of the named county-level units (work-CRS metres)."""
    if not isinstance(names, list) or not names:
        raise ConfigError(f"expected a list of county names, got {names!r}")
    shapes = counties_work(_loader(load, "{counties: [...]}"))
    unknown = [n for n in names if n not in shapes]
    if unknown:
        raise ConfigError(f"unknown counties {unknown}; known: {', '.join(shapes)}")
    return shapely.union_all([shapes[n] for n in names])


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


def _clip(geom: BaseGeometry, clip: Any, load: Load | None) -> BaseGeometry:
    if clip is None:
        return geom
    if clip != "city":
        raise ConfigError(f"clip must be 'city', got {clip!r}")
    city = city_work(_loader(load, "clip: city"))
    if shapely.get_type_id(geom) in POLYGON_TYPES:
        inside = polygonal(geom.intersection(city))
        what = "polygon"
    else:
        inside, _ = split_at_boundary(geom, city)
        what = "line"
    if inside.is_empty:
        raise ConfigError(f"the {what} lies wholly outside the city boundary (clip: city)")
    return inside


def _river(name: str, load: Load | None) -> LineString:
    """The river of the ``rivers`` layer whose name starts with ``name``, as one line."""
    return _river_of(name, _loader(load, f"river {name!r}"))


@cache
def _river_of(name: str, load: Load) -> LineString:
    rivers = load("rivers")
    rows = rivers[rivers["name"].str.startswith(name)]
    if rows.empty:
        raise ConfigError(f"no river named {name!r}; known: {', '.join(rivers['name'])}")
    merged = shapely.line_merge(shapely.union_all(to_work(rows).geometry.to_numpy()))
    if not isinstance(merged, LineString):
        raise ConfigError(f"river {name!r} is not one continuous line in the rivers layer")
    return merged


def _reach(name: str, start: Any, end: Any, load: Load | None) -> LineString:
    """The stretch of river ``name`` between the points nearest to ``start`` and ``end``."""
    river = _river(name, load)
    a, b = sorted((river.project(place(start)), river.project(place(end))))
    if b - a < 1.0:
        raise ConfigError(f"reach of {name!r} from {start!r} to {end!r} is empty")
    return substring(river, a, b)


@cache
def _member_layer(load: Load, layer: str) -> GeoDataFrame:
    """The layer an ``of_layer`` spec draws from, read once per loader and layer.

    Both the geometry (:func:`_of_layer`) and the precision (:func:`method_precision`) of such a
    spec read it; they share this one read and must not change it.
    """
    return load(layer)


def _of_layer(layer: str, names: Any, load: Load | None) -> BaseGeometry:
    """The union of the features of ``layer`` named ``names`` (work-CRS metres)."""
    if not isinstance(names, list) or not names:
        raise ConfigError(f"expected a list of feature names of {layer!r}, got {names!r}")
    gdf = _member_layer(_loader(load, f"{{of_layer: {layer}}}"), layer)
    unknown = [n for n in names if n not in set(gdf["name"])]
    if unknown:
        raise ConfigError(f"{layer!r} has no feature named {unknown}")
    rows = to_work(gdf[gdf["name"].isin(names)], what=layer)
    geom = shapely.union_all(rows.geometry.to_numpy())
    return shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom


def build_geometry(spec: Mapping[str, Any], load: Load | None = None) -> BaseGeometry:
    """The geometry (in EPSG:4548 metres) described by ``spec``.

    Parameters
    ----------
    spec
        A geometry spec (see the module docstring).
    load
        Reads another layer by name (EPSG:4490), for the specs that need one; None is enough
        for the others.
    """
    if "point" in spec:
        return place(spec["point"])
    if "points" in spec:
        return MultiPoint(_refs(spec["points"]))
    if "counties" in spec:
        return _counties(spec["counties"], load)
    if "reach" in spec:
        return _reach(spec["reach"], spec["from"], spec["to"], load)
    if "on_river" in spec:
        river = _river(spec["on_river"], load)
        return river.interpolate(river.project(place(spec["at"])))
    if "of_layer" in spec:
        return _of_layer(spec["of_layer"], spec.get("names"), load)
    if "line" in spec:
        return LineString(_refs(spec["line"]))
    if "polygon" in spec:
        return Polygon(_refs(spec["polygon"]))
    if "circle" in spec:
        return place(spec["circle"]).buffer(1000.0 * float(spec["radius_km"]), quad_segs=16)
    if "hull" in spec:
        hull = MultiPoint(_refs(spec["hull"])).convex_hull
        return hull.buffer(1000.0 * float(spec.get("buffer_km", 0.0)), quad_segs=16)
    if "buffer" in spec:
        return build_geometry(spec["buffer"], load).buffer(1000.0 * float(spec["km"]), quad_segs=16)
    if "union" in spec:
        specs = spec["union"]
        if (
            not isinstance(specs, list)
            or not specs
            or not all(isinstance(s, Mapping) for s in specs)
        ):
            raise ConfigError(f"union expects a list of geometry specs, got {specs!r}")
        return shapely.union_all([build_geometry(s, load) for s in specs])
    raise ConfigError(f"unknown geometry spec {dict(spec)!r}")


def to_storage_geometry(geom: BaseGeometry) -> BaseGeometry:
    """A work-CRS geometry converted to EPSG:4490 degrees."""
    return shapely.transform(geom, _to_storage_coords)


def to_work_geometry(geom: BaseGeometry) -> BaseGeometry:
    """An EPSG:4490 geometry (degrees) converted to work-CRS (EPSG:4548) metres."""
    return shapely.transform(geom, _to_work_coords)


def _to_storage_coords(xy: Any) -> Any:
    x, y = _TO_STORAGE.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _to_work_coords(xy: Any) -> Any:
    x, y = _TO_WORK.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


#: placement methods (:func:`placement_method`) and the best precision each allows: a named
#: place allows what the data claims (an OSM station or a county polygon is ``surveyed``; a
#: point at a seat standing for a site near it is ``schematic``, the documents' default)
METHOD_PRECISION = {"named": "official", "offset": "illustrative", "layer": "official"}


def weakest_precision(values: Iterable[str]) -> str:
    """The least precise of ``values`` (order of :data:`fzgeo.plan.schema.PRECISIONS`)."""
    ranks = [PRECISIONS.index(v) for v in values]
    if not ranks:
        raise ConfigError("no precision to take the weakest of")
    return PRECISIONS[max(ranks)]


def _has_offset(spec: Any) -> bool:
    if isinstance(spec, Mapping):
        return "offset_km" in spec or any(_has_offset(v) for v in spec.values())
    if isinstance(spec, list | tuple):
        return any(_has_offset(v) for v in spec)
    return False


def _layer_refs(spec: Any) -> list[Mapping[str, Any]]:
    """Every ``{of_layer: ..., names: [...]}`` inside ``spec``."""
    if isinstance(spec, Mapping):
        own = [spec] if "of_layer" in spec else []
        return own + [r for v in spec.values() for r in _layer_refs(v)]
    if isinstance(spec, list | tuple):
        return [r for v in spec for r in _layer_refs(v)]
    return []


def placement_method(spec: Mapping[str, Any]) -> str:
    """How a geometry spec places its feature: ``offset``, ``layer`` or ``named``.

    ``offset``: some reference is shifted by ``offset_km`` (a grid, a pattern, a point beside a
    seat: a position nobody gave); ``layer``: drawn from features of another layer
    (``of_layer``); ``named``: only named points, reaches, routes, counties and rivers.
    """
    if _has_offset(spec):
        return "offset"
    if _layer_refs(spec):
        return "layer"
    return "named"


def method_precision(spec: Mapping[str, Any], load: Load | None = None) -> str:
    """The best precision the placement of ``spec`` allows (see :func:`placement_method`).

    For a spec drawn from another layer this is the weakest precision of the features it is
    made of (read with ``load``).
    """
    method = placement_method(spec)
    found = [METHOD_PRECISION[method]]
    for ref in _layer_refs(spec):
        gdf = _member_layer(_loader(load, f"{{of_layer: {ref['of_layer']}}}"), ref["of_layer"])
        found.extend(gdf.loc[gdf["name"].isin(ref.get("names") or []), "precision"])
    return weakest_precision(found)


def _says_illustrative(note: Any) -> bool:
    text = str(note or "").lower()
    return "illustrative" in text or "示意" in text


def _precision(feat: Mapping[str, Any], default: Any, load: Load | None) -> str:
    """The precision of a placed feature: the given one, no better than its method allows."""
    allowed = method_precision(feat["geometry"], load)
    given = feat.get("precision")
    if given is not None and PRECISIONS.index(given) < PRECISIONS.index(allowed):
        method = placement_method(feat["geometry"])
        raise ConfigError(f"precision {given!r} is better than its placement ({method}) allows")
    value = weakest_precision([given or default or allowed, allowed])
    if value != "illustrative" and _says_illustrative(feat.get("note")):
        raise ConfigError(f"its note calls the position illustrative but precision is {value!r}")
    return value


def features_to_gdf(
    doc: Mapping[str, Any], *, kind: LayerKind, load: Load | None = None
) -> GeoDataFrame:
    """Turn a placed-features document into a GeoDataFrame of ``kind`` (not yet validated).

    Parameters
    ----------
    doc
        The document (see the module docstring).
    kind
        The layer kind the features belong to (its columns; ``build.file`` names the file in
        messages).
    load
        Reads another layer by name, for the specs and clips that need one (the registry passes
        its own); None is enough for a document that reads no other layer.

    Returns
    -------
    GeoDataFrame
        One row per feature, in EPSG:4490.
    """
    defaults = dict(doc.get("defaults") or {})
    rows = []
    for i, feat in enumerate(doc.get("features") or []):
        try:
            geom = _clip(
                build_geometry(feat["geometry"], load), feat.get("clip", doc.get("clip")), load
            )
            precision = _precision(feat, defaults.get("precision"), load)
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
            **{k: feat[k] for k in ("status",) if k in feat},
            "precision": precision,
            **(feat.get("attrs") or {}),
            "geometry": to_storage_geometry(geom),
        }
        rows.append(row)
    if not rows:
        return empty_layer(kind)
    geoms = [row.pop("geometry") for row in rows]
    return GeoDataFrame(rows, geometry=GeoSeries(geoms), crs=STORAGE_CRS)
