"""The typed geometry column of a pushed layer, and the geometries made to fit it.

QGIS (and OGC servers such as tipg) read a layer's geometry type from the column's type modifier
(``geometry_columns.type``); a generic ``geometry`` column makes QGIS guess (a polygon layer
becomes MultiSurface, a line layer MultiCurve) or split the table by type. So every pushed layer
gets one type, SRID 4490:

- polygons: ``MultiPolygon`` always (single polygons are promoted to one-part multipolygons), so
  a layer keeps its column type when a later version gains a multi-part feature;
- lines: ``MultiLineString`` always, for the same reason;
- points: ``Point`` when every feature is a single point, else ``MultiPoint`` (single points
  promoted);
- a layer mixing dimensions (points and polygons in one table, a geometry collection): the
  generic ``Geometry``, the only column that holds it. Packaged layer kinds never mix.

A layer without features takes the type its layer kind declares (``Point``, ``MultiLineString``,
``MultiPolygon``), else ``Geometry``. Tables are 2-D: Z and M values are dropped with a warning
(FZ705) naming the layer and the count.
"""

from __future__ import annotations

import warnings

import numpy as np

import shapely

from fzgeo.errors import RepairWarning
from fzgeo.plan.schema import LayerKind

#: shapely type id -> geometry family
_FAMILY = {0: "point", 4: "point", 1: "line", 5: "line", 3: "polygon", 6: "polygon"}
#: family -> the column type for it (points: see :func:`column_type`)
_MULTI = {"point": "MultiPoint", "line": "MultiLineString", "polygon": "MultiPolygon"}
_KIND_TYPE = {"Point": "Point", "LineString": "MultiLineString", "Polygon": "MultiPolygon"}
_PROMOTE = {
    "MultiPoint": (0, shapely.multipoints),
    "MultiLineString": (1, shapely.multilinestrings),
    "MultiPolygon": (3, shapely.multipolygons),
}
GENERIC = "Geometry"


def _present(geoms: np.ndarray) -> np.ndarray:
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def column_type(geoms: np.ndarray, kind: LayerKind | None = None) -> str:
    """The PostGIS type modifier for these geometries (see the module docstring).

    Parameters
    ----------
    geoms
        The layer's geometries (shapely, any CRS).
    kind
        The layer kind the layer satisfies, if any: its declared type is used for a layer
        without features.
    """
    geoms = np.asarray(geoms, dtype=object)
    ids = shapely.get_type_id(geoms[_present(geoms)])
    families = {_FAMILY.get(int(i), "other") for i in np.unique(ids)}
    if not families:
        return _KIND_TYPE[kind.geometry_type] if kind is not None else GENERIC
    if len(families) > 1 or "other" in families:
        return GENERIC
    (family,) = families
    if family == "point" and (ids == 0).all():
        return "Point"
    return _MULTI[family]


def fit(geoms: np.ndarray, ctype: str) -> np.ndarray:
    """``geoms`` as the column ``ctype`` holds them: singles promoted to multi.

    An empty geometry becomes the empty geometry of the column's type (``MULTIPOLYGON EMPTY``);
    nulls stay null. Coordinates are not touched.
    """
    out = np.asarray(geoms, dtype=object).copy()
    if ctype == GENERIC:
        return out
    empty = shapely.is_empty(out) & ~shapely.is_missing(out)
    out[empty] = shapely.from_wkt(f"{ctype.upper()} EMPTY")
    if ctype in _PROMOTE:
        single_id, make = _PROMOTE[ctype]
        for i in np.flatnonzero((shapely.get_type_id(out) == single_id) & ~empty):
            out[i] = make([out[i]])
    return out


def drop_z(geoms: np.ndarray, layer: str) -> np.ndarray:
    """``geoms`` in 2-D; warns (FZ705) with the layer and how many features had Z or M values."""
    geoms = np.asarray(geoms, dtype=object)
    present = ~shapely.is_missing(geoms)
    third = shapely.has_z(geoms)
    if hasattr(shapely, "has_m"):
        third |= shapely.has_m(geoms)
    count = int((third & present).sum())
    if not count:
        return geoms
    warnings.warn(
        f"[FZ705] layer {layer}: {count} feature(s) carry Z or M values; PostGIS layers are "
        "stored in 2-D, so they were dropped (x/y kept)",
        RepairWarning,
        stacklevel=3,
    )
    return shapely.force_2d(geoms)
