"""Connections to PostGIS, naming rules for tables, and database errors as fzgeo errors.

A DSN is a libpq connection string or URI (``postgresql://user@host:5432/db``, or
``postgresql://user@/db?host=/run/postgresql`` for a Unix socket). Keep passwords out of it:
libpq reads ``PGPASSWORD`` and ``~/.pgpass``, and fzgeo never prints a password (see
:func:`redact`).

The layers live in one schema (:data:`SCHEMA`, ``fzgeo``), their pre-subdivided copies for the
check in another (:data:`PIECES_SCHEMA`, ``fzgeo_pieces``), so a QGIS browser or an OGC server
pointed at ``fzgeo`` sees the layers only. The QGIS styles go where QGIS looks for them, the
``layer_styles`` table on the search path (``public``, see :mod:`fzgeo.db.styles`). Names the user
chose (layer names, column names) only ever reach SQL as quoted identifiers
(:class:`psycopg.sql.Identifier`); values travel as bound parameters.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fzgeo.errors import DatabaseError, InputError

if TYPE_CHECKING:
    import psycopg

SCHEMA = "fzgeo"  #: the schema holding the layers (and check results)
PIECES_SCHEMA = "fzgeo_pieces"  #: each layer's pre-subdivided copy, same table name as the layer
META_TABLE = "_layers"  #: one row per pushed layer (see :mod:`fzgeo.db.push`)
#: Where fzgeo before issue 19 kept the pieces: ``fzgeo."<layer>__pieces"`` (see
#: :mod:`fzgeo.db.legacy`).
LEGACY_PIECES_SUFFIX = "__pieces"
TEMP_PREFIX = "_fzgeo_tmp_"  #: tables being written; renamed into place on commit
MAX_IDENTIFIER_BYTES = 63  #: PostgreSQL's NAMEDATALEN - 1
RESERVED_COLUMNS = ("fid", "geom")  #: the columns fzgeo adds to every table


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - the extra is part of [dev]
        msg = "the database commands need psycopg 3: pip install 'fzgeo[db]'"
        raise ImportError(msg) from exc
    return psycopg


def redact(dsn: str) -> str:
    """``dsn`` with any password replaced by ``***``, for messages."""
    out = re.sub(r"(://[^:/@?]*:)[^@/?]*@", r"\1***@", dsn)
    return re.sub(r"(password\s*=\s*)(\S+)", r"\1***", out, flags=re.IGNORECASE)


def connect(dsn: str, *, check_postgis: bool = True) -> psycopg.Connection[Any]:
    """Open a connection (not in autocommit: every write is one transaction).

    Raises
    ------
    DatabaseError
        FZ700 when the server cannot be reached or refuses the login, FZ702 when the database has
        no PostGIS.
    """
    psycopg = _psycopg()
    try:
        conn = psycopg.connect(dsn, connect_timeout=15, application_name="fzgeo")
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = f"cannot connect to {redact(dsn)}: {reason}"
        raise DatabaseError(msg, code="FZ700") from exc
    if check_postgis:
        try:
            row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            found = row.fetchone()
            conn.rollback()
        except psycopg.Error as exc:
            conn.close()
            raise DatabaseError(f"cannot query {redact(dsn)}: {exc}", code="FZ700") from exc
        if found is None:
            conn.close()
            raise DatabaseError(f"database {redact(dsn)} has no PostGIS extension", code="FZ702")
    return conn


@contextlib.contextmanager
def translated(dsn: str, what: str) -> Iterator[None]:
    """Turn psycopg errors raised inside the block into :class:`DatabaseError` (FZ701).

    ``what`` says what was being done (``"push"``, ``"check"``), for the message. A lost connection
    (server stopped, backend terminated, network cut) rolls the open transaction back on the
    server, so the message can promise that nothing was written.
    """
    psycopg = _psycopg()
    try:
        yield
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = (
            f"{what} on {redact(dsn)} failed: connection lost or the server stopped ({reason}); "
            "the transaction was rolled back and no table was written"
        )
        raise DatabaseError(msg, code="FZ701") from exc
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = f"{what} on {redact(dsn)} failed: {reason}; the transaction was rolled back"
        raise DatabaseError(msg, code="FZ701") from exc


def check_identifier(name: str, *, what: str, reserve: int = 0) -> str:
    """Return ``name`` if PostgreSQL can hold it as an identifier, else raise FZ704.

    Any characters are allowed (the name is always quoted), but not NUL, not an empty name, and
    not more than 63 bytes of UTF-8 (a Chinese character takes 3) minus ``reserve`` bytes kept
    for a suffix.
    """
    limit = MAX_IDENTIFIER_BYTES - reserve
    size = len(name.encode("utf-8"))
    if not name or "\x00" in name or size > limit:
        problem = (
            "is empty" if not name else "contains NUL" if "\x00" in name else f"is {size} bytes"
        )
        msg = f"{what} {name!r} {problem}; PostgreSQL names hold 1 to {limit} bytes here"
        raise InputError(msg, code="FZ704", where=what)
    return name


def object_name(table: str, tag: str) -> str:
    """A short, stable name for an index or constraint of ``table`` (fits in 63 bytes)."""
    digest = hashlib.sha1(table.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    return f"fzgeo_{digest}_{tag}"


def table_exists(conn: psycopg.Connection[Any], table: str, schema: str = SCHEMA) -> bool:
    """Whether ``schema.table`` exists (names compared exactly, as quoted identifiers)."""
    row = conn.execute(
        "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s", (schema, table)
    ).fetchone()
    return row is not None
