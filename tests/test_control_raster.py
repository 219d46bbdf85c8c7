"""The control raster: CRS, grid, colour table, category names; sampling agrees with the vectors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

import rasterio
import shapely
from geopandas import GeoDataFrame, GeoSeries
from shapely.geometry import Point, box

from fzgeo.crs import to_work
from fzgeo.plan import layers
from fzgeo.raster import control

RES = 30.0


def _layer(*geoms, crs: int = 4548) -> GeoDataFrame:
    return GeoDataFrame(
        {"name": [f"f{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=crs
    ).to_crs(4490)


@pytest.fixture(scope="module")
def scene() -> dict[str, GeoDataFrame]:
    city = layers.load("admin_boundaries").query("level == 'county' and name == '临川区'")
    c = to_work(city).geometry.iloc[0].representative_point()
    x, y = c.x, c.y
    red = Point(x - 3000, y + 2000).buffer(2500).difference(Point(x - 3000, y + 2000).buffer(600))
    farm = box(x - 1000, y - 4000, x + 6000, y + 1000)  # overlaps the red line's edge
    urban = box(x + 3000, y - 9000, x + 9000, y - 2000)  # overlaps the farmland
    return {
        "boundary": city,
        "eco_redline": _layer(red),
        "basic_farmland": _layer(farm),
        "urban_boundary": _layer(urban),
    }


@pytest.fixture(scope="module")
def raster(scene: dict[str, GeoDataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("control") / "control.tif"
    lays = {k: v for k, v in scene.items() if k != "boundary"}
    return control.write_control(lays, scene["boundary"], out, res=RES, block_rows=97)


def test_grid_crs_and_alignment(raster: Path) -> None:
    with rasterio.open(raster) as src:
        assert src.crs.to_epsg() == 4548
        assert src.res == (RES, RES)
        assert src.transform.c % RES == 0
        assert src.transform.f % RES == 0
        assert src.nodata == 255
        assert src.dtypes == ("uint8",)
        assert src.overviews(1), "a COG carries overviews"
        assert src.tags(1)["CLASS_1"] == "生态保护红线"


def test_colour_table_and_category_names_in_gdal(raster: Path) -> None:
    info = json.loads(
        subprocess.run(
            ["gdalinfo", "-json", str(raster)], capture_output=True, text=True, check=True
        ).stdout
    )
    band = info["bands"][0]
    assert band["colorInterpretation"] == "Palette"
    entries = band["colorTable"]["entries"]
    assert entries[1][:3] != entries[2][:3] != entries[3][:3]
    assert band["categories"][:4] == [
        "其他（市域内）",
        "生态保护红线",
        "永久基本农田",
        "城镇开发边界",
    ]
    assert info["metadata"]["IMAGE_STRUCTURE"]["LAYOUT"] == "COG"
    assert info["metadata"][""]["SOURCE_LAYERS"] == "eco_redline,basic_farmland,urban_boundary"


def _vector_class(scene: dict[str, GeoDataFrame], pts: GeoSeries) -> np.ndarray:
    out = np.full(len(pts), 255, np.uint8)
    inside_city = to_work(scene["boundary"]).geometry.iloc[0]
    out[shapely.contains_xy(inside_city, pts.x, pts.y)] = 0
    for cls in reversed(control.CLASSES):
        geom = to_work(scene[cls.layer]).geometry.union_all()
        out[shapely.contains_xy(geom, pts.x, pts.y)] = cls.code
    return out


def test_sampling_agrees_with_vectors_away_from_boundaries(
    raster: Path, scene: dict[str, GeoDataFrame]
) -> None:
    rng = np.random.default_rng(7)
    with rasterio.open(raster) as src:
        b = src.bounds
    pts = GeoSeries(
        shapely.points(rng.uniform(b.left, b.right, 4000), rng.uniform(b.bottom, b.top, 4000)),
        crs=4548,
    )
    sampled = control.sample(raster, GeoDataFrame(geometry=pts))
    expected = _vector_class(scene, pts)
    edges = shapely.union_all(
        [
            to_work(scene[k]).geometry.boundary.union_all()
            for k in ("eco_redline", "basic_farmland", "urban_boundary", "boundary")
        ]
    )
    far = shapely.distance(edges, pts.values) > RES * 1.5
    assert far.sum() > 3000
    assert (sampled[far] == expected[far]).all()
    assert set(np.unique(sampled[far])) >= {0, 1, 2, 3, 255}


def test_priority_red_line_over_farmland_over_urban(
    raster: Path, scene: dict[str, GeoDataFrame]
) -> None:
    red = to_work(scene["eco_redline"]).geometry.iloc[0]
    farm = to_work(scene["basic_farmland"]).geometry.iloc[0]
    urban = to_work(scene["urban_boundary"]).geometry.iloc[0]
    both = red.intersection(farm).buffer(-RES * 2).representative_point()
    fu = farm.intersection(urban).buffer(-RES * 2).representative_point()
    codes = control.sample(raster, GeoDataFrame(geometry=[both, fu], crs=4548))
    assert list(codes) == [1, 2]


def test_points_outside_grid_are_nodata(raster: Path) -> None:
    codes = control.sample(raster, GeoDataFrame(geometry=[Point(100.0, 20.0)], crs=4490))
    assert list(codes) == [255]


def test_cli_control_and_sample(scene: dict[str, GeoDataFrame], tmp_path: Path) -> None:
    import pandas as pd

    from fzgeo import io
    from fzgeo.cli import main

    gpkg = tmp_path / "official.gpkg"
    io.write({k if k != "boundary" else "admin_boundaries": v for k, v in scene.items()}, gpkg)
    tif = tmp_path / "c.tif"
    assert (
        main(["raster", "control", "--from-gpkg", str(gpkg), "--res", "60", "--out", str(tif)]) == 0
    )
    red = to_work(scene["eco_redline"]).geometry.iloc[0].buffer(-200).representative_point()
    pts = tmp_path / "pts.geojson"
    io.write(GeoDataFrame({"id": [1]}, geometry=[red], crs=4548).to_crs(4490), pts)
    out = tmp_path / "s.csv"
    assert main(["raster", "sample", str(tif), str(pts), "--out", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns) == ["id", "管控分区代码", "管控分区"]  # Chinese headers
    assert table["管控分区"].tolist() == ["生态保护红线"]
    assert table["管控分区代码"].tolist() == [1]
