"""The layer registry and the real administrative boundaries."""

from __future__ import annotations

import pytest

import shapely

from fzgeo import crs, styles
from fzgeo.errors import UnknownLayerError
from fzgeo.plan import admin, layers
from fzgeo.plan.schema import PRECISIONS


@pytest.fixture(scope="module")
def boundaries():
    return layers.load("admin_boundaries")


def test_admin_layer_has_city_and_eleven_counties(boundaries) -> None:
    assert len(boundaries) == 12
    assert boundaries.crs.to_epsg() == 4490
    assert set(boundaries["precision"]) == {"surveyed"}
    counties = boundaries[boundaries["level"] == "county"]
    assert sorted(counties["name"]) == sorted(
        n for n, lvl in admin.UNITS.values() if lvl == "county"
    )
    assert set(boundaries["adcode"]) == set(admin.UNITS)


def test_city_area_within_1_5_percent_of_official(boundaries) -> None:
    city = boundaries[boundaries["level"] == "city"]
    area = float(crs.to_work(city).area.iloc[0]) / 1e6
    assert abs(area - admin.OFFICIAL_CITY_AREA_KM2) / admin.OFFICIAL_CITY_AREA_KM2 < 0.015
    assert float(city["area_km2"].iloc[0]) == pytest.approx(area, rel=1e-6)
    counties = boundaries[boundaries["level"] == "county"]
    assert counties["area_km2"].between(1000, 2600).all()


def test_counties_tile_the_city(boundaries) -> None:
    work = crs.to_work(boundaries)
    city = work[work["level"] == "city"].geometry.iloc[0]
    counties = work[work["level"] == "county"].geometry
    union = shapely.union_all(counties.values)
    gaps = city.difference(union).area
    spill = union.difference(city).area
    overlaps = sum(
        a.intersection(b).area
        for i, a in enumerate(counties)
        for b in list(counties)[i + 1 :]
        if a.intersects(b)
    )
    tolerance = 0.0001 * city.area  # 0.01 % of the city: about 1.9 km2
    assert gaps < tolerance, f"gaps {gaps / 1e6:.3f} km2"
    assert spill < tolerance, f"spill {spill / 1e6:.3f} km2"
    assert overlaps < tolerance, f"overlaps {overlaps / 1e6:.3f} km2"


def test_converted_boundary_moved_by_the_gcj02_offset(shared_dir, boundaries) -> None:
    import json

    from shapely.geometry import shape

    data = json.loads(
        (shared_dir / "data/admin_amap_gcj02/361002.geojson").read_text(encoding="utf-8")
    )
    gcj = shape(data)
    ours = boundaries[boundaries["adcode"] == 361002].geometry.iloc[0]
    dx = ours.centroid.x - gcj.centroid.x
    dy = ours.centroid.y - gcj.centroid.y
    # shared/data/README.md measured about (-0.0050, +0.0031) degree for 临川区
    assert dx == pytest.approx(-0.0050, abs=0.0004)
    assert dy == pytest.approx(0.0031, abs=0.0004)


def test_city_and_county_shapes_are_the_admin_layer_in_the_work_crs(boundaries) -> None:
    """One implementation, built once per loader, for placement and the builders alike."""
    work = crs.to_work(boundaries)
    city = admin.city_work(layers.load)
    assert city.equals(work.loc[work["level"] == "city"].geometry.iloc[0])
    assert admin.city_work(layers.load) is city
    counties = admin.counties_work(layers.load)
    assert list(counties) == list(work.loc[work["level"] == "county", "name"])
    assert counties["南城县"].equals(work.set_index("name").loc["南城县"].geometry)
    with pytest.raises(TypeError):
        counties["x"] = city  # type: ignore[index]  # shared between callers: read-only


def test_city_shape_needs_a_city_feature(boundaries) -> None:
    from fzgeo.errors import ConfigError

    counties_only = boundaries[boundaries["level"] == "county"]

    def load(name: str):
        assert name == "admin_boundaries"
        return counties_only.copy()

    with pytest.raises(ConfigError, match="no feature of level 'city'"):
        admin.city_work(load)
    assert len(admin.counties_work(load)) == 11


def test_builders_get_the_registry_load_in_their_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry passes its own ``load``: builders never import it (no import cycle)."""
    from fzgeo.plan.schema import LayerKind, empty_layer

    seen = []
    kind = LayerKind(
        name="ctx_probe", name_zh="探针", geometry_type="Point", build={"type": "probe"}
    )
    monkeypatch.setattr(layers, "kind", {"ctx_probe": kind}.__getitem__)

    def probe(ctx):
        seen.append((ctx.kind, ctx.load))
        return empty_layer(ctx.kind)

    monkeypatch.setitem(layers._BUILDERS, "probe", probe)
    try:
        assert layers.load("ctx_probe").empty
    finally:
        layers._build_cached.cache_clear()
    assert seen == [(kind, layers.load)]


def test_regenerate_reproduces_the_packaged_file(shared_dir, tmp_path) -> None:
    out = tmp_path / "admin.geojson"
    regenerated = admin.regenerate(out, source=shared_dir / "data/admin_amap_gcj02")
    packaged = layers.load("admin_boundaries")
    assert list(regenerated["adcode"]) == list(packaged["adcode"])
    assert regenerated.geometry.geom_equals_exact(packaged.geometry, tolerance=2e-7).all()


def test_every_kind_builds_validates_and_has_a_style() -> None:
    for name in layers.available():
        kind = layers.kind(name)
        gdf = layers.load(name)
        assert gdf.crs.to_epsg() == 4490, name
        assert set(gdf["precision"]) <= set(PRECISIONS), name
        assert gdf.geometry.is_valid.all(), name
        assert kind.style in styles.available(), f"{name}: no style {kind.style!r}"


def test_load_returns_a_copy() -> None:
    a = layers.load("admin_boundaries")
    a.loc[0, "name"] = "changed"
    assert layers.load("admin_boundaries").loc[0, "name"] == "抚州市"


def test_unknown_layer_lists_the_available_ones() -> None:
    with pytest.raises(
        UnknownLayerError, match=r"unknown layer kind 'nope'; available: .*admin_boundaries"
    ):
        layers.kind("nope")


def test_summary_reports_counts_and_precision_mix() -> None:
    table = layers.summary({"admin_boundaries": layers.load("admin_boundaries")})
    row = table.iloc[0]
    assert row["features"] == 12
    assert row["precision"] == "surveyed 12"
    assert row["中文名"].startswith("行政区划")


def test_a_dependency_cycle_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from fzgeo.errors import ConfigError
    from fzgeo.plan.schema import LayerKind

    kinds = {
        n: LayerKind(name=n, name_zh=n, geometry_type="Point", build={"type": "cyclic"})
        for n in ("cyc_a", "cyc_b")
    }
    other = {"cyc_a": "cyc_b", "cyc_b": "cyc_a"}
    monkeypatch.setattr(layers, "kind", kinds.__getitem__)
    monkeypatch.setitem(layers._BUILDERS, "cyclic", lambda ctx: ctx.load(other[ctx.kind.name]))
    layers._build_cached.cache_clear()
    try:
        with pytest.raises(ConfigError, match="layer build cycle: cyc_a -> cyc_b -> cyc_a"):
            layers.load("cyc_a")
        assert layers._BUILDING == []
    finally:
        layers._build_cached.cache_clear()
