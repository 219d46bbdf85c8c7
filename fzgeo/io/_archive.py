"""Zip archives as they arrive: checked, never extracted, read in place through GDAL's /vsizip/.

Before GDAL sees an archive every entry is checked: names with ``..``, absolute paths, drive
letters or symlinks abort (an extracting tool would write outside its folder), and so do archives
whose uncompressed size or compression ratio marks a zip bomb. Names written by Chinese Windows
(flag bit 11 unset, GBK bytes that Python and GDAL read as code page 437) are shown decoded as GBK;
GDAL is handed the code-page-437 name it understands.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fzgeo.errors import InputError, UnknownLayerError

MAX_TOTAL_BYTES = 4 << 30  #: refuse archives that expand beyond 4 GiB
MAX_RATIO = 200  #: refuse entries compressed more than 200:1 ...
RATIO_MIN_BYTES = 1 << 20  #: ... when they expand beyond 1 MiB (tiny files compress well)
MAX_ENTRIES = 10_000
#: suffixes of datasets fzgeo reads from inside an archive
DATASET_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb")
MULTI_LAYER_SUFFIXES = (".gpkg", ".gdb")  #: entries whose own layers --layer may name
_UTF8_FLAG = 0x800


@dataclass(frozen=True)
class Member:
    """One archive entry: the name to show (decoded) and the name GDAL understands."""

    name: str
    gdal_name: str
    size: int

    @property
    def suffix(self) -> str:
        """Lower-case suffix of the entry name."""
        return PurePosixPath(self.name).suffix.lower()

    @property
    def stem_path(self) -> str:
        """The entry name without its suffix (identifies a shapefile's parts)."""
        return self.name[: len(self.name) - len(PurePosixPath(self.name).suffix)]


def display_name(info: zipfile.ZipInfo) -> str:
    """The entry name as its author wrote it: UTF-8 flag, else UTF-8 or GBK bytes, else CP437."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def _unsafe(name: str, info: zipfile.ZipInfo) -> str | None:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in parts:
        return "a '..' path component"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link"
    return None


def members(path: Path) -> list[Member]:
    """Every file entry of the archive at ``path``, after the safety checks."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        msg = f"not a readable zip archive ({exc}); the file may be truncated"
        raise InputError(msg, path=path, code="FZ302") from exc
    if len(infos) > MAX_ENTRIES:
        raise InputError(f"{len(infos)} entries (limit {MAX_ENTRIES})", path=path, code="FZ306")
    total = 0
    found = []
    for info in infos:
        name = display_name(info)
        problem = _unsafe(name, info)
        if problem:
            msg = f"entry {name!r} has {problem}; the archive is refused"
            raise InputError(msg, path=path, where=f"entry {name}", code="FZ306")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO:
            msg = f"entry {name!r} expands {ratio:,.0f}:1 (limit {MAX_RATIO}:1), a likely zip bomb"
            raise InputError(msg, path=path, where=f"entry {name}", code="FZ306")
        if not info.is_dir():
            found.append(Member(name, info.filename, info.file_size))
    if total > MAX_TOTAL_BYTES:
        msg = f"expands to {total:,} bytes (limit {MAX_TOTAL_BYTES:,}), a likely zip bomb"
        raise InputError(msg, path=path, code="FZ306")
    return found


def datasets(found: list[Member]) -> list[Member]:
    """Entries fzgeo can read as layers (macOS resource forks and hidden files left out).

    A zipped File Geodatabase (a ``name.gdb/`` folder of files) counts as one entry.
    """
    out = []
    gdbs: dict[str, Member] = {}
    for m in found:
        parts = PurePosixPath(m.name).parts
        if (parts and parts[0] == "__MACOSX") or PurePosixPath(m.name).name.startswith("."):
            continue
        gdb = next((i for i, p in enumerate(parts[:-1]) if p.lower().endswith(".gdb")), None)
        if gdb is not None:
            name = "/".join(parts[: gdb + 1])
            gdal = "/".join(PurePosixPath(m.gdal_name.replace("\\", "/")).parts[: gdb + 1])
            gdbs.setdefault(name, Member(name, gdal, 0))
        elif m.suffix in DATASET_SUFFIXES:
            out.append(m)
    return out + list(gdbs.values())


def layer_name(member: Member) -> str:
    """The name a user passes to ``--layer`` for an archive entry (its stem path)."""
    return member.stem_path


def pick(path: Path, layer: str | None) -> tuple[Member, list[Member]]:
    """The dataset entry to read, and every entry; refuses to guess between several."""
    found = members(path)
    candidates = datasets(found)
    names = [layer_name(m) for m in candidates]
    if layer is not None:
        for m in candidates:
            if layer in (layer_name(m), m.name, PurePosixPath(m.stem_path).name):
                return m, found
        if len(candidates) == 1 and candidates[0].suffix in MULTI_LAYER_SUFFIXES:
            return candidates[0], found  # --layer names a layer inside it
        msg = f"no layer {layer!r} in the archive; it holds: {', '.join(names) or 'nothing'}"
        raise UnknownLayerError(msg, path=path, hint="pass --layer with one of those names")
    if not candidates:
        listing = ", ".join(m.name for m in found[:10]) or "no files"
        msg = f"the archive holds no Shapefile, GeoPackage, GeoJSON or FlatGeobuf ({listing})"
        raise InputError(msg, path=path, code="FZ302", hint="zip the .shp with its .shx and .dbf")
    if len(candidates) > 1:
        msg = f"{len(candidates)} layers ({', '.join(names)}); fzgeo does not guess which one"
        raise InputError(msg, path=path, code="FZ303")
    return candidates[0], found


def read_member(path: Path, member: Member, n: int = -1) -> bytes:
    """The first ``n`` bytes of one entry (all when ``n`` is -1)."""
    try:
        with zipfile.ZipFile(path) as zf, zf.open(member.gdal_name) as fh:
            return fh.read(n)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        msg = f"entry {member.name!r} cannot be decompressed ({exc}); the archive is damaged"
        raise InputError(msg, path=path, where=f"entry {member.name}", code="FZ302") from exc


def gdal_path(path: Path, member: Member) -> str:
    """The /vsizip/ path GDAL opens for ``member`` of the archive at ``path``."""
    return f"/vsizip/{path.resolve()}/{member.gdal_name}"
