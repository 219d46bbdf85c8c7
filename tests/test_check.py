"""Siting check engine: hand-computed exact cases and invariants (fzgeo.check, fzgeo.check.pieces)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import shapely
from geopandas import GeoDataFrame
from shapely.geometry import LineString, Point, Polygon, box

from fzgeo import check
from fzgeo.check import engines, pieces, rules
from fzgeo.check.parts import PART_CHUNK
from fzgeo.errors import (
    ConfigError,
    ExtentWarning,
    GeometryError,
    ProjectTypeWarning,
    RepairWarning,
    UnusableGeometryWarning,
)

X, Y = 500_000.0, 3_100_000.0  # EPSG:4548 metres near 117 E, 28 N (inside 抚州)


def sq(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A box offset to the test origin."""
    return box(X + x0, Y + y0, X + x1, Y + y1)


def gdf(geoms: list, crs: int = 4548, **cols: list) -> GeoDataFrame:
    """A GeoDataFrame in EPSG:4548 (by default)."""
    return GeoDataFrame(dict(cols), geometry=list(geoms), crs=crs)


VETO = rules.from_mapping({"rules": [{"id": "red", "layer": "red", "kind": "veto"}]})


def one(sites: GeoDataFrame, red: GeoDataFrame, rule_set: rules.RuleSet = VETO, **kw):
    """The check's per-site table against one layer called ``red``."""
    return check.conflicts(sites, {"red": red}, rule_set, **kw)


def test_square_half_inside_red_line():
    out = one(gdf([sq(50, 0, 150, 100)]), gdf([sq(0, 0, 100, 100)], name=["红线A"]))
    row = out.iloc[0]
    assert row["red__overlap_m2"] == pytest.approx(5000.0, rel=1e-12)
    assert row["red__overlap_ha"] == pytest.approx(0.5, rel=1e-12)
    assert row["red__overlap_mu"] == pytest.approx(7.5, rel=1e-12)
    assert row["red__share"] == pytest.approx(0.5, rel=1e-12)
    assert row["red__verdict"] == "冲突"
    assert row["verdict"] == "冲突"
    assert row["red__feature_names"] == "红线A"
    assert row["red__distance_m"] == 0.0


def test_touching_only_a_boundary_is_no_conflict():
    out = one(gdf([sq(100, 0, 200, 100), sq(100, 100, 200, 200)]), gdf([sq(0, 0, 100, 100)]))
    assert list(out["red__overlap_m2"]) == [0.0, 0.0]
    assert list(out["red__verdict"]) == ["无冲突", "无冲突"]
    assert list(out["red__distance_m"]) == [0.0, 0.0]
    assert list(out["red__feature_ids"]) == ["", ""]


def test_site_inside_a_hole():
    ring = Polygon(
        [(X, Y), (X + 1000, Y), (X + 1000, Y + 1000), (X, Y + 1000)],
        [[(X + 400, Y + 400), (X + 600, Y + 400), (X + 600, Y + 600), (X + 400, Y + 600)]],
    )
    out = one(gdf([sq(450, 450, 550, 550)]), gdf([ring]))
    assert out.iloc[0]["red__overlap_m2"] == 0.0
    assert out.iloc[0]["red__verdict"] == "无冲突"
    assert out.iloc[0]["red__distance_m"] == pytest.approx(50.0)


def test_red_line_of_two_overlapping_parts_counts_once():
    red = gdf([sq(0, 0, 100, 100), sq(50, 0, 150, 100)], id=["A", "B"], name=["甲", "乙"])
    out = one(gdf([sq(0, 0, 150, 100), sq(60, 0, 90, 100)]), red)
    assert out.iloc[0]["red__overlap_m2"] == pytest.approx(15_000.0, rel=1e-12)
    assert out.iloc[0]["red__share"] == pytest.approx(1.0)
    assert out.iloc[0]["red__feature_ids"] == "A;B"
    assert out.iloc[0]["red__feature_names"] == "甲;乙"
    assert out.iloc[1]["red__overlap_m2"] == pytest.approx(3000.0, rel=1e-12)


def test_duplicated_red_line_polygon_counts_once():
    red = gdf([sq(0, 0, 100, 100)] * 2)
    out = one(gdf([sq(-50, 0, 50, 100)]), red)
    assert out.iloc[0]["red__overlap_m2"] == pytest.approx(5000.0, rel=1e-12)


def test_line_project_crossing_a_red_line():
    road = LineString([(X - 50, Y + 50), (X + 150, Y + 50)])
    out = one(gdf([road], name=["公路"]), gdf([sq(0, 0, 100, 100)]))
    row = out.iloc[0]
    assert row["geometry_class"] == "line"
    assert row["site_length_m"] == pytest.approx(200.0)
    assert row["red__length_inside_m"] == pytest.approx(100.0, rel=1e-12)
    assert row["red__share"] == pytest.approx(0.5, rel=1e-12)
    assert math.isnan(row["red__overlap_m2"])
    assert row["red__verdict"] == "冲突"


def test_points_inside_and_with_radius():
    red = gdf([sq(0, 0, 100, 100)])
    sites = gdf(
        [Point(X + 10, Y + 10), Point(X + 300, Y + 300), Point(X + 50, Y + 50)],
        radius_m=[None, None, 10.0],
    )
    out = one(sites, red)
    assert list(out["geometry_class"]) == ["point", "point", "polygon"]
    assert list(out["red__verdict"]) == ["冲突", "无冲突", "冲突"]
    assert out.iloc[1]["red__distance_m"] == pytest.approx(200 * math.sqrt(2))
    circle = math.pi * 10.0**2
    assert out.iloc[2]["red__overlap_m2"] == pytest.approx(circle, rel=5e-4)
    assert out.iloc[2]["red__overlap_m2"] == pytest.approx(out.iloc[2]["site_area_m2"])
    far = one(gdf([Point(X + 300, Y + 50)]), red, point_radius_m=250.0)
    assert far.iloc[0]["red__verdict"] == "冲突"  # the 250 m circle reaches the red line


WITHIN = rules.from_mapping(
    {"rules": [{"id": "urb", "layer": "urb", "kind": "within", "name_zh": "城镇开发边界"}]}
)


def test_within_rule_reports_the_part_outside():
    urb = gdf([sq(0, 0, 100, 100)])
    sites = gdf([sq(50, 0, 150, 100), sq(10, 10, 20, 20), sq(300, 0, 340, 50)])
    res = check.run(sites, {"urb": urb}, WITHIN)
    out = res.sites
    assert list(out["urb__verdict"]) == ["冲突", "无冲突", "冲突"]
    assert list(out["urb__outside_m2"]) == pytest.approx([5000.0, 0.0, 2000.0])
    assert list(out["urb__outside_mu"]) == pytest.approx([7.5, 0.0, 3.0])
    assert list(out["urb__share"]) == pytest.approx([0.5, 0.0, 1.0])  # the part outside
    assert list(out["urb__overlap_m2"]) == pytest.approx([5000.0, 100.0, 0.0])  # the part inside
    # the conflict parts are the parts outside the boundary: the east half, and the whole site
    parts = res.parts.to_crs(4548)
    assert list(parts["site"]) == [0, 2]
    assert set(parts["side"]) == {"outside"}
    assert list(parts["inside"]) == pytest.approx([5000.0, 2000.0])
    assert parts.geometry.iloc[0].symmetric_difference(sq(100, 0, 150, 100)).area < 1e-6
    assert parts.geometry.iloc[1].symmetric_difference(sq(300, 0, 340, 50)).area < 1e-6


def test_within_part_of_a_degree_site_has_no_spike_back_across_the_site():
    # a site delivered in EPSG:4490: after the round trip its north edge lies nanometres off the
    # straight line, and the raw difference kept a zero-width spike to the far corner
    urb = gdf([box(499_000, 3_059_000, 502_000, 3_062_000)])
    site = gdf([box(501_900, 3_061_000, 502_100, 3_061_200)]).to_crs(4490)
    res = check.run(site, {"urb": urb}, WITHIN)
    part = res.parts.to_crs(4548).geometry.iloc[0]
    assert part.bounds[0] == pytest.approx(502_000, abs=1e-3)  # the outside half only
    assert part.area == pytest.approx(20_000, abs=1e-3)


def test_within_rule_parts_of_lines_and_points_lie_outside():
    urb = gdf([sq(0, 0, 100, 100)])
    road = LineString([(X + 50, Y + 50), (X + 250, Y + 50)])
    res = check.run(gdf([road, Point(X + 500, Y + 500), Point(X + 5, Y + 5)]), {"urb": urb}, WITHIN)
    assert list(res.sites["urb__verdict"]) == ["冲突", "冲突", "无冲突"]
    assert res.sites["urb__share"].iloc[0] == pytest.approx(0.75)
    parts = res.parts.to_crs(4548)
    assert list(parts["site"]) == [0, 1]
    outside = LineString([(X + 100, Y + 50), (X + 250, Y + 50)])
    assert parts.geometry.iloc[0].length == pytest.approx(150.0, abs=1e-5)
    assert parts.geometry.iloc[0].hausdorff_distance(outside) < 1e-5
    assert parts.geometry.iloc[1].distance(Point(X + 500, Y + 500)) < 1e-6


def touching_in_zone_39(pairs: int = 40, seed: int = 0) -> tuple[GeoDataFrame, GeoDataFrame]:
    """Sites in zone-prefixed EPSG:4527 whose edge lies on a red-line edge, as delivered.

    Each site shares a slanted edge (corners to the mm, as a 界址点 table gives them) with its own
    red-line polygon; the red line is stored in EPSG:4490. Both come back to the work CRS
    EPSG:4548 by different paths, so some shared edges leave slivers of about 1e-8 m².
    """
    rng = np.random.default_rng(seed)
    reds, sites = [], []
    for k in range(pairs):
        a = np.round([39_430_000.0 + (k % 8) * 1000, 3_090_000.0 + (k // 8) * 1000], 3)
        b = np.round(a + rng.uniform(-300, 300, 2), 3)
        d = b - a
        normal = np.array([-d[1], d[0]]) / np.hypot(*d)
        reds.append(Polygon([a, b, np.round(b + 200 * normal, 3), np.round(a + 200 * normal, 3)]))
        sites.append(Polygon([a, np.round(a - 150 * normal, 3), np.round(b - 150 * normal, 3), b]))
    red = gdf(reds, crs=4527, BSM=[f"HX{k:03d}" for k in range(pairs)]).to_crs(4490)
    return gdf(sites, crs=4527, 项目名称=[f"项目{k}" for k in range(pairs)]), red


def raw_slivers(sites: GeoDataFrame, red: GeoDataFrame) -> np.ndarray:
    """The area (m²) each site's plain intersection with its red-line polygon has in EPSG:4548."""
    from fzgeo.crs import to_work

    a = np.asarray(to_work(sites).geometry.values)
    b = np.asarray(to_work(red).geometry.values)
    return shapely.area(shapely.intersection(a, b))


def test_touching_in_zone_prefixed_gauss_kruger_is_no_conflict():
    sites, red = touching_in_zone_39()
    slivers = raw_slivers(sites, red)
    assert (slivers > 0).sum() >= 2 and slivers.max() < 0.01  # the round trip leaves slivers
    res = check.run(sites, {"red": red}, VETO)
    out = res.sites
    assert set(out["red__verdict"]) == {"无冲突"}
    assert (out["red__overlap_m2"] == 0).all()
    assert (out["red__share"] == 0).all()
    assert (out["red__distance_m"] == 0).all()
    assert (out["red__feature_ids"] == "").all()
    assert len(res.parts) == 0
    assert res.audit["touch_tolerance"] == {"m2": 0.01, "m": 0.01}
    near = rules.from_mapping(
        {"rules": [{"id": "red", "layer": "red", "kind": "veto", "near_m": 50}]}
    )
    out = check.conflicts(sites, {"red": red}, near)
    assert set(out["red__verdict"]) == {"邻近"}  # distance 0: within the near distance
    assert list(out["red__feature_ids"]) == red["BSM"].tolist()


def test_touch_tolerance_is_configurable():
    sites, red = touching_in_zone_39()
    slivers = raw_slivers(sites, red) > 0
    exact = rules.from_mapping(
        {"touch_tolerance_m2": 0, "rules": [{"id": "red", "layer": "red", "kind": "veto"}]}
    )
    out = check.conflicts(sites, {"red": red}, exact)
    assert (out["red__verdict"] == "冲突").tolist() == slivers.tolist()  # every sliver counts
    wide = rules.from_mapping(
        {"touch_tolerance_m2": 1.0, "rules": [{"id": "red", "layer": "red", "kind": "veto"}]}
    )
    small = gdf([sq(99.5, 0, 200, 1), sq(99, 0, 200, 2)])  # 0.5 m² and 2 m² inside
    out = check.conflicts(small, {"red": gdf([sq(0, 0, 100, 100)])}, wide)
    assert list(out["red__verdict"]) == ["无冲突", "冲突"]
    assert list(out["red__overlap_m2"]) == pytest.approx([0.0, 2.0])
    with pytest.raises(ConfigError, match="must not be negative"):
        rules.from_mapping(
            {"touch_tolerance_m": -1, "rules": [{"id": "a", "layer": "a", "kind": "veto"}]}
        )


def test_line_ending_on_a_red_line_only_touches_it():
    sites, red = touching_in_zone_39(pairs=40, seed=3)
    # roads from inside each site to a corner it shares with the red line
    corners = [np.asarray(g.exterior.coords)[3] for g in sites.geometry]
    starts = [np.asarray(g.centroid.coords[0]).round(3) for g in sites.geometry]
    roads = gdf([LineString([s, e]) for s, e in zip(starts, corners, strict=True)], crs=4527)
    from fzgeo.crs import to_work

    raw = shapely.length(
        shapely.intersection(
            np.asarray(to_work(roads).geometry.values), np.asarray(to_work(red).geometry.values)
        )
    )
    assert (raw > 0).any() and raw.max() < 0.01  # the round trip puts some ends inside
    out = check.conflicts(roads, {"red": red}, VETO)
    assert set(out["red__verdict"]) == {"无冲突"}
    assert (out["red__length_inside_m"] == 0).all()
    assert (out["red__distance_m"] == 0).all()


def test_within_boundary_edge_shared_from_inside_is_no_conflict():
    _, red = touching_in_zone_39()
    # each site moved onto the other side of its edge: wholly inside its polygon, edge on edge
    inside = gdf(
        [Polygon(np.asarray(r.exterior.coords)) for r in red.to_crs(4527).geometry], crs=4527
    )
    out = check.conflicts(inside, {"urb": red}, WITHIN)
    assert set(out["urb__verdict"]) == {"无冲突"}
    assert (out["urb__outside_m2"] == 0).all()


def test_proximity_rule_and_where_filter():
    rs = rules.from_mapping(
        {
            "rules": [
                {
                    "id": "river",
                    "layer": "rivers",
                    "kind": "proximity",
                    "distance_m": 1000,
                    "where": {"main": True},
                }
            ]
        }
    )
    river = gdf(
        [LineString([(X, Y), (X, Y + 5000)]), LineString([(X + 3000, Y), (X + 3000, Y + 5000)])],
        main=[True, False],
        name=["抚河", "支流"],
    )
    sites = gdf([sq(500, 0, 600, 100), sq(1500, 0, 1600, 100), sq(-50, 0, 50, 100)])
    out = check.conflicts(sites, {"rivers": river}, rs)
    assert list(out["river__verdict"]) == ["邻近", "无冲突", "邻近"]
    assert list(out["river__distance_m"]) == pytest.approx([500.0, 1500.0, 0.0])
    assert out.iloc[0]["river__feature_names"] == "抚河"
    assert not out["verdict"].eq("冲突").any()


EXEMPT = rules.from_mapping(
    {
        "project_types": ["工业"],
        "rules": [
            {
                "id": "red",
                "layer": "red",
                "kind": "veto",
                "exempt_types": ["线性基础设施"],
                "exempt_verdict": "邻近",
            }
        ],
    }
)


@pytest.mark.filterwarnings("ignore::fzgeo.errors.DuplicateWarning")  # one square, many types
def test_exempt_project_type_needs_review_not_clear():
    sites = gdf([sq(0, 0, 50, 50)] * 2, project_type=["线性基础设施", "工业"])
    res = check.run(sites, {"red": gdf([sq(0, 0, 100, 100)])}, EXEMPT)
    assert list(res.sites["red__verdict"]) == ["邻近", "冲突"]
    assert list(res.sites["red__exempt"]) == [True, False]
    assert res.audit["type_column"] == "project_type"
    assert res.audit["unknown_types"] == {}


@pytest.mark.filterwarnings("ignore::fzgeo.errors.DuplicateWarning")  # one square, many types
def test_project_type_from_the_usual_chinese_column_normalised():
    # 项目类型 as design institutes name it; a full-width space (U+3000) and stray spaces
    types = ["线性基础设施", "线性\u3000基础设施", " 线性 基础设施 ", "工业", None]
    sites = gdf([sq(0, 0, 50, 50)] * 5, 项目类型=types)
    res = check.run(sites, {"red": gdf([sq(0, 0, 100, 100)])}, EXEMPT)
    assert list(res.sites["red__verdict"]) == ["邻近", "邻近", "邻近", "冲突", "冲突"]
    assert list(res.sites["red__exempt"]) == [True, True, True, False, False]
    assert res.audit["type_column"] == "项目类型"
    assert res.audit["untyped_sites"] == 1
    # the rules' own column wins over the usual names; a full-width rule type matches too
    named = rules.from_mapping(
        {
            "type_column": "类别",
            "rules": [{"id": "red", "layer": "red", "kind": "veto", "exempt_types": ["ＡＢＣ"]}],
        }
    )
    both = gdf([sq(0, 0, 50, 50)], 类别=["ABC"], 项目类型=["工业"])
    out = check.conflicts(both, {"red": gdf([sq(0, 0, 100, 100)])}, named)
    assert out["red__exempt"].tolist() == [True]


def test_unknown_project_types_warn_with_count_and_values():
    squares = [sq(0, 0, 50, 50), sq(0, 0, 40, 40), sq(0, 0, 30, 30), sq(0, 0, 20, 20)]
    sites = gdf(squares, 项目类型=["线形基础设施", "线形基础设施", "住宅", "工业"])
    with pytest.warns(
        ProjectTypeWarning, match=r"\[FZ601\] 3 site\(s\) have a project type"
    ) as got:
        res = check.run(sites, {"red": gdf([sq(0, 0, 100, 100)])}, EXEMPT)
    message = str(got[0].message)
    assert "column 项目类型" in message and "线形基础设施 (2), 住宅 (1)" in message
    assert "exemptions apply to 线性基础设施 only" in message
    assert res.audit["unknown_types"] == {"线形基础设施": 2, "住宅": 1}
    assert list(res.sites["red__verdict"]) == ["冲突"] * 4  # a misspelt type exempts nothing


def test_no_project_type_column_warns_when_rules_exempt():
    squares = [sq(0, 0, 50, 50), sq(0, 0, 40, 40), sq(0, 0, 30, 30)]
    sites = gdf(squares, 用地类型=["交通运输用地"] * 3)  # land use, not a type
    with pytest.warns(ProjectTypeWarning, match=r"no project type column .*any of the 3 site"):
        res = check.run(sites, {"red": gdf([sq(0, 0, 100, 100)])}, EXEMPT)
    assert res.audit["type_column"] is None
    assert res.audit["untyped_sites"] == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rules without exemptions need no type
        res = check.run(sites, {"red": gdf([sq(0, 0, 100, 100)])}, VETO)
    assert res.audit["type_column"] is None and res.audit["unknown_types"] == {}


def test_features_are_named_by_the_layers_own_id_and_name_columns():
    red = gdf(
        [sq(0, 0, 100, 100), sq(100, 0, 200, 100), sq(500, 0, 600, 100)],
        bsm=[3601001.0, 3601002.0, None],  # a float column, as a Shapefile's numbers come
        HXMC=["马头山红线", "洪门红线", "远处红线"],
        id=["a", "b", "c"],
    )
    out = one(gdf([sq(50, 0, 150, 100), sq(550, 0, 560, 10)]), red)
    assert list(out["red__feature_ids"]) == ["3601001;3601002", "#3"]  # no BSM: its position
    assert list(out["red__feature_names"]) == ["马头山红线;洪门红线", "远处红线"]
    res = check.run(gdf([sq(50, 0, 150, 100)]), {"red": red}, VETO)
    assert res.audit["layers"]["red"]["id_column"] == "bsm"
    assert res.audit["layers"]["red"]["name_column"] == "HXMC"
    # a rule may name its columns; a column it names must exist
    chosen = rules.from_mapping(
        {"rules": [{"id": "red", "layer": "red", "kind": "veto", "id_column": "ID"}]}
    )
    assert one(gdf([sq(50, 0, 150, 100)]), red, chosen).iloc[0]["red__feature_ids"] == "a;b"
    wrong = rules.from_mapping(
        {"rules": [{"id": "red", "layer": "red", "kind": "veto", "name_column": "红线名称"}]}
    )
    with pytest.raises(ConfigError, match="layer 'red' has no column '红线名称' \\(name_column\\)"):
        one(gdf([sq(50, 0, 150, 100)]), red, wrong)


def test_features_without_ids_are_numbered_in_the_whole_layer():
    rivers = gdf(
        [sq(0, 0, 10, 1000), sq(200, 0, 210, 1000), sq(400, 0, 410, 1000)],
        main=[False, False, True],
    )
    rs = rules.from_mapping(
        {
            "rules": [
                {"id": "r", "layer": "rivers", "kind": "proximity", "distance_m": 50,
                 "where": {"main": True}},
            ]
        }
    )  # fmt: skip
    out = check.conflicts(gdf([sq(420, 0, 430, 10)]), {"rivers": rivers}, rs)
    assert out.iloc[0]["r__feature_ids"] == "#3"  # the third feature, not the first kept


def test_audit_records_engine_tolerances_and_layers():
    from fzgeo.plan import layers

    red = layers.load("eco_redline")
    site = red.to_crs(4548).geometry.iloc[0].representative_point().buffer(50)
    res = check.run(gdf([site], project_type=["工业"]), {"eco_redline": red}, rules.load())
    audit = res.audit
    assert audit["engine"] == {"name": "local", "threads": 1}
    assert audit["touch_tolerance"] == {"m2": 0.01, "m": 0.01}
    record = audit["layers"]["eco_redline"]
    assert record["sha256"] == pieces.layer_sha256(np.asarray(red.geometry.values), "EPSG:4490")
    assert record["features"] == len(red)
    assert record["precision"] == ["illustrative"]
    assert record["id_column"] is None and record["name_column"] == "name"
    assert res.sites.iloc[0]["eco_redline__feature_names"] == red["name"].iloc[0]
    assert list(audit["layers"]) == ["eco_redline"]  # only the layers given
    import json

    json.dumps(audit)  # JSON-ready


def test_layer_sha256_is_the_layer_as_delivered_with_its_crs():
    geoms = np.array([sq(0, 0, 10, 10), None, sq(5, 5, 20, 20)], dtype=object)
    digest = pieces.layer_sha256(geoms, "EPSG:4548")
    assert digest == pieces.layer_sha256(geoms.copy(), 4548)  # the same CRS however given
    assert digest != pieces.layer_sha256(geoms, "EPSG:4527")
    assert digest != pieces.layer_sha256(geoms[::-1], "EPSG:4548")  # order matters
    three_d = shapely.force_3d(geoms)
    assert pieces.layer_sha256(three_d, "EPSG:4548") == digest  # 2-D, as every engine reads


def test_missing_layer_is_skipped_never_passed():
    rs = rules.from_mapping(
        {
            "rules": [
                {"id": "red", "layer": "red", "kind": "veto", "name_zh": "生态保护红线"},
                {"id": "farm", "layer": "farm", "kind": "veto", "name_zh": "永久基本农田"},
            ]
        }
    )
    res = check.run(gdf([sq(500, 500, 600, 600)]), {"red": gdf([sq(0, 0, 100, 100)])}, rs)
    assert res.skipped == {"farm": "layer 'farm' is not available"}
    assert res.sites.iloc[0]["farm__verdict"] == "跳过"
    assert res.sites.iloc[0]["skipped_rules"] == "永久基本农田"
    assert not res.any_conflict


def test_every_site_once_in_input_order_with_attributes():
    sites = gdf(
        [sq(0, 0, 10, 10), sq(500, 500, 510, 510), sq(5, 5, 8, 8)],
        name=["c", "a", "b"],
        note=["x", None, "z"],
    )
    sites.index = [30, 10, 20]
    out = one(sites, gdf([sq(0, 0, 100, 100)]))
    assert list(out.index) == [30, 10, 20]
    assert list(out["name"]) == ["c", "a", "b"]
    assert list(out.columns[:2]) == ["name", "note"]
    assert out.geometry.equals(sites.geometry)
    assert list(out["verdict"]) == ["冲突", "无冲突", "冲突"]


def test_invalid_site_is_repaired_and_counted():
    bowtie = Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100)])
    with pytest.warns(RepairWarning, match=r"repaired 1 invalid .*\(feature 1\)"):  # 1-based
        res = check.run(gdf([bowtie, sq(0, 0, 10, 10)]), {"red": gdf([sq(0, 0, 100, 100)])}, VETO)
    assert res.repaired_sites == 1
    assert list(res.sites["repaired"]) == [True, False]
    assert res.sites.iloc[0]["red__overlap_m2"] == pytest.approx(5000.0)


def test_site_without_geometry_is_reported_unchecked_by_its_row():
    sites = gdf([sq(0, 0, 10, 10), None])
    with pytest.warns(UnusableGeometryWarning, match=r"feature 2: 没有几何"):
        out = one(sites, gdf([sq(0, 0, 100, 100)]))
    assert out["verdict"].tolist() == ["冲突", "无法检查"]
    with pytest.raises(GeometryError, match=r"no site has usable geometry \(feature 1: "):
        one(sites.iloc[[1]], gdf([sq(0, 0, 100, 100)]))


def test_sites_and_layers_in_different_crs():
    red = gdf([sq(0, 0, 100, 100)]).to_crs(4490)
    out = one(gdf([sq(50, 0, 150, 100)]), red)
    assert out.iloc[0]["red__overlap_m2"] == pytest.approx(5000.0, rel=1e-6)
    assert out.crs.to_epsg() == 4548


def test_ellipsoidal_area_close_to_plane_area():
    out = one(gdf([sq(50, 0, 150, 100)]), gdf([sq(0, 0, 100, 100)]), ellipsoidal=True)
    assert out.iloc[0]["red__overlap_m2_ellipsoidal"] == pytest.approx(5000.0, rel=1e-3)
    assert out.iloc[0]["site_area_m2_ellipsoidal"] == pytest.approx(10_000.0, rel=1e-3)


def test_parts_are_the_intersections():
    res = check.run(gdf([sq(50, 0, 150, 100)]), {"red": gdf([sq(0, 0, 100, 100)])}, VETO)
    assert len(res.parts) == 1
    part = res.parts.to_crs(4548).geometry.iloc[0]
    assert part.area == pytest.approx(5000.0, rel=1e-6)
    assert res.parts.crs.to_epsg() == 4490


def test_subdivide_tiles_exactly_and_respects_the_limit():
    rng = np.random.default_rng(1)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 3000))
    radius = 1000 + rng.normal(0, 30, 3000)
    poly = Polygon(np.column_stack([radius * np.cos(angles), radius * np.sin(angles)]))
    poly = poly.buffer(0)
    cut, src = pieces.subdivide(np.array([poly]), max_vertices=64)
    assert (shapely.get_num_coordinates(cut) <= 64).all()
    assert (src == 0).all()
    assert shapely.area(cut).sum() == pytest.approx(poly.area, rel=1e-9)
    assert shapely.union_all(cut).symmetric_difference(poly).area < 1e-6 * poly.area


def test_pieces_cache_round_trip(tmp_path):
    geoms = np.array([sq(0, 0, 100, 100).buffer(30, quad_segs=64)])
    first, _ = pieces.for_layer(geoms, max_vertices=16)
    cached = list((tmp_path / "cache" / "pieces").iterdir())
    assert len(cached) == 1
    assert first.digest in cached[0].name
    second, _ = pieces.for_layer(geoms, max_vertices=16)
    assert shapely.equals_exact(first.geoms, second.geoms).all()
    assert (first.feature == second.feature).all()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"rules": [{"id": "a", "layer": "x", "kind": "nope"}]}, "kind must be one of"),
        ({"rules": [{"id": "a", "layer": "x", "kind": "veto", "colour": 1}]}, "unknown keys"),
        ({"rules": [{"id": "a", "kind": "veto"}]}, "missing key 'layer'"),
        ({"rules": [{"id": "a", "layer": "x", "kind": "proximity"}]}, "distance_m > 0"),
        ({"rules": [{"id": "a", "layer": "x", "kind": "veto"}] * 2}, "used twice"),
        ({"rule": []}, "list under 'rules'"),
        ({"rules": [{"id": "a", "layer": "x", "kind": "veto"}], "type_colum": "x"}, "unknown keys"),
        (
            {"rules": [{"id": "a", "layer": "x", "kind": "veto"}], "touch_tolerance_m2": "x"},
            "could not convert",
        ),
    ],
)
def test_bad_rules_are_config_errors(doc, message):
    with pytest.raises(ConfigError, match=message):
        rules.from_mapping(doc, source="my_rules.yaml")


def test_packaged_default_rules():
    rs = rules.load()
    assert [r.id for r in rs.rules] == [
        "eco_redline",
        "basic_farmland",
        "urban_boundary",
        "fuhe_1km",
    ]
    assert rs.layers() == ["eco_redline", "basic_farmland", "urban_boundary", "rivers"]
    assert {r.kind for r in rs.rules} == {"veto", "within", "proximity"}


def test_invalid_constraint_is_repaired_with_a_warning():
    bowtie = Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100)])
    with pytest.warns(RepairWarning, match="constraint layer red: repaired 1"):
        out = one(gdf([sq(0, 0, 100, 100)]), gdf([bowtie]), use_cache=False)
    assert out.iloc[0]["red__overlap_m2"] == pytest.approx(5000.0)


def test_threads_give_the_same_table_as_one_thread():
    import synthetic

    red = synthetic.redlines(20_000, features=9, seed=3)
    sites = synthetic.sites(2 * engines.CHUNK + 500, seed=4)
    one_thread = check.conflicts(sites, {"red": red}, VETO, workers=1, nearest=False)
    threads = check.conflicts(sites, {"red": red}, VETO, workers=2, nearest=False)
    cols = ["red__verdict", "red__overlap_m2", "red__feature_ids"]
    pd.testing.assert_frame_equal(one_thread[cols], threads[cols])
    assert (one_thread["red__verdict"] == "冲突").sum() > 100


def test_synthetic_red_line_has_the_vertices_asked_for():
    import synthetic

    red = synthetic.redlines(50_000, features=16, seed=5)
    assert len(red) == 16
    assert 45_000 <= int(red["vertices"].sum()) <= 55_000
    assert red.is_valid.all()
    assert (shapely.get_num_interior_rings(red.geometry.values) > 0).any()
    assert red.equals(synthetic.redlines(50_000, features=16, seed=5))


def test_nearest_distance_is_exact_against_the_whole_layer():
    import synthetic

    red = synthetic.redlines(20_000, features=9, seed=6)
    sites = synthetic.sites(400, seed=7)
    out = check.conflicts(sites, {"red": red}, VETO)
    whole = shapely.union_all(red.geometry.values)
    exact = shapely.distance(np.asarray(sites.geometry.values), whole)
    np.testing.assert_allclose(out["red__distance_m"].to_numpy(), exact, rtol=1e-9, atol=1e-6)


def test_collect_groups_polygons_and_unions_lines():
    from fzgeo.check import _overlap

    parts = np.array(
        [
            sq(0, 0, 1, 1),
            sq(1, 0, 2, 1),
            shapely.LineString([(0, 0), (1, 0)]),
            shapely.LineString([(1, 0), (2, 0)]),
            shapely.MultiPolygon([sq(5, 5, 6, 6), sq(7, 7, 8, 8)]),
        ],
        dtype=object,
    )
    out = _overlap._collect(parts, np.array([3, 3, 7, 7, 9]))
    assert len(out) == 3
    assert out[0].geom_type == "MultiPolygon" and out[0].area == pytest.approx(2.0)
    assert out[1].length == pytest.approx(2.0)  # lines are unioned: no double count
    assert shapely.get_num_geometries(out[2]) == 2 and out[2].area == pytest.approx(2.0)


def test_split_lines_runs_share_ends_and_keep_length():
    rng = np.random.default_rng(0)
    lines = [LineString(rng.random((n, 2))) for n in (2, 3, 31, 32, 33, 64, 65, 100)]
    multi = shapely.MultiLineString([lines[0], lines[5]])
    runs, src = pieces.split_lines(np.array([*lines, None, multi], dtype=object), max_vertices=32)
    assert (shapely.get_num_coordinates(runs) <= 32).all()
    assert (np.diff(src) >= 0).all() and 8 not in src  # in input order; None gives no run
    for i, line in enumerate([*lines, None, multi]):
        if line is None:
            continue
        mine = runs[src == i]
        assert shapely.length(mine).sum() == pytest.approx(line.length, rel=1e-12)
        got = [shapely.get_coordinates(r) for r in mine]
        chained = np.concatenate([got[0]] + [c[1:] for c in got[1:]])
        if line.geom_type == "LineString":  # the runs, ends shared, give back every vertex
            assert np.array_equal(chained, shapely.get_coordinates(line))
    assert len(runs[src == 6]) == 3  # 65 vertices: 32 + 32 + 3 sharing two ends


def test_threads_give_the_one_thread_result():
    """Chunks over two threads (and parts dissolved and projected in threads) change nothing."""
    import synthetic

    red = synthetic.redlines(30_000, seed=3)
    sites = synthetic.sites(9000, seed=4)
    rs = rules.from_mapping({"rules": [{"id": "red", "layer": "red", "kind": "veto"}]})
    assert len(engines.chunks(len(sites), 2)) % 2 == 0  # near-equal shares, one per thread each
    one = check.run(sites, {"red": red}, rs, workers=1, progress=False)
    two = check.run(sites, {"red": red}, rs, workers=2, progress=False)
    assert len(two.parts) >= 2 * PART_CHUNK  # the threaded path of the parts is taken
    pd.testing.assert_frame_equal(one.details, two.details)
    assert shapely.equals_exact(one.parts.geometry.values, two.parts.geometry.values).all()
    assert one.parts.crs == two.parts.crs == "EPSG:4490"


def test_sites_in_the_wrong_zone_warn_naming_the_likely_crs():
    """CM 117E coordinates declared CM 114E (EPSG:4547) land ~300 km west, beside nothing."""
    red = gdf([sq(0, 0, 100, 100)], name=["红线"])
    sites = gdf([sq(50, 0, 150, 100), sq(1000, 0, 1100, 100)], site_id=["甲", "乙"])
    wrong = sites.set_crs(4547, allow_override=True)
    with pytest.warns(ExtentWarning) as caught:
        result = check.run(wrong, {"red": red}, VETO)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("[FZ106] sites (x 114.0")  # 3 degrees west: outside 抚州市
    assert "share no common extent with any of 抚州市 (x 115.5000 to 117.4000" in message
    assert ", red (x 117.0000 to 117.0010" in message  # the layer's extent, EPSG:4490
    assert "as EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E) instead of the declared EPSG:4547" in message  # fmt: skip
    assert "无冲突 for the wrong reason" in message
    assert caught[0].filename == __file__  # blames the caller of check.run
    assert list(result.sites["verdict"]) == ["无冲突", "无冲突"]  # what the guard warns about
    assert list(check.run(sites, {"red": red}, VETO).sites["verdict"]) == ["冲突", "无冲突"]


def test_sites_outside_the_city_warn_even_when_every_rule_is_skipped():
    far = gdf([Point(X, Y)]).set_crs(4547, allow_override=True)
    with pytest.warns(
        ExtentWarning, match=r"sites \(.*\) and 抚州市 \(.*\) share no common extent"
    ):
        result = check.run(far, {}, VETO)
    assert result.skipped == {"red": "layer 'red' is not available"}


def test_sites_meeting_a_layer_or_the_city_do_not_warn():
    """The guard is quiet when the sites meet the city or any constraint layer's extent."""
    here = gdf([sq(50, 0, 150, 100)])
    elsewhere = gdf([box(114.9, 25.8, 115.0, 25.9)], crs=4490)  # 赣州, south-west of 抚州市
    north = gdf([box(115.9, 28.7, 115.91, 28.71)], crs=4490)  # 南昌, north of 抚州市
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check.run(here, {"red": elsewhere}, VETO)  # in the city
        check.run(north, {"red": north}, VETO)  # outside the city, on the layer
        check.run(north.iloc[:0], {"red": gdf([sq(0, 0, 100, 100)])}, VETO)  # no sites at all
    with pytest.warns(ExtentWarning, match="check that the files are in the CRS they declare"):
        check.run(north, {"red": gdf([sq(0, 0, 100, 100)])}, VETO)  # no other CRS would help


def test_city_bounds_of_the_guard_hold_the_packaged_city():
    from fzgeo.check import guard
    from fzgeo.crs import FUZHOU_BOUNDS
    from fzgeo.plan import layers

    city = layers.load("admin_boundaries").total_bounds
    x0, y0, x1, y1 = FUZHOU_BOUNDS
    assert x0 < city[0] and y0 < city[1] and city[2] < x1 and city[3] < y1
    assert (city[0] - x0, city[2] - x1) < (0.15, 0.15)  # a margin, not a province
    assert guard.extents([])[guard.CITY] == FUZHOU_BOUNDS


def test_a_soft_rule_on_a_line_layer_is_refused_not_a_silent_zero(tmp_path):
    """A soft rule scores the share inside its layer: roads as lines would score every site 0."""
    from fzgeo import io

    roads = gdf([LineString([(X - 100, Y + 50), (X + 500, Y + 50)])], BSM=["R1"])
    path = tmp_path / "道路.gpkg"
    roads.to_file(path)
    soft = rules.from_mapping(
        {"rules": [{"id": "roads", "name_zh": "道路", "layer": "roads", "kind": "soft"}]}
    )
    site = gdf([sq(0, 0, 100, 100)])  # the road runs across it
    with pytest.raises(GeometryError) as caught:
        check.run(site, {"roads": io.read(path)}, soft)
    err = caught.value
    assert err.code == "FZ406" and err.path == str(path)
    assert "constraint layer roads" in str(err)
    assert "are LineString, not areas (polygons): rule roads (soft)" in str(err)
    assert "every site would score 0" in str(err)
    assert "proximity rule with distance_m" in err.hint and "缓冲区" in err.hint
    # the same lines buffered into a band are scored
    band = gdf([roads.geometry.iloc[0].buffer(10)])
    out = check.run(site, {"roads": band}, soft).sites
    assert out["score"].iloc[0] == pytest.approx(0.2, rel=1e-3)
    assert out["verdict"].iloc[0] == "邻近"


def test_stop_outside_stops_before_measuring(monkeypatch):
    """The guard of `fzgeo check`: sites far from everything are never measured (nor stored)."""
    from fzgeo.check.guard import SitesOutside

    def measure(*_args, **_kwargs):
        raise AssertionError("measured sites the guard had stopped")

    monkeypatch.setattr(engines.LocalEngine, "measure", measure)
    far = gdf([sq(0, 0, 50, 50)]).set_crs(4547, allow_override=True)  # 300 km west
    with pytest.warns(ExtentWarning, match=r"\[FZ106\]"), pytest.raises(SitesOutside):
        one(far, gdf([sq(0, 0, 100, 100)]), stop_outside=True)
