"""A throwaway PostgreSQL 15 + PostGIS cluster for the database tests.

The session fixture :func:`postgis_server` runs ``initdb`` into a fresh temporary folder, starts
``postgres`` listening on a Unix socket in that folder and on 127.0.0.1 at a free port (trust
authentication, no password), creates a database with the PostGIS extension, and stops the
server and removes the folder at the end of the session. It never skips: a machine without
PostgreSQL fails loudly (``tools/test.sh`` installs ``postgresql-15-postgis-3`` on CI).

PostgreSQL refuses to run as root, and CI runs as root: the server is then started as the
``postgres`` system user (Debian's package creates it) with ``setpriv``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("FZGEO_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
SYSTEM_USER = "postgres"
DB_USER = "fzgeo"


@dataclass(frozen=True)
class PostgisServer:
    """A running test server: its data folder, socket folder, TCP port and superuser."""

    root: Path
    port: int
    user: str = DB_USER

    @property
    def socket_dir(self) -> Path:
        """Folder holding the server's Unix socket."""
        return self.root / "run"

    def dsn(self, dbname: str, *, tcp: bool = False) -> str:
        """A libpq URI for ``dbname`` over the socket (default) or loopback TCP."""
        if tcp:
            return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"
        return f"postgresql://{self.user}@/{dbname}?host={self.socket_dir}&port={self.port}"

    def create_database(self, name: str | None = None) -> str:
        """A new database with PostGIS; returns its socket DSN."""
        import psycopg
        from psycopg import sql

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        dsn = self.dsn(name)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return dsn


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(cmd: list[str], *, tie_to_parent: bool = False) -> list[str]:
    """``cmd`` run as the ``postgres`` system user when we are root.

    setpriv execs (no intermediate process), so signals reach postgres itself. With
    ``tie_to_parent`` the server gets SIGINT (fast shutdown) when the test process dies, so a
    killed test run leaves no server behind.
    """
    prefix = ["setpriv", "--pdeathsig", "INT"] if tie_to_parent else []
    if os.geteuid() != 0:
        return [*prefix, *cmd] if prefix else cmd
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pytest.fail(f"running as root and there is no {SYSTEM_USER!r} user to run PostgreSQL as")
    prefix = prefix or ["setpriv"]
    user = [f"--reuid={SYSTEM_USER}", f"--regid={SYSTEM_USER}", "--init-groups"]
    return [*prefix, *user, *cmd]


def _run(cmd: list[str], what: str) -> None:
    result = subprocess.run(
        _as_server_user(cmd), capture_output=True, text=True, check=False, timeout=120
    )
    if result.returncode != 0:
        pytest.fail(f"{what} failed ({result.returncode}): {result.stderr or result.stdout}")


def _make_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="fzgeo-pg-"))
    (root / "run").mkdir()
    if os.geteuid() == 0:
        entry = pwd.getpwnam(SYSTEM_USER)
        for path in (root, root / "run"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    root.chmod(0o755)
    return root


def _wait_ready(server: PostgisServer, log: Path, timeout: float = 60.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(server.dsn("postgres"), connect_timeout=2):
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                text = log.read_text(errors="replace") if log.exists() else ""
                pytest.fail(f"PostgreSQL did not start: {exc}\n{text}")
            time.sleep(0.2)


def start_server() -> tuple[PostgisServer, subprocess.Popen[bytes]]:
    """Run initdb and start a server; the caller stops it with :func:`stop_server`."""
    if not (PG_BIN / "postgres").exists():
        pytest.fail(f"PostgreSQL binaries not found in {PG_BIN}; install postgresql-15-postgis-3")
    root = _make_root()
    data = root / "data"
    _run(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            DB_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        "initdb",
    )
    server = PostgisServer(root=root, port=_free_port())
    log = root / "postgres.log"
    with open(log, "wb") as fh:
        if os.geteuid() == 0:
            os.chown(log, pwd.getpwnam(SYSTEM_USER).pw_uid, -1)
        proc = subprocess.Popen(
            _as_server_user(
                [
                    str(PG_BIN / "postgres"),
                    "-D",
                    str(data),
                    "-k",
                    str(server.socket_dir),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(server.port),
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=40",
                    "-c",
                    "shared_buffers=64MB",
                ],
                tie_to_parent=True,
            ),
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    _wait_ready(server, log)
    return server, proc


def stop_server(server: PostgisServer, proc: subprocess.Popen[bytes]) -> None:
    """Stop the server (fast shutdown, then kill) and remove its folder."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)  # PostgreSQL's "fast" shutdown
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[PostgisServer]:
    """A running PostgreSQL 15 + PostGIS for the whole session (started on first use)."""
    server, proc = start_server()
    try:
        yield server
    finally:
        stop_server(server, proc)


@pytest.fixture
def postgis_dsn(postgis_server: PostgisServer) -> str:
    """A fresh database with PostGIS, one per test; its socket DSN."""
    return postgis_server.create_database()
