"""The measuring core (fzgeo.check.pieces, fzgeo.check._overlap) against geopandas.overlay.

The cut (rectangle clipping, checked) and the pair classification (piece inside the site, site
clipped to a box piece or covered by the piece, only the rest overlaid) must give the overlay's
areas and lengths to 1e-9 relative on tricky cases: sites inside, outside, straddling piece
boundaries, covering several pieces, in holes, touching edges, multipolygons, lines and points,
against layers with holes, multipolygons, rectangles and overlapping features.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely
from geopandas import GeoDataFrame
from shapely import LineString, MultiPolygon, Point, Polygon, box

from fzgeo import check, crs
from fzgeo.check import _overlap, engines, pieces, rules

X0, Y0 = 500_000.0, 3_050_000.0  # EPSG:4548, inside 抚州市
RTOL = 1e-9


def ragged(cx: float, cy: float, r: float, n: int, seed: int) -> np.ndarray:
    """A ragged closed ring of ``n`` vertices around (cx, cy)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    rad = r * (1 + 0.15 * np.sin(7 * t) + 0.05 * np.sin(53 * t)) + rng.normal(0, r / 400, n)
    return np.column_stack([X0 + cx + rad * np.cos(t), Y0 + cy + rad * np.sin(t)])


def layer() -> GeoDataFrame:
    """Four features: a ragged polygon with a hole, a multipolygon, a box, an overlapping one."""
    shell = ragged(0, 0, 1000, 3000, 1)
    hole = ragged(250, 150, 180, 400, 2)[::-1]
    holed = Polygon(shell, [hole])
    multi = MultiPolygon(
        [Polygon(ragged(2600, 0, 400, 900, 3)), Polygon(ragged(2600, 1000, 300, 700, 4))]
    )
    square = box(X0 - 2000, Y0 - 500, X0 - 1400, Y0 + 500)
    over = Polygon(ragged(700, -700, 500, 1200, 5))  # overlaps the first feature
    geoms = [shapely.make_valid(g) for g in (holed, multi, square, over)]
    return GeoDataFrame({"id": ["a", "b", "c", "d"]}, geometry=geoms, crs=crs.WORK_CRS)


def sq(x: float, y: float, half: float, turn: float = 0.0) -> Polygon:
    """A square of side 2 ``half`` centred on (x, y) relative to the origin, turned ``turn`` rad."""
    c, s = np.cos(turn), np.sin(turn)
    corners = [(-half, -half), (half, -half), (half, half), (-half, half)]
    return Polygon([(X0 + x + c * a - s * b, Y0 + y + s * a + c * b) for a, b in corners])


def polygon_sites() -> list:
    return [
        sq(0, 0, 20),  # deep inside, inside one piece
        sq(-300, -300, 150, 0.3),  # inside, across several pieces
        sq(5000, 5000, 50),  # far outside
        sq(1000, 0, 80, 0.7),  # straddling the ragged boundary
        sq(0, 0, 1300),  # covering the whole first feature (many pieces inside the site)
        sq(250, 150, 30),  # inside the hole
        sq(250, 150, 200, 0.2),  # over the hole's boundary
        sq(2600, 500, 450),  # over both parts of the multipolygon
        box(X0 - 1400, Y0 - 100, X0 - 1300, Y0 + 100),  # touching the box's edge from outside
        box(X0 - 1500, Y0 - 100, X0 - 1300, Y0 + 100),  # half in the box
        box(X0 - 1900, Y0 - 400, X0 - 1500, Y0 + 400),  # wholly in the box
        sq(700, -700, 300, 1.1),  # where two features overlap
        MultiPolygon([sq(0, 0, 10), sq(5000, 0, 10)]),  # one part inside, one outside
        MultiPolygon([sq(990, 0, 30), sq(-990, 0, 30, 0.5)]),  # both parts on the boundary
    ]


def reference(sites: list, red: GeoDataFrame) -> np.ndarray:
    """Per site: the area (polygons) or length (lines) inside the layer, by geopandas.overlay."""
    whole = red.dissolve()  # overlapping features count once
    frame = GeoDataFrame({"k": range(len(sites))}, geometry=sites, crs=crs.WORK_CRS)
    out = np.zeros(len(sites))
    for kind in ("polygon", "line"):
        pick = frame[frame.geom_type.str.contains("Polygon" if kind == "polygon" else "Line")]
        if not len(pick):
            continue
        inter = gpd.overlay(pick, whole, how="intersection", keep_geom_type=True)
        amount = inter.area if kind == "polygon" else inter.length
        summed = amount.groupby(inter["k"].to_numpy()).sum()
        out[summed.index.to_numpy()] = summed.to_numpy()
    return out


def measured(sites: list, red: GeoDataFrame, max_vertices: int) -> _overlap.Measure:
    geoms = np.array(sites, dtype=object)
    cut, _ = pieces.for_layer(
        np.asarray(red.geometry.values), max_vertices=max_vertices, use_cache=False
    )
    return _overlap.measure(geoms, _overlap.classify(geoms), cut, polygons=True)


@pytest.mark.parametrize("max_vertices", [16, 64, 256])
def test_polygon_sites_match_overlay(max_vertices: int) -> None:
    red, sites = layer(), polygon_sites()
    m = measured(sites, red, max_vertices)
    np.testing.assert_allclose(m.inside, reference(sites, red), rtol=RTOL, atol=1e-6)
    area = shapely.area(np.array(sites, dtype=object))
    assert m.inside[0] == pytest.approx(area[0], rel=1e-12)  # wholly inside
    assert m.inside[2] == 0 and m.inside[5] == 0 and m.inside[8] == 0  # outside, hole, touch
    assert m.parts[0].equals(sites[0])  # wholly inside: the part is the site itself
    has = ~shapely.is_missing(m.parts)
    np.testing.assert_allclose(shapely.area(m.parts[has]), m.inside[has], rtol=1e-9)


def test_line_and_point_sites_match_overlay() -> None:
    red = layer()
    lines = [
        LineString([(X0 - 3000, Y0 + 10), (X0 + 3500, Y0 + 10)]),  # across every feature
        LineString([(X0 + 240, Y0 + 150), (X0 + 260, Y0 + 160)]),  # in the hole
        LineString([(X0 - 1400, Y0 - 600), (X0 - 1400, Y0 + 600)]),  # along the box's edge
        LineString([(X0 + 400, Y0 - 900), (X0 + 1000, Y0 - 500)]),  # where two overlap
    ]
    points = [Point(X0, Y0), Point(X0 + 250, Y0 + 150), Point(X0 + 9000, Y0)]
    m = measured([*lines, *points], red, 32)
    np.testing.assert_allclose(m.inside[:4], reference(lines, red), rtol=RTOL, atol=1e-6)
    assert list(m.inside[4:]) == [1.0, 0.0, 0.0]


def test_touching_sites_are_no_conflict_through_the_check() -> None:
    red = layer()
    sites = polygon_sites()
    frame = GeoDataFrame({"site_id": range(len(sites))}, geometry=sites, crs=crs.WORK_CRS)
    veto = rules.from_mapping({"rules": [{"id": "red", "layer": "red", "kind": "veto"}]})
    out = check.conflicts(frame, {"red": red}, veto)
    np.testing.assert_allclose(
        out["red__overlap_m2"].to_numpy(), reference(sites, red), rtol=RTOL, atol=1e-6
    )
    assert out["red__verdict"].iloc[8] == rules.CLEAR  # shares an edge only


def test_box_pieces_are_recognised() -> None:
    geoms = np.array(
        [
            box(0, 0, 2, 1),
            Polygon([(0, 0), (2, 0), (2, 1), (0, 1), (0, 0)][::-1]),
            Polygon([(0, 0), (2, 0), (2, 0), (2, 1), (0, 0)]),  # a triangle, point repeated
            Polygon([(0, 0), (2, 0), (2, 1), (1, 1.5), (0, 0)]),
            LineString([(0, 0), (1, 1)]),
            Polygon(box(0, 0, 4, 4).exterior.coords, [box(1, 1, 2, 2).exterior.coords]),
        ],
        dtype=object,
    )
    shape = pieces.piece_shape(geoms)
    assert list(shape.box) == [True, True, False, False, False, False]
    assert list(shape.polygon) == [True, True, True, True, False, True]


def test_a_bad_rectangle_cut_falls_back_to_the_exact_cut(monkeypatch) -> None:
    poly = Polygon(ragged(0, 0, 1000, 2000, 7))
    good, _ = pieces.subdivide(np.array([poly]), max_vertices=64)

    def shrunk(parts, x0, y0, x1, y1):  # loses a sliver of every half: areas do not add up
        return shapely.lib.clip_by_rect(parts, x0, y0, x1 - 1e-3, y1)

    monkeypatch.setattr(pieces, "_clip_halves", shrunk)
    cut, src = pieces.subdivide(np.array([poly]), max_vertices=64)
    assert (shapely.get_num_coordinates(cut) <= 64).all() and (src == 0).all()
    assert shapely.area(cut).sum() == pytest.approx(poly.area, rel=1e-9)
    assert shapely.is_valid(cut).all()
    assert len(cut) == len(good)


def test_rules_sharing_a_layer_share_its_overlap(monkeypatch) -> None:
    red = layer()
    sites = polygon_sites()
    frame = GeoDataFrame({"site_id": range(len(sites))}, geometry=sites, crs=crs.WORK_CRS)
    two = rules.from_mapping(
        {
            "rules": [
                {"id": "a", "layer": "red", "kind": "veto"},
                {"id": "b", "layer": "red", "kind": "soft", "near_m": 100},
            ]
        }
    )
    calls = []
    real = _overlap.overlap
    monkeypatch.setattr(_overlap, "overlap", lambda *a: calls.append(1) or real(*a))
    out = check.conflicts(frame, {"red": red}, two)
    assert len(calls) == len(engines.chunks(len(sites), 1))  # once per chunk, not per rule
    np.testing.assert_array_equal(out["a__overlap_m2"], out["b__overlap_m2"])
    np.testing.assert_allclose(out["a__overlap_m2"], reference(sites, red), rtol=RTOL, atol=1e-6)


@st.composite
def turned_squares(draw: st.DrawFn) -> Polygon:
    x = draw(st.floats(-1500, 1500))
    y = draw(st.floats(-1500, 1500))
    return sq(x, y, draw(st.floats(5, 600)), draw(st.floats(0, np.pi)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sites=st.lists(turned_squares(), min_size=1, max_size=8),
    seed=st.integers(0, 2**16),
    max_vertices=st.sampled_from([8, 24, 100]),
)
def test_random_sites_match_the_exact_intersection(sites, seed, max_vertices) -> None:
    red = Polygon(ragged(0, 0, 900, 800, seed), [ragged(100, 50, 200, 120, seed + 1)[::-1]])
    red = shapely.make_valid(red)
    geoms = np.array(sites, dtype=object)
    cut, _ = pieces.for_layer(np.array([red]), max_vertices=max_vertices, use_cache=False)
    m = _overlap.measure(geoms, _overlap.classify(geoms), cut, polygons=True, nearest=False)
    exact = shapely.area(shapely.intersection(geoms, red))
    np.testing.assert_allclose(m.inside, exact, rtol=RTOL, atol=1e-6)
