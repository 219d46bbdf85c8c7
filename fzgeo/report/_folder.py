"""The report folder written as a set: staged beside it, then swapped in whole.

:func:`staged` yields an empty temporary folder beside the output folder, ``.NAME.fzgeo-tmp.
PID.TOKEN``, into which every output of a check is written (CSV, XLSX, GeoPackage, QGIS project,
HTML, site maps, ``summary.json``). Only when all of them are complete does it take the folder's
place: files of the old folder that are not outputs of a check (the user's own, the demo's sample
sites) are hard-linked into the new one, then the two folders are exchanged in one atomic
``renameat2(RENAME_EXCHANGE)`` (Linux; elsewhere two renames in a row) and the old one is
removed. A run killed at any moment leaves the folder as the previous run left it, or whole from
this run, never a mix; concurrent runs on one folder each swap in a complete set, and the last
one wins.

Temporary folders of killed runs (their process is gone) are removed by the next run on the same
folder, with a warning (:class:`StaleOutputWarning`), and so are the ``.name.*.tmp*`` files that
writers killed inside the folder left behind.

Where the folder cannot be swapped (it is the current directory or a mount point, or its parent
is not writable), the set is staged inside it, ``NAME/.fzgeo-tmp.PID.TOKEN``, and moved into
place file by file once complete: a kill can then mix old and new files only during those
renames.

A full disk, a read-only or forbidden folder is an :class:`~fzgeo.errors.OutputError` (FZ308)
in plain words naming the folder; the previous outputs stay as they were and no temporary
folder is left.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

from fzgeo._atomic import fsync_dir
from fzgeo.errors import FzgeoError, FzgeoWarning, OutputError

#: The files a check writes into its folder; everything else there is kept.
OUTPUTS = (
    "report.csv",
    "details.csv",
    "report.xlsx",
    "conflicts.gpkg",
    "conflicts.qgz",
    "report.html",
    "summary.json",
)
MAPS = "maps"  #: the site maps' folder (:data:`fzgeo.report._sitemaps.FOLDER`)
_SITE_MAP = re.compile(r"site_\d+\.svg$")
STAGE, OLD = "fzgeo-tmp", "fzgeo-old"
#: a temporary file of an interrupted atomic write of an output (fzgeo._atomic's names)
_ATOMIC_LEFTOVER = re.compile(r"^\.(report|details|summary|conflicts)\.[^.]+\.tmp(\.\w+)*$")
_RENAME_EXCHANGE = 2
_NO_SPACE_WORDS = ("no space left", "disk is full", "database or disk is full", "disk full")


class StaleOutputWarning(FzgeoWarning):
    """Temporary outputs of an earlier, interrupted run were found and removed."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(parent: Path, target: Path) -> list[Path]:
    """Temporary folders of dead runs beside (or inside) ``target``, and leftover temp files."""
    found: list[Path] = []
    pattern = re.compile(
        rf"^\.{re.escape(target.name)}\.({STAGE}|{OLD})\.(\d+)\.\w+$" if target.name else "^$"
    )
    inner = re.compile(rf"^\.({STAGE})\.(\d+)\.\w+$")
    with contextlib.suppress(OSError):
        for item in parent.iterdir():
            hit = pattern.match(item.name)
            if hit and int(hit.group(2)) != os.getpid() and not _alive(int(hit.group(2))):
                found.append(item)
    if target.is_dir():
        with contextlib.suppress(OSError):
            for item in target.iterdir():
                hit = inner.match(item.name)
                dead = hit and int(hit.group(2)) != os.getpid() and not _alive(int(hit.group(2)))
                if dead or _ATOMIC_LEFTOVER.match(item.name):
                    found.append(item)
    return found


def clean_stale(parent: Path, target: Path) -> list[Path]:
    """Remove what killed runs left beside and inside ``target``; warn naming them."""
    found = _stale(parent, target)
    removed = []
    for item in found:
        with contextlib.suppress(OSError):
            if item.is_dir() and not item.is_symlink():
                shutil.rmtree(item)
            else:
                item.unlink()
            removed.append(item)
    if removed:
        names = ", ".join(p.name for p in removed[:5]) + (" ..." if len(removed) > 5 else "")
        warnings.warn(
            f"{target}: removed {len(removed)} temporary file(s) or folder(s) left by an "
            f"earlier run that was stopped before it finished ({names})",
            StaleOutputWarning,
            stacklevel=3,
        )
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _is_output(rel: Path) -> bool:
    """Whether a path inside the folder is one of a check's outputs (replaced, not kept)."""
    if len(rel.parts) == 1:
        return rel.name in OUTPUTS or bool(_ATOMIC_LEFTOVER.match(rel.name))
    return rel.parts[0] == MAPS and len(rel.parts) == 2 and bool(_SITE_MAP.match(rel.name))


def _carry_over(old: Path, new: Path) -> None:
    """Hard-link (else copy) the files of ``old`` that are not a check's outputs into ``new``."""
    for root, dirs, files in os.walk(old):
        here = Path(root)
        dirs[:] = [d for d in dirs if not (here == old and re.match(rf"^\.{STAGE}\.", d))]
        for name in files:
            src = here / name
            rel = src.relative_to(old)
            dst = new / rel
            if _is_output(rel) or dst.exists():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst, follow_symlinks=False)
            except OSError:
                shutil.copy2(src, dst, follow_symlinks=False)
        for name in dirs:
            src, dst = here / name, new / (here / name).relative_to(old)
            if src.is_symlink():
                if not dst.exists():
                    dst.symlink_to(src.readlink())
            else:
                dst.mkdir(parents=True, exist_ok=True)


def _swap_in(stage: Path, target: Path) -> None:
    """Put the complete ``stage`` folder at ``target``: atomic exchange, or rename when new."""
    if target.exists():
        _carry_over(target, stage)
        if _exchange(stage, target):
            shutil.rmtree(stage, ignore_errors=True)  # stage now holds the old folder
        else:
            old = stage.with_name(stage.name.replace(f".{STAGE}.", f".{OLD}.", 1))
            target.rename(old)
            stage.rename(target)
            shutil.rmtree(old, ignore_errors=True)
    else:
        try:
            stage.rename(target)
        except OSError as exc:  # another run made it meanwhile
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            _swap_in(stage, target)
            return
    fsync_dir(target.parent)


def _move_in(stage: Path, target: Path) -> None:
    """Move the staged files into ``target`` one by one (no swap possible); stale maps go."""
    new_maps = {p.name for p in (stage / MAPS).glob("*.svg")} if (stage / MAPS).is_dir() else set()
    if (target / MAPS).is_dir():
        for old in (target / MAPS).iterdir():
            if _SITE_MAP.match(old.name) and old.name not in new_maps:
                old.unlink()
    for src in sorted(stage.rglob("*")):
        if src.is_dir():
            continue
        dst = target / src.relative_to(stage)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
    shutil.rmtree(stage, ignore_errors=True)
    fsync_dir(target)


def _swappable(target: Path, parent: Path) -> bool:
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        return False
    if target.exists() and os.path.ismount(target):
        return False
    return os.access(parent, os.W_OK)


def plain(exc: BaseException, folder: Path) -> OutputError:
    """An :class:`OutputError` in plain words for a failed write into ``folder``."""
    text = str(exc)
    code = getattr(exc, "errno", None)
    if (
        code == errno.ENOSPC
        or code == errno.EDQUOT
        or any(w in text.lower() for w in _NO_SPACE_WORDS)
    ):
        free = ""
        with contextlib.suppress(OSError):
            usage = shutil.disk_usage(folder if folder.exists() else folder.parent)
            free = f" ({usage.free / 1e6:,.1f} MB free)"
        return OutputError(
            f"the disk is full{free}: the report could not be written; the folder was left as "
            "it was",
            path=folder,
            hint="free some space on that disk, or pass another --out folder",
        )
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = "is read-only" if code == errno.EROFS else "may not be written by this user"
        return OutputError(
            f"the folder {what}: the report could not be written",
            path=folder,
            hint="pass an --out folder you may write to",
        )
    reason = getattr(exc, "strerror", None) or (
        exc.message if isinstance(exc, FzgeoError) else text
    )
    return OutputError(
        f"the report could not be written ({reason}); the folder was left as it was",
        path=folder,
    )


@contextlib.contextmanager
def staged(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty folder to write a check's outputs into; swap it in whole on success.

    Raises
    ------
    OutputError
        FZ308 when the folder cannot be made or written (a file of that name, no permission,
        the disk full), in plain words naming the folder; nothing is changed then.
    """
    target = Path(folder).resolve()
    parent = target.parent
    if target.exists() and not target.is_dir():
        raise OutputError("is a file, not a folder", path=target, hint="pass a folder to --out")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise plain(exc, target) from exc
    clean_stale(parent, target)
    swap = _swappable(target, parent)
    token = f"{os.getpid()}.{secrets.token_hex(4)}"
    try:
        if swap:
            stage = parent / f".{target.name}.{STAGE}.{token}"
        else:
            target.mkdir(exist_ok=True)
            stage = target / f".{STAGE}.{token}"
        stage.mkdir()
    except OSError as exc:
        raise plain(exc, target) from exc
    try:
        yield stage
        if swap:
            _swap_in(stage, target)
        else:
            _move_in(stage, target)
    except (OSError, FzgeoError) as exc:
        shutil.rmtree(stage, ignore_errors=True)
        if isinstance(exc, FzgeoError) and not isinstance(exc, OutputError):
            raise
        raise plain(exc, target) from exc
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
