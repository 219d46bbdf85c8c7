"""The command line on every broken input: a code, a file, a hint, never a traceback."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from input_fixtures import (
    run_cli,
    shapefile,
    shapefile_bytes,
    sites,
    square,
    truncate,
    write_each,
    zip_entries,
)

import shapely
from geopandas import GeoDataFrame
from pyproj import CRS
from shapely.geometry import Point, Polygon

from fzgeo import crs, io
from fzgeo.cli import main
from fzgeo.errors import CATALOGUE


def _gpkg(path: Path, geoms: list[object]) -> Path:
    io.write(GeoDataFrame({"编号": range(1, len(geoms) + 1)}, geometry=geoms, crs=4490), path)
    return path


def bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Every broken input of issue 5 -> (file, the first error code validate reports)."""
    folder.mkdir()
    f: dict[str, tuple[Path, str]] = {}
    empty = folder / "empty.gpkg"
    empty.write_bytes(b"")
    f["zero-byte"] = (empty, "FZ302")
    cut = write_each(folder / "cut", sites(40), (".gpkg", ".fgb", ".geojson"))
    for suffix, path in cut.items():
        f[f"truncated {suffix}"] = (truncate(path), "FZ302")
    shp = shapefile(folder / "noshx")
    shp.with_suffix(".shx").unlink()
    f["missing .shx"] = (shp, "FZ305")
    shp = shapefile(folder / "cutshp", sites(20))
    f["truncated .shp"] = (truncate(shp, 0.5), "FZ302")
    misnamed = write_each(folder / "mis", sites(), (".gpkg",))[".gpkg"]
    f["misnamed"] = (misnamed.rename(misnamed.with_suffix(".geojson")), "FZ309")
    two = folder / "two.gpkg"
    io.write({"a": sites(), "b": sites()}, two)
    f["several layers"] = (two, "FZ303")
    f["zip slip"] = (zip_entries(folder / "slip.zip", {"../x.shp": b"x"}), "FZ306")
    f["zip bomb"] = (zip_entries(folder / "bomb.zip", {"a.dbf": b"\0" * (4 << 20)}), "FZ306")
    plain = folder / "plain.parquet"
    pd.DataFrame({"编号": [1, 2], "面积": [1.5, 2.0]}).to_parquet(plain)
    f["parquet without geo"] = (plain, "FZ311")
    gk = folder / "gk.parquet"  # WKB read, but metres of CM 114E or 117E: no CRS to guess
    gk_sites = [square(640_000, 3_050_000, 100), square(641_000, 3_050_000, 100)]
    pd.DataFrame({"编号": [1, 2], "geom": shapely.to_wkb(gk_sites)}).to_parquet(gk)
    f["parquet WKB without CRS"] = (gk, "FZ100")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        nan = Polygon([(116.3, 27.9), (116.31, 27.9), (float("nan"), 27.91), (116.3, 27.9)])
    f["NaN"] = (_gpkg(folder / "nan.gpkg", [nan]), "FZ401")
    f["origin"] = (_gpkg(folder / "origin.gpkg", [Point(0, 0), square(116.3, 27.9)]), "FZ402")
    ring = folder / "ring.geojson"
    ring.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"Polygon","coordinates":[[[116.3,27.9],[116.31,27.9],[116.3,27.9]]]}}]}',
        encoding="utf-8",
    )
    f["short ring"] = (ring, "FZ403")
    csv = folder / "bad.csv"
    csv.write_bytes(b"lon,lat\n116.3,27.9\n\xff\xff,1\n")
    f["undecodable CSV"] = (csv, "FZ304")
    table = folder / "jzd.csv"
    table.write_text(
        "点号,X,Y\nJ1,3092000,39435000\nJ2,abc,39435100\nJ3,3092100,39435000\n", encoding="utf-8"
    )
    f["bad parcel table"] = (table, "FZ404")
    wrong_crs = folder / "wrongcrs.gpkg"
    io.write(GeoDataFrame(geometry=[square(39_435_000, 3_092_000, 50)], crs=4548), wrong_crs)
    f["zone prefix labelled 4548"] = (wrong_crs, "FZ101")
    f["missing file"] = (folder / "nope.shp", "FZ300")
    odd = folder / "notes.txt"
    odd.write_text("hello", encoding="utf-8")
    f["unknown type"] = (odd, "FZ301")
    zipped = zip_entries(
        folder / "gbk.zip",
        shapefile_bytes(shapefile(folder / "gbk", encoding="GBK"), rename="地块"),
        gbk_names=True,
    )
    f["good GBK zip"] = (zipped, "")
    xian = shapefile(folder / "xian", crs.to_work(sites()))
    xian.with_suffix(".prj").write_text(CRS.from_epsg(2384).to_wkt("WKT1_ESRI"), encoding="ascii")
    f["Xian 1980 .prj"] = (xian, "FZ108")
    amap = folder / "高德选点.csv"
    amap.write_text("编号,lon,lat\nA-1,116.35,27.95\n", encoding="utf-8")
    f["Amap lon/lat"] = (amap, "FZ107")
    far = Polygon([(116.3, 27.9), (1e15, 27.9), (116.3, 27.91)])
    f["vertex at 1e15"] = (_gpkg(folder / "far.gpkg", [square(116.3, 27.9), far]), "FZ103")
    return f


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return bad_files(tmp_path_factory.mktemp("broken") / "files")


def test_validate_reports_every_broken_file_without_traceback(
    broken: dict[str, tuple[Path, str]],
) -> None:
    paths = [str(p) for p, _ in broken.values()]
    result = run_cli("validate", "--json", *paths)
    assert "Traceback" not in result.stderr
    assert result.stderr == ""  # findings go into the report, not into stray warnings
    assert result.returncode == 1
    reports = json.loads(result.stdout)
    assert [r["path"] for r in reports] == paths
    for (case, (_, code)), report in zip(broken.items(), reports, strict=True):
        errors = [f["code"] for f in report["findings"] if f["severity"] == "error"]
        if code:
            assert errors[:1] == [code], (case, report["findings"])
            assert all(f["message"] and f["title"] for f in report["findings"])
        else:
            assert report["ok"], (case, report["findings"])
            assert report["layer"] == "地块"
        if report["format"] is not None and not errors:
            assert report["features_in"] == report["features_out"]


def test_validate_table_output(broken: dict[str, tuple[Path, str]]) -> None:
    path, _ = broken["missing .shx"]
    result = run_cli("validate", str(path), str(broken["good GBK zip"][0]))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{path}: 1 error(s)" in result.stdout
    assert "error   FZ305" in result.stdout
    assert "hint: send the .shx too" in result.stdout
    assert "gbk.zip: OK" in result.stdout
    assert "text: gb18030 (declared in .cpg (GBK))" in result.stdout


@pytest.mark.parametrize(
    "case",
    [
        "zero-byte",
        "truncated .fgb",
        "missing .shx",
        "misnamed",
        "zip slip",
        "NaN",
        "short ring",
        "bad parcel table",
        "zone prefix labelled 4548",
        "parquet without geo",
        "parquet WKB without CRS",
        "Xian 1980 .prj",
        "Amap lon/lat",
        "vertex at 1e15",
    ],
)
def test_export_fails_cleanly_and_writes_nothing(
    broken: dict[str, tuple[Path, str]],
    case: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, code = broken[case]
    out = tmp_path / "out.gpkg"
    assert main(["export", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"[{code}]" in err
    assert str(path) in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_codes_lists_the_whole_catalogue() -> None:
    result = run_cli("validate", "--codes")
    assert result.returncode == 0
    for code, entry in CATALOGUE.items():
        assert f"| {code} | {entry.severity} | {entry.title} |" in result.stdout


def test_validate_without_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 2
    assert "give at least one FILE" in capsys.readouterr().err


def test_strict_fails_on_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dup.gpkg"
    io.write(GeoDataFrame(geometry=[square(116.3, 27.9)] * 2, crs=4490), path)
    assert main(["validate", str(path)]) == 0
    assert main(["validate", "--strict", str(path)]) == 1
    assert "warning FZ414" in capsys.readouterr().out


def test_assume_crs_reads_a_geojson_in_metres_and_vouches_for_xian80(
    broken: dict[str, tuple[Path, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gk = tmp_path / "gk.geojson"  # no crs member: GDAL says WGS84, the coordinates say metres
    io.write(crs.to_work(sites()), gk)
    gk.write_text(re.sub(r'"crs": \{[^{}]*\{[^{}]*\} \},\s*', "", gk.read_text("utf-8")), "utf-8")
    out = tmp_path / "out.gpkg"
    assert main(["export", str(gk), "--out", str(out)]) == 2
    assert "--assume-crs EPSG:4548" in capsys.readouterr().err
    assert main(["export", str(gk), "--assume-crs", "EPSG:4548", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: [FZ101]" in err and "taken as EPSG:4548" in err
    xian, _ = broken["Xian 1980 .prj"]
    assert main(["export", str(xian), "--assume-crs", "EPSG:4548", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: [FZ108]" in err and "Xian 1980 datum (西安80)" in err
    result = run_cli("validate", str(xian), "--assume-crs", "EPSG:4548")
    assert result.returncode == 0
    assert "warning FZ108" in result.stdout
    amap, _ = broken["Amap lon/lat"]
    assert main(["export", str(amap), "--input-coords", "gcj02", "--out", str(out)]) == 0
