"""The geometry helpers every part of fzgeo shares (fzgeo.geom): type ids, repair, polygonal part."""

from __future__ import annotations

import numpy as np
import pytest

import shapely
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
    box,
)

from fzgeo import geom
from fzgeo.check import pieces
from fzgeo.io import repair
from fzgeo.plan.schema import GEOMETRY_TYPES

SQUARE = box(0, 0, 2, 2)
FAR = box(10, 0, 11, 1)
OVERLAPPING = box(1, 1, 3, 3)
LINE = LineString([(5, 5), (6, 6)])
BOWTIE = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])  # self-intersecting: two triangles

#: name -> (geometry, geometry type of the polygonal part, its area)
ZOO = {
    "polygon": (SQUARE, "Polygon", 4.0),
    "multipolygon": (MultiPolygon([SQUARE, FAR]), "MultiPolygon", 5.0),
    "polygon and line": (GeometryCollection([SQUARE, LINE]), "Polygon", 4.0),
    "two polygons and a point": (
        GeometryCollection([SQUARE, Point(9, 9), FAR]),
        "MultiPolygon",
        5.0,
    ),
    "overlapping polygons": (GeometryCollection([SQUARE, OVERLAPPING, LINE]), "Polygon", 7.0),
    "nested collection": (
        GeometryCollection([GeometryCollection([MultiPolygon([SQUARE]), LINE]), Point(0, 0)]),
        "Polygon",
        4.0,
    ),
    "line only": (LINE, "Polygon", 0.0),
    "lines and points": (
        GeometryCollection([MultiLineString([LINE]), MultiPoint([(1, 1)])]),
        "Polygon",
        0.0,
    ),
    "empty collection": (GeometryCollection(), "Polygon", 0.0),
    "empty polygon": (Polygon(), "Polygon", 0.0),
    "none": (None, "Polygon", 0.0),
}


def test_type_ids_are_shapelys() -> None:
    assert geom.POLYGON_TYPES == (3, 6)
    assert geom.LINE_TYPES == (1, 5)
    assert geom.POINT_TYPES == (0, 4)
    samples = {
        "Point": (Point(0, 0), MultiPoint([(0, 0)])),
        "LineString": (LINE, MultiLineString([LINE])),
        "Polygon": (SQUARE, MultiPolygon([SQUARE])),
    }
    assert set(geom.TYPES_OF) == set(GEOMETRY_TYPES)
    for name, ids in geom.TYPES_OF.items():
        assert tuple(int(t) for t in shapely.get_type_id(np.array(samples[name]))) == ids


@pytest.mark.parametrize("name", list(ZOO))
def test_polygonal_part_of_the_zoo(name: str) -> None:
    given, geom_type, area = ZOO[name]
    part = geom.polygonal(given)
    assert part.geom_type == geom_type
    assert part.area == pytest.approx(area)
    assert part.is_empty == (area == 0)
    assert part.is_valid


def test_polygonal_keeps_polygons_as_they_are() -> None:
    multi = MultiPolygon([SQUARE, FAR])
    assert geom.polygonal(SQUARE) is SQUARE
    assert geom.polygonal(multi) is multi
    # a collection's disjoint polygons are kept in order, coordinates untouched (no union)
    got = geom.polygonal(GeometryCollection([FAR, LINE, SQUARE]))
    assert shapely.equals_exact(got, MultiPolygon([FAR, SQUARE]), tolerance=0)
    # overlapping members are unioned: a MultiPolygon's parts may not overlap
    union = geom.polygonal(GeometryCollection([SQUARE, OVERLAPPING]))
    assert union.equals(SQUARE.union(OVERLAPPING))


def test_polygonal_of_an_overlay() -> None:
    """Two squares sharing an edge: their intersection is a line, and has no polygonal part."""
    touching = SQUARE.intersection(box(2, 0, 4, 2))
    assert touching.geom_type == "LineString"
    assert geom.polygonal(touching).is_empty
    cut = box(0, 0, 4, 4).intersection(GeometryCollection([SQUARE, LineString([(3, 3), (5, 5)])]))
    assert geom.polygonal(cut).equals(SQUARE)


def test_make_valid_is_the_structure_method() -> None:
    fixed = geom.make_valid(BOWTIE)
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon"
    assert fixed.area == pytest.approx(2.0)  # the two triangles
    # a ring collapsed to a sliver: nothing, not a line (keep_collapsed=False)
    collapsed = Polygon([(0, 0), (1, 0), (2, 0), (0, 0)])
    assert geom.make_valid(collapsed).is_empty
    assert geom.make_valid(SQUARE).equals(SQUARE)
    array = geom.make_valid(np.array([BOWTIE, None, SQUARE], dtype=object))
    assert array[1] is None
    assert [g.area for g in array[[0, 2]]] == pytest.approx([2.0, 4.0])


def test_callers_share_the_contract() -> None:
    """The check's layer repair and the input repair keep the same polygonal part."""
    geoms = np.array([BOWTIE, SQUARE, None, LINE], dtype=object)
    fixed, count = pieces.polygonal(geoms)
    assert count == 1  # only the bow-tie was invalid
    assert fixed[0].area == pytest.approx(2.0) and fixed[1] is SQUARE
    assert fixed[2] is None and fixed[3] is LINE
    from geopandas import GeoDataFrame

    frame = GeoDataFrame(
        {
            "geometry": [
                BOWTIE,
                GeometryCollection([SQUARE, LINE]),
                GeometryCollection([LINE, Point(0, 0)]),
            ]
        }
    )
    result = repair.repair(frame, polygon_layer=True)
    assert result.statuses["status"].tolist() == ["repaired", "repaired", "non-polygonal"]
    assert [g.area for g in result.frame.geometry] == pytest.approx([2.0, 4.0])
