"""Issue-10 ecology and river entries drawn on the map, and the reasons of those left off.

The whole 生态安全格局, the 抚河 programmes on the main stem, the fishing ban, the 武夷山 zone.
"""

from __future__ import annotations

import pytest

import shapely
from geopandas import GeoDataFrame

from fzgeo.crs import to_work
from fzgeo.plan import coverage, layers

MAIN_STEM = "抚河（干流，推断）"
#: The ecology/river entries of issue 10 drawn by a feature: id -> layer.
DRAWN = {
    "eco_security_pattern": "eco_pattern",
    "yangtze_ten_year_fishing_ban": "river_controls",
    "fuhe_basin_ecological_restoration": "water_works_lines",
    "fuhe_channel_works": "water_works_lines",
    "wuyishan_gan_min_green_industry_zone": "cooperation_zones",
    # re-read in issue 18: the 抚河 basin rules, drawn on the main stem as a stand-in
    "fuhe_water_pollution_regulation": "river_controls",
    "fuhe_upstream_downstream_compensation": "river_controls",
    "fuhe_basin_eco_governance_demo": "water_works_lines",
    "fuhe_mountain_water_restoration": "water_works_lines",
}
#: The entries of the same passages left off the map, with their reason.
NOT_DRAWN = {
    "cultivated_land_red_line": "duplicate",
    "fuhe_whole_basin_remediation": "duplicate",
    "forest_ecological_matrix": "not_locatable",
    "river_lake_shoreline_rectification": "not_locatable",
    "road_greening_corridor": "not_locatable",
    "railway_green_belt": "not_locatable",
    "riparian_forest_belt": "not_locatable",
}


def _work(name: str) -> GeoDataFrame:
    return to_work(layers.load(name))


def _one(gdf: GeoDataFrame, inventory_id: str) -> shapely.Geometry:
    rows = gdf.loc[gdf["inventory_id"] == inventory_id]
    assert len(rows) == 1, inventory_id
    return rows.geometry.iloc[0]


@pytest.fixture(scope="module")
def stem() -> shapely.Geometry:
    rivers = _work("rivers")
    return rivers.loc[rivers["name"] == MAIN_STEM].geometry.iloc[0]


def test_whole_pattern_is_the_union_of_its_elements() -> None:
    pattern = _work("eco_pattern")
    whole = pattern.loc[pattern["element"] == "整体格局"]
    assert list(whole["inventory_id"]) == ["eco_security_pattern"]
    parts = shapely.union_all(pattern.loc[pattern["element"] != "整体格局"].geometry.values)
    geom = whole.geometry.iloc[0]
    assert geom.symmetric_difference(parts).area < 1e-6 * parts.area
    assert whole["status"].iloc[0] == "planned"
    assert whole["precision"].iloc[0] == "illustrative"


@pytest.mark.parametrize(
    ("layer", "inventory_id"),
    [
        ("river_controls", "yangtze_ten_year_fishing_ban"),
        ("water_works_lines", "fuhe_basin_ecological_restoration"),
        ("water_works_lines", "fuhe_channel_works"),
        ("water_works_lines", "fuhe_basin_eco_governance_demo"),
        ("water_works_lines", "fuhe_mountain_water_restoration"),
        ("river_controls", "fuhe_water_pollution_regulation"),
        ("river_controls", "fuhe_upstream_downstream_compensation"),
    ],
)
def test_basin_programmes_follow_the_whole_main_stem(
    layer: str, inventory_id: str, stem: shapely.Geometry
) -> None:
    line = _one(_work(layer), inventory_id)
    assert line.length == pytest.approx(stem.length, rel=1e-6)
    assert line.hausdorff_distance(stem) < 1.0


def test_fishing_ban_is_an_illustrative_stand_in_that_says_so() -> None:
    row = (
        layers.load("river_controls").set_index("inventory_id").loc["yangtze_ten_year_fishing_ban"]
    )
    assert row["precision"] == "illustrative"
    assert "names no water" in row["note"] and "official" in row["note"]


def test_wuyishan_zone_is_the_wuyi_belt_of_the_pattern() -> None:
    zone = _one(_work("cooperation_zones"), "wuyishan_gan_min_green_industry_zone")
    pattern = _work("eco_pattern")
    belt = pattern.loc[pattern["element"] == "一山"].geometry.iloc[0]
    assert zone.symmetric_difference(belt).area < 1e-6 * belt.area
    assert layers.load("cooperation_zones")["area_km2"].iloc[0] > 1000


def test_each_entry_is_drawn_or_has_its_reason() -> None:
    reasons = coverage.load_reasons()
    for iid, layer in DRAWN.items():
        assert iid not in reasons, f"{iid} is drawn; its reason is stale"
        assert iid in set(layers.load(layer)["inventory_id"]), iid
    for iid, code in NOT_DRAWN.items():
        reason = reasons[iid]
        assert reason.code == code, iid
        assert len(reason.note) > 40, iid
    assert reasons["cultivated_land_red_line"].of == "permanent_basic_farmland_red_line"
    assert reasons["fuhe_whole_basin_remediation"].of == "fuhe_basin_ecological_restoration"


def test_thumbnail_draws_a_layer_mixing_filled_and_unfilled_polygons() -> None:
    """The whole-pattern outline has no fill while the other features have one."""
    from fzgeo import styles
    from fzgeo.maps.compose import MapLayer
    from fzgeo.maps.publish import thumbnail

    kind = layers.kind("eco_pattern")
    style = styles.style(kind.style)
    assert style.symbol_for("整体格局").fill is None and style.symbol_for("一山").fill
    png = thumbnail([MapLayer("eco_pattern", kind, style, layers.load("eco_pattern"))])
    assert png.startswith(b"\x89PNG")
