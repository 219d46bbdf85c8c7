"""Urban development areas, economic belts and the cross-layer industry layouts (issue 10).

Also the placement pieces they use: ``{union: [...]}`` and ``clip: city`` on polygons.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import shapely

from fzgeo import styles
from fzgeo.crs import STORAGE_CRS, to_work
from fzgeo.errors import ConfigError
from fzgeo.plan import admin, coverage, layers, placement

KINDS = ("urban_development_areas", "economic_belts")
#: the seats of the nine counties (县城); 临川区 and 东乡区 are districts
COUNTIES = (
    "南城县",
    "黎川县",
    "南丰县",
    "崇仁县",
    "乐安县",
    "宜黄县",
    "金溪县",
    "资溪县",
    "广昌县",
)


def _feature(layer: str, name: str) -> shapely.Geometry:
    gdf = to_work(layers.load(layer)).set_index("name")
    return gdf.loc[name].geometry


def test_union_spec_joins_specs_and_refuses_bad_lists() -> None:
    got = placement.build_geometry(
        {"union": [{"points": ["南城县", "南丰县"]}, {"point": "抚州市"}, {"point": "南城县"}]}
    )
    assert got.geom_type == "MultiPoint"
    assert len(got.geoms) == 3  # the repeated 南城县 point is one point
    for bad in ([], "南城县", ["南城县"]):
        with pytest.raises(ConfigError, match="union expects a list of geometry specs"):
            placement.build_geometry({"union": bad})


def test_clip_city_cuts_polygons_to_the_boundary() -> None:
    kind = layers.kind("economic_belts")
    disc = {"circle": "资溪县", "radius_km": 40}  # reaches well into Fujian
    doc = {"clip": "city", "features": [{"name": "圆", "geometry": disc}]}
    clipped = to_work(placement.features_to_gdf(doc, kind=kind, load=layers.load)).geometry.iloc[0]
    full = placement.build_geometry(disc)
    city = admin.city_work(layers.load)
    assert clipped.area < 0.95 * full.area
    assert clipped.area == pytest.approx(full.intersection(city).area, rel=1e-6)
    assert city.buffer(1.0).contains(clipped)
    outside = {
        "clip": "city",
        "features": [{"name": "外", "geometry": {"circle": "南昌站", "radius_km": 5}}],
    }
    with pytest.raises(ConfigError, match="polygon lies wholly outside the city"):
        placement.features_to_gdf(outside, kind=kind, load=layers.load)


@pytest.mark.parametrize("name", KINDS)
def test_layer_is_valid_cited_and_inside_the_city(name: str, shared_dir: Path) -> None:
    gdf = layers.load(name)
    assert len(gdf) > 0
    assert STORAGE_CRS.equals(gdf.crs)
    assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()
    city = layers.load("admin_boundaries").query("level == 'city'").geometry.iloc[0]
    assert gdf.geometry.within(city.buffer(1e-4)).all()
    ids = {e.id for e in coverage.load_inventory(shared_dir / "plan" / "inventory.yaml")}
    assert gdf["inventory_id"].notna().all()
    assert set(gdf["inventory_id"]) <= ids
    assert gdf["note"].notna().all(), "every shape says how it was placed"
    assert set(gdf["precision"]) <= {"illustrative", "surveyed"}
    style = styles.style(layers.kind(name).style)
    assert style.category_field is not None
    assert set(gdf[style.category_field]) <= {c.value for c in style.categories}


def test_belts_follow_the_lines_they_are_named_for() -> None:
    city = admin.city_work(layers.load)
    rail = _feature("railways", "向莆铁路").intersection(city)
    belts = to_work(layers.load("economic_belts")).set_index("name")
    for name in ("向莆经济带", "向莆铁路沿线产业布局", "向莆电子信息产业带", "赣闽台产业合作走廊"):
        band = belts.loc[name].geometry
        assert band.buffer(1.0).contains(rail), name
        assert band.area == pytest.approx(belts.loc["向莆经济带"].geometry.area)
    axes = to_work(layers.load("opening_corridors"))
    x_band = belts.loc["“X”字型对外开放空间格局"].geometry
    assert all(x_band.buffer(1.0).contains(axis) for axis in axes.geometry)
    assert (belts["half_width_km"] == 10).all()


def test_county_towns_are_the_nine_county_seats() -> None:
    towns = _feature("urban_development_areas", "县城（人口向县城集中、产业向园区集聚）")
    assert len(towns.geoms) == len(COUNTIES)
    for county in COUNTIES:
        seat = placement.build_geometry({"point": county})
        assert towns.contains(seat), county
    for district in ("抚州市", "东乡区"):
        assert not towns.contains(placement.build_geometry({"point": district}))
    system = _feature("urban_development_areas", "城镇体系（市中心城区为核心、县城为支柱）")
    core = _feature("urban_structure_areas", "市中心城区（核心）")
    assert system.buffer(1.0).contains(towns) and system.buffer(1.0).contains(core)


def test_dongxiang_district_is_the_admin_unit() -> None:
    areas = layers.load("urban_development_areas").set_index("name")
    row = areas.loc["东乡区（撤县设区）"]
    assert row["precision"] == "surveyed"
    unit = to_work(layers.load("admin_boundaries")).set_index("name").loc["东乡区"].geometry
    assert (
        to_work(areas).loc["东乡区（撤县设区）"].geometry.symmetric_difference(unit).area
        < 1e-6 * unit.area
    )


def test_yihe_liangan_is_the_fuhe_through_the_central_city() -> None:
    band = _feature("urban_development_areas", "市中心城区抚河“一河两岸”城市发展战略")
    core = _feature("urban_structure_areas", "市中心城区（核心）")
    river = placement.build_geometry(
        {"reach": "抚河", "from": "崇岗镇", "to": "抚北镇"}, layers.load
    )
    assert band.contains(river)
    assert band.intersection(core).area > 0.9 * band.area
    assert river.length == pytest.approx(14_000, rel=0.25)


def test_cross_layer_layouts_reuse_the_drawn_points() -> None:
    parks = to_work(layers.load("industrial_parks")).set_index("name")
    gandong = _feature("economic_platforms", "赣东新材料产业基地")
    want = shapely.union_all(
        [parks.loc[n].geometry for n in ("抚州高新区铜基材料产业园", "“宜黄之光”产业园")]
    )
    assert gandong.equals_exact(want, tolerance=0.01)
    system = _feature("economic_platforms", "“三区六城多点支撑”区域创新体系")
    assert len(system.geoms) == 8
    # the same points as the layers that draw them (up to the round trip through EPSG:4490)
    assert system.distance(_feature("data_centres", "抚州算力科创城")) < 0.01
    assert system.distance(_feature("agriculture_bases", "抚州（广昌）国家农业科技园区")) < 0.01
    hitech = parks.loc["抚州高新区"].geometry
    for name in ("智能通信设备制造基地", "浪潮江西信息技术应用创新产业设备生产基地"):
        assert parks.loc[name].geometry.distance(hitech) < 3000, name
        assert layers.load("industrial_parks").set_index("name").loc[name, "precision"] == (
            "illustrative"
        )
