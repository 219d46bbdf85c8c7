"""What a file really is, from its first bytes, whatever its name says, and whether it is whole.

A GeoPackage renamed ``.geojson``, an HTML error page saved as ``.zip`` or a Word file named
``.csv`` would otherwise reach GDAL and fail with a message about the wrong format.
"""

from __future__ import annotations

import json
from pathlib import Path

from fzgeo.errors import InputError

#: magic prefix -> format name
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"SQLite format 3\x00", "GeoPackage/SQLite"),
    (b"fgb\x03", "FlatGeobuf"),
    (b"PAR1", "Parquet"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x00\x00\x27\x0a", "Shapefile"),
    (b"%PDF", "PDF"),
    (b"\xd0\xcf\x11\xe0", "legacy Office document (.xls/.doc)"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf", "7-Zip archive"),
    (b"AC10", "AutoCAD DWG"),
)
#: the formats each suffix may contain ("text" = any text, checked further by the reader)
EXPECTED: dict[str, tuple[str, ...]] = {
    ".gpkg": ("GeoPackage/SQLite",),
    ".shp": ("Shapefile",),
    ".fgb": ("FlatGeobuf",),
    ".parquet": ("Parquet",),
    ".geoparquet": ("Parquet",),
    ".zip": ("zip",),
    ".xlsx": ("zip",),
    ".geojson": ("JSON",),
    ".json": ("JSON",),
    ".csv": ("text",),
    ".txt": ("text",),
}
#: format name -> the suffix to rename the file to
SUFFIX_OF = {
    "GeoPackage/SQLite": ".gpkg",
    "FlatGeobuf": ".fgb",
    "Parquet": ".parquet",
    "zip": ".zip",
    "Shapefile": ".shp",
    "JSON": ".geojson",
    "legacy Office document (.xls/.doc)": ".xls (save it as .xlsx)",
    "text": ".csv",
}


def sniff(head: bytes) -> str:
    """The format of a file starting with ``head``.

    A name from the magic table, or "JSON", "HTML/XML", "text" or "binary".
    """
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text
        head = head.decode("utf-16", "ignore").encode("utf-8")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return "JSON"
    if text[:1] == b"<":
        return "HTML/XML"
    if b"\x00" in head[:512]:
        return "binary"
    return "text"


def mismatch(path: Path, head: bytes) -> tuple[str, str] | None:
    """(found format, suggested suffix) when the content contradicts the suffix, else None."""
    suffix = path.suffix.lower()
    allowed = EXPECTED.get(suffix)
    if allowed is None:
        return None
    found = sniff(head)
    if found in allowed or (allowed == ("text",) and found in ("text", "JSON")):
        return None
    return found, SUFFIX_OF.get(found, "")


def _json_unclosed(text: str) -> bool:
    """True when the text ends inside a string or with brackets left open (cut short)."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
    return in_string or depth > 0


def json_error(path: Path, fmt: str) -> InputError | None:
    """A precise message for a GeoJSON file that is not valid JSON."""
    text = path.read_bytes().decode("utf-8-sig", "replace")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        if _json_unclosed(text):
            lines = text.count("\n") + 1
            msg = f"the {fmt} file stops before the JSON is complete (truncated after line {lines})"
            hint = "copy or download the file again, or re-export it"
            return InputError(msg, path=path, where=where, code="FZ302", hint=hint)
        msg = f"the {fmt} file is not valid JSON ({exc.msg})"
        return InputError(
            msg, path=path, where=where, code="FZ301", hint="fix the JSON syntax at that line"
        )
    return None


def check_sqlite(path: Path, head: bytes) -> None:
    """Refuse a GeoPackage shorter than the page count its header declares."""
    if len(head) < 100:
        raise InputError("the GeoPackage header is incomplete (truncated)", path=path, code="FZ302")
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    size = path.stat().st_size
    if pages and size < page * pages:
        msg = f"the GeoPackage is truncated: its header declares {page * pages:,} bytes, the file has {size:,}"
        raise InputError(msg, path=path, code="FZ302", hint="copy or download the file again")
