"""报部格式 coordinate files (建设用地勘测定界 TXT): rings, CRS from the header, bad input, CLI."""

from __future__ import annotations

import codecs
import random
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import pyogrio
from geopandas import GeoDataFrame
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box

from fzgeo import io
from fzgeo.cli import main
from fzgeo.errors import (
    CRSAssumptionWarning,
    DeclaredAreaWarning,
    FzgeoError,
)
from fzgeo.io import validate
from fzgeo.plan import layers

#: the GBK files written here are read by a guess, a TextEncodingWarning (FZ312) tested in
#: tests/test_input_encoding.py
pytestmark = pytest.mark.filterwarnings(r"ignore:\[FZ312\]:fzgeo.errors.TextEncodingWarning")

E0, N0 = 39_435_000.0, 3_092_000.0  # zone 39 (CM 117E), prefixed easting; 临川区 northing
HEADER = {
    "格式版本号": "1.01版本",
    "数据产生单位": "抚州市某某勘测院",
    "数据产生日期": "2021-6-1",
    "坐标系": "2000国家大地坐标系",
    "几度分带": "3",
    "投影类型": "高斯克吕格",
    "计量单位": "米",
    "带号": "39",
    "精度": "0.0001",
    "转换参数": ",,,,,,",
}
Ring = list[tuple[float, float]]  # (northing X, easting Y), open


def square(e: float, n: float, de: float, dn: float | None = None) -> Ring:
    """An open rectangle ring as (X northing, Y easting), south-west corner first."""
    dn = de if dn is None else dn
    return [(n, e), (n, e + de), (n + dn, e + de), (n + dn, e)]


def parcel(
    number: str,
    name: str,
    rings: list[Ring],
    *,
    area: str = "",
    count: int | None = None,
    use: str = "建设用地",
) -> list[str]:
    """The lines of one parcel: header, then each ring closed on its first point."""
    points, j = [], 0
    for k, ring in enumerate(rings, start=1):
        first = j + 1
        for x, y in ring:
            j += 1
            points.append(f"J{j},{k},{x:.3f},{y:.3f}")
        points.append(f"J{first},{k},{ring[0][0]:.3f},{ring[0][1]:.3f}")
    n = len(points) if count is None else count
    return [f"{n},{area},{number},{name},面,H50G001001,{use},0601,@", *points]


def write_txt(
    path: Path,
    body: list[str],
    *,
    header: dict[str, str] | None = None,
    encoding: str = "gbk",
    bom: bool = False,
) -> Path:
    """A 报部格式 file: [属性描述] from ``header``, then [地块坐标] and ``body`` (CRLF lines)."""
    meta = HEADER if header is None else header
    lines = ["[属性描述]", *(f"{k}={v}" for k, v in meta.items()), "[地块坐标]", *body]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return path


def line_of(path: Path, start: str, occurrence: int = 1) -> int:
    """1-based number of the ``occurrence``-th line of ``path`` starting with ``start``."""
    lines = path.read_bytes().decode("gb18030").lstrip("\ufeff").split("\n")
    hits = [i + 1 for i, line in enumerate(lines) if line.startswith(start)]
    return hits[occurrence - 1]


OUTER = square(E0, N0, 200.0)  # 200 m x 200 m = 40 000 m²
HOLE = square(E0 + 50, N0 + 50, 50.0, 40.0)  # 50 m x 40 m = 2 000 m², inside OUTER


def test_parcel_with_a_hole_gbk(tmp_path: Path) -> None:
    body = parcel("1", "某某项目用地", [OUTER, HOLE], area="3.8")
    body += parcel("2", "配套道路", [square(E0 + 500, N0, 100.0)], area="1", use="交通运输用地")
    path = write_txt(tmp_path / "勘测定界.txt", body)
    gdf = io.read(path)  # CRS declared: no assumption warning
    assert gdf.crs.to_epsg() == 4527
    assert gdf["地块编号"].tolist() == ["1", "2"]
    assert gdf["地块名称"].tolist() == ["某某项目用地", "配套道路"]
    assert gdf["地块用途"].tolist() == ["建设用地", "交通运输用地"]
    assert gdf["地类编码"].tolist() == ["0601", "0601"]
    assert gdf["图幅号"].tolist() == ["H50G001001", "H50G001001"]
    assert gdf["申报面积_公顷"].tolist() == [3.8, 1.0]
    assert gdf["界址点数"].tolist() == [10, 5]
    assert gdf["圈数"].tolist() == [2, 1]
    first = gdf.geometry.iloc[0]
    assert isinstance(first, Polygon)
    assert len(first.interiors) == 1
    assert first.area == 40_000.0 - 2_000.0  # exact: outer minus hole
    assert first.is_valid
    # X is the northing: the first vertex is the south-west corner, easting first in GIS order
    assert first.exterior.coords[0] == (E0, N0)
    assert gdf.attrs["数据产生单位"] == "抚州市某某勘测院"
    assert gdf.attrs["数据产生日期"] == "2021-6-1"
    assert gdf.attrs["属性描述"]["几度分带"] == "3"


def test_second_ring_outside_the_first_is_a_further_part(tmp_path: Path) -> None:
    far = square(E0 + 300, N0, 100.0)
    path = write_txt(tmp_path / "two.txt", parcel("7", "两块地", [OUTER, far, HOLE]))
    gdf = io.read(path)
    geom = gdf.geometry.iloc[0]
    assert isinstance(geom, MultiPolygon)
    assert len(geom.geoms) == 2
    assert [len(p.interiors) for p in geom.geoms] == [1, 0]  # ring 3 is a hole of ring 1
    assert geom.area == 38_000.0 + 10_000.0
    assert gdf["圈数"].tolist() == [3]


def test_island_inside_a_hole_is_a_part(tmp_path: Path) -> None:
    big_hole = square(E0 + 50, N0 + 50, 100.0)
    island = square(E0 + 75, N0 + 75, 20.0)
    path = write_txt(tmp_path / "i.txt", parcel("1", "", [OUTER, big_hole, island]))
    geom = io.read(path).geometry.iloc[0]
    assert isinstance(geom, MultiPolygon)
    assert geom.area == 40_000.0 - 10_000.0 + 400.0


@pytest.mark.parametrize(
    ("offset", "header", "epsg"),
    [
        (0.0, {}, 4527),  # zone-prefixed eastings: CGCS2000 3-degree zone 39
        (-39_000_000.0, {}, 4548),  # no prefix: CGCS2000 3-degree CM 117E
        (-19_000_000.0, {"几度分带": "6", "带号": "20"}, 4498),  # 6-degree zone 20 (CM 117E)
        (-39_000_000.0, {"几度分带": "6", "带号": "20"}, 4509),
        (0.0, {"带号": ""}, 4527),  # zone from the prefix when 带号 is empty
        (-39_000_000.0, {"带号": "第39带", "几度分带": "3度"}, 4548),
    ],
)
def test_crs_from_header(tmp_path: Path, offset: float, header: dict[str, str], epsg: int) -> None:
    ring = square(E0 + offset, N0, 100.0)
    path = write_txt(tmp_path / "z.txt", parcel("1", "甲", [ring]), header={**HEADER, **header})
    gdf = io.read(path)
    assert gdf.crs.to_epsg() == epsg
    lon, lat = gdf.to_crs(4490).geometry.iloc[0].centroid.coords[0]
    assert lon == pytest.approx(116.34, abs=0.01)  # the same place whatever the zone style
    assert lat == pytest.approx(27.94, abs=0.01)


def test_unprefixed_eastings_without_a_zone_are_resolved_from_evidence(tmp_path: Path) -> None:
    header = {k: v for k, v in HEADER.items() if k != "带号"}
    ring = square(E0 - 39_000_000, N0, 100.0)
    path = write_txt(tmp_path / "nz.txt", parcel("1", "甲", [ring]), header=header)
    with pytest.warns(CRSAssumptionWarning, match="taken as EPSG:4548"):
        assert io.read(path).crs.to_epsg() == 4548
    assert io.read(path, assume_crs="EPSG:4548").crs.to_epsg() == 4548


def test_zone_mismatch_names_the_line(tmp_path: Path) -> None:
    path = write_txt(
        tmp_path / "m.txt", parcel("1", "甲", [OUTER]), header={**HEADER, "带号": "38"}
    )
    with pytest.raises(
        FzgeoError, match=r"带号=38 \(line 9\) but the eastings carry zone prefix 39"
    ):
        io.read(path)


def test_mixed_zone_prefixes_name_the_line(tmp_path: Path) -> None:
    ring = [*OUTER[:2], (N0 + 200, E0 + 200 - 39_000_000), OUTER[3]]
    path = write_txt(tmp_path / "m.txt", parcel("1", "甲", [ring]))
    with pytest.raises(FzgeoError, match="has no zone prefix") as info:
        io.read(path)
    assert (info.value.code, info.value.where) == ("FZ101", f"line {line_of(path, 'J3,')}")
    assert str(path) in str(info.value)


def test_declared_area_off_by_more_than_one_percent_warns(tmp_path: Path) -> None:
    body = parcel("A-1", "某某项目用地", [OUTER, HOLE], area="4.0")  # computed 3.8 ha
    body += parcel("A-2", "", [square(E0 + 500, N0, 100.0)], area="1.005")  # within 1 %
    path = write_txt(tmp_path / "a.txt", body)
    with pytest.warns(DeclaredAreaWarning) as caught:
        gdf = io.read(path)
    areas = [w for w in caught if w.category is DeclaredAreaWarning]  # not the FZ312 GBK guess
    assert len(areas) == 1
    text = str(areas[0].message)
    assert "parcel A-1 (某某项目用地)" in text
    assert "4 ha" in text and "3.8000 ha" in text and "+5.3%" in text
    assert f"line {line_of(path, '10,4.0')}" in text
    assert gdf["申报面积_公顷"].tolist() == [4.0, 1.005]
    square_metres = write_txt(tmp_path / "m2.txt", parcel("1", "", [OUTER], area="40000"))
    with pytest.warns(DeclaredAreaWarning, match="matches the area in m², not 公顷"):
        io.read(square_metres)
    report = validate.validate_file(path)
    assert report.ok
    finding = next(f for f in report.findings if f.code == "FZ420")
    assert finding.severity == "warning"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-bom", "gb18030"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    bom = encoding == "utf-8-bom"
    path = write_txt(
        tmp_path / "e.txt",
        parcel("1", "临川区某地块", [OUTER]),
        encoding="utf-8" if bom else encoding,
        bom=bom,
    )
    gdf = io.read(path)
    assert gdf["地块名称"].tolist() == ["临川区某地块"]
    assert gdf.attrs["数据产生单位"] == "抚州市某某勘测院"


def _replace(body: list[str], old: str, new: str) -> list[str]:
    return [re.sub(old, new, line, count=1) for line in body]


BAD = {
    "point count": (
        lambda: parcel("1", "甲", [OUTER], count=6),
        "FZ405",
        "6,",
        r"parcel 1 \(甲\) declares 界址点数 6 but 5 point line\(s\) follow",
    ),
    "non-numeric X": (
        lambda: _replace(parcel("1", "甲", [OUTER]), r"^J3,1,[0-9.]+", "J3,1,3092l00.000"),
        "FZ405",
        "J3,",
        r"X \(northing\) '3092l00.000' is not a number",
    ),
    "non-numeric 圈号": (
        lambda: _replace(parcel("1", "甲", [OUTER]), r"^J2,1,", "J2,一,"),
        "FZ405",
        "J2,",
        "圈号 '一' is not a number",
    ),
    "unclosed ring": (
        lambda: [*parcel("1", "甲", [OUTER])[:-1], f"J5,1,{N0 + 1:.3f},{E0:.3f}"],
        "FZ405",
        "J5,",
        r"ring 圈号 1 of parcel 1 \(甲\) is not closed: its last point J5",
    ),
    "two distinct points": (
        lambda: parcel("1", "甲", [[OUTER[0], OUTER[1], OUTER[1]]]),
        "FZ403",
        "J1,",
        r"has 2 distinct point\(s\)",
    ),
    "point before a parcel": (
        lambda: parcel("1", "甲", [OUTER])[1:],
        "FZ405",
        "J1,",
        "a point line comes before any parcel line",
    ),
    "three fields": (
        lambda: _replace(parcel("1", "甲", [OUTER]), r"^J2,1,", "J2,"),
        "FZ405",
        "J2,",
        "the line holds 3 fields",
    ),
    "crossing rings": (
        lambda: parcel("1", "甲", [OUTER, square(E0 + 150, N0 + 50, 100.0)]),
        "FZ405",
        "J5,",
        r"ring 圈号 2 \(line \d+\) crosses ring 圈号 1 \(line \d+\)",
    ),
    "ring 2 encloses ring 1": (
        lambda: parcel("1", "甲", [HOLE, OUTER]),
        "FZ405",
        "J5,",
        "encloses ring 圈号 1",
    ),
    "swapped X/Y": (
        lambda: parcel("1", "甲", [[(e - 39_000_000, n) for n, e in OUTER]]),
        "FZ405",
        "J1,",
        "X 435,000.000 is not a northing but Y 3,092,000.000 is",
    ),
    "圈号 reappears": (
        lambda: _replace(
            parcel("1", "甲", [OUTER, HOLE, square(E0 + 120, N0 + 120, 20.0)]),
            r"^J9,3,",
            "J9,1,",
        ),
        "FZ405",
        "J9,",
        r"圈号 1 of parcel 1 \(甲\) appears again after another ring",
    ),
    "line record": (
        lambda: _replace(parcel("1", "甲", [OUTER]), ",面,", ",线,"),
        "FZ405",
        "5,",
        "记录图形属性 is '线'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_names_file_line_and_problem(tmp_path: Path, case: str) -> None:
    make, code, start, message = BAD[case]
    path = write_txt(tmp_path / "bad.txt", make())
    with pytest.raises(FzgeoError, match=message) as info:
        io.read(path)
    assert info.value.code == code
    assert info.value.where == f"line {line_of(path, start)}"
    assert str(path) in str(info.value)
    report = validate.validate_file(path)  # validate reports the same, without raising
    assert not report.ok
    assert report.errors[0].code == code


def test_missing_coordinate_section(tmp_path: Path) -> None:
    path = tmp_path / "no.txt"
    path.write_bytes("[属性描述]\r\n坐标系=2000国家大地坐标系\r\n".encode("gbk"))
    with pytest.raises(FzgeoError, match=r"no \[地块坐标\] section") as info:
        io.read(path)
    assert info.value.code == "FZ405"
    empty = write_txt(tmp_path / "empty.txt", [])
    with pytest.raises(FzgeoError, match=r"holds no parcel") as info:
        io.read(empty)
    assert info.value.where == "line 12"


@pytest.mark.parametrize(
    ("system", "name"),
    [("1980西安坐标系", "西安80"), ("北京54", "北京54"), ("地方独立坐标系", "not CGCS2000")],
)
def test_xian80_and_beijing54_are_refused_unless_a_crs_is_assumed(
    tmp_path: Path, system: str, name: str
) -> None:
    path = write_txt(
        tmp_path / "x.txt", parcel("1", "甲", [OUTER]), header={**HEADER, "坐标系": system}
    )
    with pytest.raises(FzgeoError, match=f"坐标系={system} is {name}") as info:
        io.read(path)
    assert (info.value.code, info.value.where) == ("FZ108", f"line {line_of(path, '坐标系=')}")
    assert str(path) in str(info.value)
    report = validate.validate_file(path)
    assert [f.code for f in report.errors] == ["FZ108"]
    with pytest.warns(CRSAssumptionWarning, match=r"\[FZ108\].*taken as EPSG:4527"):
        gdf = io.read(path, assume_crs="EPSG:4527")  # the user vouches for the coordinates
    assert gdf.crs.to_epsg() == 4527
    report = validate.validate_file(path, assume_crs="EPSG:4527")
    assert report.ok
    assert [(f.code, f.severity) for f in report.findings if f.code == "FZ108"] == [
        ("FZ108", "warning")
    ]


def test_txt_without_sections_is_refused(tmp_path: Path) -> None:
    rows = ["点号\tX\tY"] + [f"J{i + 1}\t{x:.3f}\t{y:.3f}" for i, (x, y) in enumerate(OUTER)]
    path = tmp_path / "坐标.txt"
    path.write_bytes("\r\n".join(rows).encode("gbk"))
    with pytest.raises(FzgeoError, match=r"no \[地块坐标\] section") as info:
        io.read(path)
    assert info.value.code == "FZ301"
    assert "save it as .csv" in str(info.value)


def test_binary_named_txt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sites.txt"
    path.write_bytes(b"SQLite format 3\x00" + bytes(200))
    with pytest.raises(FzgeoError) as info:
        io.read(path)
    assert info.value.code == "FZ309"


def _linchuan_point() -> tuple[float, float, float, float]:
    """A point of 临川区 (lon, lat) and the same point in EPSG:4527 (easting, northing), whole metres."""
    county = layers.load("admin_boundaries").query("name == '临川区'")
    point = county.to_crs(4490).geometry.iloc[0].representative_point()
    e, n = Transformer.from_crs(4490, 4527, always_xy=True).transform(point.x, point.y)
    return point.x, point.y, float(round(e)), float(round(n))


def test_fzgeo_check_and_validate_on_a_txt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, e, n = _linchuan_point()
    site = parcel("1", "临川某项目用地", [square(e, n, 200.0), square(e + 50, n + 50, 50.0, 40.0)])
    site[0] = site[0].replace(",,1,", ",3.8,1,", 1)
    path = write_txt(tmp_path / "sites.txt", site)
    # a red line over the west half of the site, drawn in EPSG:4548 (no zone prefix)
    x = e - 39_000_000
    red = GeoDataFrame({"name": ["红线"]}, geometry=[box(x, n, x + 100, n + 200)], crs=4548)
    red.to_file(tmp_path / "red.gpkg")
    out = tmp_path / "out"
    status = main(
        [
            "check",
            str(path),
            "--against",
            f"eco_redline={tmp_path / 'red.gpkg'}",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert status == 1  # a conflict
    report = pd.read_csv(out / "report.csv", encoding="utf-8-sig")
    assert report["地块名称"].tolist() == ["临川某项目用地"]
    assert report["综合结论"].tolist() == ["冲突"]
    # west half 100 m x 200 m minus the hole 50 m x 40 m that lies in it: 1.8 ha
    assert report.loc[0, "生态保护红线·重叠面积（公顷）"] == pytest.approx(1.8, abs=1e-4)
    sites = pyogrio.read_dataframe(out / "conflicts.gpkg", layer="sites").to_crs(4490)
    city = layers.load("admin_boundaries").query("name == '临川区'").to_crs(4490)
    assert sites.geometry.iloc[0].within(city.geometry.iloc[0])
    capsys.readouterr()
    assert main(["validate", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "报部格式 coordinate file (TXT)" in printed
    assert "EPSG:4527" in printed


def test_many_area_differences_are_counted_after_ten(tmp_path: Path) -> None:
    body = []
    for i in range(12):
        body += parcel(str(i + 1), "", [square(E0 + 300 * i, N0, 100.0)], area="2")
    path = write_txt(tmp_path / "many.txt", body, encoding="utf-8")  # counted: no FZ312 guess
    with pytest.warns(DeclaredAreaWarning) as caught:
        io.read(path)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 11
    assert "parcel 10:" in messages[9]
    assert "2 more parcel(s) differ from their declared 地块面积 by more than 1%" in messages[10]


def test_point_lines_with_trailing_commas(tmp_path: Path) -> None:
    body = _replace(parcel("1", "甲", [OUTER]), r"^(J\d,1,.*)$", r"\1,,")
    assert body[1].endswith(",,")
    gdf = io.read(write_txt(tmp_path / "t.txt", body))
    assert gdf.geometry.iloc[0].area == 40_000.0


def _mutate(lines: list[str], rng: random.Random) -> list[str]:
    out = list(lines)
    i = rng.randrange(len(out))
    match rng.randrange(6):
        case 0:
            del out[i]
        case 1:
            out.insert(i, out[rng.randrange(len(out))])
        case 2:
            fields = out[i].split(",")
            fields[rng.randrange(len(fields))] = rng.choice(
                ["", "x", "-1", "0", "1e309", "nan", "3"]
            )
            out[i] = ",".join(fields)
        case 3:
            out[i] = out[i][: rng.randrange(len(out[i]) + 1)]
        case 4:
            out = out[:i]
        case _:
            out[i] = out[i].replace("1,", "2,", 1)
    return out


def test_mutated_files_give_fzgeo_errors_only(tmp_path: Path) -> None:
    body = parcel("1", "甲", [OUTER, HOLE], area="3.8") + parcel(
        "2", "乙", [square(E0 + 500, N0, 50)]
    )
    good = write_txt(tmp_path / "good.txt", body).read_bytes().decode("gbk").split("\r\n")
    rng = random.Random(7)
    outcomes: dict[str, int] = {}
    for k in range(300):
        lines = good
        for _ in range(rng.randrange(1, 4)):
            lines = _mutate(lines, rng) if lines else lines
        path = tmp_path / f"m{k}.txt"
        path.write_bytes("\r\n".join(lines).encode("gbk"))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # area notes and CRS assumptions are fine here
                io.read(path)
            key = "read"
        except FzgeoError as err:
            key = err.code
            assert err.path == str(path)
        outcomes[key] = outcomes.get(key, 0) + 1
        report = validate.validate_file(path)
        assert "FZ000" not in [f.code for f in report.findings]  # no unexpected failure
    assert {"read", "FZ405"} <= set(outcomes), outcomes
