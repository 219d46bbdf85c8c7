"""Honest geometry (issue 18): precision follows the placement method, counties hold their features."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
import yaml

import shapely

from fzgeo import _resources, crs
from fzgeo.errors import ConfigError
from fzgeo.plan import admin, layers, placement
from fzgeo.plan.schema import PRECISIONS

ALL = layers.available()
PLACED = [n for n in ALL if str(layers.kind(n).build.get("file", "")).startswith("features/")]


def _doc(name: str) -> dict[str, Any]:
    return yaml.safe_load(_resources.read_text("layers", layers.kind(name).build["file"]))


def _kind(name: str = "public_facilities"):
    return layers.kind(name)


def _feature(**extra: Any) -> dict[str, Any]:
    return {
        "name": "测试设施",
        "line": 1902,
        "attrs": {"facility_type": "政务", "county": "临川区"},
        "geometry": {"point": {"at": "抚州市", "offset_km": [0.7, 0]}},
        **extra,
    }


def test_placement_method_reads_offsets_anywhere_in_the_spec() -> None:
    assert placement.placement_method({"point": "抚州市"}) == "named"
    assert placement.placement_method({"line": ["抚州站", "南城站"]}) == "named"
    assert placement.placement_method({"point": {"at": "抚州市", "offset_km": [1, 0]}}) == "offset"
    nested = {"buffer": {"line": ["抚州站", {"at": "南城站", "offset_km": [0, 2]}]}, "km": 1}
    assert placement.placement_method(nested) == "offset"
    assert placement.placement_method({"of_layer": "highways", "names": ["G206"]}) == "layer"
    union = {"union": [{"of_layer": "highways", "names": ["G206"]}, {"point": "抚州市"}]}
    assert placement.placement_method(union) == "layer"


def test_an_offset_lowers_the_default_and_a_claim_above_it_is_an_error() -> None:
    doc = {"defaults": {"precision": "schematic", "status": "planned"}, "features": [_feature()]}
    gdf = placement.features_to_gdf(doc, kind=_kind())
    assert list(gdf["precision"]) == ["illustrative"]
    at_seat = _feature(geometry={"point": "抚州市"})
    gdf = placement.features_to_gdf({**doc, "features": [at_seat]}, kind=_kind())
    assert list(gdf["precision"]) == ["schematic"]
    bad = {**doc, "features": [_feature(precision="schematic")]}
    with pytest.raises(ConfigError, match=r"better than its placement \(offset\)"):
        placement.features_to_gdf(bad, kind=_kind())


def test_a_note_calling_the_position_illustrative_needs_the_label() -> None:
    for note in ("illustrative position", "示意位置"):
        feat = _feature(geometry={"point": "抚州市"}, note=note)
        doc = {"defaults": {"precision": "schematic"}, "features": [feat]}
        with pytest.raises(ConfigError, match="note calls the position illustrative"):
            placement.features_to_gdf(doc, kind=_kind())
        feat["precision"] = "illustrative"
        assert list(placement.features_to_gdf(doc, kind=_kind())["precision"]) == ["illustrative"]


def test_a_layer_drawn_from_another_is_no_better_than_its_members() -> None:
    hw = layers.load("highways").set_index("name")
    names = ["抚州东外环高速", "资光高速"]
    assert placement.method_precision({"of_layer": "highways", "names": names}, layers.load) == (
        placement.weakest_precision(hw.loc[names, "precision"])
    )
    assert hw.loc["抚州东外环高速", "precision"] == "illustrative"


@pytest.mark.parametrize("name", PLACED)
def test_every_placed_feature_is_no_more_precise_than_its_method(name: str) -> None:
    """Over every layer placed from a features file, offsets are illustrative.

    And no feature claims more than its placement method (or, drawn from another layer, its
    members) allows.
    """
    built: dict[str, list[str]] = defaultdict(list)
    for _, row in layers.load(name).iterrows():
        built[row["name"]].append(row["precision"])
    feats = _doc(name).get("features") or []
    assert feats
    for feat in feats:
        allowed = placement.method_precision(feat["geometry"], layers.load)
        for got in built.get(feat["name"], []):
            assert PRECISIONS.index(got) >= PRECISIONS.index(allowed), (name, feat["name"])
            if placement.placement_method(feat["geometry"]) == "offset":
                assert got == "illustrative", (name, feat["name"])


@pytest.mark.parametrize("name", ALL)
def test_notes_and_labels_never_disagree(name: str) -> None:
    """Across all built layers: a note calling the position illustrative (示意) is labelled so."""
    gdf = layers.load(name)
    if "note" not in gdf.columns:
        return
    notes = gdf["note"].fillna("").astype(str)
    says = notes.str.lower().str.contains("illustrative") | notes.str.contains("示意")
    wrong = gdf[says & (gdf["precision"] != "illustrative")]
    assert wrong.empty, list(wrong["name"])


def test_the_audited_grid_points_and_ring_roads_are_illustrative() -> None:
    """The issue's examples: the 0.7 km grid around the city point and the ring roads."""
    pf = layers.load("public_facilities").set_index("name")
    assert pf.loc["市人民警察训练基地", "precision"] == "illustrative"
    assert pf.loc["市本级人力资源市场", "precision"] == "illustrative"
    assert layers.load("heritage_sites").set_index("name").loc["汤显祖大剧院", "precision"] == (
        "illustrative"
    )
    hw = layers.load("highways").set_index("name")
    ring = "抚州市绕城公路改造工程（G236、G316、S212、S309环市中心城区段）"
    for road in (ring, "抚州东外环高速", "抚州东临环城高速"):
        assert hw.loc[road, "precision"] == "illustrative"
    frames = layers.load("network_frames").set_index("name")
    assert frames.loc["“三横三纵一连”高速公路网", "precision"] == "illustrative"


#: tolerances of the county test: a point or line may sit this far outside its county (a point
#: placed on a boundary, the round trip of outlines through EPSG:4548), and a polygon may have
#: this share of its area outside (slivers where a stand-in is cut along a county outline)
POINT_TOLERANCE_M = 100.0
AREA_TOLERANCE = 0.005


@pytest.fixture(scope="module")
def counties():
    return admin.counties_work(layers.load)


#: a tag for the whole city (county_designations: 国家物流枢纽城市)
WHOLE_CITY = "全市"


def _counties_of(tag: str, known: Any = ()) -> list[str]:
    if tag == WHOLE_CITY:
        return list(known)
    return [c for c in tag.split("、") if c]


#: the columns that tag a feature with the county-level units it lies in
COUNTY_COLUMNS = ("county", "counties")
TAGGED = [(n, c.name) for n in ALL for c in layers.kind(n).columns if c.name in COUNTY_COLUMNS]


def test_the_county_test_covers_the_layers_the_issue_names() -> None:
    tagged = {n for n, _ in TAGGED}
    for name in ("agriculture_bases", "railways", "highways", "tourism_sites", "industrial_parks"):
        assert name in tagged, name


@pytest.mark.parametrize(("name", "column"), TAGGED)
def test_every_feature_lies_in_the_counties_it_is_tagged_with(
    name: str, column: str, counties
) -> None:
    """A feature tagged with counties (``县A`` or ``县A、县B``) lies inside their union."""
    gdf = layers.load(name)
    work = crs.to_work(gdf)
    wrong = []
    for tag, geom, feature in zip(gdf[column], work.geometry, gdf["name"], strict=True):
        if not isinstance(tag, str) or not tag:
            continue
        tagged = _counties_of(tag, counties)
        assert set(tagged) <= set(counties), (feature, tag)
        area = shapely.union_all([counties[c] for c in tagged])
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            outside = geom.difference(area).area > AREA_TOLERANCE * geom.area
        elif "Point" in geom.geom_type:
            outside = max(area.distance(p) for p in shapely.get_parts(geom)) > POINT_TOLERANCE_M
        else:
            outside = geom.difference(area.buffer(POINT_TOLERANCE_M)).length > 0
        if outside:
            wrong.append((feature, tag))
    assert not wrong, wrong


def test_the_county_test_catches_a_feature_in_the_wrong_county(counties) -> None:
    """The issue's cases, at their old positions, fail the containment rule."""
    old_caoshan = placement.place({"at": "宜黄县", "offset_km": [-8, 8]})
    assert counties["崇仁县"].contains(old_caoshan)
    assert counties["宜黄县"].distance(old_caoshan) > POINT_TOLERANCE_M
    sites = layers.load("tourism_sites").set_index("name")
    moved = crs.to_work(sites.loc[["曹山景区", "军峰山景区"]]).geometry
    assert counties["宜黄县"].contains(moved.loc["曹山景区"])
    assert counties["南丰县"].contains(moved.loc["军峰山景区"])
    for layer, feature in [
        ("ports", "廖坊枢纽Ⅳ级船闸"),
        ("eco_redline", "廖坊水库生态保护红线（示意）"),
        ("eco_pattern", "廖坊水库（生态节点，示意）"),
    ]:
        gdf = layers.load(layer)
        geom = crs.to_work(gdf[gdf["name"] == feature]).geometry.iloc[0]
        assert counties["临川区"].buffer(POINT_TOLERANCE_M).contains(geom), feature


ROUTE_LAYERS = ("railways", "highways")


@pytest.mark.parametrize("name", ROUTE_LAYERS)
def test_routes_carry_the_counties_of_the_places_they_are_drawn_through(name: str, counties):
    """``county`` of a route is derived from its named in-city places, and none is left out."""
    from fzgeo.plan import transport

    built = layers.load(name).set_index("name")
    for feat in _doc(name)["features"]:
        served = transport.route_counties(feat["geometry"], counties)
        assert served, feat["name"]
        assert built.loc[feat["name"], "county"] == "、".join(served), feat["name"]


@pytest.mark.parametrize("name", ROUTE_LAYERS)
def test_no_route_crosses_a_county_it_does_not_serve(name: str, counties) -> None:
    """Every route's in-city line lies inside the counties it serves (100 m tolerance)."""
    gdf = crs.to_work(layers.load(name))
    wrong = {}
    for feature, tag, geom in zip(gdf["name"], gdf["county"], gdf.geometry, strict=True):
        served = shapely.union_all([counties[c] for c in _counties_of(tag)])
        outside = geom.difference(served.buffer(POINT_TOLERANCE_M)).length
        if outside > 0:
            wrong[feature] = round(outside)
    assert not wrong, wrong


def test_the_route_test_catches_the_audited_straight_legs(counties) -> None:
    """The issue's cases: the straight legs crossed a county; the drawn routes do not."""
    straight = placement.build_geometry({"line": ["抚州市", "宜黄县"]})
    assert straight.intersection(counties["崇仁县"]).length > 2000
    nanfeng_border = placement.build_geometry({"line": ["南丰站", "建宁县北站"]})
    assert nanfeng_border.intersection(counties["黎川县"]).length > 10_000
    hw = crs.to_work(layers.load("highways")).set_index("name")
    rail = crs.to_work(layers.load("railways")).set_index("name")
    assert hw.loc["抚州—宜黄快速公路", "county"] == "临川区、宜黄县"
    assert hw.loc["抚州—宜黄快速公路"].geometry.intersection(counties["崇仁县"]).length < 1.0
    assert rail.loc["向莆铁路", "county"] == "临川区、南城县、南丰县"
    assert rail.loc["向莆铁路"].geometry.intersection(counties["黎川县"]).length < 1.0


#: a station or hub this far from a line it names is not on it (the 高铁枢纽站 is drawn 400 m
#: beside its station, across the line)
ON_LINE_M = 100.0


def test_every_station_lies_on_the_lines_it_names() -> None:
    """Each station or hub naming railways in ``lines`` lies within 100 m of each of them."""
    rail = crs.to_work(layers.load("railways")).set_index("name")
    st = crs.to_work(layers.load("transport_stations"))
    checked = 0
    for _, row in st.iterrows():
        for served in str(row["lines"] or "").split("；"):
            line = served.removeprefix("规划").split("（终点）")[0]
            if line not in rail.index:
                assert row["station_type"] not in ("铁路车站", "高铁枢纽站"), (row["name"], line)
                continue
            assert rail.loc[line].geometry.distance(row.geometry) <= ON_LINE_M, (row["name"], line)
            checked += 1
    assert checked >= 13


#: entries re-read in issue 18 and now drawn: id -> (layer, precision the placement allows)
REREAD = {
    "s208": ("highways", "schematic"),  # a route through named points
    "taiheyuan_pastoral_complex": ("agriculture_bases", "schematic"),  # at 何源乡
    "agroforestry_demo_bases": ("agriculture_bases", "illustrative"),  # beside seats
    "fuzhou_smart_agri_demo_park": ("agriculture_bases", "illustrative"),
    "fuzhou_cultural_creative_base": ("economic_platforms", "illustrative"),  # city grid
    "digital_printing_park": ("economic_platforms", "illustrative"),
    "city_aviation_industrial_park": ("industrial_parks", "illustrative"),
    # the 11 seats stand for sites anywhere in each county: no "few km" claim
    "leisure_agriculture_demo_sites": ("tourism_sites", "illustrative"),
    "wellness_elderly_bases": ("tourism_sites", "illustrative"),
    "fuhe_basin_eco_governance_demo": ("water_works_lines", "illustrative"),  # stand-in
    "fuhe_mountain_water_restoration": ("water_works_lines", "illustrative"),
    "fuhe_water_pollution_regulation": ("river_controls", "illustrative"),
    "fuhe_upstream_downstream_compensation": ("river_controls", "illustrative"),
    "changfu_cooperation_demo_zone": ("cooperation_zones", "illustrative"),
    "ganmin_industrial_coop_demo_zone": ("cooperation_zones", "illustrative"),
    # the second reading: a crop or park the plan ties to counties on another line
    "vegetable_zones_suburb_expressway": ("agriculture_bases", "illustrative"),  # line 1478
    "smart_rice_seed_core_park": ("agriculture_bases", "illustrative"),  # 宜黄 制种, 1482
    "national_rural_integration_demo_parks": ("agriculture_bases", "illustrative"),  # 金溪, 809
    # every-county networks: their county tier at the 11 seats
    "three_tier_rural_health_network": ("public_facilities", "illustrative"),
    "rural_logistics_nodes": ("economic_platforms", "illustrative"),
    "fuhe_smart_water_flood_monitoring": ("river_controls", "illustrative"),  # basin stand-in
}


@pytest.mark.parametrize("iid", sorted(REREAD))
def test_reread_entries_are_drawn_with_an_honest_precision(iid: str, plan_lines) -> None:
    """Each entry placed on re-reading is drawn with the label its method allows.

    It has features and no reason left, and each feature's plan line holds its term.
    """
    from fzgeo.plan import coverage

    layer, precision = REREAD[iid]
    gdf = layers.load(layer)
    rows = gdf.loc[gdf["inventory_id"] == iid]
    assert not rows.empty, iid
    assert iid not in coverage.load_reasons(), iid
    assert set(rows["precision"]) == {precision}, (iid, list(rows["precision"]))
    for _, row in rows.iterrows():
        assert row["plan_term"] in plan_lines[int(row["source_line"]) - 1], row["name"]


def test_an_of_layer_member_layer_is_read_once() -> None:
    """Geometry and precision of ``of_layer`` specs share one read of the member layer."""
    calls: list[str] = []

    def counting(name: str):
        calls.append(name)
        return layers.load(name)

    spec = {"of_layer": "highways", "names": ["国道G206"]}
    feats = [
        {"name": f"测试{i}", "line": 1025, "attrs": {"facility_type": "政务"}, "geometry": spec}
        for i in range(2)
    ]
    gdf = placement.features_to_gdf({"features": feats}, kind=_kind(), load=counting)
    assert len(gdf) == 2
    assert calls == ["highways"]
