"""Round trips through every reader and writer; atomic writes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from geopandas import GeoDataFrame
from shapely.geometry import Point, Polygon

from fzgeo import io
from fzgeo.errors import (
    CRSAssumptionWarning,
    CRSError,
    DataNotFoundError,
    InputError,
    TextEncodingWarning,
)

WRITE_SUFFIXES = [".gpkg", ".geojson", ".fgb", ".parquet", ".shp"]


@pytest.fixture
def sites() -> GeoDataFrame:
    return GeoDataFrame(
        {"项目名称": ["抚州高新区数据中心", "南城物流园"], "面积": [12.5, 3.0], "编号": [1, 2]},
        geometry=[
            Polygon([(116.30, 27.90), (116.31, 27.90), (116.31, 27.91), (116.30, 27.91)]),
            Polygon([(116.63, 27.55), (116.64, 27.55), (116.64, 27.56)]),
        ],
        crs=4490,
    )


@pytest.mark.parametrize("suffix", WRITE_SUFFIXES)
def test_round_trip(sites: GeoDataFrame, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"sites{suffix}"
    if suffix == ".shp":
        with pytest.warns(UserWarning, match="项目名称 -> 项目名"):
            io.write(sites, path)
        sites = sites.rename(columns={"项目名称": "项目名"})
    else:
        io.write(sites, path)
    back = io.read(path)
    assert back.crs.to_epsg() == 4490
    assert list(back.columns) == list(sites.columns)
    assert list(back["项目名称" if suffix != ".shp" else "项目名"]) == list(sites.iloc[:, 0])
    assert back["面积"].tolist() == [12.5, 3.0]
    # Shapefile stores exterior rings clockwise: compare normalised geometries
    assert back.geometry.normalize().geom_equals_exact(sites.geometry.normalize(), 1e-9).all()
    if suffix == ".shp":
        assert (tmp_path / "sites.cpg").read_text().strip().upper() == "UTF-8"


def test_zipped_shapefile_is_read_in_place(sites: GeoDataFrame, tmp_path: Path) -> None:
    sites = sites.rename(columns={"项目名称": "名称"})
    io.write(sites, tmp_path / "sites.shp")
    archive = tmp_path / "sites.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in tmp_path.glob("sites.*"):
            if f.suffix != ".zip":
                zf.write(f, f.name)
    back = io.read(archive)
    assert list(back["名称"]) == list(sites["名称"])


def test_geopackage_with_several_layers_needs_a_name(sites: GeoDataFrame, tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    io.write({"a": sites, "b": sites.iloc[:1]}, path)
    assert io.list_layers(path) == ["a", "b"]
    with pytest.raises(InputError, match=r"2 layers \(a, b\)") as info:
        io.read(path)
    assert info.value.code == "FZ303"
    assert len(io.read(path, layer="b")) == 1
    with pytest.raises(DataNotFoundError.__mro__[1], match="no layer 'c'"):
        io.read(path, layer="c")


def test_csv_with_lon_lat(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    pd.DataFrame({"名称": ["甲", "乙"], "经度": [116.35, 116.64], "纬度": [27.95, 27.56]}).to_csv(
        path, index=False, encoding="utf-8-sig"
    )
    back = io.read(path)
    assert back.crs.to_epsg() == 4490
    assert list(back["名称"]) == ["甲", "乙"]
    assert back.geometry.iloc[0].equals(Point(116.35, 27.95))


def test_csv_in_gb18030_with_wkt(tmp_path: Path) -> None:
    path = tmp_path / "wkt.csv"
    path.write_bytes("名称,wkt\n甲,POINT (116.35 27.95)\n".encode("gb18030"))
    with (
        pytest.warns(CRSAssumptionWarning, match="EPSG:4490"),
        pytest.warns(TextEncodingWarning, match=r"\[FZ312\].*gb18030 \(detected"),
    ):
        back = io.read(path)
    assert list(back["名称"]) == ["甲"]


def test_csv_with_gk_columns_needs_or_detects_crs(tmp_path: Path) -> None:
    path = tmp_path / "gk.csv"
    path.write_text("id,wkt\n1,POINT (39435000 3092000)\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="EPSG:4527"):
        back = io.read(path)
    assert back.crs.to_epsg() == 4527


def test_csv_without_coordinates_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "none.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="no lon/lat or WKT columns") as info:
        io.read(path)
    assert info.value.code == "FZ307"


def test_csv_bad_number_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("lon,lat\n116.3,27.9\n116.x,27.9\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 3.*'116.x'"):
        io.read(path)


def test_gcj02_input_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "amap.csv"
    path.write_text("lon,lat\n116.35,27.95\n", encoding="utf-8")
    back = io.read(path, input_coords="gcj02")
    x = back.geometry.iloc[0].x
    assert 116.343 < x < 116.349  # shifted back by the GCJ-02 offset (about -0.005 degree)


def test_offset_names_stop_until_input_coords_says(tmp_path: Path) -> None:
    path = tmp_path / "高德选点.csv"
    path.write_text("lon,lat\n116.35,27.95\n", encoding="utf-8")
    with pytest.raises(CRSError, match=r"file name '高德选点\.csv'") as info:
        io.read(path)
    assert info.value.code == "FZ107"
    assert "--input-coords gcj02" in str(info.value)
    assert io.read(path, input_coords="wgs84").geometry.iloc[0].x == 116.35  # not shifted


def test_missing_and_empty_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="file not found"):
        io.read(tmp_path / "nope.gpkg")
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty") as info:
        io.read(empty)
    assert info.value.code == "FZ302"
    odd = tmp_path / "data.xyz"
    odd.write_text("x")
    with pytest.raises(InputError, match=r"unsupported file type \.xyz"):
        io.read(odd)


def test_write_is_atomic_and_leaves_no_temp(
    sites: GeoDataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.gpkg"
    io.write(sites, path)
    before = path.read_bytes()
    real = io.writer.pyogrio.write_dataframe
    calls = []

    def fail_on_second_layer(*args, **kwargs):
        calls.append(kwargs["layer"])
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(io.writer.pyogrio, "write_dataframe", fail_on_second_layer)
    with pytest.raises(OSError, match="No space left") as info:
        io.write({"a": sites, "b": sites}, path)
    assert info.value.__class__.__name__ == "OutputError"
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.gpkg"]


def test_only_geopackage_holds_several_layers(sites: GeoDataFrame, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="only a GeoPackage"):
        io.write({"a": sites, "b": sites}, tmp_path / "x.geojson")
