"""Boundary-point coordinate tables (界址点坐标表): CSV and XLSX, several parcels and sheets."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from openpyxl import Workbook

from fzgeo import io
from fzgeo.errors import CRSAssumptionWarning, FzgeoError
from fzgeo.io import validate

#: the GBK files written here are read by a guess, a TextEncodingWarning (FZ312) tested in
#: tests/test_input_encoding.py
pytestmark = pytest.mark.filterwarnings(r"ignore:\[FZ312\]:fzgeo.errors.TextEncodingWarning")

E0, N0 = 39_435_000.0, 3_092_000.0  # zone 39 (CM 117E), zone-prefixed easting; 抚州 northing
RADIUS = 100.0


def ring(n: int = 12, e0: float = E0, n0: float = N0) -> list[tuple[str, float, float]]:
    """(点号, X northing, Y easting) of a regular n-gon, J1..Jn counter-clockwise."""
    pts = []
    for i in range(n):
        a = 2 * math.pi * i / n
        pts.append(
            (f"J{i + 1}", round(n0 + RADIUS * math.sin(a), 3), round(e0 + RADIUS * math.cos(a), 3))
        )
    return pts


def text_order(points: list[tuple[str, float, float]]) -> list[tuple[str, float, float]]:
    """The points sorted by the text of 点号 (J1, J10, J11, J12, J2, ...): the wrong order."""
    return sorted(points, key=lambda p: p[0])


def polygon_area(n: int = 12) -> float:
    return 0.5 * n * RADIUS**2 * math.sin(2 * math.pi / n)


def _csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(",".join(str(c) for c in r) for r in rows).encode(encoding) + b"\n")
    return path


def test_csv_table_with_title_row_two_parcels_and_text_ordered_points(tmp_path: Path) -> None:
    first = text_order(ring())
    second = ring(5, e0=E0 + 1000)
    rows: list[list[object]] = [
        ["抚州市某项目用地界址点坐标表", "", "", ""],
        ["地块编号", "点号", "X(m)", "Y(m)"],
    ]
    rows += [["A-01", p, x, y] for p, x, y in [*first, ring()[0]]]  # closing point repeats J1
    rows += [["A-02", p, x, y] for p, x, y in second]
    path = _csv(tmp_path / "界址点.csv", rows, encoding="gb18030")
    with pytest.warns(CRSAssumptionWarning, match="EPSG:4527"):
        gdf = io.read(path)
    assert gdf.crs.to_epsg() == 4527
    assert gdf["地块"].tolist() == ["A-01", "A-02"]
    assert gdf["界址点数"].tolist() == [12, 5]
    assert gdf.geometry.is_valid.all()
    assert math.isclose(gdf.geometry.iloc[0].area, polygon_area(12), rel_tol=1e-4)
    # Y is the easting: the first vertex (J1) sits east of the centre
    assert gdf.geometry.iloc[0].exterior.coords[0] == pytest.approx((E0 + RADIUS, N0))


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_xlsx_with_cover_sheet_and_parcel_title_rows(tmp_path: Path) -> None:
    sheet1 = [["界址点坐标表"], ["序号", "点号", "X坐标", "Y坐标", "边长"], ["地块1"]]
    sheet1 += [[i + 1, p, x, y, None] for i, (p, x, y) in enumerate(text_order(ring()))]
    sheet1 += [["地块2"]] + [
        [i + 1, p, x, y, None] for i, (p, x, y) in enumerate(ring(4, e0=E0 + 500))
    ]
    sheet1 += [["共计 16 个界址点"]]
    sheet2 = [["点号", "纵坐标X", "横坐标Y"]] + [
        [p, str(x), f"{y:,.3f}"] for p, x, y in ring(6, e0=E0 - 500)
    ]
    path = _xlsx(
        tmp_path / "红线.xlsx",
        {"说明": [["本表坐标系：CGCS2000 3度带 第39带"]], "一期": sheet1, "二期": sheet2},
    )
    with pytest.warns(CRSAssumptionWarning):
        gdf = io.read(path)
    assert gdf["地块"].tolist() == ["地块1", "地块2", "二期"]
    assert gdf["工作表"].tolist() == ["一期", "一期", "二期"]
    assert gdf["界址点数"].tolist() == [12, 4, 6]
    assert gdf.geometry.is_valid.all()
    report = validate.validate_file(path)
    assert report.ok
    assert report.features_in == report.features_out == 3
    skipped = [f for f in report.findings if f.code == "FZ404"]
    assert skipped[0].severity == "info"
    assert "说明" in skipped[0].message


@pytest.mark.parametrize(
    ("rows", "code", "message"),
    [
        (
            [["点号", "X", "Y"], ["J1", N0, E0], ["J2", "three", E0 + 10], ["J3", N0 + 10, E0]],
            "FZ404",
            r"point 'J2' has no numeric X coordinate \('three'\)",
        ),
        (
            [["点号", "X", "Y"], ["J1", E0, N0], ["J2", E0 + 10, N0], ["J3", E0, N0 + 10]],
            "FZ404",
            "column X holds eastings and Y northings",
        ),
        (
            [["点号", "X", "Y"], ["J1", N0, E0], ["1", N0, E0 + 10], ["J2", N0 + 10, E0]],
            "FZ404",
            r"点号 'J1' \(row 2\) and '1' \(row 3\) have the same number",
        ),
        (
            [["点号", "X", "Y"], ["J1", N0, E0], ["J2", N0, E0 + 10]],
            "FZ403",
            r"2 distinct point\(s\); a ring needs at least 3",
        ),
        (
            [["点号", "X", "Y"], ["甲", N0, E0], ["J2", N0, E0 + 10], ["J3", N0 + 10, E0]],
            "FZ404",
            "holds no number",
        ),
    ],
)
def test_table_errors_name_sheet_and_row(
    tmp_path: Path, rows: list[list[object]], code: str, message: str
) -> None:
    path = _xlsx(tmp_path / "t.xlsx", {"坐标": rows})
    with pytest.raises(FzgeoError, match=message) as info:
        io.read(path)
    assert info.value.code == code


def test_bad_row_is_named(tmp_path: Path) -> None:
    rows = [
        ["标题"],
        ["点号", "X", "Y"],
        ["J1", N0, E0],
        ["J2", None, E0 + 10],
        ["J3", N0 + 10, E0],
    ]
    path = _xlsx(tmp_path / "t.xlsx", {"坐标": rows})
    with pytest.raises(FzgeoError) as info:
        io.read(path)
    assert info.value.where == "sheet '坐标' row 4"


def test_workbook_without_a_table(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "t.xlsx", {"Sheet1": [["名称", "面积"], ["甲", 1.0]]})
    with pytest.raises(FzgeoError, match="no sheet has a header row with 点号, X and Y") as info:
        io.read(path)
    assert (info.value.code, info.value.where) == ("FZ404", "Sheet1")


def _rect(e: float, n: float, de: float, dn: float) -> list[tuple[float, float]]:
    """(X northing, Y easting) corners of a rectangle, south-west first, counter-clockwise."""
    return [(n, e), (n, e + de), (n + dn, e + de), (n + dn, e)]


def test_csv_ring_numbers_make_holes_and_parts(tmp_path: Path) -> None:
    rows: list[list[object]] = [["地块编号", "点号", "圈号", "X", "Y"]]
    outer, hole = _rect(E0, N0, 200, 200), _rect(E0 + 50, N0 + 50, 50, 40)
    for ring_no, ring_pts, first in ((1, outer, 1), (2, hole, 5)):  # numbering runs on
        pts = [(f"J{first + i}", x, y) for i, (x, y) in enumerate(ring_pts)]
        rows += [["A-01", p, ring_no, x, y] for p, x, y in [*pts, pts[0]]]
    for ring_no, ring_pts in (
        (1, _rect(E0 + 1000, N0, 100, 100)),
        (2, _rect(E0 + 1300, N0, 50, 20)),
    ):
        rows += [["A-02", f"J{i + 1}", ring_no, x, y] for i, (x, y) in enumerate(ring_pts)]
    path = _csv(tmp_path / "圈号.csv", rows, encoding="gbk")
    with pytest.warns(CRSAssumptionWarning, match="EPSG:4527"):
        gdf = io.read(path)
    assert gdf["地块"].tolist() == ["A-01", "A-02"]
    assert gdf["圈数"].tolist() == [2, 2]
    assert gdf["界址点数"].tolist() == [8, 8]
    first, second = gdf.geometry
    assert first.geom_type == "Polygon" and len(first.interiors) == 1
    assert first.area == 40_000.0 - 2_000.0  # outer minus hole, exact
    assert second.geom_type == "MultiPolygon" and len(second.geoms) == 2
    assert second.area == 10_000.0 + 1_000.0
    assert validate.validate_file(path).ok


def test_xlsx_ring_column_with_merged_cells_and_restarted_numbers(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["某项目界址点成果表"],
        ["宗地号", "环号", "界址点号", "纵坐标X", "横坐标Y"],
    ]
    outer, hole = _rect(E0, N0, 200, 200), _rect(E0 + 50, N0 + 50, 50, 40)
    for parcel, offset in (("Z1", 0.0), ("Z2", 1000.0)):
        for ring_no, ring_pts in ((1, outer), (2, list(reversed(hole)))):
            for i, (x, y) in enumerate(ring_pts):
                # merged cells read as empty: 宗地号 on the parcel's first row, 环号 on the ring's
                first_of_parcel = ring_no == 1 and i == 0
                rows.append(
                    [
                        parcel if first_of_parcel else None,
                        ring_no if i == 0 else None,
                        f"J{i + 1}",  # numbering restarts in each ring
                        x,
                        y + offset,
                    ]
                )
    path = _xlsx(tmp_path / "环号.xlsx", {"成果表": rows})
    with pytest.warns(CRSAssumptionWarning):
        gdf = io.read(path)
    assert gdf["地块"].tolist() == ["Z1", "Z2"]
    assert gdf["圈数"].tolist() == [2, 2]
    assert [len(g.interiors) for g in gdf.geometry] == [1, 1]
    assert gdf.geometry.area.tolist() == [38_000.0, 38_000.0]


@pytest.mark.parametrize(
    ("second", "message", "row"),
    [
        (_rect(E0 + 150, N0 + 50, 100, 100), r"ring 圈号 2 .* crosses ring 圈号 1", 6),
        (_rect(E0 + 50, N0 + 50, 50, 50), None, None),
    ],
)
def test_ring_errors_in_a_table(
    tmp_path: Path, second: list[tuple[float, float]], message: str | None, row: int | None
) -> None:
    rows: list[list[object]] = [["点号", "圈", "X", "Y"]]
    rows += [[f"J{i + 1}", 1, x, y] for i, (x, y) in enumerate(_rect(E0, N0, 200, 200))]
    rows += [[f"J{i + 5}", 2, x, y] for i, (x, y) in enumerate(second)]
    path = _xlsx(tmp_path / "t.xlsx", {"坐标": rows})
    if message is None:
        with pytest.warns(CRSAssumptionWarning):
            assert io.read(path).geometry.iloc[0].area == 40_000.0 - 2_500.0
        return
    with pytest.raises(FzgeoError, match=message) as info:
        io.read(path)
    assert info.value.code == "FZ404"
    assert info.value.where == f"sheet '坐标' parcel '坐标' 圈号 2 row {row}"


def test_ring_number_that_is_not_a_whole_number(tmp_path: Path) -> None:
    rows = [["点号", "圈号", "X", "Y"], ["J1", "外", N0, E0], ["J2", 1, N0, E0 + 10]]
    path = _xlsx(tmp_path / "t.xlsx", {"坐标": rows})
    with pytest.raises(FzgeoError, match="圈号 '外' is not a whole number") as info:
        io.read(path)
    assert (info.value.code, info.value.where) == ("FZ404", "sheet '坐标' row 2")
