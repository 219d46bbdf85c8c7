"""Text encodings as they arrive: .cpg, .dbf language byte, detection, --encoding, mojibake, CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
from input_fixtures import shapefile, sites

from fzgeo import io
from fzgeo.errors import InputError, TextEncodingWarning
from fzgeo.io import validate

NAMES = list(sites()["名称"])


def _set_ldid(dbf: Path, value: int) -> None:
    data = bytearray(dbf.read_bytes())
    data[29] = value
    dbf.write_bytes(bytes(data))


def test_cpg_is_honoured(tmp_path: Path) -> None:
    shp = shapefile(tmp_path, encoding="GBK")
    assert (tmp_path / "sites.cpg").read_text().strip().upper() == "GBK"
    gdf, src = io.load(shp)
    assert list(gdf["名称"]) == NAMES
    assert src.encoding is not None
    assert src.encoding.codec == "gb18030"
    assert src.encoding.source == "declared in .cpg (GBK)"


def test_language_byte_when_there_is_no_cpg(tmp_path: Path) -> None:
    shp = shapefile(tmp_path, encoding="GBK")
    (tmp_path / "sites.cpg").unlink()
    _set_ldid(tmp_path / "sites.dbf", 0x4D)
    gdf, src = io.load(shp)
    assert list(gdf["名称"]) == NAMES
    assert src.encoding is not None
    assert src.encoding.source == "dbf language byte 0x4D"


@pytest.mark.parametrize(
    ("written", "codec", "source"),
    [
        ("UTF-8", "utf-8", "detected: valid UTF-8, no .cpg"),
        ("GBK", "gb18030", "detected: not valid UTF-8, valid GB18030/GBK, no .cpg"),
    ],
)
def test_detection_without_cpg_or_language_byte(
    tmp_path: Path, written: str, codec: str, source: str
) -> None:
    shp = shapefile(tmp_path, encoding=written)
    (tmp_path / "sites.cpg").unlink()
    _set_ldid(tmp_path / "sites.dbf", 0)
    gdf, src = io.load(shp)
    assert list(gdf["名称"]) == NAMES
    assert src.encoding is not None
    assert (src.encoding.codec, src.encoding.source) == (codec, source)
    report = validate.validate_file(shp)
    assert report.encoding == f"{codec} ({source})"
    assert [f.code for f in report.findings if f.code == "FZ312"] == ["FZ312"]


def test_wrong_cpg_is_an_error_and_encoding_overrides(tmp_path: Path) -> None:
    shp = shapefile(tmp_path, encoding="GBK")
    (tmp_path / "sites.cpg").write_text("UTF-8")
    with pytest.raises(InputError, match=r"declared in \.cpg \(UTF-8\).*record 1") as info:
        io.read(shp)
    assert info.value.code == "FZ304"
    assert "--encoding" in str(info.value)
    gdf = io.read(shp, encoding="gbk")
    assert list(gdf["名称"]) == NAMES


def test_latin1_mojibake_is_suspected_gbk(tmp_path: Path) -> None:
    shp = shapefile(tmp_path, encoding="GBK")
    (tmp_path / "sites.cpg").write_text("ISO-8859-1")
    with pytest.warns(TextEncodingWarning, match=r"\[FZ313\].*'Ãû³Æ'.*as GBK it reads '名称'"):
        gdf = io.read(shp)
    assert "名称".encode("gbk").decode("latin-1") in gdf.columns
    report = validate.validate_file(shp)
    assert [f.severity for f in report.findings if f.code == "FZ313"] == ["warning"]
    assert "pass --encoding gbk" in [f.hint for f in report.findings if f.code == "FZ313"]
    assert list(io.read(shp, encoding="gbk")["名称"]) == NAMES


@pytest.mark.parametrize(
    ("data", "codec", "source"),
    [
        ("名称,经度,纬度\n甲,116.35,27.95\n".encode("utf-8-sig"), "utf-8", "UTF-8 byte-order mark"),
        ("名称,经度,纬度\n甲,116.35,27.95\n".encode(), "utf-8", "detected: valid UTF-8"),
        (
            "名称,经度,纬度\n甲,116.35,27.95\n".encode("gb18030"),
            "gb18030",
            "detected: not valid UTF-8 from line 1, valid GB18030/GBK",
        ),
    ],
)
def test_csv_encodings(tmp_path: Path, data: bytes, codec: str, source: str) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(data)
    gdf, src = io.load(path)
    assert list(gdf.columns[:1]) == ["名称"]
    assert gdf["名称"].tolist() == ["甲"]
    assert src.encoding is not None
    assert (src.encoding.codec, src.encoding.source) == (codec, source)


def test_csv_names_the_first_line_that_does_not_decode(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"name,lon,lat\nok,116.35,27.95\nbad\xff\xfe,116.3,27.9\n")
    with pytest.raises(InputError, match="line 3 decodes neither as UTF-8 nor as GB18030") as info:
        io.read(path)
    assert info.value.code == "FZ304"
    assert info.value.where == "line 3"


def test_csv_encoding_override_that_fails_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("名称,经度,纬度\n".encode() + "甲,116.35,27.95\n".encode("gbk"))
    with pytest.raises(InputError, match="does not decode as utf-8") as info:
        io.read(path, encoding="utf-8")
    assert (info.value.code, info.value.where) == ("FZ304", "line 2")


def test_unknown_encoding_name_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("lon,lat\n116.3,27.9\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown text encoding 'klingon'") as info:
        io.read(path, encoding="klingon")
    assert info.value.code == "FZ304"


def _geojson(name: bytes) -> bytes:
    return (
        b'{"type":"FeatureCollection","features":[\n{"type":"Feature","properties":{"name":"'
        + name
        + b'"},"geometry":{"type":"Point","coordinates":[116.3,27.9]}}]}\n'
    )


def test_geojson_in_gbk_is_detected_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "gbk.geojson"
    path.write_bytes(_geojson("抚州高新区".encode("gbk")))
    gdf, src = io.load(path)
    assert gdf["name"].tolist() == ["抚州高新区"]
    assert src.encoding is not None
    assert src.encoding.source == "detected: not valid UTF-8 from line 2, valid GB18030/GBK"
    path.write_bytes(_geojson(b"\xff\xfe"))
    with pytest.raises(
        InputError, match="line 2 is not UTF-8, and the file is not GB18030"
    ) as info:
        io.read(path)
    assert (info.value.code, info.value.where) == ("FZ304", "line 2")


def test_geopackage_text_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "sites.gpkg"
    io.write(sites(), path)
    with sqlite3.connect(path) as db:  # the GeoPackage triggers need SpatiaLite: drop them
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall():
            db.execute(f'DROP TRIGGER "{name}"')
        db.execute("UPDATE sites SET 名称 = CAST(? AS TEXT) WHERE fid = 1", ("抚州".encode("gbk"),))
    db.close()
    with pytest.raises(InputError, match="attribute text is not UTF-8") as info:
        io.read(path)
    assert info.value.code == "FZ304"
    with pytest.raises(InputError, match="attribute text is not gb18030"):  # mixed: neither fits
        io.read(path, encoding="gbk")
