"""Rivers, the 抚河 corridor, the 生态安全格局 and the named parks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import shapely
from geopandas import GeoDataFrame

from fzgeo import styles
from fzgeo.crs import to_work
from fzgeo.plan import layers

KINDS = (
    "rivers",
    "fuhe_corridor",
    "eco_pattern",
    "industrial_parks",
    "eco_redline",
    "basic_farmland",
    "urban_boundary",
    "spatial_zones",
)


def _work(name: str) -> GeoDataFrame:
    return to_work(layers.load(name))


@pytest.fixture(scope="module")
def city() -> shapely.Geometry:
    admin = _work("admin_boundaries")
    return admin.loc[admin["level"] == "city"].geometry.iloc[0]


@pytest.fixture(scope="module")
def stem() -> shapely.Geometry:
    rivers = _work("rivers")
    return shapely.union_all(rivers.loc[rivers["fuhe_main_stem"]].geometry.values)


@pytest.mark.parametrize("name", KINDS)
def test_layer_builds_valid_in_storage_crs(name: str, city: shapely.Geometry) -> None:
    gdf = layers.load(name)
    assert gdf.crs.to_epsg() == 4490
    assert len(gdf) > 0 and gdf.geometry.is_valid.all()
    work = to_work(gdf)
    assert work.geometry.difference(city.buffer(1.0)).is_empty.all(), "outside the city"


@pytest.mark.parametrize("name", KINDS)
def test_style_exists_and_categories_match_values(name: str) -> None:
    style = styles.style(layers.kind(name).style)
    assert style.reference
    if style.category_field:
        values = set(layers.load(name)[style.category_field].dropna())
        assert values <= {c.value for c in style.categories}


@pytest.mark.parametrize("name", KINDS)
def test_plan_term_is_on_the_cited_line(name: str, plan_lines: list[str]) -> None:
    gdf = layers.load(name)
    cited = gdf.loc[gdf["source_line"].notna()]
    for line, term, source in zip(
        cited["source_line"], cited["plan_term"], cited["source"], strict=True
    ):
        assert term in plan_lines[int(line) - 1], f"{term!r} not on plan line {line}"
        assert f"第{int(line)}行" in source


def test_fuhe_main_stem_is_one_inferred_feature(stem: shapely.Geometry) -> None:
    rivers = layers.load("rivers")
    main = rivers.loc[rivers["fuhe_main_stem"]]
    assert len(main) == 1
    assert "推断" in main["name"].iloc[0] and "inferred" in main["name_basis"].iloc[0]
    # 319 km in the source (to 鄱阳湖); about 229 km inside the city at this coarse scale
    assert 200 < stem.length / 1000 < 320
    assert main["source"].str.contains("LGPL").all()


@pytest.mark.parametrize("seat", ["广昌县", "南丰县", "南城县"])
def test_fuhe_passes_the_county_seats(seat: str, stem: shapely.Geometry) -> None:
    from fzgeo.plan import gazetteer, placement

    assert stem.distance(placement.place(gazetteer.lookup(seat).name)) < 6000


def test_one_km_band_follows_the_plan_rule(stem: shapely.Geometry, city: shapely.Geometry) -> None:
    corridor = _work("fuhe_corridor")
    band = corridor.loc[corridor["plan_term"] == "两岸1公里"]
    assert len(band) == 1 and band["width_km"].iloc[0] == 1.0
    geom = band.geometry.iloc[0]
    far = shapely.get_coordinates(geom.exterior if geom.geom_type == "Polygon" else geom.boundary)
    dist = shapely.distance(shapely.points(far), stem)
    assert dist.max() < 1000 * 1.01
    expected = stem.buffer(1000, quad_segs=8).intersection(city).area
    assert geom.area == pytest.approx(expected, rel=1e-4)
    assert band["source_line"].iloc[0] == 1542


def test_pattern_has_each_element() -> None:
    pattern = layers.load("eco_pattern")
    assert set(pattern["element"]) == {"一山", "一水", "一廊", "多节点", "整体格局"}
    assert (pattern.loc[pattern["element"] != "多节点", "source_line"] == 1530).all()
    assert pattern["note"].str.len().gt(20).all()


def test_wuyi_belt_lies_on_the_fujian_side(city: shapely.Geometry) -> None:
    pattern = _work("eco_pattern")
    belt = pattern.loc[pattern["element"] == "一山"].geometry.iloc[0]
    assert belt.centroid.x > city.centroid.x  # east of the city's centre
    assert belt.intersects(city.boundary)


def test_liaofang_reservoir_sits_on_the_fuhe(stem: shapely.Geometry) -> None:
    from fzgeo.plan.ecology import eco_nodes

    node = next(n for n in eco_nodes(layers.load) if n.name == "廖坊水库")
    assert node.geometry.centroid.distance(stem) < 500


def test_parks_one_feature_each_in_their_county() -> None:
    parks = _work("industrial_parks")
    assert parks["name"].is_unique
    assert len(parks) >= 30
    counties = _work("admin_boundaries").query("level == 'county'").set_index("name").geometry
    for name, county, geom in zip(parks["name"], parks["county"], parks.geometry, strict=True):
        assert counties[county].contains(geom), f"{name} not in {county}"
    assert set(parks["park_type"]) == {"开发区", "产业园", "物流园", "科创城"}
    hitech = parks.loc[parks["name"] == "抚州高新区"].iloc[0]
    assert hitech["level"] == "国家级"


def test_the_high_tech_zone_is_one_place_in_every_layer() -> None:
    """Everything placed in the 抚州高新区 lies around the one gazetteer point of the zone."""
    from fzgeo.plan import placement

    centre = placement.build_geometry({"point": "抚州高新区"})
    for kind in ("industrial_parks", "data_centres"):
        gdf = _work(kind)
        inside = gdf[
            gdf["name"].str.startswith("抚州高新区") | gdf["note"].str.contains("高新区 area")
        ]
        assert len(inside), kind
        far = inside.loc[inside.geometry.distance(centre) > 3000, "name"].tolist()
        assert not far, f"{kind}: {far} more than 3 km from the 抚州高新区 point"
    zone = _work("urban_structure_areas").set_index("name").geometry
    assert any(g.distance(centre) == 0 for g in zone), "no urban-structure area holds the zone"


def test_parks_inside_an_urban_boundary_or_near_it() -> None:
    """Parks are placed beside the seats, so they should fall in the stand-in urban areas."""
    parks = _work("industrial_parks")
    urban = shapely.union_all(_work("urban_boundary").geometry.values)
    dist = parks.geometry.distance(urban)
    assert (dist < 3000).all(), parks.loc[dist >= 3000, "name"].tolist()


@pytest.mark.parametrize("name", KINDS)
def test_inventory_ids_exist_and_cite_the_same_line(name: str, shared_dir: Path) -> None:
    inventory = {
        e["id"]: e
        for e in yaml.safe_load(
            (shared_dir / "plan" / "inventory.yaml").read_text(encoding="utf-8")
        )
    }
    gdf = layers.load(name)
    carried = gdf.loc[gdf["inventory_id"].notna()]
    for iid, line in zip(carried["inventory_id"], carried["source_line"], strict=True):
        assert iid in inventory, iid
        assert inventory[iid]["line"] == line, f"{iid}: inventory line {inventory[iid]['line']}"


def test_changfu_corridor_follows_the_xiangpu_railway(city: shapely.Geometry) -> None:
    """一廊(昌福铁路): the 昌福铁路 is the 南昌-福州 section of the 向莆铁路 of the railways layer."""
    rail = _work("railways")
    line = shapely.union_all(rail.loc[rail["name"] == "向莆铁路"].geometry.values)
    pattern = _work("eco_pattern")
    band = pattern.loc[pattern["element"] == "一廊"].geometry.iloc[0]
    inside = line.intersection(city)
    assert inside.length > 100_000  # 抚州 - 南城 - 南丰
    assert inside.difference(band.buffer(1.0)).length < 1.0
