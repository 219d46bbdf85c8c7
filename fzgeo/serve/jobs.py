"""Check jobs on disk: one random folder each, run in worker processes, deleted when expired.

A job is the folder ``<data>/jobs/<id>``, ``id`` from :func:`secrets.token_urlsafe` (128 bits):
a job's files are reachable only by its own id, and ids are not listed anywhere. It holds
``upload/`` (the file as sent, under its own plain name), ``status.json`` and, once complete,
``result/`` (renamed into place whole, see :mod:`fzgeo.serve.runjob`). Jobs run in a pool of
worker processes (``spawn``), so each has its own warnings and state and concurrent checks give
the results sequential ones do. Jobs older than the keep time are deleted with their uploads;
jobs a stopped server left queued or running are marked interrupted at the next start.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from fzgeo.errors import DataNotFoundError, FzgeoError, InputError
from fzgeo.serve import runjob

JOB_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
ID_BYTES = 16  #: token_urlsafe(16): 22 characters, 128 random bits
MAX_NAME_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def upload_name(raw: str) -> str:
    r"""The uploaded file's name if it is a plain file name, else FZ801.

    A name with a folder part (``../x.zip``, ``C:\\x.zip``, ``a/b.zip``), a leading dot, control
    characters or more than 200 characters is refused, not silently shortened: the file is
    stored under exactly the name the user sees in the messages.
    """
    name = PureWindowsPath(PurePosixPath(raw).name).name
    problem = None
    if not raw or raw.strip() != raw or not name:
        problem = "is empty or starts or ends with spaces"
    elif name != raw:
        problem = "holds a folder part (such as ../ or C:\\)"
    elif name in (".", "..") or name.startswith("."):
        problem = "starts with a dot"
    elif _CONTROL.search(name):
        problem = "holds control characters"
    elif len(name) > MAX_NAME_CHARS:
        problem = f"is longer than {MAX_NAME_CHARS} characters"
    if problem:
        raise InputError(f"file name {raw!r} {problem}", code="FZ801")
    return name


@dataclass
class JobStore:
    """The jobs under ``root`` and the worker processes that run them.

    Attributes
    ----------
    root
        The ``jobs`` folder.
    keep_seconds
        Jobs (uploads and results) older than this are deleted.
    workers
        Checks run at the same time (worker processes).
    max_waiting
        Jobs accepted while all workers are busy; more is FZ805.
    dsn
        Measure in PostGIS (as ``fzgeo check --dsn``); None measures here.
    threads
        Threads per check (``--threads`` of ``fzgeo check``); None: the check's default.
    """

    root: Path
    keep_seconds: float = 24 * 3600
    workers: int = 2
    max_waiting: int = 16
    dsn: str | None = None
    threads: int | None = None
    _pool: concurrent.futures.ProcessPoolExecutor | None = field(default=None, repr=False)
    _active: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self) -> None:
        """Create the folder, mark jobs a stopped server left behind, start the workers."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.recover()
        self.sweep()
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_with_parent,
        )

    def stop(self) -> None:
        """Stop the workers (running checks are abandoned; their job is marked at next start)."""
        if self._pool is None:
            return
        processes = list(getattr(self._pool, "_processes", {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:  # a running check would otherwise outlive the server
            process.terminate()
        for process in processes:
            process.join(timeout=10)
        self._pool = None

    def create(self) -> tuple[str, Path]:
        """A new empty job: its id and folder."""
        with self._lock:
            if self._active >= self.workers + self.max_waiting:
                raise InputError(
                    f"{self._active} checks are running or waiting (limit "
                    f"{self.workers + self.max_waiting})",
                    code="FZ805",
                )
            self._active += 1
        job_id = secrets.token_urlsafe(ID_BYTES)
        folder = self.root / job_id
        (folder / runjob.UPLOAD).mkdir(parents=True)
        runjob.write_status(folder, state="receiving", phase="上传", created=time.time())
        return job_id, folder

    def abandon(self, job_id: str) -> None:
        """Delete a job whose upload was refused."""
        with self._lock:
            self._active -= 1
        shutil.rmtree(self.root / job_id, ignore_errors=True)

    def submit(self, job_id: str, options: dict[str, Any]) -> None:
        """Queue the check of an uploaded job."""
        folder = self.root / job_id
        status = runjob.read_status(folder)
        runjob.write_status(
            folder, state="queued", phase="排队等候", step=0, created=status.get("created")
        )
        assert self._pool is not None, "JobStore.start() was not called"
        future = self._pool.submit(runjob.run, str(folder), options, self.dsn)
        future.add_done_callback(lambda f: self._finished(folder, f))

    def _finished(self, folder: Path, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._active -= 1
        if future.cancelled() or future.exception() is not None:
            runjob.write_status(
                folder,
                state="error",
                phase="出错",
                error={
                    "code": "FZ000",
                    "title": "internal or unclassified error",
                    "message": "[FZ000] 检查进程意外退出，检查未完成；请重新上传",
                },
            )

    def folder(self, job_id: str) -> Path:
        """The folder of job ``job_id``, or FZ802 (also for anything that is not an id)."""
        if not JOB_ID.match(job_id) or not (self.root / job_id).is_dir():
            raise DataNotFoundError("no such check job (it may have expired)", code="FZ802")
        return self.root / job_id

    def status(self, job_id: str) -> dict[str, Any]:
        """The job's status as stored, without server paths."""
        return runjob.read_status(self.folder(job_id))

    def result_file(self, job_id: str, relative: str) -> Path:
        """A file of the job's result, refusing anything outside it (FZ802)."""
        base = (self.folder(job_id) / runjob.RESULT).resolve()
        target = (base / relative).resolve()
        if not target.is_relative_to(base) or not target.is_file():
            raise DataNotFoundError("no such file in this check's results", code="FZ802")
        return target

    def recover(self) -> int:
        """Mark jobs left queued or running by a stopped server; remove half-written results."""
        marked = 0
        for folder in self.root.iterdir() if self.root.is_dir() else []:
            if not folder.is_dir():
                continue
            for tmp in folder.glob(f"{runjob.TMP_PREFIX}*"):
                shutil.rmtree(tmp, ignore_errors=True)
            status = runjob.read_status(folder)
            if status.get("state") in ("receiving", "queued", "running"):
                runjob.write_status(
                    folder,
                    state="error",
                    phase="出错",
                    created=status.get("created"),
                    error={
                        "code": "FZ000",
                        "title": "internal or unclassified error",
                        "message": "[FZ000] 服务器在检查完成前停止，检查未完成；请重新上传",
                    },
                )
                marked += 1
        return marked

    def sweep(self, now: float | None = None) -> list[str]:
        """Delete jobs older than the keep time; return their ids."""
        now = time.time() if now is None else now
        removed = []
        for folder in self.root.iterdir() if self.root.is_dir() else []:
            if not JOB_ID.match(folder.name):
                continue
            created = runjob.read_status(folder).get("created")
            if not isinstance(created, int | float):
                created = folder.stat().st_mtime
            state = runjob.read_status(folder).get("state")
            if now - created > self.keep_seconds and state not in ("queued", "running"):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
        return removed


def _die_with_parent() -> None:
    """In a worker: be killed when the server process dies, even by SIGKILL (Linux)."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def describe(err: FzgeoError) -> dict[str, Any]:
    """An error as the page shows it: code, catalogue title and the command line's message."""
    from fzgeo.errors import CATALOGUE

    return {"code": err.code, "title": CATALOGUE[err.code].title, "message": str(err)}
