"""``fzgeo db push``: write layers into PostGIS, all of them in one transaction.

Each layer becomes the table ``fzgeo."<layer>"`` with a ``fid`` primary key (the feature's
position in the layer), its attribute columns (provenance included) and ``geom``, a typed
``geometry(MultiPolygon|MultiLineString|Point|MultiPoint, 4490)`` column (see
:mod:`fzgeo.db.geometry`: singles promoted to multi, Z dropped with a warning) with a GiST index.
Every layer also gets ``fzgeo_pieces."<layer>"`` (``fid``, ``repaired``, ``geom`` in EPSG:4548):
the layer repaired as the file engine repairs it (``ST_MakeValid`` method *structure*, polygonal
part kept), projected to the work CRS and cut by ``ST_Subdivide`` into pieces of at most
``max_vertices`` vertices, GiST-indexed, so a check pays for the cutting once per version of the
layer; the pieces have their own schema so that QGIS and OGC servers browsing ``fzgeo`` see the
layers only. A layer of a packaged layer kind gets its table comment from the same abstract the
GeoPackage export writes (title, plan passages, precision mix), column comments with the Chinese
alias and the English meaning, and its QGIS default style in ``layer_styles``
(:mod:`fzgeo.db.styles`). One row per layer in ``fzgeo._layers`` records the feature count,
the layer's SHA-256 (:func:`fzgeo.check.pieces.layer_sha256` of the layer as given, before it
is converted to EPSG:4490, so a check in PostGIS records the same hash as a check of the same
file), when it was pushed and by which fzgeo.

Nothing half-written is ever visible: new tables are written under temporary names
(``_fzgeo_tmp_...``) and renamed over the old ones in the same transaction; if the connection is
lost before the commit, PostgreSQL rolls everything back and the old tables stay as they were.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame

from fzgeo import __version__, crs
from fzgeo.check.pieces import MAX_VERTICES, layer_sha256, polygonal
from fzgeo.db import geometry, legacy, styles
from fzgeo.db.connect import (
    META_TABLE,
    PIECES_SCHEMA,
    RESERVED_COLUMNS,
    SCHEMA,
    TEMP_PREFIX,
    check_identifier,
    connect,
    object_name,
    translated,
)
from fzgeo.errors import InputError, SchemaError, UnknownLayerError
from fzgeo.plan import schema
from fzgeo.plan.schema import LayerKind

_META_DDL = """
CREATE TABLE IF NOT EXISTS {meta} (
    name text PRIMARY KEY,
    kind text,
    name_zh text,
    geometry_type text NOT NULL,
    features bigint NOT NULL,
    pieces bigint NOT NULL,
    max_vertices integer NOT NULL,
    sha256 text NOT NULL,
    comment text NOT NULL,
    pushed_at timestamptz NOT NULL DEFAULT now(),
    fzgeo_version text NOT NULL
)
"""


@dataclass(frozen=True)
class Pushed:
    """What :func:`push` wrote for one layer."""

    name: str
    features: int
    pieces: int
    sha256: str
    geometry_type: str = geometry.GENERIC  #: the column's type (``MultiPolygon`` ...)


def _pg_type(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamptz"
    return "text"


def prepare(name: str, gdf: GeoDataFrame) -> GeoDataFrame:
    """Check names and CRS; the layer as its table holds it.

    EPSG:4490, a fresh 0..n-1 index, 2-D (Z and M dropped with a warning, FZ705) and its
    geometries fitted to the column type (:func:`fzgeo.db.geometry.fit`).
    """
    check_identifier(name, what="layer name")
    if not isinstance(gdf, GeoDataFrame):
        msg = f"layer {name!r} is a {type(gdf).__name__}, not a GeoDataFrame"
        raise InputError(msg, where=f"layer {name}")
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    for col in columns:
        check_identifier(str(col), what=f"column of layer {name!r}")
        if str(col).lower() in RESERVED_COLUMNS:
            msg = f"layer {name!r} has a column {col!r}; fzgeo adds that column itself"
            raise InputError(msg, code="FZ704", where=f"layer {name}", hint="rename the column")
    out = crs.to_storage(gdf, what=f"layer {name}").reset_index(drop=True)
    flat = geometry.drop_z(np.asarray(out.geometry.values, dtype=object), name)
    out = out.set_geometry(flat, crs=out.crs) if flat is not out.geometry.values else out
    ctype = geometry.column_type(flat, _matching_kind(name, out))
    return out.set_geometry(geometry.fit(flat, ctype), crs=out.crs)


def _summary(gdf: GeoDataFrame, column: str, limit: int = 3) -> str:
    if column not in gdf.columns:
        return ""
    counts = gdf[column].dropna().astype(str).value_counts()
    shown = [f"{value} ({n})" for value, n in counts.head(limit).items()]
    more = len(counts) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def layer_comment(name: str, gdf: GeoDataFrame) -> str:
    """The table comment: layer, Chinese name, sources and precision mix."""
    try:
        from fzgeo.plan import layers

        kind = layers.kind(name)
        title = f"{name} ({kind.name_zh})"
    except UnknownLayerError:
        title = name
    parts = [f"fzgeo layer {title}, {len(gdf)} features, EPSG:4490"]
    if sources := _summary(gdf, "source"):
        parts.append(f"source: {sources}")
    if precision := _summary(gdf, "precision", limit=4):
        parts.append(f"precision: {precision}")
    parts.append(f"pushed by fzgeo {__version__}")
    return ". ".join(parts)


def geometry_digest(gdf: GeoDataFrame) -> str:
    """The layer's version: :func:`fzgeo.check.pieces.layer_sha256` of its geometries and CRS."""
    return layer_sha256(np.asarray(gdf.geometry.values, dtype=object), gdf.crs)


def _rows(gdf: GeoDataFrame, columns: list[str]) -> Any:
    geoms = shapely.set_srid(np.asarray(gdf.geometry.values), crs.STORAGE_EPSG)
    hexes = shapely.to_wkb(geoms, hex=True, include_srid=True, output_dimension=2)
    values = [gdf[c].astype(object).where(gdf[c].notna(), None).tolist() for c in columns]
    for fid, row in enumerate(zip(*values, hexes, strict=True)):
        yield (fid, *row)


def _create_table(conn: Any, tmp: str, gdf: GeoDataFrame, columns: list[str], gtype: str) -> None:
    from psycopg import sql

    coldefs: list[sql.Composable] = [sql.SQL("fid bigint NOT NULL")]
    coldefs += [
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_pg_type(gdf[c]))) for c in columns
    ]
    coldefs.append(sql.SQL("geom geometry({}, {})").format(sql.SQL(gtype), crs.STORAGE_EPSG))
    coldefs.append(
        sql.SQL("CONSTRAINT {} PRIMARY KEY (fid)").format(sql.Identifier(object_name(tmp, "pk")))
    )
    conn.execute(
        sql.SQL("CREATE TABLE {}.{} ({})").format(
            sql.Identifier(SCHEMA), sql.Identifier(tmp), sql.SQL(", ").join(coldefs)
        )
    )
    target = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
        sql.Identifier(SCHEMA),
        sql.Identifier(tmp),
        sql.SQL(", ").join(sql.Identifier(c) for c in ["fid", *columns, "geom"]),
    )
    with conn.cursor().copy(target) as copy:
        for row in _rows(gdf, columns):
            copy.write_row(row)


def work_geometries(gdf: GeoDataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The layer as the file engine measures it: work CRS, repaired; and which were repaired.

    Taken from the layer as given (not from its EPSG:4490 copy), with the same functions the file
    engine uses (:func:`fzgeo.crs.to_work`, :func:`fzgeo.check.pieces.polygonal`), so both engines
    measure against bit-identical coordinates.
    """
    work = np.asarray(crs.to_work(gdf, what=f"layer {name}").geometry.values, dtype=object)
    # as fzgeo.check.prepare: what was invalid as delivered counts as repaired; what the
    # reprojection alone bent is fixed quietly
    delivered = np.asarray(gdf.geometry.values, dtype=object)
    repaired = ~shapely.is_valid(delivered) & ~shapely.is_missing(delivered)
    valid, _ = polygonal(work)
    return valid, repaired


def _create_pieces(
    conn: Any,
    work: tuple[np.ndarray, np.ndarray],
    tmp_pieces: str,
    max_vertices: int,
) -> int:
    from psycopg import sql

    geoms, repaired = work
    s, p = sql.Identifier(PIECES_SCHEMA), sql.Identifier(tmp_pieces)
    conn.execute(
        sql.SQL(
            "CREATE TEMPORARY TABLE _fzgeo_work (fid bigint, repaired boolean, "
            "geom geometry(Geometry, {w})) ON COMMIT DROP"
        ).format(w=crs.WORK_EPSG)
    )
    ewkb = shapely.to_wkb(
        shapely.set_srid(geoms, crs.WORK_EPSG), hex=True, include_srid=True, output_dimension=2
    )
    with conn.cursor().copy("COPY _fzgeo_work (fid, repaired, geom) FROM STDIN") as copy:
        for fid, (flag, g) in enumerate(zip(repaired.tolist(), ewkb, strict=True)):
            copy.write_row((fid, bool(flag), g))
    conn.execute(
        sql.SQL(
            "CREATE TABLE {s}.{p} (fid bigint NOT NULL, repaired boolean NOT NULL, "
            "geom geometry(Geometry, {w}) NOT NULL)"
        ).format(s=s, p=p, w=crs.WORK_EPSG)
    )
    query = sql.SQL("""
        INSERT INTO {s}.{p} (fid, repaired, geom)
        SELECT w.fid, w.repaired, d.geom
        FROM _fzgeo_work AS w,
        LATERAL ST_Subdivide(w.geom, %s) AS sub(geom),
        LATERAL ST_Dump(sub.geom) AS d
        WHERE w.geom IS NOT NULL AND NOT ST_IsEmpty(w.geom) AND NOT ST_IsEmpty(d.geom)
    """).format(s=s, p=p)  # fmt: skip
    cur = conn.execute(query, (max_vertices,))
    conn.execute("DROP TABLE _fzgeo_work")
    return int(cur.rowcount)


def _index(conn: Any, schema_name: str, table: str) -> None:
    from psycopg import sql

    conn.execute(
        sql.SQL("CREATE INDEX {} ON {}.{} USING gist (geom)").format(
            sql.Identifier(object_name(table, "gix")),
            sql.Identifier(schema_name),
            sql.Identifier(table),
        )
    )


def _swap_in(conn: Any, schema_name: str, tmp: str, target: str, *, has_pk: bool) -> None:
    """Replace ``target`` by ``tmp`` (same transaction): drop, rename table, index, key."""
    from psycopg import sql

    s = sql.Identifier(schema_name)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}.{}").format(s, sql.Identifier(target)))
    conn.execute(
        sql.SQL("ALTER TABLE {}.{} RENAME TO {}").format(
            s, sql.Identifier(tmp), sql.Identifier(target)
        )
    )
    conn.execute(
        sql.SQL("ALTER INDEX {}.{} RENAME TO {}").format(
            s,
            sql.Identifier(object_name(tmp, "gix")),
            sql.Identifier(object_name(target, "gix")),
        )
    )
    if has_pk:
        conn.execute(
            sql.SQL("ALTER TABLE {}.{} RENAME CONSTRAINT {} TO {}").format(
                s,
                sql.Identifier(target),
                sql.Identifier(object_name(tmp, "pk")),
                sql.Identifier(object_name(target, "pk")),
            )
        )


def table_comment(name: str, gdf: GeoDataFrame, kind: LayerKind | None) -> str:
    """The table comment QGIS shows as the layer's abstract.

    For a layer of a packaged kind, the abstract the GeoPackage export writes (title, plan
    passages and lines, precision mix, the 示意 caveat); otherwise :func:`layer_comment`.
    """
    if kind is None:
        return layer_comment(name, gdf)
    abstract = styles.layer_info(name, gdf, kind).abstract
    return f"{abstract}\npushed by fzgeo {__version__}"


def _comments(conn: Any, name: str, gdf: GeoDataFrame, kind: LayerKind | None) -> str:
    """Table and column comments (COMMENT takes no parameters: values go in as quoted literals).

    Returns the table comment.
    """
    from psycopg import sql

    comment = table_comment(name, gdf, kind)
    table = sql.SQL("{}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(name))
    conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(comment)))
    if kind is None:
        return comment
    for col in gdf.columns:
        text = styles.column_comment(kind, str(col)) if col != gdf.geometry.name else None
        if text:
            conn.execute(
                sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                    table, sql.Identifier(col), sql.Literal(text)
                )
            )
    return comment


def _record(
    conn: Any,
    done: Pushed,
    comment: str,
    mv: int,
    kind: LayerKind | None,
) -> None:
    from psycopg import sql

    conn.execute(
        sql.SQL("""
            INSERT INTO {}.{} (name, kind, name_zh, geometry_type, features, pieces,
                               max_vertices, sha256, comment, pushed_at, fzgeo_version)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now(), %s)
            ON CONFLICT (name) DO UPDATE SET
                kind = EXCLUDED.kind, name_zh = EXCLUDED.name_zh,
                geometry_type = EXCLUDED.geometry_type, features = EXCLUDED.features,
                pieces = EXCLUDED.pieces, max_vertices = EXCLUDED.max_vertices,
                sha256 = EXCLUDED.sha256, comment = EXCLUDED.comment,
                pushed_at = EXCLUDED.pushed_at, fzgeo_version = EXCLUDED.fzgeo_version
        """).format(sql.Identifier(SCHEMA), sql.Identifier(META_TABLE)),
        (
            done.name,
            kind.name if kind else None,
            kind.name_zh if kind else None,
            done.geometry_type,
            done.features,
            done.pieces,
            mv,
            done.sha256,
            comment,
            __version__,
        ),
    )


def _matching_kind(name: str, gdf: GeoDataFrame) -> LayerKind | None:
    """The packaged layer kind called ``name``, if the layer satisfies it (else None)."""
    from fzgeo.plan import layers

    if name not in layers.available():
        return None
    try:
        schema.validate(gdf, layers.kind(name))
    except SchemaError:
        return None
    return layers.kind(name)


def write_layer(
    conn: Any,
    name: str,
    gdf: GeoDataFrame,
    *,
    work: tuple[np.ndarray, np.ndarray] | None = None,
    max_vertices: int = MAX_VERTICES,
    sha256: str | None = None,
) -> Pushed:
    """Write one prepared layer (and its pieces) inside the caller's transaction.

    ``gdf`` is what :func:`prepare` returns. ``work`` is what :func:`work_geometries` returns for
    the layer as given; without it the table is written alone (a check result, say) and stale
    pieces are dropped. ``sha256`` is :func:`geometry_digest` of the layer as given (default: of
    ``gdf``).
    """
    from psycopg import sql

    kind = _matching_kind(name, gdf)
    gtype = geometry.column_type(np.asarray(gdf.geometry.values, dtype=object), kind)
    tag = uuid.uuid4().hex[:16]
    tmp, tmp_pieces = f"{TEMP_PREFIX}{tag}", f"{TEMP_PREFIX}{tag}_p"
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    _create_table(conn, tmp, gdf, columns, gtype)
    _index(conn, SCHEMA, tmp)
    n_pieces = 0
    if work is not None:
        legacy.ensure_schema(conn)
        n_pieces = _create_pieces(conn, work, tmp_pieces, max_vertices)
        _index(conn, PIECES_SCHEMA, tmp_pieces)
    _swap_in(conn, SCHEMA, tmp, name, has_pk=True)
    if work is not None:
        _swap_in(conn, PIECES_SCHEMA, tmp_pieces, name, has_pk=False)
    else:
        conn.execute(
            sql.SQL("DROP TABLE IF EXISTS {}.{}").format(
                sql.Identifier(PIECES_SCHEMA), sql.Identifier(name)
            )
        )
    done = Pushed(name, len(gdf), n_pieces, sha256 or geometry_digest(gdf), gtype)
    comment = _comments(conn, name, gdf, kind)
    _record(conn, done, comment, max_vertices, kind)
    return done


def _write_styles(conn: Any, prepared: Mapping[str, GeoDataFrame]) -> list[str]:
    """Store the QGIS default style of each layer of a packaged kind; return the unstyled ones.

    A layer that is not of a kind gets no style (and loses fzgeo's style of an earlier push
    under that name). The list returned is empty unless ``layer_styles`` cannot be created.
    """
    kinds = {name: _matching_kind(name, gdf) for name, gdf in prepared.items()}
    target = styles.styles_table(conn)
    if target is None:
        return [name for name, kind in kinds.items() if kind is not None]
    for name, gdf in prepared.items():
        kind = kinds[name]
        if kind is None:
            styles.remove_style(conn, target, name)
        else:
            styles.write_style(conn, target, styles.layer_info(name, gdf, kind), styles.fields(gdf))
    return []


def push(
    layers: Mapping[str, GeoDataFrame],
    dsn: str,
    *,
    max_vertices: int = MAX_VERTICES,
) -> list[Pushed]:
    """Write ``layers`` (name -> GeoDataFrame) into the ``fzgeo`` schema, all or nothing.

    Pieces tables an older fzgeo left beside the layers are moved into ``fzgeo_pieces`` in the
    same transaction (:func:`fzgeo.db.legacy.migrate_pieces`).

    Parameters
    ----------
    layers
        The layers; names become table names (quoted, so any text up to 63 bytes works).
    dsn
        libpq connection string or URI of a database with PostGIS.
    max_vertices
        Largest piece of the pre-subdivided copy (``ST_Subdivide``'s ``max_vertices``).

    Returns
    -------
    list of Pushed
        One entry per layer, in the order given.

    Raises
    ------
    DatabaseError
        The server cannot be reached (FZ700), has no PostGIS (FZ702), or the connection was lost
        during the write (FZ701): then nothing was written.
    InputError
        A name PostgreSQL cannot hold, or a column fzgeo reserves (FZ704).

    Warns
    -----
    RepairWarning
        FZ705 for a layer whose Z or M values were dropped, FZ706 when the QGIS styles could not
        be stored (no ``layer_styles`` table and no right to create one).
    """
    from psycopg import sql

    if max_vertices < 8:
        msg = f"`max_vertices` must be at least 8 (ST_Subdivide's minimum), got {max_vertices}"
        raise ValueError(msg)
    prepared = {
        name: (prepare(name, gdf), work_geometries(gdf, name), geometry_digest(gdf))
        for name, gdf in layers.items()
    }
    done: list[Pushed] = []
    with connect(dsn) as conn, translated(dsn, "push"):
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
        conn.execute(
            sql.SQL(_META_DDL).format(
                meta=sql.SQL("{}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(META_TABLE))
            )
        )
        legacy.migrate_pieces(conn)
        for name, (gdf, work, sha256) in prepared.items():
            done.append(
                write_layer(conn, name, gdf, work=work, max_vertices=max_vertices, sha256=sha256)
            )
        unstyled = _write_styles(conn, {name: item[0] for name, item in prepared.items()})
        conn.commit()
    if unstyled:
        styles.warn_not_stored(unstyled)
    return done
