"""Check a Shapefile's parts before GDAL reads it, and choose the .dbf text encoding.

GDAL reads a Shapefile without its .dbf as geometry only (every attribute silently gone), stops at
the shorter of .shp/.shx/.dbf when their record counts disagree, and decodes a .dbf without .cpg or
language byte as Latin-1. Each of these is caught here and reported with the counts.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from geopandas import GeoDataFrame

from fzgeo._atomic import prepare_folder
from fzgeo.errors import InputError
from fzgeo.io import _archive, _encoding

_SHP_CODE = 9994
_HEADER = 100


@dataclass(frozen=True)
class Part:
    """One file of a Shapefile: its size and a reader of its bytes."""

    name: str
    size: int
    read_n: Callable[[int], bytes]  #: the first n bytes (-1: all)

    def read(self, n: int = -1) -> bytes:
        """The first ``n`` bytes of the part (all when ``n`` is -1)."""
        return self.read_n(n)


def _read_local(path: Path, n: int) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


def local_parts(shp: Path) -> dict[str, Part]:
    """The parts beside ``shp`` (suffix -> Part), matching suffixes in any letter case."""
    parts = {}
    for f in shp.parent.iterdir():
        if f.stem == shp.stem and f.is_file():
            parts[f.suffix.lower()] = Part(f.name, f.stat().st_size, partial(_read_local, f))
    return parts


def zip_parts(zpath: Path, shp: _archive.Member, found: list[_archive.Member]) -> dict[str, Part]:
    """The parts of the zipped Shapefile ``shp`` among the archive entries ``found``."""
    parts = {}
    for m in found:
        if m.stem_path == shp.stem_path:
            parts[m.suffix] = Part(m.name, m.size, partial(_archive.read_member, zpath, m))
    return parts


def _require(parts: dict[str, Part], suffix: str, path: Path, why: str, hint: str) -> Part:
    if suffix not in parts:
        raise InputError(f"the {suffix} file is missing; {why}", path=path, code="FZ305", hint=hint)
    return parts[suffix]


def check(parts: dict[str, Part], *, path: Path, encoding: str | None) -> _encoding.Encoding:
    """Raise on missing, truncated or disagreeing parts; return the .dbf text encoding."""
    shp = parts[".shp"]
    head = shp.read(_HEADER)
    if len(head) < _HEADER or int.from_bytes(head[:4], "big") != _SHP_CODE:
        msg = f"{shp.name} is not a Shapefile (no 9994 file code in a 100-byte header)"
        raise InputError(msg, path=path, code="FZ302" if len(head) < _HEADER else "FZ309")
    declared = int.from_bytes(head[24:28], "big") * 2
    if shp.size < declared:
        msg = f"{shp.name} is truncated: its header declares {declared:,} bytes, the file has {shp.size:,}"
        raise InputError(msg, path=path, code="FZ302", hint="copy or download the file again")
    shx = _require(
        parts,
        ".shx",
        path,
        "GDAL cannot index the shapes without it",
        "send the .shx too, or rebuild it: ogr2ogr --config SHAPE_RESTORE_SHX YES out.shp in.shp",
    )
    dbf = _require(
        parts,
        ".dbf",
        path,
        "every attribute would be lost",
        "send the .dbf too (a Shapefile is .shp + .shx + .dbf, usually with .prj and .cpg)",
    )
    n_shx = (shx.size - _HEADER) // 8
    _check_last_shape(shx, shp, path)
    dbf_bytes = dbf.read()
    n_dbf, header, record = _encoding.dbf_records(dbf_bytes)
    if len(dbf_bytes) < header + n_dbf * record:
        have = max(len(dbf_bytes) - header, 0) // record
        msg = f"{dbf.name} is truncated: its header declares {n_dbf} records, the file holds {have}"
        raise InputError(msg, path=path, code="FZ302", hint="copy or download the file again")
    if n_shx != n_dbf:
        msg = (
            f"{shx.name} indexes {n_shx} shapes but {dbf.name} holds {n_dbf} records; "
            "features would be lost or misattributed"
        )
        raise InputError(msg, path=path, code="FZ310")
    cpg = parts[".cpg"].read().decode("ascii", "replace") if ".cpg" in parts else None
    return _encoding.dbf_encoding(dbf_bytes, cpg, path=path, override=encoding)


def _check_last_shape(shx: Part, shp: Part, path: Path) -> None:
    data = shx.read()
    if len(data) < _HEADER + 8:
        return
    offset = int.from_bytes(data[-8:-4], "big") * 2
    length = int.from_bytes(data[-4:], "big") * 2
    if offset + 8 + length > shp.size:
        msg = (
            f"{shp.name} is truncated: the last shape ends at byte {offset + 8 + length:,} "
            f"but the file has {shp.size:,}"
        )
        raise InputError(msg, path=path, code="FZ302", hint="copy or download the file again")


_DBF_NAME_BYTES = 10


def fit_field_names(gdf: GeoDataFrame, path: Path) -> GeoDataFrame:
    """Shorten column names to the 10 bytes a .dbf allows, at character boundaries, uniquely.

    GDAL would cut UTF-8 names mid-character (a Chinese character is 3 bytes); the renaming is
    reported in a warning so no column is lost unnoticed.
    """
    renamed: dict[str, str] = {}
    used: set[str] = set()
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        name = str(col)
        short = name
        while len(short.encode("utf-8")) > _DBF_NAME_BYTES:
            short = short[:-1]
        n = 1
        base = short
        while short.lower() in used:
            tag = f"_{n}"
            short = base
            while len((short + tag).encode("utf-8")) > _DBF_NAME_BYTES:
                short = short[:-1]
            short += tag
            n += 1
        used.add(short.lower())
        if short != name:
            renamed[name] = short
    if renamed:
        listing = ", ".join(f"{a} -> {b}" for a, b in renamed.items())
        warnings.warn(
            f"{path}: Shapefile field names hold at most 10 bytes; renamed {len(renamed)} "
            f"column(s): {listing}",
            UserWarning,
            stacklevel=3,
        )
    return gdf.rename(columns=renamed)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``folder`` (created if needed) while writing into it."""
    fd = os.open(prepare_folder(folder), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
