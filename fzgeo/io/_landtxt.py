"""报部格式 coordinate files: the 国土资源部 建设用地勘测定界 TXT (also used by 土地整治 and 增减挂钩).

::

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    带号=39
    ...
    [地块坐标]
    5,1.2345,1,某某项目用地,面,,建设用地,,@       <- 界址点数,地块面积(公顷),地块编号,地块名称,
    J1,1,3092000.123,39435000.456                   记录图形属性,图幅号,地块用途,地类编码,@
    J2,1,3092100.000,39435000.456                <- 点号,圈号,X (northing),Y (easting)
    ...
    J1,1,3092000.123,39435000.456                <- every ring closes on its first point

X is the northing and Y the easting, usually with the zone prefix (39 435 000 is zone 39). The
界址点数 counts every point line of the parcel, closing points included. 圈号 1 is the outer ring;
further rings are holes or further parts (:func:`fzgeo.io._rings.assemble`). The CRS comes from
坐标系, 几度分带 and 带号 (CGCS2000 only; 西安80 and 北京54 are refused unless the user vouches for
a CRS), cross-checked against the eastings' zone prefix. A declared 地块面积 more than 1 % away from
the plane area of the points is reported (FZ420). Every refusal names the file and the line.

:func:`read` decodes and parses a file (what :func:`fzgeo.io.read` calls for a ``.txt``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from geopandas import GeoDataFrame
from shapely.geometry.base import BaseGeometry

from fzgeo import crs as crs_mod
from fzgeo.errors import CRSError, FzgeoError, InputError
from fzgeo.io import _encoding, _rings, parcels

FORMAT = "报部格式 coordinate file (TXT)"
CODE = "FZ405"
AREA_TOLERANCE = 0.01  #: relative difference between declared and computed area that is reported
AREA_NOTES = 10  #: parcels named one by one before the rest are counted
CLOSE_TOLERANCE = 0.001  #: metres: a ring closes when its last point is this near its first
COLUMNS = (
    "地块编号",
    "地块名称",
    "地块用途",
    "地类编码",
    "图幅号",
    "申报面积_公顷",
    "界址点数",
    "圈数",
)
_SECTION = re.compile(r"^\s*[\[【]\s*(.+?)\s*[\]】]\s*$")
_SNIFF = re.compile(r"^\s*[\[【]\s*(属性描述|地块坐标)\s*[\]】]", re.MULTILINE)
_FIELDS = re.compile(r"[,，]")
_CGCS2000 = re.compile(r"2000|CGCS", re.IGNORECASE)
_XIAN80 = re.compile(r"西安|xian|80", re.IGNORECASE)
_BEIJING54 = re.compile(r"北京|beijing|54", re.IGNORECASE)
_METRES = ("米", "M", "METRE", "METER", "METRES", "METERS")


def is_land_txt(text: str) -> bool:
    """True when a text carries a ``[属性描述]`` or ``[地块坐标]`` section line."""
    return _SNIFF.search(text[:65536]) is not None


@dataclass
class _Point:
    line: int
    name: str
    ring: int
    x: float  #: northing
    y: float  #: easting


@dataclass
class _Parcel:
    line: int
    fields: list[str]
    count: int
    area: float | None
    points: list[_Point] = field(default_factory=list)

    @property
    def label(self) -> str:
        number, name = self.fields[2], self.fields[3]
        return f"parcel {number or '?'}" + (f" ({name})" if name else "")


@dataclass
class LandTxt:
    """A file as read: parcels (CRS from the header, or None), area notes, and a CRS refusal."""

    gdf: GeoDataFrame
    notes: list[FzgeoError]  #: FZ420 declared-area differences
    refusal: FzgeoError | None  #: a 坐标系 fzgeo cannot convert; raised unless a CRS is assumed
    datum: str | None = None  #: the old datum refused (Xian 1980, Beijing 1954), if that was why


def _error(msg: str, path: Path, line: int | None, code: str = CODE, **kw: str) -> InputError:
    return InputError(
        msg, path=path, where=None if line is None else f"line {line}", code=code, **kw
    )


def _number(text: str, what: str, path: Path, line: int) -> float:
    number = parcels.parse_number(text)  # full-width digits or inner spaces too
    if number is None or not math.isfinite(number):
        raise _error(f"{what} {text!r} is not a number", path, line)
    return number


def _whole(text: str, what: str, path: Path, line: int) -> int:
    number = _number(text, what, path, line)
    if not number.is_integer():
        raise _error(f"{what} {text!r} is not a whole number", path, line)
    return int(number)


def _parcel_line(fields: list[str], path: Path, line: int) -> _Parcel:
    fields = (fields + [""] * 9)[:9]
    count = _whole(fields[0], "界址点数", path, line)
    area = _number(fields[1], "地块面积", path, line) if fields[1] else None
    shape = fields[4]
    if shape not in ("面", ""):
        msg = f"记录图形属性 is {shape!r}; fzgeo reads 面 (polygon) parcels only"
        raise _error(msg, path, line, hint="send the parcel as a 面 record")
    return _Parcel(line, fields, count, area)


def _point_line(fields: list[str], parcel: _Parcel | None, path: Path, line: int) -> _Point:
    if parcel is None:
        msg = "a point line comes before any parcel line (界址点数,地块面积,…,@)"
        raise _error(msg, path, line)
    ring = _whole(fields[1], "圈号", path, line)
    x = _number(fields[2], "X (northing)", path, line)
    y = _number(fields[3], "Y (easting)", path, line)
    return _Point(line, fields[0], ring, x, y)


def _sections(
    lines: list[str], path: Path
) -> tuple[dict[str, tuple[str, int]], list[_Parcel], int]:
    """The [属性描述] entries (value, line), the parcels, and the line of [地块坐标]."""
    header: dict[str, tuple[str, int]] = {}
    parcels: list[_Parcel] = []
    section, start = None, 0
    for n, raw in enumerate(lines, start=1):
        text = raw.strip().lstrip("\ufeff")
        if not text:
            continue
        match = _SECTION.match(text)
        if match:
            section = match.group(1)
            start = n if section == "地块坐标" else start
            continue
        if section == "属性描述" and "=" in text:
            key, value = text.split("=", 1)
            header[key.strip()] = (value.strip(), n)
        elif section == "地块坐标":
            fields = [f.strip() for f in _FIELDS.split(text)]
            while fields[-1] != "@" and len(fields) in (5, 6, 7) and not fields[-1]:
                fields.pop()  # a point line with trailing commas
            if fields[-1] == "@" or len(fields) >= 8:
                parcels.append(_parcel_line(fields, path, n))
            elif len(fields) == 4:
                current = parcels[-1] if parcels else None
                point = _point_line(fields, current, path, n)
                parcels[-1].points.append(point)
            else:
                msg = (
                    f"the line holds {len(fields)} fields; expected a parcel line ending in @ "
                    "(界址点数,地块面积,地块编号,地块名称,面,图幅号,地块用途,地类编码,@) "
                    "or a point line (点号,圈号,X,Y)"
                )
                raise _error(msg, path, n)
    if not start:
        raise _error("the file has no [地块坐标] section", path, None)
    if not parcels:
        raise _error("the [地块坐标] section holds no parcel", path, start)
    return header, parcels, start


def _ring(points: list[_Point], parcel: _Parcel, path: Path) -> _rings.Ring:
    first, last = points[0], points[-1]
    where = f"lines {first.line}-{last.line}"
    closed = (
        len(points) > 1
        and abs(first.x - last.x) <= CLOSE_TOLERANCE
        and abs(first.y - last.y) <= CLOSE_TOLERANCE
    )
    if not closed:
        msg = (
            f"ring 圈号 {first.ring} of {parcel.label} is not closed: its last point "
            f"{last.name} (line {last.line}) does not repeat its first point {first.name} "
            f"(line {first.line})"
        )
        raise _error(msg, path, last.line, hint="repeat the first point at the end of every ring")
    coords = [(p.y, p.x) for p in points[:-1]]
    distinct = _rings.distinct_points(coords)
    if distinct < 3:
        msg = f"ring 圈号 {first.ring} of {parcel.label} has {distinct} distinct point(s) ({where}); a ring needs at least 3"
        raise _error(msg, path, first.line, code="FZ403")
    return _rings.Ring(first.ring, coords, f"line {first.line}")


def _rings_of(parcel: _Parcel, path: Path) -> list[_rings.Ring]:
    n = len(parcel.points)
    if n == 0:
        raise _error(f"{parcel.label} has no point lines", path, parcel.line)
    if n != parcel.count:
        span = f" (lines {parcel.points[0].line}-{parcel.points[-1].line})" if n else ""
        msg = (
            f"{parcel.label} declares 界址点数 {parcel.count} but {n} point line(s) follow{span}; "
            "界址点数 counts every point line, closing points included"
        )
        raise _error(msg, path, parcel.line)
    runs: list[list[_Point]] = []
    for point in parcel.points:
        if runs and runs[-1][0].ring == point.ring:
            runs[-1].append(point)
            continue
        if any(run[0].ring == point.ring for run in runs):
            msg = f"圈号 {point.ring} of {parcel.label} appears again after another ring"
            raise _error(msg, path, point.line, hint="list the points of each ring together")
        runs.append([point])
    return [_ring(run, parcel, path) for run in runs]


def _zone_number(text: str, path: Path, line: int) -> int:
    """带号 as written: ``39``, ``39带`` or ``第39带``."""
    digits = re.findall(r"\d+", unicodedata.normalize("NFKC", text))
    if len(digits) != 1:
        raise _error(f"带号 {text!r} is not a zone number", path, line)
    return int(digits[0])


def _zone_check(header: dict[str, tuple[str, int]], points: list[_Point], path: Path) -> None:
    """Refuse eastings whose zone prefix disagrees with each other, with 带号, or X/Y swapped."""
    first = points[0]
    north = [parcels.is_northing(p.x) for p in points]
    if not all(north) and all(parcels.is_northing(p.y) for p in points):
        bad = points[north.index(False)]
        msg = f"X {bad.x:,.3f} is not a northing but Y {bad.y:,.3f} is; in a 报部格式 file X is the northing and Y the easting"
        raise _error(msg, path, bad.line, hint="swap the X and Y values")
    prefix = first.y >= 1_000_000
    zone = int(first.y // 1_000_000) if prefix else None
    for p in points:
        if (p.y >= 1_000_000) != prefix or (prefix and int(p.y // 1_000_000) != zone):
            state = f"zone prefix {int(p.y // 1_000_000)}" if p.y >= 1_000_000 else "no zone prefix"
            msg = f"easting Y {p.y:,.3f} has {state}, unlike line {first.line} (Y {first.y:,.3f})"
            raise CRSError(msg, path=path, where=f"line {p.line}", code="FZ101")
    declared = header.get("带号")
    if prefix and declared and declared[0]:
        number = _zone_number(declared[0], path, declared[1])
        if number != zone:
            msg = (
                f"带号={number} (line {declared[1]}) but the eastings carry zone prefix {zone} "
                f"(line {first.line}: Y {first.y:,.3f})"
            )
            raise CRSError(msg, path=path, where=f"line {first.line}", code="FZ101")


def _refusal(what: str, line: int, path: Path) -> CRSError:
    msg = f"{what}; fzgeo converts CGCS2000 Gauss-Kruger (高斯克吕格) metres only"
    return CRSError(msg, path=path, where=f"line {line}", code="FZ108")


def system_datum(system: str) -> str | None:
    """The old datum a 坐标系 names ("Xian 1980", "Beijing 1954", "New Beijing"), or None.

    ``1980西安坐标系``, ``西安80`` and the shorthand ``80坐标系`` are Xian 1980; ``北京54`` and
    ``54坐标系`` Beijing 1954 (:func:`fzgeo.crs.legacy_datum_named`, then the shorthands).
    """
    if _CGCS2000.search(system):
        return None
    found = crs_mod.legacy_datum_named(system)
    if found is None and _XIAN80.search(system):
        found = "Xian 1980"
    elif found is None and _BEIJING54.search(system):
        found = "Beijing 1954"
    return found


def _system_refusal(system: str, line: int, path: Path) -> CRSError:
    datum = system_datum(system)
    name = f"{crs_mod.LEGACY_DATUMS[datum]} ({datum})" if datum else "not CGCS2000"
    what = (
        f"坐标系={system} is {name}; reaching CGCS2000 from it needs local transformation "
        "parameters, which fzgeo does not apply"
    )
    return _refusal(what, line, path)


def _width(header: dict[str, tuple[str, int]], zone: int, path: Path) -> int:
    value, line = header.get("几度分带", ("", 0))
    digits = re.findall(r"\d+", unicodedata.normalize("NFKC", value))
    if not digits:
        return 3 if 25 <= zone <= 45 else 6  # the zone numbers of China do not overlap
    width = int(digits[0])
    if width not in (3, 6):
        raise _error(f"几度分带={value}: expected 3 or 6", path, line)
    return width


def _header_crs(
    header: dict[str, tuple[str, int]], points: list[_Point], path: Path
) -> tuple[int | None, FzgeoError | None]:
    """EPSG code the header declares (None: not declared), or the refusal of its 坐标系."""
    _zone_check(header, points, path)
    system, line = header.get("坐标系", ("", 0))
    if not system:
        return None, None
    projection, pline = header.get("投影类型", ("", 0))
    unit, uline = header.get("计量单位", ("", 0))
    if not _CGCS2000.search(system):
        return None, _system_refusal(system, line, path)
    if projection and not re.search(r"高斯|克吕格|gauss", projection, re.IGNORECASE):
        return None, _refusal(f"投影类型={projection} is not Gauss-Kruger", pline, path)
    if unit and unicodedata.normalize("NFKC", unit).upper() not in _METRES:
        return None, _refusal(f"计量单位={unit} is not metres (米)", uline, path)
    prefix = points[0].y >= 1_000_000
    zone_text, zline = header.get("带号", ("", 0))
    if zone_text:
        zone = _zone_number(zone_text, path, zline)
    elif prefix:
        zone, zline = int(points[0].y // 1_000_000), points[0].line
    else:
        return None, None  # no zone: resolve_crs decides from the coordinates or --assume-crs
    width = _width(header, zone, path)
    try:
        if width == 3:
            return crs_mod.gk3_epsg(3 * zone, zone_prefix=prefix), None
        return crs_mod.gk6_epsg(6 * zone - 3, zone_prefix=prefix), None
    except ValueError as exc:
        msg = f"带号 {zone} is not a {width}-degree Gauss-Kruger zone of China"
        raise _error(msg, path, zline) from exc


def _area_notes(parcels: list[_Parcel], geoms: list[BaseGeometry], path: Path) -> list[FzgeoError]:
    notes: list[FzgeoError] = []
    off = []
    for parcel, geom in zip(parcels, geoms, strict=True):
        computed = geom.area / 10_000
        declared = parcel.area
        if declared and computed and abs(declared - computed) > AREA_TOLERANCE * computed:
            off.append((parcel, declared, computed))
    for parcel, declared, computed in off[:AREA_NOTES]:
        msg = (
            f"{parcel.label}: declared 地块面积 {declared:g} ha, but its points enclose "
            f"{computed:.4f} ha ({(declared - computed) / computed:+.1%})"
        )
        if abs(declared / (computed * 10_000) - 1) <= AREA_TOLERANCE:
            msg += "; the declared figure matches the area in m², not 公顷"
        notes.append(_error(msg, path, parcel.line, code="FZ420"))
    if len(off) > AREA_NOTES:
        msg = f"{len(off) - AREA_NOTES} more parcel(s) differ from their declared 地块面积 by more than {AREA_TOLERANCE:.0%}"
        notes.append(_error(msg, path, off[AREA_NOTES][0].line, code="FZ420"))
    return notes


def parse(text: str, *, path: Path) -> LandTxt:
    """Read the decoded text of a 报部格式 file (see the module docstring)."""
    header, parcels, _ = _sections(text.split("\n"), path)
    rings = [_rings_of(p, path) for p in parcels]
    epsg, refusal = _header_crs(header, [pt for p in parcels for pt in p.points], path)
    geoms = [_rings.assemble(r, path=path, code=CODE) for r in rings]
    columns = {
        "地块编号": [p.fields[2] for p in parcels],
        "地块名称": [p.fields[3] for p in parcels],
        "地块用途": [p.fields[6] for p in parcels],
        "地类编码": [p.fields[7] for p in parcels],
        "图幅号": [p.fields[5] for p in parcels],
        "申报面积_公顷": [math.nan if p.area is None else p.area for p in parcels],
        "界址点数": [p.count for p in parcels],
        "圈数": [len(r) for r in rings],
    }
    gdf = GeoDataFrame(columns, geometry=geoms, crs=epsg)
    gdf.attrs["属性描述"] = {key: value for key, (value, _) in header.items()}
    for key in ("数据产生单位", "数据产生日期"):
        if key in header:
            gdf.attrs[key] = header[key][0]
    system = header.get("坐标系", ("", 0))[0]
    datum = system_datum(system) if refusal is not None and system else None
    return LandTxt(gdf, _area_notes(parcels, geoms, path), refusal, datum)


def read(path: Path, *, encoding: str | None = None) -> tuple[LandTxt, _encoding.Encoding]:
    """Decode (BOM, UTF-8, GB18030, or ``encoding``) and parse a 报部格式 file.

    A ``.txt`` without a ``[属性描述]`` or ``[地块坐标]`` section is refused (FZ301).
    """
    decoded = _encoding.decode_text(path.read_bytes(), path=path, override=encoding)
    if not is_land_txt(decoded.text):
        msg = "a .txt is read as a 报部格式 coordinate file, but this one has no [地块坐标] section"
        hint = "if it is a table of points or coordinates, save it as .csv"
        raise InputError(msg, path=path, code="FZ301", hint=hint)
    return parse(decoded.text, path=path), decoded.encoding
