"""What a file really is, from its first bytes, whatever its name says.

A GeoPackage renamed ``.geojson``, an HTML error page saved as ``.zip`` or a Word file named
``.csv`` would otherwise reach GDAL and fail with a message about the wrong format.
"""

from __future__ import annotations

from pathlib import Path

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
