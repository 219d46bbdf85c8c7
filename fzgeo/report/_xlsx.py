"""A fast streaming XLSX writer for the check's tables (Office Open XML, SpreadsheetML).

The per-site and per-rule tables of a large batch hold millions of cells; general-purpose
writers (openpyxl, xlsxwriter) spend a few microseconds on each one in Python. This writer builds
each column's cell XML at once with numpy string operations and streams the sheet into the
zip archive in blocks of rows, so memory stays bounded and a 20 000-site report takes about a
second. It writes only what the reports need:

- one sheet per table, text as inline strings, numbers as numbers, NaN as an empty cell;
- a number format per column (:func:`Column.num_format`, chosen by the caller from the unit);
- column widths fitted to the header and the values (East Asian wide characters count double);
- the header row bold and frozen (with the first ``freeze_columns`` columns), an autofilter;
- optional notice lines above the header (the 示意 disclaimer), bold red on a yellow band;
- verdict cells (冲突 / 邻近) shaded as in the HTML report.

The XML is the subset of ECMA-376 that Excel, WPS, LibreOffice and openpyxl read.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from fzgeo._atomic import atomic_path

ROWS_PER_BLOCK = 4096  #: rows built and written at once
TAILS_KEPT = 4096  #: distinct texts of a column whose cell XML is kept for reuse
MAX_WIDTH = 60.0  #: widest column, in characters
MIN_WIDTH = 6.0
#: Cell text -> fill colour (the HTML report's colours for 冲突 and 邻近).
VERDICT_FILLS = {"冲突": "F8D0D0", "邻近": "FCEBC4"}
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPED = re.compile(r"(_x[0-9A-Fa-f]{4}_)")  # Excel would read these as escaped characters
#: Built-in number formats of SpreadsheetML (no numFmt entry needed).
_BUILTIN = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4}


@dataclass(frozen=True)
class Sheet:
    """A table to write: ``formats`` maps a column to its number format (default General)."""

    name: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    notice: Sequence[str] = ()  #: lines written above the header, one row each
    freeze_columns: int = 0  #: leading columns kept in view when scrolling right
    verdict_columns: Sequence[str] = ()  #: columns whose 冲突/邻近 cells are shaded


def column_letter(index: int) -> str:
    """``A`` for 0, ``Z`` for 25, ``AA`` for 26, ..."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def text_width(text: str) -> float:
    """Display width of ``text`` in spreadsheet characters: wide (CJK) characters count 2."""
    return float(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text))


def _clean(text: str) -> str:
    text = _ILLEGAL.sub("", text)
    return escape(_ESCAPED.sub(r"_x005F\1", text))


class _Styles:
    """The workbook's cell formats (``cellXfs``), added on first use."""

    def __init__(self) -> None:
        self.num_formats: dict[str, int] = {}
        self.fills: list[str] = []  # colours of the solid fills after the two required ones
        self.xfs: dict[tuple[int, int, int], int] = {(0, 0, 0): 0}

    def num_id(self, fmt: str) -> int:
        if fmt in _BUILTIN:
            return _BUILTIN[fmt]
        return self.num_formats.setdefault(fmt, 164 + len(self.num_formats))

    def fill_id(self, colour: str | None) -> int:
        if colour is None:
            return 0
        if colour not in self.fills:
            self.fills.append(colour)
        return 2 + self.fills.index(colour)

    def xf(self, fmt: str = "General", font: int = 0, fill: str | None = None) -> int:
        """Index of the cell format: number format, font (0 plain, 1 bold, 2 bold red), fill."""
        key = (self.num_id(fmt), font, self.fill_id(fill))
        return self.xfs.setdefault(key, len(self.xfs))

    def xml(self) -> str:
        num = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{escape(f, {chr(34): "&quot;"})}"/>'
            for f, i in self.num_formats.items()
        )
        fills = "".join(
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/><bgColor indexed="64"/>'
            "</patternFill></fill>"
            for c in self.fills
        )
        xfs = "".join(
            f'<xf numFmtId="{n}" fontId="{f}" fillId="{fl}" borderId="0" xfId="0"'
            + (' applyNumberFormat="1"' if n else "")
            + (' applyFont="1"' if f else "")
            + (' applyFill="1"' if fl else "")
            + "/>"
            for (n, f, fl) in self.xfs
        )
        font = '<sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
        return (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_NS}">'
            f'<numFmts count="{len(self.num_formats)}">{num}</numFmts>'
            f'<fonts count="3"><font>{font}</font><font><b/>{font}</font>'
            f'<font><b/><sz val="12"/><color rgb="FFC00000"/><name val="Calibri"/><family val="2"/>'
            '<scheme val="minor"/></font></fonts>'
            f'<fills count="{2 + len(self.fills)}"><fill><patternFill patternType="none"/></fill>'
            f'<fill><patternFill patternType="gray125"/></fill>{fills}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            f'</cellStyleXfs><cellXfs count="{len(self.xfs)}">{xfs}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


class _Column:
    """One column ready to stream: its cells are built block by block (:meth:`cells`).

    Numbers are written in their shortest round-trip form (``repr``), integers as they are;
    NaN and infinities leave the cell empty. Text: values that are not strings (dates, mixed
    columns) are written as their ``str``; missing values and empty strings leave it empty.
    """

    def __init__(self, sheet: Sheet, j: int, name: str, styles: _Styles) -> None:
        values = sheet.frame[name]
        if pd.api.types.is_bool_dtype(values.dtype):
            values = values.astype(object)
        self.letter = column_letter(j)
        self.width = text_width(name)
        self.numeric = pd.api.types.is_numeric_dtype(values.dtype)
        self.values = values
        self.tails: dict[str, str] = {}
        if self.numeric:
            fmt = sheet.formats.get(name, "General")
            self.style = styles.xf(fmt)
            self.data = (
                values.to_numpy()
                if values.dtype.kind in "iu"
                else pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
            )
            finite = self.data[np.isfinite(self.data)]
            if len(finite):
                top = float(np.abs(finite).max())
                decimals = len(fmt.rsplit(".", 1)[1]) if "." in fmt else 0
                if fmt == "General" and values.dtype.kind == "f":
                    decimals = 4
                digits = len(f"{top:,.0f}" if "," in fmt else f"{top:.0f}")
                self.width = max(self.width, digits + (decimals + 1 if decimals else 0) + 1)
            return
        self.shaded = {
            v: f' s="{styles.xf(fill=colour)}"'
            for v, colour in VERDICT_FILLS.items()
            if name in sheet.verdict_columns
        }
        distinct = [self._text(v) for v in pd.unique(values.astype(object).to_numpy())]
        widths = [text_width(t) for t in distinct if t]
        self.width = max([self.width, *widths])

    @staticmethod
    def _text(value: object) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
            return ""
        return value if isinstance(value, str) else str(value)

    def _tail(self, text: str) -> str:
        tail = self.tails.get(text)
        if tail is None:
            space = ' xml:space="preserve"' if text != text.strip() else ""
            style = self.shaded.get(text, "")
            tail = f'" t="inlineStr"{style}><is><t{space}>{_clean(text)}</t></is></c>'
            if len(self.tails) < TAILS_KEPT:  # repeated texts (verdicts), not a million ids
                self.tails[text] = tail
        return tail

    def cells(self, rows: range, start: int, stop: int) -> list[str]:
        """The ``<c>`` element of each row from ``start`` to ``stop`` ("" where empty)."""
        letter = self.letter
        if self.numeric:
            data = self.data[start:stop]
            keep = np.isfinite(data).tolist()
            s = self.style
            return [
                f'<c r="{letter}{r}" s="{s}"><v>{v!r}</v></c>' if k else ""
                for r, v, k in zip(rows[start:stop], data.tolist(), keep, strict=True)
            ]
        block = self.values.iloc[start:stop].astype(object).tolist()
        out = []
        for r, v in zip(rows[start:stop], block, strict=True):
            text = v if isinstance(v, str) else self._text(v)
            out.append(f'<c r="{letter}{r}{self._tail(text)}' if text else "")
        return out


def _layout(sheet: Sheet) -> tuple[int, str]:
    """The header's row number and the table's range (header and data), e.g. ``A3:G6``."""
    header_row = len(sheet.notice) + 2 if sheet.notice else 1  # notice lines and a blank row
    last = column_letter(max(len(sheet.frame.columns), 1) - 1)
    return header_row, f"A{header_row}:{last}{header_row + len(sheet.frame)}"


def _sheet_xml(sheet: Sheet, styles: _Styles, selected: bool) -> Iterator[str]:
    """The worksheet XML, in chunks of at most :data:`ROWS_PER_BLOCK` rows."""
    frame = sheet.frame
    header_row, ref = _layout(sheet)
    n, m = len(frame), max(len(frame.columns), 1)
    rows = range(header_row + 1, header_row + 1 + n)
    columns = [_Column(sheet, j, str(c), styles) for j, c in enumerate(frame.columns)]
    last = column_letter(m - 1)
    xs, ys = sheet.freeze_columns, header_row
    pane_cell = f"{column_letter(xs)}{ys + 1}"
    active = "bottomRight" if xs else "bottomLeft"
    tab = 'tabSelected="1" ' if selected else ""
    split = (f'xSplit="{xs}" ' if xs else "") + f'ySplit="{ys}"'
    cols = "".join(
        f'<col min="{j + 1}" max="{j + 1}" width="{min(MAX_WIDTH, max(MIN_WIDTH, c.width + 2)):.2f}"'
        ' customWidth="1"/>'
        for j, c in enumerate(columns)
    )
    head = [
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{_NS}" xmlns:r="{_RNS}"><dimension ref="A1:{last}{header_row + n}"/>'
        f'<sheetViews><sheetView {tab}workbookViewId="0"><pane {split} topLeftCell="{pane_cell}" '
        f'activePane="{active}" state="frozen"/><selection pane="{active}" '
        f'activeCell="{pane_cell}" sqref="{pane_cell}"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
    ]
    notice_style = styles.xf(font=2, fill="FFF2CC")
    for i, line in enumerate(sheet.notice, start=1):
        head.append(
            f'<row r="{i}"><c r="A{i}" t="inlineStr" s="{notice_style}"><is><t>{_clean(line)}</t>'
            "</is></c></row>"
        )
    bold = styles.xf(font=1, fill="EEEEEE")
    head.append(
        f'<row r="{header_row}">'
        + "".join(
            f'<c r="{column_letter(j)}{header_row}" t="inlineStr" s="{bold}"><is><t>'
            f"{_clean(str(c))}</t></is></c>"
            for j, c in enumerate(frame.columns)
        )
        + "</row>"
    )
    yield "".join(head)
    for start in range(0, n, ROWS_PER_BLOCK):
        stop = min(n, start + ROWS_PER_BLOCK)
        grid = [[f'<row r="{r}">' for r in rows[start:stop]]]
        grid += [col.cells(rows, start, stop) for col in columns]
        grid.append(["</row>"] * (stop - start))
        yield "".join("".join(row) for row in zip(*grid, strict=True))
    merge = (
        f'<mergeCells count="{len(sheet.notice)}">'
        + "".join(
            f'<mergeCell ref="A{i}:{column_letter(min(m, 12) - 1)}{i}"/>'
            for i in range(1, len(sheet.notice) + 1)
        )
        + "</mergeCells>"
        if sheet.notice and m > 1
        else ""
    )
    yield (
        f'</sheetData><autoFilter ref="{ref}"/>{merge}'
        '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape"/></worksheet>'
    )


def write_workbook(sheets: Sequence[Sheet], path: Path) -> Path:
    """Write ``sheets`` as one XLSX workbook at ``path`` (atomically) and return ``path``."""
    styles = _Styles()
    names, filters = [], []
    with (
        atomic_path(path) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
    ):
        for i, sheet in enumerate(sheets, start=1):
            with zf.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as fh:
                for chunk in _sheet_xml(sheet, styles, selected=i == 1):
                    fh.write(chunk.encode("utf-8"))
            ref = _layout(sheet)[1]
            names.append(sheet.name)
            start, stop = ref.split(":")
            absolute = "$" + re.sub(r"(\d+)", r"$\1", start) + ":$" + re.sub(r"(\d+)", r"$\1", stop)
            filters.append(f"'{sheet.name}'!{absolute}")
        zf.writestr("xl/styles.xml", styles.xml())
        zf.writestr("[Content_Types].xml", _content_types(len(sheets)))
        zf.writestr("_rels/.rels", _root_rels())
        zf.writestr("xl/workbook.xml", _workbook(names, filters))
        zf.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
    return path


def _content_types(n: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        f'officedocument.spreadsheetml.styles+xml"/>{sheets}</Types>'
    )


def _root_rels() -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG}/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )


def _workbook(names: list[str], filters: list[str]) -> str:
    sheets = "".join(
        f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(names, start=1)
    )
    defined = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(ref)}</definedName>"
        for i, ref in enumerate(filters)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_NS}" '
        f'xmlns:r="{_RNS}"><bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets><definedNames>{defined}</definedNames></workbook>"
    )


def _workbook_rels(n: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    styles = (
        f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/styles" Target="styles.xml"/>'
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG}/'
        f'relationships">{rels}{styles}</Relationships>'
    )
