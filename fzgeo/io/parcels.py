"""Boundary-point coordinate tables (界址点坐标表) as design institutes send them, as polygons.

A table lists the corner points of one or more parcels (地块) in Gauss-Kruger metres::

    抚州市某项目界址点坐标表            <- title row(s), ignored
    地块编号  点号   X(m)          Y(m)  <- header: 点号 plus X and Y
    A-01      J1     3092000.12    39435000.45
    A-01      J2     ...
    地块2                                 <- or a row naming the next parcel
    ...

Surveyors' X is the **northing** and Y the **easting**, the reverse of GIS x/y. Points are ordered
by the number in 点号 (J2 before J10), not by text. A closing point that repeats the first one is
dropped. A workbook may hold several sheets; sheets without a 点号/X/Y header (a cover page) are
skipped and listed. Every row that names a point must carry two numbers, or the table is refused
with the sheet and row. The CRS is resolved as for any file (zone prefix detection included).

An empty cell in the parcel column (a merged cell, read as empty) continues the parcel above.
A 圈号 (or 环号, 圈) column groups a parcel's points into rings; an empty 圈号 cell continues the
ring above. Each ring is ordered and closed on its own, then the rings are
assembled as in the 报部格式 TXT (:func:`fzgeo.io._rings.assemble`): ring 1 is the outer ring, a
further ring inside it is a hole, one outside it a further part (a multipolygon).
"""

from __future__ import annotations

import csv
import io as _stdio
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from geopandas import GeoDataFrame

from fzgeo.errors import InputError
from fzgeo.io import _encoding, _rings

POINT_NAMES = ("点号", "界址点号", "界址点", "点名", "界址点编号")
PARCEL_NAMES = (
    "地块",
    "地块号",
    "地块编号",
    "地块名称",
    "宗地号",
    "宗地编号",
    "宗地代码",
    "地块名",
)
RING_NAMES = ("圈号", "环号", "圈", "环")
_X = re.compile(r"(纵坐标|北坐标|坐标)?X(坐标)?(值)?")
_Y = re.compile(r"(横坐标|东坐标|坐标)?Y(坐标)?(值)?")
_PARCEL_TITLE = re.compile(r"地块|宗地|第.{1,4}块|parcel", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")
_HEADER_SEARCH = 30  #: rows searched for the header

Cell = object
Sheet = tuple[str, list[list[Cell]]]


def _norm(value: Cell) -> str:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return re.sub(r"\s|\((m|米)\)|[()]|米", "", text, flags=re.IGNORECASE).upper()


@dataclass
class _Columns:
    point: int
    x: int
    y: int
    parcel: int | None
    ring: int | None


def _header(row: list[Cell]) -> _Columns | None:
    names = [_norm(c) for c in row]
    point = next((i for i, n in enumerate(names) if n in POINT_NAMES), None)
    x = next((i for i, n in enumerate(names) if _X.fullmatch(n)), None)
    y = next((i for i, n in enumerate(names) if _Y.fullmatch(n)), None)
    if point is None or x is None or y is None:
        return None
    parcel = next((i for i, n in enumerate(names) if n in PARCEL_NAMES), None)
    ring = next((i for i, n in enumerate(names) if n in RING_NAMES), None)
    return _Columns(point, x, y, parcel, ring)


def parse_number(value: Cell) -> float | None:
    """A cell as a number (full-width digits, thousands commas and inner spaces allowed), or None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value or "")).replace(",", "").replace(" ", "")
    try:
        return float(text)
    except ValueError:
        return None


@dataclass
class Parcel:
    """The points of one parcel as read: (row, 点号, northing X, easting Y, 圈号)."""

    name: str
    sheet: str
    points: list[tuple[int, str, float, float, int]] = field(default_factory=list)


def _cell(row: list[Cell], i: int | None) -> Cell:
    return row[i] if i is not None and i < len(row) else None


def _text(value: Cell) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _sheet_parcels(name: str, rows: list[list[Cell]], path: Path) -> list[Parcel] | None:
    start = next((i for i, r in enumerate(rows[:_HEADER_SEARCH]) if _header(r)), None)
    if start is None:
        return None
    cols = _header(rows[start])
    assert cols is not None
    parcels: dict[str, Parcel] = {}
    current = name
    for r, row in enumerate(rows[start + 1 :], start=start + 2):
        texts = [_text(c) for c in row]
        point = _text(_cell(row, cols.point))
        if not any(texts):
            continue
        if not point:
            filled = [t for t in texts if t]
            if len(filled) == 1 and _PARCEL_TITLE.search(filled[0]):
                current = filled[0]
            continue
        x, y = parse_number(_cell(row, cols.x)), parse_number(_cell(row, cols.y))
        if x is None or y is None:
            bad = _cell(row, cols.x) if x is None else _cell(row, cols.y)
            msg = f"point {point!r} has no numeric {'X' if x is None else 'Y'} coordinate ({bad!r})"
            hint = (
                "an empty cell, or a formula whose value was never saved: open and save the "
                "workbook in Excel or WPS"
                if bad is None
                else None
            )
            raise InputError(
                msg, path=path, where=f"sheet {name!r} row {r}", code="FZ404", hint=hint
            )
        # an empty parcel cell (a merged cell) continues the parcel above
        label = current = _text(_cell(row, cols.parcel)) or current
        parcel = parcels.setdefault(label, Parcel(label, name))
        ring = _ring_number(_cell(row, cols.ring), parcel, path, f"sheet {name!r} row {r}")
        parcel.points.append((r, point, x, y, ring))
    return list(parcels.values())


def _ring_number(value: Cell, parcel: Parcel, path: Path, where: str) -> int:
    """The 圈号 of a row: 1 without a 圈号 column; an empty cell (merged) continues the ring above."""
    if value is None or _text(value) == "":
        return parcel.points[-1][4] if parcel.points else 1
    number = parse_number(value)
    if number is None or not number.is_integer():
        msg = f"圈号 {_text(value)!r} is not a whole number"
        raise InputError(msg, path=path, where=where, code="FZ404")
    return int(number)


def _ordered(
    points: list[tuple[int, str, float, float, int]], where: str, path: Path
) -> list[tuple[float, float]]:
    """Easting/northing pairs of one ring in 点号 number order, closing duplicate dropped."""
    pts = list(points)
    if len(pts) > 1 and (pts[-1][1] == pts[0][1] or pts[-1][2:4] == pts[0][2:4]):
        pts = pts[:-1]
    keyed = []
    for row, point, x, y, _ in pts:
        digits = _NUMBER.findall(point)
        if not digits:
            msg = f"点号 {point!r} holds no number to order the points by"
            raise InputError(msg, path=path, where=f"{where} row {row}", code="FZ404")
        keyed.append((int(digits[-1]), row, point, x, y))
    keyed.sort(key=lambda k: k[0])
    for a, b in itertools.pairwise(keyed):
        if a[0] == b[0]:
            msg = f"点号 {a[2]!r} (row {a[1]}) and {b[2]!r} (row {b[1]}) have the same number"
            raise InputError(msg, path=path, where=f"{where} row {b[1]}", code="FZ404")
    if len(keyed) < 3:
        msg = f"{len(keyed)} distinct point(s); a ring needs at least 3"
        raise InputError(msg, path=path, where=where, code="FZ403")
    return [(y, x) for _, _, _, x, y in keyed]


def _rings_of(parcel: Parcel, path: Path) -> list[_rings.Ring]:
    """The parcel's rings by 圈号 (one ring when the table has no 圈号 column)."""
    where = f"sheet {parcel.sheet!r} parcel {parcel.name!r}"
    numbers = sorted({p[4] for p in parcel.points})
    rings = []
    for number in numbers:
        points = [p for p in parcel.points if p[4] == number]
        ring_where = where if len(numbers) == 1 else f"{where} 圈号 {number}"
        coords = _ordered(points, ring_where, path)
        rings.append(_rings.Ring(number, coords, f"{ring_where} row {points[0][0]}"))
    return rings


def is_northing(value: float) -> bool:
    """True for a Gauss-Kruger northing in China (metres from the equator)."""
    return 2_000_000 <= value <= 6_000_000


def _check_axes(parcels: list[Parcel], path: Path) -> None:
    xs = [p[2] for parcel in parcels for p in parcel.points]
    ys = [p[3] for parcel in parcels for p in parcel.points]
    x_north = all(map(is_northing, xs))
    y_north = all(map(is_northing, ys))
    if y_north and not x_north:
        msg = (
            "column X holds eastings and Y northings; in a 界址点坐标表 X is the northing "
            f"(X {min(xs):,.0f}-{max(xs):,.0f}, Y {min(ys):,.0f}-{max(ys):,.0f})"
        )
        hint = "if the table follows the GIS convention, swap the X and Y column titles"
        raise InputError(msg, path=path, code="FZ404", hint=hint)


def from_sheets(sheets: list[Sheet], *, path: Path) -> tuple[GeoDataFrame, list[str]]:
    """Parcels of every sheet with a header; also the names of the sheets skipped."""
    parcels: list[Parcel] = []
    skipped = []
    for name, rows in sheets:
        found = _sheet_parcels(name, rows, path)
        if found is None:
            skipped.append(name)
        else:
            parcels.extend(found)
    if not parcels:
        msg = "no sheet has a header row with 点号, X and Y columns"
        raise InputError(msg, path=path, where=", ".join(skipped) or None, code="FZ404")
    _check_axes(parcels, path)
    rings = [_rings_of(p, path) for p in parcels]
    gdf = GeoDataFrame(
        {
            "地块": [p.name for p in parcels],
            "工作表": [p.sheet for p in parcels],
            "界址点数": [sum(len(r.coords) for r in rs) for rs in rings],
            "圈数": [len(rs) for rs in rings],
        },
        geometry=[_rings.assemble(rs, path=path, code="FZ404") for rs in rings],
    )
    return gdf, skipped


def is_parcel_table(rows: list[list[Cell]]) -> bool:
    """True when a header with 点号, X and Y appears in the first rows."""
    return any(_header(r) for r in rows[:_HEADER_SEARCH])


def csv_rows(text: str) -> list[list[Cell]]:
    """Rows of a CSV text (comma, semicolon or tab separated)."""
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(r) for r in csv.reader(_stdio.StringIO(text), dialect)]


def xlsx_sheets(path: Path) -> list[Sheet]:
    """Every sheet of a workbook as rows of cell values (cached values of formulas)."""
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        msg = f"cannot open as an Excel workbook ({exc.__class__.__name__}: {exc})"
        raise InputError(msg, path=path, code="FZ302") from exc
    try:
        return [
            (ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets
        ]
    finally:
        wb.close()


def read_csv(path: Path, *, encoding: str | None = None) -> tuple[GeoDataFrame, _encoding.Encoding]:
    """A 界址点坐标表 saved as CSV (no CRS set yet)."""
    decoded = _encoding.decode_text(path.read_bytes(), path=path, override=encoding)
    gdf, _ = from_sheets([(path.stem, csv_rows(decoded.text))], path=path)
    return gdf, decoded.encoding
