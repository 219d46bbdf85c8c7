"""Databases written by fzgeo before issue 19: pieces tables beside the layers.

fzgeo used to keep each layer's pre-subdivided copy as ``fzgeo."<layer>__pieces"``, which filled
the QGIS browser (and any OGC server on the schema) with tables nobody should open. They now live
in ``fzgeo_pieces."<layer>"``. :func:`migrate_pieces` moves the old ones there (``ALTER TABLE ...
SET SCHEMA`` and ``RENAME``: no data is copied or recut, so their layer's SHA-256 in
``fzgeo._layers`` stays true); ``fzgeo db push`` runs it in its transaction, and the check
engine reads an old table where it still is (:func:`pieces_table`), so an old database keeps
working without a push.

Only tables that are fzgeo's are touched: ``<name>__pieces`` where ``<name>`` is a layer listed in
``fzgeo._layers`` and the table has fzgeo's pieces columns (``fid``, ``repaired``, ``geom``).
Where both an old and a new pieces table exist (a push after an old one), the old one is stale
and dropped.
"""

from __future__ import annotations

from typing import Any

from fzgeo.db.connect import (
    LEGACY_PIECES_SUFFIX,
    META_TABLE,
    PIECES_SCHEMA,
    SCHEMA,
    table_exists,
)

_PIECES_COLUMNS = {"fid", "repaired", "geom"}


def _columns(conn: Any, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s",
        (SCHEMA, table),
    ).fetchall()
    return {str(r[0]) for r in rows}


def legacy_tables(conn: Any) -> list[str]:
    """The layers whose pieces are still in the old place (``fzgeo."<layer>__pieces"``)."""
    from psycopg import sql

    if not table_exists(conn, META_TABLE):
        return []
    query = sql.SQL("SELECT name FROM {}.{} ORDER BY name").format(
        sql.Identifier(SCHEMA), sql.Identifier(META_TABLE)
    )
    names = [str(r[0]) for r in conn.execute(query).fetchall()]
    return [
        n
        for n in names
        if table_exists(conn, n + LEGACY_PIECES_SUFFIX)
        and _columns(conn, n + LEGACY_PIECES_SUFFIX) == _PIECES_COLUMNS
    ]


def ensure_schema(conn: Any) -> None:
    """Create the pieces schema if missing."""
    from psycopg import sql

    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(PIECES_SCHEMA)))


def migrate_pieces(conn: Any) -> list[str]:
    """Move old pieces tables into ``fzgeo_pieces`` inside the caller's transaction.

    Returns the layers whose pieces were moved (or, when a newer copy was already there,
    dropped as stale).
    """
    from psycopg import sql

    found = legacy_tables(conn)
    if found:
        ensure_schema(conn)
    for name in found:
        old = sql.Identifier(name + LEGACY_PIECES_SUFFIX)
        if table_exists(conn, name, PIECES_SCHEMA):
            conn.execute(sql.SQL("DROP TABLE {}.{}").format(sql.Identifier(SCHEMA), old))
            continue
        conn.execute(
            sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                sql.Identifier(SCHEMA), old, sql.Identifier(PIECES_SCHEMA)
            )
        )
        conn.execute(
            sql.SQL("ALTER TABLE {}.{} RENAME TO {}").format(
                sql.Identifier(PIECES_SCHEMA), old, sql.Identifier(name)
            )
        )
    return found


def pieces_table(conn: Any, layer: str) -> Any:
    """The pieces of ``layer`` as an SQL name: ``fzgeo_pieces.<layer>``, else the old place.

    ``None`` when the layer has no pieces table at all.
    """
    from psycopg import sql

    if table_exists(conn, layer, PIECES_SCHEMA):
        return sql.SQL("{}.{}").format(sql.Identifier(PIECES_SCHEMA), sql.Identifier(layer))
    old = layer + LEGACY_PIECES_SUFFIX
    if table_exists(conn, old) and _columns(conn, old) == _PIECES_COLUMNS:
        return sql.SQL("{}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(old))
    return None


def migrate(dsn: str) -> list[str]:
    """:func:`migrate_pieces` in a transaction of its own on ``dsn`` (``fzgeo db push`` runs it)."""
    from fzgeo.db.connect import connect, translated

    with connect(dsn) as conn, translated(dsn, "moving old pieces tables"):
        moved = migrate_pieces(conn)
        conn.commit()
    return moved
