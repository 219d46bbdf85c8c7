"""The streaming XLSX writer and the report tables' units: read back with openpyxl and pandas."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from fzgeo.report._tables import number_formats, write_xlsx
from fzgeo.report._xlsx import Sheet, column_letter, text_width, write_workbook


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "序号": [1, 2, 3],
            "名称": ["道路 ", "<a&b>\x07", None],
            "重叠面积（平方米）": [1234.5, np.nan, 1e7],
            "占项目比例（%）": [49.9987, np.inf, 0.0],
            "综合结论": ["冲突", "邻近", "无冲突"],
            "mixed": [1, "x", 2.5],
            "公式": ["=1+1", "_x0041_", "plain"],
        }
    )


def test_cells_come_back_as_written(tmp_path: Path):
    path = write_workbook([Sheet("汇总", _frame())], tmp_path / "t.xlsx")
    back = pd.read_excel(path, sheet_name="汇总")
    assert list(back.columns) == list(_frame().columns)
    assert back["序号"].tolist() == [1, 2, 3]
    assert back["名称"].tolist()[:2] == ["道路 ", "<a&b>"]  # spaces kept, BEL dropped
    assert pd.isna(back["名称"].iloc[2])
    assert back["重叠面积（平方米）"].tolist()[0] == 1234.5
    assert pd.isna(back["重叠面积（平方米）"].iloc[1])  # NaN: an empty cell
    assert pd.isna(back["占项目比例（%）"].iloc[1])  # inf: an empty cell, never text
    assert back["mixed"].astype(str).tolist() == ["1", "x", "2.5"]
    wb = load_workbook(path)
    assert wb["汇总"]["A2"].data_type == "n" and wb["汇总"]["G2"].data_type == "s"
    assert wb["汇总"]["G2"].value == "=1+1"  # inline text, never a formula
    with zipfile.ZipFile(path) as zf:  # Excel reads _xHHHH_ as a character: escaped per ECMA-376
        assert "<t>_x005F_x0041_</t>" in zf.read("xl/worksheets/sheet1.xml").decode()


def test_layout_frozen_filtered_fitted_formatted(tmp_path: Path):
    frame = _frame()
    sheet = Sheet(
        "汇总",
        frame,
        formats=number_formats(frame),
        notice=["示意数据：本次检查使用的生态保护红线为示意图层。"],
        freeze_columns=1,
        verdict_columns=["综合结论"],
    )
    path = write_workbook([sheet, Sheet("规则", frame)], tmp_path / "t.xlsx")
    ws = load_workbook(path)["汇总"]
    assert ws["A1"].value.startswith("示意数据：") and ws["A1"].font.b
    assert ws["A3"].value == "序号" and ws["A3"].font.b  # header below the notice and a gap
    assert ws.freeze_panes == "B4"
    assert ws.auto_filter.ref == "A3:G6"
    assert ws["C4"].number_format == "#,##0.00"
    assert ws["D4"].number_format == "0.00"
    assert ws["A4"].number_format == "0"
    assert ws["E4"].fill.fgColor.rgb == "FFF8D0D0"  # 冲突 shaded
    assert ws["E6"].fill.fill_type is None
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert widths["C"] >= text_width("重叠面积（平方米）") == 18  # CJK characters count double
    assert widths["B"] >= text_width("<a&b>") + 2
    rules = load_workbook(path)["规则"]
    assert rules.freeze_panes == "A2" and rules.auto_filter.ref == "A1:G4"


def test_workbook_parts_are_well_formed(tmp_path: Path):
    """Every XML part parses; the filter ranges are named as Excel expects."""
    from xml.etree import ElementTree

    path = write_workbook(
        [Sheet("汇总", _frame()), Sheet("明细", _frame().iloc[:0])], tmp_path / "t.xlsx"
    )
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        assert {"[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml"} <= names
        for name in names:
            ElementTree.fromstring(zf.read(name))
        assert "'汇总'!$A$1:$G$4" in zf.read("xl/workbook.xml").decode()
    assert pd.read_excel(path, sheet_name="明细").empty


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_write_xlsx_puts_the_notice_on_the_first_sheet_only(tmp_path: Path):
    frame = _frame()
    path = write_xlsx(
        {"汇总": frame, "明细": frame}, tmp_path / "r.xlsx", notice=["示意数据：测试"]
    )
    wb = load_workbook(path)
    assert wb["汇总"]["A1"].value == "示意数据：测试"
    assert wb["明细"]["A1"].value == "序号"
    assert wb["汇总"]["G4"].value == "'=1+1"  # neutralised as in the CSV
    plain = write_xlsx({"汇总": frame}, tmp_path / "p.xlsx")
    assert load_workbook(plain)["汇总"]["A1"].value == "序号"


@pytest.mark.parametrize("n", [0, 1, 5000])
def test_row_counts_and_blocks(tmp_path: Path, n: int):
    """Rows cross the writer's blocks (ROWS_PER_BLOCK) without loss or reordering."""
    frame = pd.DataFrame({"序号": np.arange(1, n + 1), "值": np.arange(n) / 3})
    back = pd.read_excel(write_workbook([Sheet("s", frame)], tmp_path / "n.xlsx"))
    assert len(back) == n
    if n:
        assert back["序号"].tolist() == list(range(1, n + 1))
        assert np.allclose(back["值"], np.arange(n) / 3)


def test_a_table_longer_than_a_worksheet_goes_on_several(tmp_path: Path, monkeypatch):
    """Excel's 1,048,576 rows per sheet, scaled down: every row on some sheet, once, in order."""
    from fzgeo.report import _tables

    monkeypatch.setattr(_tables, "XLSX_MAX_ROWS", 12)
    n = 25
    details = pd.DataFrame(
        {"序号": np.arange(1, n + 1), "结论": ["冲突", "无冲突"] * 12 + ["邻近"]}
    )
    sites = pd.DataFrame({"序号": [1, 2], "综合结论": ["冲突", "无冲突"]})
    path = write_xlsx({"汇总": sites, "明细": details}, tmp_path / "t.xlsx", notice=["示意数据"])
    wb = load_workbook(path)
    assert wb.sheetnames == ["汇总", "明细", "明细（2）", "明细（3）"]  # 9 data rows each
    assert wb["汇总"]["A1"].value == "示意数据"  # the 示意 notice stays first on the first sheet
    assert max(wb[s].max_row for s in wb.sheetnames) <= 12
    rows = []
    for k, name in enumerate(wb.sheetnames[1:], start=1):
        note = wb[name]["A1"].value
        assert note.startswith("本表共 25 行，超过 Excel 单个工作表的上限 12 行，分为 3 个工作表")
        assert f"此为第 {k} 个" in note and "CSV 文件含全部行" in note
        back = pd.read_excel(path, sheet_name=name, header=2)
        assert list(back.columns) == ["序号", "结论"]
        rows += back["序号"].tolist()
    assert rows == list(range(1, n + 1))
    fits = write_xlsx({"明细": details.head(11)}, tmp_path / "fits.xlsx")
    assert load_workbook(fits).sheetnames == ["明细"]  # 11 rows and the header: one sheet


def test_csv_written_in_blocks_is_the_csv_written_at_once(tmp_path: Path, monkeypatch):
    from fzgeo.report import _tables

    frame = pd.concat([_frame()] * 3, ignore_index=True)
    whole = _tables.write_csv(frame, tmp_path / "whole.csv").read_bytes()
    monkeypatch.setattr(_tables, "CSV_ROWS", 2)
    blocks = _tables.write_csv(frame, tmp_path / "blocks.csv").read_bytes()
    assert blocks == whole
    assert whole.startswith("\ufeff序号,".encode()) and whole.count("\ufeff".encode()) == 1
    assert whole.count(b"'=1+1") == 3  # every block neutralised
    empty = _tables.write_csv(frame.iloc[:0], tmp_path / "empty.csv").read_bytes()
    assert empty.decode("utf-8-sig").splitlines() == [",".join(frame.columns)]
