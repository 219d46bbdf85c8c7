"""``fzgeo validate FILE`` and ``fzgeo check FILE`` agree on what stops a file (issue 17).

For every broken site file here: the codes ``validate`` reports as errors are exactly what makes
``check`` refuse the file (exit status 2, one of those codes), and a file ``validate`` finds no
error in is checked. Warnings stay warnings in both.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from input_fixtures import shapefile, shapefile_bytes, sites, truncate, zip_entries

import shapely
from geopandas import GeoDataFrame
from shapely.geometry import box

from fzgeo.cli import main
from fzgeo.io import validate

X, Y = 500_000.0, 3_100_000.0  # EPSG:4548, inside 抚州市
#: warning codes fzgeo check prints in its warnings (FZ415, a repair that changed the area, is
#: validate's alone: the check marks every repair, FZ410, and measures the repaired geometry)
CODED_WARNINGS = ("FZ312", "FZ313", "FZ410", "FZ411", "FZ412", "FZ414", "FZ100", "FZ101", "FZ108")
RULES = """\
version: 1
rules:
  - {id: eco_redline, name_zh: 生态保护红线, layer: eco_redline, kind: veto}
"""


def _quiet(write: Callable[[], object]) -> None:
    with warnings.catch_warnings():  # GDAL's notes while writing broken fixtures on purpose
        warnings.simplefilter("ignore")
        write()


def _metres(n: int = 3) -> GeoDataFrame:
    return GeoDataFrame(
        {"编号": [f"A-{i + 1}" for i in range(n)]},
        geometry=[box(X + 200 * i, Y, X + 200 * i + 50, Y + 50) for i in range(n)],
        crs=4548,
    )


def _ok(d: Path) -> Path:
    return sites().to_file(d / "ok.gpkg") or d / "ok.gpkg"


def _empty_layer(d: Path) -> Path:
    _metres().iloc[:0].to_file(d / "empty.gpkg")
    return d / "empty.gpkg"


def _all_null(d: Path) -> Path:
    gdf = _metres().set_geometry([None, None, None], crs=4548).to_crs(4490)
    _quiet(lambda: gdf.to_file(d / "null.geojson"))
    return d / "null.geojson"


def _all_empty(d: Path) -> Path:
    gdf = _metres().set_geometry([shapely.Polygon()] * 3, crs=4548)
    _quiet(lambda: gdf.to_file(d / "empty_geoms.gpkg"))
    return d / "empty_geoms.gpkg"


def _some_null(d: Path) -> Path:
    gdf = _metres().set_geometry([None, *_metres().geometry[1:]], crs=4548)
    _quiet(lambda: gdf.to_file(d / "some_null.gpkg"))
    return d / "some_null.gpkg"


def _zero(d: Path) -> Path:
    gdf = sites()
    gdf.loc[1, "geometry"] = box(0, 0, 0.01, 0.01)
    gdf.to_file(d / "zero.gpkg")
    return d / "zero.gpkg"


def _huge(d: Path) -> Path:
    gdf = sites()
    gdf.loc[2, "geometry"] = box(116.3, 27.9, 1e15, 27.91)
    gdf.to_file(d / "huge.gpkg")
    return d / "huge.gpkg"


def _csv_metres_no_crs(d: Path) -> Path:
    path = d / "metres.csv"
    path.write_text("编号,x,y\nA-1,500100,3100100\nA-2,500300,3100100\n", encoding="utf-8")
    return path


def _csv_ok(d: Path) -> Path:
    path = d / "lonlat.csv"
    path.write_text("编号,经度,纬度\nA-1,116.30,27.90\nA-2,116.32,27.91\n", encoding="utf-8")
    return path


def _mixed_encoding_csv(d: Path) -> Path:
    path = d / "mixed.csv"
    head = "编号,名称,经度,纬度\n".encode()
    rows = "A-1,光伏项目A,116.30,27.90\n".encode() + "A-2,光伏项目B,116.32,27.91\n".encode("gbk")
    path.write_bytes(head + rows)
    return path


def _no_dbf(d: Path) -> Path:
    shp = shapefile(d / "nodbf", sites())
    shp.with_suffix(".dbf").unlink()
    return shp


def _two_datasets(d: Path) -> Path:
    a = shapefile_bytes(shapefile(d / "a", sites(), name="一期"))
    b = shapefile_bytes(shapefile(d / "b", sites(), name="二期"))
    return zip_entries(d / "two.zip", {**a, **b})


def _gcj_named(d: Path) -> Path:
    sites().to_file(d / "高德坐标_sites.geojson")
    return d / "高德坐标_sites.geojson"


def _xian80(d: Path) -> Path:
    gdf = _metres().set_crs(2384, allow_override=True)
    return shapefile(d / "xian", gdf)


def _bow_tie(d: Path) -> Path:
    gdf = _metres()
    gdf.loc[0, "geometry"] = shapely.Polygon([(X, Y), (X + 40, Y + 40), (X + 40, Y), (X, Y + 40)])
    gdf.to_file(d / "bow_tie.gpkg")
    return d / "bow_tie.gpkg"


def _duplicates(d: Path) -> Path:
    gdf = _metres()
    gdf.loc[2, "geometry"] = gdf.geometry.iloc[0]
    gdf.to_file(d / "dupes.gpkg")
    return d / "dupes.gpkg"


def _truncated(d: Path) -> Path:
    big = GeoDataFrame(
        {"编号": [f"A-{i}" for i in range(3000)]},
        geometry=[box(X + i, Y, X + i + 0.5, Y + 0.5) for i in range(3000)],
        crs=4548,
    )
    big.to_file(d / "cut.gpkg")
    return truncate(d / "cut.gpkg", 0.5)


def _geojson_metres(d: Path) -> Path:
    path = d / "metres.geojson"
    _metres().to_crs(4548).to_file(path, driver="GeoJSON", RFC7946="NO", WRITE_NAME="NO")
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'"crs":\s*\{[^{}]*\{[^{}]*\}\s*\},?', "", text), encoding="utf-8")
    return path


def _plain_txt(d: Path) -> Path:
    path = d / "notes.txt"
    path.write_text("some coordinates: 116.3 27.9\n", encoding="utf-8")
    return path


FIXTURES: dict[str, Callable[[Path], Path]] = {
    "ok": _ok,
    "empty layer": _empty_layer,
    "all null": _all_null,
    "all empty": _all_empty,
    "some null": _some_null,
    "(0, 0) vertex": _zero,
    "1e15 vertex": _huge,
    "CSV in metres, no CRS": _csv_metres_no_crs,
    "CSV lon/lat": _csv_ok,
    "CSV of two encodings": _mixed_encoding_csv,
    "Shapefile without .dbf": _no_dbf,
    "zip of two datasets": _two_datasets,
    "named 高德": _gcj_named,
    "西安80 .prj": _xian80,
    "bow-tie": _bow_tie,
    "duplicates": _duplicates,
    "truncated GeoPackage": _truncated,
    "GeoJSON in metres, no crs member": _geojson_metres,
    "plain .txt": _plain_txt,
}


@pytest.mark.parametrize("name", list(FIXTURES))
def test_validate_errors_are_exactly_what_check_refuses(name, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    path = FIXTURES[name](folder)
    report = validate.validate_file(path)
    errors = {f.code for f in report.errors}
    red = tmp_path / "red.gpkg"
    GeoDataFrame({"BSM": ["H1"]}, geometry=[box(X, Y, X + 100, Y + 100)], crs=4548).to_file(red)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    capsys.readouterr()
    status = main(
        [
            "check", str(path), "--against", f"eco_redline={red}", "--rules", str(rules),
            "--out", str(tmp_path / "out"), "--site-maps", "none", "--allow-outside",
        ]
    )  # fmt: skip
    err = capsys.readouterr().err
    refused = re.search(r"fzgeo: error \[(FZ\d{3})\]", err)
    if errors:
        assert status == 2, f"{name}: validate says {sorted(errors)}, check ran: {err}"
        assert refused is not None and refused.group(1) in errors, (name, errors, err)
    else:
        assert status in (0, 1, 3), f"{name}: validate finds no error, check refused: {err}"
        # the warnings check prints with their codes carry validate's codes for the same file
        warned = {f.code for f in report.findings if f.severity == "warning"}
        for code in warned & set(CODED_WARNINGS):
            assert f"[{code}]" in err, (name, code, err)
