"""Text encodings as they arrive: .cpg, .dbf language byte, detection, --encoding, mojibake, CSV."""

from __future__ import annotations

import warnings
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
    guessed = [(f.code, f.severity) for f in report.findings if f.code == "FZ312"]
    assert guessed == ([] if codec == "utf-8" else [("FZ312", "warning")])


def test_a_gbk_guess_is_a_warning_from_read(tmp_path: Path) -> None:
    shp = shapefile(tmp_path, encoding="GBK")
    (tmp_path / "sites.cpg").unlink()
    _set_ldid(tmp_path / "sites.dbf", 0)
    with pytest.warns(TextEncodingWarning, match=r"\[FZ312\].*gb18030 \(detected: not valid UTF-8"):
        gdf = io.read(shp)
    assert list(gdf["名称"]) == NAMES
    (tmp_path / "sites.cpg").write_text("GBK")  # declared: no guess, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        io.read(shp)


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


def _mixed_csv(path: Path, header: str, header_codec: str = "utf-8") -> Path:
    """Rows 2-3 written as UTF-8 (one program), rows 4-5 appended as GBK (another)."""
    rows = [
        ("光伏项目A", "utf-8"),
        ("抚州高新区数据中心", "utf-8"),
        ("南城物流园", "gbk"),
        ("临川文化园", "gbk"),
    ]
    data = (header + "\n").encode(header_codec)
    for i, (name, codec) in enumerate(rows):
        data += f"{name},{116.3 + 0.01 * i:.2f},27.90\n".encode(codec)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("header", "header_codec", "lines"),
    [
        ("name,lon,lat", "utf-8", "UTF-8 in 2 line(s) (2-3), GB18030/GBK in 2 line(s) (4-5)"),
        ("名称,经度,纬度", "utf-8", "UTF-8 in 3 line(s) (1-3), GB18030/GBK in 2 line(s) (4-5)"),
        (
            "名称,经度,纬度",
            "gbk",
            "GB18030/GBK in 3 line(s) (1, 4-5), UTF-8 in 2 line(s) (2-3)",
        ),
    ],
)
def test_csv_mixing_utf8_and_gbk_rows_is_decoded_line_by_line(
    tmp_path: Path, header: str, header_codec: str, lines: str
) -> None:
    path = _mixed_csv(tmp_path / "sites.csv", header, header_codec)
    with pytest.warns(TextEncodingWarning, match="mixes|line by line") as caught:
        gdf = io.read(path)
    text = str(caught[0].message)
    assert "[FZ312]" in text and lines in text
    names = gdf.iloc[:, 0].tolist()
    assert names == ["光伏项目A", "抚州高新区数据中心", "南城物流园", "临川文化园"]  # no 鍏変紡
    assert gdf.columns[0] == header.split(",")[0]
    report = validate.validate_file(path)
    assert report.ok
    assert report.encoding == f"utf-8+gb18030 (detected line by line: {lines})"
    assert [(f.code, f.severity) for f in report.findings] == [("FZ312", "warning")]


def test_gbk_that_happens_to_be_valid_utf8_on_a_line_stays_gbk(tmp_path: Path) -> None:
    # 模 is C4 A3 in GBK, which is also UTF-8 (for ģ): a line of it alone must not flip to UTF-8
    assert "模".encode("gbk").decode("utf-8") == "ģ"
    path = tmp_path / "gbk.csv"
    path.write_bytes("名称,lon,lat\n模,116.30,27.90\n抚州,116.31,27.90\n".encode("gbk"))
    with pytest.warns(
        TextEncodingWarning, match=r"gb18030 \(detected: not valid UTF-8 from line 1"
    ):
        gdf = io.read(path)
    assert gdf["名称"].tolist() == ["模", "抚州"]


def _mixed_dbf(folder: Path) -> Path:
    """A Shapefile without .cpg whose records 1-2 are UTF-8 and 3-4 GBK (edited by two programs)."""
    frame = sites(4)
    shp = shapefile(folder, frame)
    (folder / "sites.cpg").unlink()
    dbf = folder / "sites.dbf"
    data = dbf.read_bytes()
    for name in frame["名称"].iloc[2:]:
        utf8, gbk = name.encode("utf-8"), name.encode("gbk")
        data = data.replace(utf8, gbk + b" " * (len(utf8) - len(gbk)), 1)
    dbf.write_bytes(data)
    _set_ldid(dbf, 0)
    return shp


def test_dbf_mixing_utf8_and_gbk_records_is_refused_naming_the_record(tmp_path: Path) -> None:
    shp = _mixed_dbf(tmp_path)
    with pytest.raises(InputError, match="record 1 is UTF-8 but record 3 is GB18030/GBK") as info:
        io.read(shp)
    assert (info.value.code, info.value.where) == ("FZ304", "record 3")
    assert "UTF-8 in 2 record(s) (1-2), GB18030/GBK in 2 record(s) (3-4)" in info.value.message
    assert "GDAL reads a .dbf in one encoding" in info.value.message
    finding = validate.validate_file(shp).errors[0]
    assert (finding.code, finding.where) == ("FZ304", "record 3")
    (tmp_path / "sites.cpg").write_text("GBK")  # a .cpg over mixed records: the same refusal
    with pytest.raises(InputError, match="record 3 is GB18030/GBK"):
        io.read(shp)


def test_geojson_mixing_utf8_and_gbk_lines_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed.geojson"
    path.write_bytes(
        _geojson("抚州高新区".encode()).replace(b"]}\n", b",\n")
        + b'{"type":"Feature","properties":{"name":"'
        + "南城".encode("gbk")
        + b'"},"geometry":{"type":"Point","coordinates":[116.31,27.9]}}]}\n'
    )
    with pytest.raises(InputError, match="line 2 is UTF-8 but line 3 is GB18030/GBK") as info:
        io.read(path)
    assert (info.value.code, info.value.where) == ("FZ304", "line 3")


def test_gbk_txt_guess_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "勘测定界.txt"
    text = (
        "[属性描述]\r\n坐标系=2000国家大地坐标系\r\n几度分带=3\r\n带号=39\r\n[地块坐标]\r\n"
        "5,1.0,1,某某项目用地,面,,建设用地,,@\r\n"
        "J1,1,3092000.000,39435000.000\r\nJ2,1,3092000.000,39435100.000\r\n"
        "J3,1,3092100.000,39435100.000\r\nJ4,1,3092100.000,39435000.000\r\n"
        "J1,1,3092000.000,39435000.000\r\n"
    )
    path.write_bytes(text.encode("gbk"))
    with pytest.warns(TextEncodingWarning, match=r"\[FZ312\].*gb18030"):
        gdf = io.read(path)
    assert gdf["地块名称"].tolist() == ["某某项目用地"]
