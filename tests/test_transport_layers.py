"""Transport and urban-structure layers: counts, statuses, validity, clipping, styles, build."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import shapely
from geopandas import GeoDataFrame

from fzgeo import io, styles
from fzgeo.crs import to_work
from fzgeo.errors import ConfigError
from fzgeo.plan import admin, gazetteer, layers, placement
from fzgeo.plan.schema import LayerKind

KINDS = (
    "railways",
    "transport_stations",
    "highways",
    "highway_interchanges",
    "urban_structure_nodes",
    "urban_structure_areas",
    "urban_structure_links",
    "opening_corridors",
)
LINE_KINDS = ("railways", "highways", "urban_structure_links", "opening_corridors")


@pytest.fixture(scope="module")
def city() -> shapely.Geometry:
    return admin.city_work(layers.load)


def _names(name: str) -> set[str]:
    return set(layers.load(name)["name"])


@pytest.mark.parametrize("name", KINDS)
def test_valid_in_storage_crs_and_inside_the_city(name: str, city: shapely.Geometry) -> None:
    gdf = layers.load(name)
    assert gdf.crs.to_epsg() == 4490
    assert len(gdf) > 0
    assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()
    outside = to_work(gdf).geometry.difference(city.buffer(1.0))
    assert outside.is_empty.all(), list(gdf.loc[~outside.is_empty, "name"])


@pytest.mark.parametrize("name", KINDS)
def test_style_covers_every_category(name: str) -> None:
    style = styles.style(layers.kind(name).style)
    assert style.reference
    if style.category_field:
        values = set(layers.load(name)[style.category_field].dropna())
        assert values <= {c.value for c in style.categories}


def test_railways_named_by_the_plan_with_status() -> None:
    rail = layers.load("railways").set_index("name")
    existing = {"向莆铁路", "沪昆高铁", "沪昆铁路（浙赣线）", "鹰厦铁路", "向乐铁路"}
    planned = {"吉抚武温铁路", "昌厦（福）高铁", "景鹰瑞铁路", "昌抚市域铁路"}
    assert set(rail.index) == existing | planned
    assert set(rail.loc[list(existing), "status"]) == {"existing"}
    assert set(rail.loc[list(planned), "status"]) == {"planned"}
    assert rail.loc["沪昆高铁", "legend"] == "高速铁路（现状）"
    assert rail.loc["昌厦（福）高铁", "legend"] == "高速铁路（规划）"
    assert rail.loc["吉抚武温铁路", "stage"] == "开工建设"
    assert (rail["precision"] == "schematic").all()


def test_lines_are_split_at_the_city_boundary(city: shapely.Geometry) -> None:
    """向莆 is drawn from 向塘 (outside) and leaves toward 建宁: only the in-city part is kept."""
    rail = to_work(layers.load("railways")).set_index("name")
    full = placement.build_geometry(
        {"line": ["向塘站", "抚州站", "腾桥站", "南城站", "南丰站", "傅坊乡", "建宁县北站"]}
    )
    inside, outside = placement.split_at_boundary(full, city)
    assert outside.length > 20_000  # 向塘 to the border, and the border to 建宁
    assert rail.loc["向莆铁路"].geometry.length == pytest.approx(inside.length, rel=1e-6)
    assert inside.length + outside.length == pytest.approx(full.length, rel=1e-9)
    # the stored line reaches the boundary (it was cut there), not a station beyond it
    ends = shapely.get_coordinates(shapely.boundary(rail.loc["向莆铁路"].geometry))
    assert min(city.boundary.distance(shapely.Point(xy)) for xy in ends) < 1.0


def test_lengths_are_in_city_metres() -> None:
    rail = layers.load("railways")
    assert rail["length_km"].to_numpy() == pytest.approx(
        (to_work(rail).length / 1000).round(2).to_numpy()
    )
    # 沪昆高铁 crosses 东乡区 only: a few tens of km, not its 2 000 km
    assert 20 < rail.set_index("name").loc["沪昆高铁", "length_km"] < 60


def test_real_osm_stations_are_surveyed_hubs_schematic() -> None:
    st = layers.load("transport_stations")
    osm = st.loc[st["station_type"] == "铁路车站"]
    assert len(osm) == 12 and (osm["precision"] == "surveyed").all()
    for _, row in osm.iterrows():
        place = gazetteer.lookup(row["name"])
        assert place.kind == "railway_station"
        assert row.geometry.distance(place.point) < 1e-9
    hubs = st.loc[st["station_type"] != "铁路车站"]
    assert {"抚州东乡高铁交通枢纽站", "乐安交通综合客运枢纽站", "金溪客运总站"} <= set(hubs["name"])
    # hubs at a named seat are schematic; the 东乡 hub is drawn 400 m off 抚州东站: illustrative
    assert set(hubs["precision"]) == {"schematic", "illustrative"}
    assert set(hubs.loc[hubs["precision"] == "illustrative", "name"]) == {"抚州东乡高铁交通枢纽站"}
    assert set(hubs["status"]) == {"planned"}
    named = st.set_index("name")
    assert named.loc["抚州站", "inventory_id"] == "fuzhou_station"
    assert named.loc["抚州东站", "source_line"] == 1005


def test_highways_expressways_projects_and_roads() -> None:
    hw = layers.load("highways").set_index("name")
    new = {"抚州东临环城高速", "贵溪至资溪高速", "南昌至南丰（赣闽界）高速", "彭泽至东乡高速"}
    assert set(hw.loc[list(new), "stage"]) == {"新建"}
    assert hw.loc["梨温高速（沪昆高速）四改八", "stage"] == "改扩建"
    assert {"资光高速", "船广高速", "东昌高速", "抚州东外环高速"} <= set(hw.index)
    assert {"G206", "G316"} <= set(hw["road_code"].dropna())
    assert hw.loc["国道G206", "road_class"] == "国道"
    assert hw.loc["抚州—宜黄快速公路", "legend"] == "快速公路（规划）"


def test_interchanges_lie_on_their_expressway() -> None:
    ic = to_work(layers.load("highway_interchanges"))
    hw = to_work(layers.load("highways")).set_index("name")
    assert len(ic) == 4
    for _, row in ic.iterrows():
        assert hw.loc[row["expressway"]].geometry.distance(row.geometry) < 1.0, row["name"]


def test_urban_structure_one_core_four_satellites() -> None:
    nodes = layers.load("urban_structure_nodes")
    assert sorted(nodes["role"]) == ["卫星城"] * 4 + ["核心"]
    areas = to_work(layers.load("urban_structure_areas")).set_index("name")
    core = areas.loc["市中心城区（核心）"].geometry
    for part in ("临川区（中心城区组团）", "抚州高新区", "东临新区", "温泉景区"):
        assert areas.loc[part, "role"] == "核心组团"
        assert core.contains(areas.loc[part].geometry), part
    assert (areas["precision"] == "illustrative").all()
    links = layers.load("urban_structure_links")
    assert sorted(links["to_node"]) == ["东乡", "南城", "崇仁", "金溪"]
    # each satellite disc lies in its own county
    admin = to_work(layers.load("admin_boundaries")).set_index("name")
    for _, row in areas.loc[areas["role"] == "卫星城"].iterrows():
        assert admin.loc[row["county"]].geometry.contains(row.geometry), row.name


def test_opening_corridors_four_directions() -> None:
    axes = layers.load("opening_corridors")
    assert sorted(axes["direction"]) == sorted(["西北", "西南", "东南", "东北"])
    assert set(axes["source_line"]) == {1167}
    assert axes["target_region"].str.len().gt(0).all()


def test_split_at_boundary_lengths_add_up() -> None:
    square = shapely.box(0, 0, 10, 10)
    line = shapely.LineString([(-5, 5), (15, 5), (15, 8), (5, 8)])
    inside, outside = placement.split_at_boundary(line, square)
    assert inside.length == pytest.approx(15.0)
    assert outside.length == pytest.approx(line.length - 15.0)
    with pytest.raises(ConfigError, match="only split lines"):
        placement.split_at_boundary(square, square)


def test_clip_rejects_a_line_wholly_outside_the_city() -> None:
    kind = layers.kind("railways")
    doc = {"clip": "city", "features": [{"name": "外", "geometry": {"line": ["南昌站", "向塘站"]}}]}
    with pytest.raises(ConfigError, match=r"feature 0 \(外\).*wholly outside"):
        placement.features_to_gdf(doc, kind=kind, load=layers.load)
    bad = {
        "clip": "county",
        "features": [{"name": "x", "geometry": {"line": ["抚州站", "南城站"]}}],
    }
    with pytest.raises(ConfigError, match="clip must be 'city'"):
        placement.features_to_gdf(bad, kind=kind)


def test_clip_leaves_unclipped_documents_alone() -> None:
    kind = LayerKind(name="t", name_zh="t", geometry_type="LineString")
    doc = {"features": [{"name": "x", "geometry": {"line": ["南昌站", "抚州站"]}}]}
    gdf = placement.features_to_gdf(doc, kind=kind)
    assert to_work(gdf).length.iloc[0] > 90_000  # 南昌 to 抚州 whole (about 93 km)


def test_of_layer_takes_the_named_features_geometry() -> None:
    kind = LayerKind(name="t", name_zh="t", geometry_type="LineString")
    roads = layers.load("highways")
    names = list(roads["name"].iloc[:2])
    doc = {"features": [{"name": "网", "geometry": {"of_layer": "highways", "names": names}}]}
    frame = placement.features_to_gdf(doc, kind=kind, load=layers.load)
    members = to_work(roads[roads["name"].isin(names)]).length.sum()
    assert to_work(frame).length.iloc[0] == pytest.approx(members, rel=1e-6)
    doc["features"][0]["geometry"]["names"] = ["无此路"]
    with pytest.raises(ConfigError, match="no feature named"):
        placement.features_to_gdf(doc, kind=kind, load=layers.load)


@pytest.mark.parametrize(
    "spec, clip",
    [
        ({"of_layer": "highways", "names": ["x"]}, None),
        ({"counties": ["南城县"]}, None),
        ({"reach": "抚河", "from": "南城县", "to": "抚州市"}, None),
        ({"on_river": "抚河", "at": "抚州市"}, None),
        ({"line": ["南昌站", "抚州站"]}, "city"),
    ],
)
def test_specs_that_read_another_layer_need_a_loader(spec: dict, clip: str | None) -> None:
    """Placement reads other layers only through the ``load`` it is given, never the registry."""
    kind = LayerKind(name="t", name_zh="t", geometry_type="LineString")
    doc = {"clip": clip, "features": [{"name": "x", "geometry": spec}]}
    with pytest.raises(ConfigError, match="reads another layer: pass load"):
        placement.features_to_gdf(doc, kind=kind)


def test_build_writes_the_layers(tmp_path: Path) -> None:
    from fzgeo.cli import main

    out = tmp_path / "transport.gpkg"
    assert main(["build", "--out", str(out), "--no-project", *KINDS]) == 0
    assert set(KINDS) <= set(io.list_layers(out))
    back = io.read(out, layer="railways")
    assert isinstance(back, GeoDataFrame) and len(back) == len(layers.load("railways"))
    assert back.crs.to_epsg() == 4490
    with sqlite3.connect(out) as con:
        n = con.execute("select count(*) from layer_styles where f_table_name = 'highways'")
        assert n.fetchone()[0] >= 1


@pytest.mark.parametrize(
    "name", ["transport_stations", "highway_interchanges", "urban_structure_nodes"]
)
def test_points_lie_in_the_county_they_name(name: str) -> None:
    admin = to_work(layers.load("admin_boundaries")).set_index("name")
    pts = to_work(layers.load(name))
    wrong = [
        row["name"]
        for _, row in pts.iterrows()
        if not admin.loc[row["county"]].geometry.contains(row.geometry)
    ]
    assert not wrong


def test_stations_lie_on_the_railways_they_serve() -> None:
    rail = to_work(layers.load("railways")).set_index("name")
    st = to_work(layers.load("transport_stations"))
    osm = st.loc[st["station_type"] == "铁路车站"]
    checked = 0
    for _, row in osm.iterrows():
        for served in str(row["lines"]).split("；"):
            line = served.removeprefix("规划").split("（终点）")[0]
            assert line in rail.index, (row["name"], line)
            assert rail.loc[line].geometry.distance(row.geometry) < 1.0, (row["name"], line)
            checked += 1
    assert checked >= 12
