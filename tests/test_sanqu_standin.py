"""The illustrative 三区三线 stand-in: valid, in the city, mutually consistent, honestly labelled."""

from __future__ import annotations

import itertools

import pytest

import shapely
from geopandas import GeoDataFrame

from fzgeo.crs import to_work
from fzgeo.plan import layers

LINES = ("eco_redline", "basic_farmland", "urban_boundary")
#: Overlap allowed between layers, in m²: the lines are cut from each other in EPSG:4548 and stored
#: in EPSG:4490, and the round trip leaves numerical slivers far below any parcel.
OVERLAP_M2 = 1.0


def _work(name: str) -> GeoDataFrame:
    return to_work(layers.load(name))


def _union(name: str) -> shapely.Geometry:
    return shapely.union_all(_work(name).geometry.values)


@pytest.fixture(scope="module")
def city() -> shapely.Geometry:
    admin = _work("admin_boundaries")
    return admin.loc[admin["level"] == "city"].geometry.iloc[0]


@pytest.mark.parametrize("name", [*LINES, "spatial_zones"])
def test_valid_storage_crs_illustrative(name: str) -> None:
    gdf = layers.load(name)
    assert gdf.crs.to_epsg() == 4490
    assert len(gdf) > 0
    assert gdf.geometry.is_valid.all()
    assert not gdf.geometry.is_empty.any()
    assert (gdf["precision"] == "illustrative").all()
    assert gdf["name"].str.contains("示意").all()
    assert gdf["note"].str.contains("示意").all()


@pytest.mark.parametrize("name", [*LINES, "spatial_zones"])
def test_valid_in_storage_and_work_crs(name: str) -> None:
    """Stored in EPSG:4490 and measured in EPSG:4548: valid in both, so no check repairs them."""
    stored = layers.load(name)
    assert stored.geometry.is_valid.all()
    work = to_work(stored)
    assert work.loc[~work.geometry.is_valid, "name"].tolist() == []
    assert (work.geometry.geom_type.isin(["Polygon", "MultiPolygon"])).all()


@pytest.mark.parametrize("name", [*LINES, "spatial_zones"])
def test_inside_city(name: str, city: shapely.Geometry) -> None:
    outside = _work(name).geometry.difference(city).area
    assert outside.max() < OVERLAP_M2


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(LINES, 2)))
def test_three_lines_do_not_overlap(a: str, b: str) -> None:
    """Planners' rule: red line, farmland and urban boundary exclude each other."""
    assert _union(a).intersection(_union(b)).area < OVERLAP_M2


@pytest.mark.parametrize("name", LINES)
def test_features_of_a_line_do_not_overlap_each_other(name: str) -> None:
    geoms = list(_work(name).geometry)
    total = sum(g.area for g in geoms)
    assert total - shapely.union_all(geoms).area < OVERLAP_M2


def test_zones_partition_the_city(city: shapely.Geometry) -> None:
    zones = _work("spatial_zones").set_index("zone").geometry
    assert sorted(zones.index) == ["农业空间", "城镇空间", "生态空间"]
    for a, b in itertools.combinations(zones.index, 2):
        assert zones[a].intersection(zones[b]).area < 10 * OVERLAP_M2
    assert zones.area.sum() == pytest.approx(city.area, rel=1e-6)


@pytest.mark.parametrize(
    ("line", "zone"),
    [("urban_boundary", "城镇空间"), ("basic_farmland", "农业空间"), ("eco_redline", "生态空间")],
)
def test_each_line_lies_in_its_zone(line: str, zone: str) -> None:
    zones = _work("spatial_zones").set_index("zone").geometry
    assert _union(line).difference(zones[zone]).area < OVERLAP_M2


def test_plausible_shares_of_the_city(city: shapely.Geometry) -> None:
    """Shares of the same order as real 三区三线 (red line about a quarter, urban a few %)."""
    share = {name: _union(name).area / city.area for name in LINES}
    assert 0.10 < share["eco_redline"] < 0.40
    assert 0.08 < share["basic_farmland"] < 0.30
    assert 0.01 < share["urban_boundary"] < 0.06


def test_every_county_seat_has_an_urban_boundary() -> None:
    urban = layers.load("urban_boundary")
    counties = set(layers.load("admin_boundaries").query("level == 'county'")["name"])
    assert set(urban["county"]) == counties
    assert urban["name"].str.contains("中心城区").sum() == 1


def test_redline_holds_the_protected_nodes() -> None:
    red = layers.load("eco_redline")
    for node in ("马头山国家级自然保护区", "洪门水库", "廖坊水库"):
        assert red["name"].str.startswith(node).sum() == 1
    assert red["name"].str.startswith("武夷山生态保护红线").any()
    assert red["function"].notna().all()


def test_a_site_in_the_fuhe_valley_near_nancheng_hits_farmland() -> None:
    """The stand-in is meant to show real conflicts: farmland lies around the county seats."""
    from fzgeo.plan import gazetteer

    seat = gazetteer.lookup("南城县")
    farm = layers.load("basic_farmland")
    urban = layers.load("urban_boundary")
    near = shapely.Point(seat.lon + 0.045, seat.lat)  # about 4.5 km east of the seat
    assert farm.geometry.contains(near).any()
    assert urban.geometry.contains(shapely.Point(seat.lon, seat.lat)).any()


def test_nature_reserves_of_protected_areas_lie_in_the_red_line(city: shapely.Geometry) -> None:
    """The national rule: nature reserves are inside the 生态保护红线 (one geometry, not two)."""
    areas = _work("protected_areas")
    reserves = areas.loc[areas["area_type"] == "自然保护区"]
    assert len(reserves) >= 1
    red = _union("eco_redline")
    for name, geom in zip(reserves["name"], reserves.geometry, strict=True):
        assert geom.intersection(city).difference(red).area < OVERLAP_M2, name
