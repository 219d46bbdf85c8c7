"""Terrain screening on synthetic DEMs with known slopes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from dem import RES, X0, Y0, N, cell_centres, write_dem

import rasterio
from geopandas import GeoDataFrame
from pyproj import Transformer
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point, box

from fzgeo.errors import DataNotFoundError, InputError
from fzgeo.raster import terrain


def sites(*geoms, crs: str = "EPSG:4548") -> GeoDataFrame:
    return GeoDataFrame({"id": range(len(geoms))}, geometry=list(geoms), crs=crs)


def inner_box(x0: float, y0: float, x1: float, y1: float):
    return box(X0 + x0, Y0 - y1, X0 + x1, Y0 - y0)


@pytest.mark.parametrize("degrees", [5.0, 15.0, 30.0, 45.0])
def test_planar_slope_is_exact(tmp_path: Path, degrees: float) -> None:
    x, y = cell_centres()
    z = (
        100
        + (x - X0) * math.tan(math.radians(degrees)) * 0.6
        + (y - Y0) * math.tan(math.radians(degrees)) * 0.8
    )
    dem = write_dem(tmp_path / "plane.tif", z)
    out = terrain.screen(dem, sites(inner_box(1000, 1000, 5000, 5000)))
    assert out.loc[0, "slope_mean"] == pytest.approx(degrees, abs=0.5)
    assert out.loc[0, "slope_max"] == pytest.approx(degrees, abs=0.5)
    assert out.loc[0, "nodata_cells"] == 0


def test_shares_above_15_and_25_degrees(tmp_path: Path) -> None:
    # west half 10 degrees, east half 30 degrees (a kinked surface, continuous at the kink)
    x, _ = cell_centres()
    d = x - X0
    kink = N * RES / 2
    z = np.where(
        d < kink,
        d * math.tan(math.radians(10)),
        kink * math.tan(math.radians(10)) + (d - kink) * math.tan(math.radians(30)),
    )
    dem = write_dem(tmp_path / "kink.tif", z)
    site = inner_box(kink - 3000, 1000, kink + 3000, 4000)  # half on each side
    out = terrain.screen(dem, sites(site))
    row = out.loc[0]
    assert row["share_gt_15"] == pytest.approx(0.5, abs=0.02)
    assert row["share_gt_25"] == pytest.approx(0.5, abs=0.02)
    assert row["slope_mean"] == pytest.approx(20.0, abs=0.5)
    assert row["slope_max"] == pytest.approx(30.0, abs=0.5)


def test_cone_has_its_analytic_slope(tmp_path: Path) -> None:
    x, y = cell_centres()
    cx, cy = X0 + N * RES / 2, Y0 - N * RES / 2
    z = 1000 - np.hypot(x - cx, y - cy) * math.tan(math.radians(20))
    dem = write_dem(tmp_path / "cone.tif", z)
    ring = Point(cx, cy).buffer(4000).difference(Point(cx, cy).buffer(500))
    out = terrain.screen(dem, sites(ring))
    assert out.loc[0, "slope_mean"] == pytest.approx(20.0, abs=0.5)


def test_geographic_dem_uses_metres(tmp_path: Path) -> None:
    # a 12-degree plane defined in EPSG:4548 metres, sampled on a CGCS2000 lon/lat grid
    res = 0.0003
    lon0, lat0 = 116.2, 28.0
    n = 300
    lons, lats = np.meshgrid(lon0 + (np.arange(n) + 0.5) * res, lat0 - (np.arange(n) + 0.5) * res)
    ex, _ = Transformer.from_crs(4490, 4548, always_xy=True).transform(lons, lats)
    z = (ex - ex.min()) * math.tan(math.radians(12))
    dem = write_dem(
        tmp_path / "geo.tif", z, crs="EPSG:4490", transform=from_origin(lon0, lat0, res, res)
    )
    site = box(lon0 + 0.01, lat0 - 0.07, lon0 + 0.07, lat0 - 0.01)
    out = terrain.screen(dem, sites(site, crs="EPSG:4490"))
    assert out.loc[0, "slope_mean"] == pytest.approx(12.0, abs=0.5)


def test_tiled_reading_gives_the_same_figures(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    z = np.cumsum(rng.normal(0, 3, (N, N)), axis=1)
    dem = write_dem(tmp_path / "rough.tif", z)
    gdf = sites(
        inner_box(500, 500, 11000, 11000),
        LineString([(X0 + 100, Y0 - 100), (X0 + 9000, Y0 - 7000)]),
    )
    whole = terrain.screen(dem, gdf, tile=4096)
    tiled = terrain.screen(dem, gdf, tile=37)
    assert np.allclose(whole.to_numpy(dtype=float), tiled.to_numpy(dtype=float), equal_nan=True)


def test_nodata_is_counted_not_flattened(tmp_path: Path) -> None:
    x, _ = cell_centres()
    z = (x - X0) * math.tan(math.radians(20))
    z[100:150, 100:150] = -9999
    dem = write_dem(tmp_path / "holes.tif", z, nodata=-9999)
    site = inner_box(90 * RES, 90 * RES, 160 * RES, 160 * RES)
    out = terrain.screen(dem, sites(site)).loc[0]
    assert out["nodata_cells"] > 2500
    assert 0.5 < out["nodata_share"] < 0.75
    assert out["slope_max"] == pytest.approx(20.0, abs=0.5)


def test_site_outside_and_points_and_order(tmp_path: Path) -> None:
    x, _ = cell_centres()
    dem = write_dem(tmp_path / "p.tif", (x - X0) * math.tan(math.radians(8)))
    gdf = sites(box(0, 0, 10, 10), Point(X0 + 3000, Y0 - 3000), inner_box(300, 300, 900, 900))
    gdf.index = [10, 5, 7]
    out = terrain.screen(dem, gdf)
    assert list(out.index) == [10, 5, 7]
    assert out.loc[10, "cells"] == 0
    assert math.isnan(out.loc[10, "slope_mean"])
    assert out.loc[5, "slope_mean"] == pytest.approx(8.0, abs=0.5)
    assert out.loc[7, "share_gt_15"] == 0.0


def test_bad_dem_inputs(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError):
        terrain.screen(tmp_path / "none.tif", sites(Point(X0, Y0)))
    junk = tmp_path / "junk.tif"
    junk.write_text("not a tiff")
    with pytest.raises(InputError, match="cannot open the DEM"):
        terrain.screen(junk, sites(Point(X0, Y0)))
    nocrs = tmp_path / "nocrs.tif"
    with pytest.warns(rasterio.errors.NotGeoreferencedWarning):  # noqa: SIM117
        with rasterio.open(
            nocrs, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32"
        ) as dst:
            dst.write(np.zeros((4, 4), "float32"), 1)
    with pytest.raises(InputError, match="declares no CRS"):
        terrain.screen(nocrs, sites(Point(X0, Y0)))


def test_cli_terrain_writes_a_csv_per_site(tmp_path: Path) -> None:
    from fzgeo import io
    from fzgeo.cli import main

    x, _ = cell_centres()
    dem = write_dem(tmp_path / "p.tif", (x - X0) * math.tan(math.radians(30)))
    site_file = tmp_path / "sites.gpkg"
    io.write(
        sites(inner_box(300, 300, 3000, 3000), inner_box(600, 600, 900, 900)).to_crs(4490),
        site_file,
    )
    out = tmp_path / "slope.csv"
    assert main(["raster", "terrain", str(dem), str(site_file), "--out", str(out)]) == 0
    import pandas as pd

    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns) == [
        "id",
        "平均坡度（度）",
        "最大坡度（度）",
        "坡度大于15°的面积比例（%）",
        "坡度大于25°的面积比例（%）",
        "参与计算的栅格数",
        "无数据栅格数",
        "无数据比例（%）",
    ]
    assert list(table["id"]) == [0, 1]
    assert table["坡度大于25°的面积比例（%）"].tolist() == [100.0, 100.0]  # shares in %
    assert table["平均坡度（度）"].round(0).tolist() == [30.0, 30.0]
    assert table["平均坡度（度）"].map(lambda v: round(v, 2) == v).all()  # 0.01° as reported


def test_cli_terrain_neutralises_formula_cells(tmp_path: Path) -> None:
    from fzgeo import io
    from fzgeo.cli import main

    x, _ = cell_centres()
    dem = write_dem(tmp_path / "p.tif", (x - X0) * 0.1)
    gdf = sites(inner_box(300, 300, 900, 900)).to_crs(4490)
    gdf["name"] = ['=HYPERLINK("http://x")']
    site_file = tmp_path / "s.gpkg"
    io.write(gdf, site_file)
    out = tmp_path / "slope.csv"
    assert main(["raster", "terrain", str(dem), str(site_file), "--out", str(out)]) == 0
    assert "'=HYPERLINK" in out.read_text(encoding="utf-8-sig")
