"""Geometry helpers shared by every part of fzgeo: geometry-type ids, repair, the polygonal part.

Type ids are shapely's (:func:`shapely.get_type_id`, :class:`shapely.GeometryType`), grouped so
that "is this polygonal" is written once:

:data:`POLYGON_TYPES`
    Polygon, MultiPolygon ``(3, 6)``;
:data:`LINE_TYPES`
    LineString, MultiLineString ``(1, 5)``;
:data:`POINT_TYPES`
    Point, MultiPoint ``(0, 4)``;
:data:`TYPES_OF`
    a layer kind's ``geometry_type`` (``Point``, ``LineString``, ``Polygon``) to the ids it allows.

:func:`make_valid` is the one repair fzgeo applies (GEOS's structure method) and
:func:`polygonal` the one "polygonal part of a geometry" (what is left of an overlay or a repair
once its lines and points are dropped). Both work in whatever CRS the geometry is in and return
it in the same CRS; neither reprojects.
"""

from __future__ import annotations

from typing import Any

import shapely
from shapely import GeometryType
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

POLYGON_TYPES = (int(GeometryType.POLYGON), int(GeometryType.MULTIPOLYGON))
LINE_TYPES = (int(GeometryType.LINESTRING), int(GeometryType.MULTILINESTRING))
POINT_TYPES = (int(GeometryType.POINT), int(GeometryType.MULTIPOINT))
#: the type ids each layer-kind ``geometry_type`` allows (the single and the multi form)
TYPES_OF = {"Point": POINT_TYPES, "LineString": LINE_TYPES, "Polygon": POLYGON_TYPES}


def make_valid(geoms: Any) -> Any:
    """Invalid geometries made valid by GEOS's structure method, collapsed parts dropped.

    The structure method unions shells and subtracts holes. The linework method (shapely's
    default) turns a ring that projection has collapsed into a sliver into tens of km² of wrong
    area, and keeping collapsed parts turns them into lines that a polygon layer cannot hold.
    A polygonal input gives a polygonal result, possibly empty; take :func:`polygonal` of other
    results to drop lines and points.

    Parameters
    ----------
    geoms
        A geometry or an array of them (None stays None), in any CRS.

    Returns
    -------
    shapely.Geometry or numpy.ndarray
        The same shape as ``geoms``, in the same CRS; valid inputs are returned unchanged.
    """
    return shapely.make_valid(geoms, method="structure", keep_collapsed=False)


def polygonal(geom: BaseGeometry | None) -> BaseGeometry:
    """The polygonal part of a geometry: its polygons, without its lines and points.

    Parameters
    ----------
    geom
        Any geometry, in any CRS, or None. It is not repaired: pass a valid geometry (an
        overlay's result is one) or the result of :func:`make_valid`.

    Returns
    -------
    Polygon or MultiPolygon
        In the CRS of ``geom``:

        - a Polygon or MultiPolygon: ``geom`` itself, empty or not;
        - a GeometryCollection (an overlay's polygons with the lines and points where shapes
          only touch, a repaired collection): its non-empty polygons, nested collections and
          multipolygons opened, in order. One polygon is returned as it is, several as one
          MultiPolygon, or as their union when that MultiPolygon would be invalid (members of
          a collection may overlap or share an edge; a MultiPolygon's parts may not);
        - anything else (points, lines, a collection without polygons, None): an empty
          Polygon. Test the result with ``is_empty``, never against None.
    """
    if geom is None:
        return Polygon()
    type_id = shapely.get_type_id(geom)
    if type_id in POLYGON_TYPES:
        return geom
    if type_id != GeometryType.GEOMETRYCOLLECTION:
        return Polygon()
    polys = [p for p in _atoms(geom) if shapely.get_type_id(p) == GeometryType.POLYGON]
    polys = [p for p in polys if not p.is_empty]
    if not polys:
        return Polygon()
    if len(polys) == 1:
        return polys[0]
    joined = MultiPolygon(polys)
    return joined if joined.is_valid else shapely.union_all(polys)


def _atoms(geom: BaseGeometry) -> list[BaseGeometry]:
    """The single-part geometries of ``geom``, collections and multi-geometries opened."""
    parts = shapely.get_parts(geom)
    while (shapely.get_type_id(parts) >= GeometryType.MULTIPOINT).any():
        parts = shapely.get_parts(parts)
    return list(parts)
