"""Atomic file writes: write beside the target, fsync, then rename over it.

An interrupted write leaves either the old file or the complete new one, never a torn file, and
concurrent writers of one path end with one complete file (the last rename wins).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fzgeo.errors import OutputError


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (best effort: some filesystems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def prepare_folder(folder: Path) -> Path:
    """Create ``folder`` if needed and check it is writable, raising :class:`OutputError`."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder ({exc.strerror})", path=folder) from exc
    if not os.access(folder, os.W_OK):
        raise OutputError("output folder is not writable", path=folder)
    return folder


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, keep_suffix: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` atomically.

    The caller writes the file at the yielded path. On an exception the temporary file is
    removed and ``target`` is untouched.
    """
    target = Path(target)
    folder = prepare_folder(target.parent)
    suffix = "".join(target.suffixes) if keep_suffix else ""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{suffix}", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError("writer produced no file", path=target)
        _fsync_file(tmp)
        os.replace(tmp, target)
        fsync_dir(folder)
    except OSError as exc:
        _cleanup(tmp)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"cannot write ({exc.strerror or exc})", path=target) from exc
    except BaseException:
        _cleanup(tmp)
        raise


@contextlib.contextmanager
def atomic_folder_files(target: Path) -> Iterator[Path]:
    """Yield a temporary folder; files written there replace their namesakes beside ``target``.

    For multi-file formats (Shapefile). Each file is replaced atomically; the set is replaced
    in one quick pass after everything has been written and synced.
    """
    target = Path(target)
    folder = prepare_folder(target.parent)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{target.stem}.", suffix=".tmp", dir=folder))
    try:
        yield tmpdir
        written = sorted(tmpdir.iterdir())
        if not written:
            raise OutputError("writer produced no file", path=target)
        for item in written:
            _fsync_file(item)
        for item in written:
            os.replace(item, folder / item.name)
        fsync_dir(folder)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"cannot write ({exc.strerror or exc})", path=target) from exc
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _cleanup(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def write_text(target: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write bytes atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)
