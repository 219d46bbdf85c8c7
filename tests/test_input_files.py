"""Files as they arrive: empty, truncated, incomplete, misnamed, multi-layer, zipped, hostile."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from input_fixtures import shapefile, shapefile_bytes, sites, truncate, write_each, zip_entries

import shapely

from fzgeo import io
from fzgeo.errors import CRSAssumptionWarning, FzgeoError
from fzgeo.io import _archive, validate


def _code(path: Path, **kwargs: object) -> str:
    with pytest.raises(FzgeoError) as info:
        io.read(path, **kwargs)  # type: ignore[arg-type]
    return info.value.code


@pytest.mark.parametrize(
    "suffix", [".shp", ".gpkg", ".geojson", ".fgb", ".csv", ".zip", ".parquet", ".xlsx"]
)
def test_zero_byte_files(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    with pytest.raises(FzgeoError, match=r"empty \(0 bytes\)") as info:
        io.read(path)
    assert info.value.code == "FZ302"
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("suffix", "message"),
    [
        (".gpkg", "GeoPackage is truncated: its header declares"),
        (".fgb", "truncated or corrupt"),
        (".geojson", r"stops before the JSON is complete \(truncated after line"),
        (".parquet", "truncated or corrupt"),
    ],
)
def test_truncated_files(tmp_path: Path, suffix: str, message: str) -> None:
    gdf = sites(40)
    path = write_each(tmp_path, gdf, (suffix,))[suffix]
    truncate(path, 0.6)
    with pytest.raises(FzgeoError, match=message) as info:
        io.read(path)
    assert info.value.code == "FZ302"


def test_truncated_shp_and_dbf(tmp_path: Path) -> None:
    shp = shapefile(tmp_path / "a", sites(20))
    truncate(shp, 0.5)
    with pytest.raises(FzgeoError, match=r"sites\.shp is truncated: its header declares") as info:
        io.read(shp)
    assert info.value.code == "FZ302"
    shp = shapefile(tmp_path / "b", sites(20))
    truncate(shp.with_suffix(".dbf"), 0.5)
    with pytest.raises(
        FzgeoError, match=r"sites\.dbf is truncated: its header declares 20 records"
    ) as info:
        io.read(shp)
    assert info.value.code == "FZ302"


def test_missing_shx_and_dbf(tmp_path: Path) -> None:
    shp = shapefile(tmp_path / "a")
    shp.with_suffix(".shx").unlink()
    with pytest.raises(FzgeoError, match=r"the \.shx file is missing") as info:
        io.read(shp)
    assert info.value.code == "FZ305"
    assert "SHAPE_RESTORE_SHX" in info.value.hint
    shp = shapefile(tmp_path / "b")
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(
        FzgeoError, match=r"the \.dbf file is missing; every attribute would be lost"
    ) as info:
        io.read(shp)
    assert info.value.code == "FZ305"


def test_record_counts_that_disagree(tmp_path: Path) -> None:
    shp = shapefile(tmp_path / "three", sites(3))
    two = shapefile(tmp_path / "two", sites(2))
    shp.with_suffix(".dbf").write_bytes(two.with_suffix(".dbf").read_bytes())
    with pytest.raises(
        FzgeoError, match=r"sites\.shx indexes 3 shapes but sites\.dbf holds 2 records"
    ) as info:
        io.read(shp)
    assert info.value.code == "FZ310"


@pytest.mark.parametrize(
    ("real", "named", "found"),
    [
        (".gpkg", ".geojson", "GeoPackage/SQLite"),
        (".geojson", ".gpkg", "JSON"),
        (".fgb", ".shp", "FlatGeobuf"),
        (".gpkg", ".zip", "GeoPackage/SQLite"),
    ],
)
def test_content_that_does_not_match_the_extension(
    tmp_path: Path, real: str, named: str, found: str
) -> None:
    path = write_each(tmp_path, sites(), (real,))[real]
    wrong = path.rename(tmp_path / f"renamed{named}")
    with pytest.raises(FzgeoError, match=f"named \\{named} but its content is {found}") as info:
        io.read(wrong)
    assert info.value.code == "FZ309"
    assert real in info.value.hint


def test_html_error_page_saved_as_zip(tmp_path: Path) -> None:
    path = tmp_path / "download.zip"
    path.write_text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", encoding="utf-8")
    assert _code(path) == "FZ309"


def test_geopackage_with_several_layers_names_them(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    io.write({"用地红线": sites(2), "项目选址": sites(3)}, path)
    with pytest.raises(
        FzgeoError, match=r"2 layers \(用地红线, 项目选址\); fzgeo does not guess"
    ) as info:
        io.read(path)
    assert info.value.code == "FZ303"
    assert info.value.hint == "pass --layer NAME"
    assert len(io.read(path, layer="项目选址")) == 3


def test_parquet_without_geo_metadata_reads_its_wkb_column(tmp_path: Path) -> None:
    path = tmp_path / "plain.parquet"
    frame = sites()
    pd.DataFrame(
        {"名称": frame["名称"], "geometry": shapely.to_wkb(frame.geometry.values)}
    ).to_parquet(path)
    with pytest.warns(CRSAssumptionWarning, match="taken as EPSG:4490"):  # as any CRS-less file
        gdf = io.read(path)
    assert list(gdf["名称"]) == list(frame["名称"])
    assert gdf.geometry.geom_equals_exact(frame.geometry, 1e-12).all()
    pd.DataFrame({"名称": frame["名称"], "面积": [1, 2, 3]}).to_parquet(path)
    with pytest.raises(FzgeoError, match="no 'geo' metadata and no column of WKB") as info:
        io.read(path)
    assert info.value.code == "FZ311"


def test_missing_file_and_unknown_suffix(tmp_path: Path) -> None:
    assert _code(tmp_path / "nope.shp") == "FZ300"
    odd = tmp_path / "drawing.dwg"
    odd.write_bytes(b"AC1027")
    assert _code(odd) == "FZ301"
    xls = tmp_path / "界址点.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(FzgeoError, match=r"unsupported file type \.xls") as info:
        io.read(xls)
    assert "save the workbook as .xlsx" in info.value.hint
    csv_as_xlsx = tmp_path / "table.xlsx"
    csv_as_xlsx.write_text("点号,X,Y\n", encoding="utf-8")
    with pytest.raises(FzgeoError, match=r"named \.xlsx but its content is text") as info:
        io.read(csv_as_xlsx)
    assert (info.value.code, info.value.hint) == ("FZ309", "rename it to .csv")


# --- archives -------------------------------------------------------------------------------


def test_zipped_shapefile_is_read_in_place(tmp_path: Path) -> None:
    shp = shapefile(tmp_path / "src")
    archive = zip_entries(tmp_path / "up.zip", shapefile_bytes(shp, rename="data/sites"))
    before = sorted(p.name for p in tmp_path.iterdir())
    gdf, src = io.load(archive)
    assert list(gdf["名称"]) == list(sites()["名称"])
    assert src.layer == "data/sites"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing extracted


def test_gbk_entry_names_from_chinese_windows(tmp_path: Path) -> None:
    shp = shapefile(tmp_path / "src", encoding="GBK")
    archive = zip_entries(
        tmp_path / "up.zip", shapefile_bytes(shp, rename="项目用地"), gbk_names=True
    )
    with zipfile.ZipFile(archive) as zf:
        assert all(not i.flag_bits & 0x800 for i in zf.infolist())
    assert io.list_layers(archive) == ["项目用地"]
    gdf, src = io.load(archive)
    assert src.layer == "项目用地"
    assert list(gdf["名称"]) == list(sites()["名称"])
    assert len(io.read(archive, layer="项目用地")) == 3


@pytest.mark.parametrize(
    "name", ["../evil.shp", "/etc/evil.shp", "C:/evil.shp", "a/../../evil.shp"]
)
def test_archive_with_escaping_paths_is_refused(tmp_path: Path, name: str) -> None:
    archive = zip_entries(tmp_path / "bad.zip", {name: b"x", "ok.txt": b"y"})
    with pytest.raises(FzgeoError, match="the archive is refused") as info:
        io.read(archive)
    assert info.value.code == "FZ306"


def test_archive_with_a_symlink_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("sites.shp")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(FzgeoError, match="a symbolic link") as err:
        io.read(archive)
    assert err.value.code == "FZ306"


def test_zip_bomb_by_ratio_and_by_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = zip_entries(tmp_path / "bomb.zip", {"sites.dbf": b"\0" * (8 << 20)})
    with pytest.raises(FzgeoError, match=r"expands [\d,]+:1 \(limit 200:1\)") as info:
        io.read(archive)
    assert info.value.code == "FZ306"
    shp = shapefile(tmp_path / "src")
    archive = zip_entries(tmp_path / "big.zip", shapefile_bytes(shp))
    monkeypatch.setattr(_archive, "MAX_TOTAL_BYTES", 100)
    with pytest.raises(FzgeoError, match="a likely zip bomb") as info:
        io.read(archive)
    assert info.value.code == "FZ306"


def test_archive_with_two_shapefiles_needs_a_layer(tmp_path: Path) -> None:
    shp = shapefile(tmp_path / "src")
    entries = shapefile_bytes(shp, rename="一期") | shapefile_bytes(shp, rename="二期")
    archive = zip_entries(tmp_path / "two.zip", entries)
    with pytest.raises(FzgeoError, match=r"2 layers \(一期, 二期\)") as info:
        io.read(archive)
    assert info.value.code == "FZ303"
    assert len(io.read(archive, layer="二期")) == 3
    with pytest.raises(FzgeoError, match="no layer '三期'") as info:
        io.read(archive, layer="三期")


def test_zipped_shapefile_without_dbf_and_archive_without_data(tmp_path: Path) -> None:
    shp = shapefile(tmp_path / "src")
    entries = {k: v for k, v in shapefile_bytes(shp).items() if not k.endswith(".dbf")}
    assert _code(zip_entries(tmp_path / "nodbf.zip", entries)) == "FZ305"
    assert _code(zip_entries(tmp_path / "docs.zip", {"readme.txt": b"hello"})) == "FZ302"


def test_truncated_zip(tmp_path: Path) -> None:
    shp = shapefile(tmp_path / "src", sites(30))
    archive = truncate(zip_entries(tmp_path / "cut.zip", shapefile_bytes(shp)), 0.5)
    assert _code(archive) == "FZ302"


def test_layer_without_features_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "none.gpkg"
    io.write(sites().iloc[:0], path)
    assert len(io.read(path)) == 0
    report = validate.validate_file(path)
    assert [(f.code, f.severity, f.message) for f in report.findings] == [
        (
            "FZ302",
            "error",  # as fzgeo check has it: an empty batch is not a clean one
            "the layer holds no features: there is nothing to use (fzgeo check refuses it)",
        )
    ]
    assert report.features_in == report.features_out == 0


def test_file_geodatabase_with_several_layers(tmp_path: Path) -> None:
    import pyogrio

    gdb = tmp_path / "三区三线.gdb"
    opts = {"TARGET_ARCGIS_VERSION": "ARCGIS_PRO_3_2_OR_LATER"}  # keeps 编号 an integer
    pyogrio.write_dataframe(sites(2), gdb, layer="STBHHX", driver="OpenFileGDB", layer_options=opts)
    pyogrio.write_dataframe(
        sites(3), gdb, layer="YJJBNTBHTB", driver="OpenFileGDB", append=True, layer_options=opts
    )
    report = validate.validate_file(gdb)
    assert [f.code for f in report.errors] == ["FZ303"]
    assert "STBHHX, YJJBNTBHTB" in report.errors[0].message
    assert validate.validate_file(gdb, layer="YJJBNTBHTB").features_out == 3
    folder = tmp_path / "plain_folder"
    folder.mkdir()
    assert _code(folder) == "FZ301"


def test_zipped_file_geodatabase(tmp_path: Path) -> None:
    import pyogrio

    gdb = tmp_path / "src" / "三区三线.gdb"
    gdb.parent.mkdir()
    opts = {"TARGET_ARCGIS_VERSION": "ARCGIS_PRO_3_2_OR_LATER"}
    pyogrio.write_dataframe(sites(2), gdb, layer="STBHHX", driver="OpenFileGDB", layer_options=opts)
    pyogrio.write_dataframe(
        sites(3), gdb, layer="YJJBNTBHTB", driver="OpenFileGDB", append=True, layer_options=opts
    )
    entries = {f"数据/三区三线.gdb/{f.name}": f.read_bytes() for f in sorted(gdb.iterdir())}
    archive = zip_entries(tmp_path / "sanqu.zip", entries, gbk_names=True)
    assert io.list_layers(archive) == ["数据/三区三线"]
    with pytest.raises(FzgeoError, match=r"holds 2 layers \(STBHHX, YJJBNTBHTB\)") as info:
        io.read(archive)
    assert info.value.code == "FZ303"
    gdf, src = io.load(archive, layer="YJJBNTBHTB")
    assert len(gdf) == 3
    assert src.format == "zipped File Geodatabase (数据/三区三线.gdb)"
