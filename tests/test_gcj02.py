"""GCJ-02 / BD-09 conversion against published reference pairs and round trips."""

from __future__ import annotations

import numpy as np
import pytest

from geopandas import GeoDataFrame
from shapely.geometry import Point, Polygon

from fzgeo import gcj02

# (wgs84 lon, wgs84 lat, gcj02 lon, gcj02 lat): published test vectors of the GCJ-02 formula
# (eviltransform's test suite: Shanghai, Shenzhen, Beijing; coordtransform: Beijing 116.404, 39.915).
# eviltransform uses the WGS84 radius where the original formula uses Krasovsky's; the two differ by
# under 1e-7 degree, hence the tolerance.
WGS_GCJ = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),
]


@pytest.mark.parametrize(("lon", "lat", "glon", "glat"), WGS_GCJ)
def test_forward_matches_reference(lon: float, lat: float, glon: float, glat: float) -> None:
    x, y = gcj02.wgs84_to_gcj02(lon, lat)
    assert x == pytest.approx(glon, abs=2e-7)
    assert y == pytest.approx(glat, abs=2e-7)


@pytest.mark.parametrize(("lon", "lat", "glon", "glat"), WGS_GCJ)
def test_inverse_matches_reference(lon: float, lat: float, glon: float, glat: float) -> None:
    x, y = gcj02.gcj02_to_wgs84(glon, glat)
    assert x == pytest.approx(lon, abs=2e-7)
    assert y == pytest.approx(lat, abs=2e-7)


def test_gcj_to_bd09_reference() -> None:
    # coordtransform's published pair for GCJ-02 (116.404, 39.915)
    x, y = gcj02.gcj02_to_bd09(116.404, 39.915)
    assert (float(x), float(y)) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-9)


def test_round_trip_below_1e7_degree_over_fuzhou() -> None:
    rng = np.random.default_rng(0)
    lon = rng.uniform(115.5, 117.4, 50_000)
    lat = rng.uniform(26.4, 28.6, 50_000)
    for via in ("gcj02", "bd09"):
        fx, fy = gcj02.convert_xy(lon, lat, src="wgs84", dst=via)
        bx, by = gcj02.convert_xy(fx, fy, src=via, dst="wgs84")
        assert np.abs(bx - lon).max() < 1e-7
        assert np.abs(by - lat).max() < 1e-7


def test_offset_in_fuzhou_is_a_few_hundred_metres() -> None:
    x, y = gcj02.wgs84_to_gcj02(116.35, 27.95)
    dx = (float(x) - 116.35) * 111_320 * np.cos(np.radians(27.95))
    dy = (float(y) - 27.95) * 110_540
    assert 300 < np.hypot(dx, dy) < 700


def test_outside_china_is_identity() -> None:
    x, y = gcj02.wgs84_to_gcj02([2.35, -70.0], [48.85, -33.4])
    assert np.allclose(x, [2.35, -70.0])
    assert np.allclose(y, [48.85, -33.4])


def test_convert_gdf_keeps_attributes_and_crs() -> None:
    gdf = GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[Point(116.35, 27.95), Polygon([(116, 27), (116.1, 27), (116.1, 27.1)])],
        crs=4490,
    )
    out = gcj02.convert_gdf(gdf, src="gcj02", dst="wgs84")
    assert list(out["name"]) == ["a", "b"]
    assert out.crs == gdf.crs
    back = gcj02.convert_gdf(out, src="wgs84", dst="gcj02")
    assert back.geometry.geom_equals_exact(gdf.geometry, tolerance=1e-7).all()
    assert not out.geometry.geom_equals_exact(gdf.geometry, tolerance=1e-4).any()


def test_projected_input_is_refused() -> None:
    gdf = GeoDataFrame(geometry=[Point(500000, 3000000)], crs=4548)
    with pytest.raises(ValueError, match="needs lon/lat degrees"):
        gcj02.convert_gdf(gdf, src="gcj02", dst="wgs84")


def test_unknown_system_is_refused() -> None:
    with pytest.raises(ValueError, match="must be one of"):
        gcj02.convert_xy(1, 2, src="wgs84", dst="utm")  # type: ignore[arg-type]
