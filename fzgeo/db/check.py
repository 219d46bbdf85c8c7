"""The siting check measured inside PostGIS: the same report as the file engine.

:func:`run` is :func:`fzgeo.check.run` with the measuring done by the database. The sites are
prepared exactly as the file engine prepares them (work CRS EPSG:4548, repaired, point radii
buffered) and copied into a temporary table; each rule's layer is read from the tables
``fzgeo db push`` wrote, its features selected by the rule's ``where`` as the file engine does,
and every site is measured against the layer's pre-subdivided pieces (``fzgeo_pieces."<layer>"``,
cut by ``ST_Subdivide`` and stored in EPSG:4548; a database pushed by an older fzgeo still has them
as ``fzgeo."<layer>__pieces"``, which is read where it is, see :mod:`fzgeo.db.legacy`)::

    ST_Intersects(site, piece)           -- GiST index on the pieces
    ST_Intersection(site, ST_Union(pieces)) per site, over the pieces the site overlaps with
                                         a positive measure (overlapping features count once)
    ST_Area / ST_Length of that part
    ORDER BY site <-> piece LIMIT 1      -- nearest distance (KNN) for sites that do not overlap
    ST_DWithin(site, piece, reach)       -- features within a proximity rule's reach

Verdicts, shares, units, touch tolerance, feature labels and the report come from
:mod:`fzgeo.check` unchanged, so both engines give the same table (to floating-point noise, far
below the reports' rounding). The audit records the layer's SHA-256 that ``fzgeo db push``
stored (the same as the file engine's for the same layer) and the database without password.

The measuring runs in one REPEATABLE READ transaction (a consistent view of the layers even if
someone pushes meanwhile). Results are written to the database only when ``result_table`` is
given, and then in one transaction at the end: a connection lost mid-check raises
:class:`~fzgeo.errors.DatabaseError` (FZ701) and leaves no table behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame

from fzgeo import check, crs
from fzgeo.check import _overlap, labels, pieces
from fzgeo.check.engines import Engine, Task
from fzgeo.check.labels import ID_COLUMNS, NAME_COLUMNS
from fzgeo.check.model import LayerRecord
from fzgeo.check.rules import Rule, RuleSet
from fzgeo.check.vector import precision_values, where_mask
from fzgeo.db import legacy
from fzgeo.db.connect import (
    MAX_IDENTIFIER_BYTES,
    META_TABLE,
    SCHEMA,
    connect,
    redact,
    table_exists,
    translated,
)
from fzgeo.db.pull import PG_TO_PANDAS, pg_columns
from fzgeo.io.columns import find_column

SITES_TABLE = "fzgeo_check_sites"  #: the session's temporary table of sites

_MEASURE_SQL = """
WITH hit AS (
    SELECT s.pos, s.cls, p.fid, p.geom AS piece, ST_Intersection(s.geom, p.geom) AS g
    FROM pg_temp.{sites} AS s
    JOIN {pieces} AS p ON ST_Intersects(s.geom, p.geom)
    WHERE p.fid = ANY(%(fids)s)
), kept AS (
    SELECT pos, fid, piece FROM hit
    WHERE NOT ST_IsEmpty(g) AND CASE cls
        WHEN 0 THEN ST_Area(g) > 0
        WHEN 1 THEN ST_Length(g) > 0
        ELSE true END
), grouped AS (
    SELECT pos, array_agg(DISTINCT fid ORDER BY fid) AS fids, ST_Union(piece) AS cover
    FROM kept GROUP BY pos
)
SELECT g.pos, g.fids, CASE s.cls
        WHEN 0 THEN ST_Area(x.part)
        WHEN 1 THEN ST_Length(x.part)
        ELSE 1.0 END,
    ST_AsBinary(x.part)
FROM grouped AS g
JOIN pg_temp.{sites} AS s ON s.pos = g.pos
CROSS JOIN LATERAL (SELECT ST_Intersection(s.geom, g.cover) AS part) AS x
"""

_DISTANCE_SQL = """
SELECT s.pos, d.dist
FROM pg_temp.{sites} AS s
CROSS JOIN LATERAL (
    SELECT ST_Distance(s.geom, p.geom) AS dist FROM {pieces} AS p
    WHERE p.fid = ANY(%(fids)s) {within}
    ORDER BY s.geom <-> p.geom LIMIT 1
) AS d
WHERE s.pos = ANY(%(todo)s)
"""

_EXTENT_SQL = """
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(geom) AS e FROM {pieces} WHERE fid = ANY(%(fids)s)) AS x
"""

_REACH_SQL = """
SELECT DISTINCT s.pos, p.fid
FROM pg_temp.{sites} AS s
JOIN {pieces} AS p ON ST_DWithin(s.geom, p.geom, %(reach)s)
WHERE p.fid = ANY(%(fids)s)
"""


class PostgisEngine(Engine):
    """Measures for :func:`fzgeo.check.run` (its ``engine``), done in PostGIS.

    Use as a context manager: it holds one connection and one transaction for the whole check.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn: Any = None
        self._uploaded: np.ndarray | None = None
        self._fids: dict[str, np.ndarray] = {}
        self._pieces: dict[str, Any] = {}  # layer -> its pieces table (SQL name)

    def __enter__(self) -> PostgisEngine:
        """Connect and start the transaction."""
        self._conn = connect(self.dsn)
        with translated(self.dsn, "check"):
            self._conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return self

    def describe(self) -> dict[str, Any]:
        """``name`` postgis and the ``database`` (the DSN with its password hidden)."""
        return {"name": "postgis", "database": redact(self.dsn)}

    def __exit__(self, *exc: object) -> None:
        """Roll back (the temporary table goes with it) and close."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            from psycopg import Error

            try:
                conn.rollback()
            except Error:  # the connection is gone: the server rolled back already
                pass
            finally:
                conn.close()

    # -- layers ---------------------------------------------------------------------------------

    def prepare_layers(
        self,
        rule_set: RuleSet,
        constraints: Mapping[str, GeoDataFrame | None],  # noqa: ARG002 - layers come from the db
        use_cache: bool,  # noqa: ARG002 - the pieces are in the db
    ) -> tuple[dict[str, check.Constraint], dict[str, str]]:
        """Per rule: the layer's features as the rule selects them, or why the rule is skipped."""
        layers: dict[str, check.Constraint] = {}
        skipped: dict[str, str] = {}
        by_key: dict[tuple[str, ...], tuple[check.Constraint, np.ndarray]] = {}
        with translated(self.dsn, "check"):
            meta = self._meta()
            for rule in rule_set.rules:
                reason = self._skip_reason(rule, meta)
                if reason:
                    skipped[rule.id] = reason
                    continue
                where = repr(sorted(rule.where.items()))
                key = (rule.layer, where, rule.id_column, rule.name_column)
                if key not in by_key:
                    by_key[key] = (self._constraint(rule, meta[rule.layer]), self._fids[rule.id])
                layer, self._fids[rule.id] = by_key[key]
                if layer.features == 0:
                    skipped[rule.id] = (
                        f"layer {rule.layer!r} has no feature matching {dict(rule.where)}"
                    )
                    continue
                layers[rule.id] = layer
        return layers, skipped

    def _meta(self) -> dict[str, tuple[str, int]]:
        from psycopg import sql

        if not table_exists(self._conn, META_TABLE):
            return {}
        rows = self._conn.execute(
            sql.SQL("SELECT name, sha256, max_vertices FROM {}.{}").format(
                sql.Identifier(SCHEMA), sql.Identifier(META_TABLE)
            )
        ).fetchall()
        return {str(n): (str(h), int(mv)) for n, h, mv in rows}

    def _skip_reason(self, rule: Rule, meta: Mapping[str, tuple[str, int]]) -> str:
        if rule.layer not in self._pieces:
            found = legacy.pieces_table(self._conn, rule.layer) if rule.layer in meta else None
            if found is not None:
                self._pieces[rule.layer] = found
        if rule.layer not in meta or rule.layer not in self._pieces:
            return f"layer {rule.layer!r} is not in the database (fzgeo db push)"
        columns = self._column_names(rule.layer)
        missing = [c for c in rule.where if c not in columns]
        if missing:
            return f"layer {rule.layer!r} has no column(s) {missing} for 'where'"
        return ""

    def _column_names(self, table: str) -> set[str]:
        rows = self._conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s",
            (SCHEMA, table),
        ).fetchall()
        return {str(r[0]) for r in rows}

    def _feature_rows(self, layer: str, wanted: list[str]) -> list[tuple[Any, ...]]:
        """Per feature in ``fid`` order: fid, polygonal?, repaired?, then the ``wanted`` columns."""
        from psycopg import sql

        query = sql.SQL("""
            SELECT t.fid, coalesce(p.polygonal, false), coalesce(p.repaired, false), {cols}
            FROM {s}.{t} AS t
            LEFT JOIN (
                SELECT fid, bool_or(ST_Dimension(geom) = 2) AS polygonal,
                       bool_or(repaired) AS repaired
                FROM {p} GROUP BY fid
            ) AS p ON p.fid = t.fid
            ORDER BY t.fid
        """).format(
            cols=sql.SQL(", ").join(
                [sql.SQL("t.{}").format(sql.Identifier(c)) for c in wanted] or [sql.SQL("NULL")]  # type: ignore[list-item]
            ),
            s=sql.Identifier(SCHEMA),
            t=sql.Identifier(layer),
            p=self._pieces[layer],
        )
        return list(self._conn.execute(query).fetchall())

    def _constraint(self, rule: Rule, meta: tuple[str, int]) -> check.Constraint:
        """The layer's attributes, filtered by ``where`` exactly as the file engine filters.

        The id and name columns are chosen as the file engine chooses them
        (:mod:`fzgeo.check.labels`), from the same columns in the same order.
        """
        types = dict(pg_columns(self._conn, rule.layer))
        order = list(types)
        candidates = [rule.id_column, rule.name_column, *ID_COLUMNS, *NAME_COLUMNS]
        found = {find_column(order, [c]) for c in candidates if c} | {
            find_column(order, ["precision"])
        }
        wanted = [c for c in order if c in found or c in rule.where]
        rows = self._feature_rows(rule.layer, wanted)
        frame = pd.DataFrame(
            {
                col: pd.Series([r[3 + i] for r in rows], dtype=PG_TO_PANDAS.get(types[col], object))
                for i, col in enumerate(wanted)
            },
            index=pd.RangeIndex(len(rows)),  # one row per feature, even without columns
        )
        id_column, name_column = labels.columns_for(frame, rule)
        keep = where_mask(frame, rule.where)  # as fzgeo.check.prepare filters
        ids, names = labels.feature_labels(frame, id_column, name_column, keep)
        fids = np.array([r[0] for r in rows], dtype=np.int64)[keep]
        self._fids[rule.id] = fids
        polygonal = np.array([bool(r[1]) for r in rows], dtype=bool)[keep]
        invalid = np.array([bool(r[2]) for r in rows], dtype=bool)
        check.warn_repaired(rule.layer, int(invalid[keep].sum()), stacklevel=5)
        digest, max_vertices = meta
        extent = self._extent(rule.layer, fids)
        empty = pieces.Pieces(
            np.array([], dtype=object), np.array([], dtype=np.int64), digest, max_vertices
        )
        return check.Constraint(
            name=rule.layer,
            polygons=bool(polygonal.any()),
            pieces=empty,
            ids=ids,
            names=names,
            features=int(keep.sum()),
            repaired=int(invalid[keep].sum()),
            extent=extent,
            without_area=tuple(str(i) for i in ids[~polygonal]),
            record=LayerRecord(
                sha256=digest,
                features=len(rows),
                precision=precision_values(frame),
                id_column=id_column,
                name_column=name_column,
            ),
        )

    def _extent(self, layer: str, fids: np.ndarray) -> crs.Bounds:
        """The bounding box of the selected features' pieces, EPSG:4548 metres (NaN if none)."""
        from psycopg import sql

        query = sql.SQL(_EXTENT_SQL).format(pieces=self._pieces[layer])
        row = self._conn.execute(query, {"fids": fids.tolist()}).fetchone()
        x0, y0, x1, y1 = (np.nan if v is None else float(v) for v in row)
        return (x0, y0, x1, y1)

    # -- measuring ------------------------------------------------------------------------------

    def _upload(self, geoms: np.ndarray, cls: np.ndarray) -> None:
        """Copy the prepared sites (work CRS) into the session's temporary table, once."""
        if self._uploaded is geoms:
            return
        from psycopg import sql

        t = sql.Identifier(SITES_TABLE)
        self._conn.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(t))
        self._conn.execute(
            sql.SQL(
                "CREATE TEMPORARY TABLE {} (pos bigint PRIMARY KEY, cls smallint NOT NULL, "
                "geom geometry(Geometry, {}) NOT NULL)"
            ).format(t, crs.WORK_EPSG)
        )
        ewkb = shapely.to_wkb(
            shapely.set_srid(geoms, crs.WORK_EPSG), hex=True, include_srid=True, output_dimension=2
        )
        with self._conn.cursor().copy(
            sql.SQL("COPY {} (pos, cls, geom) FROM STDIN").format(t)
        ) as cp:
            for pos, (c, g) in enumerate(zip(cls.tolist(), ewkb, strict=True)):
                cp.write_row((pos, int(c), g))
        self._conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(t))
        self._conn.execute(sql.SQL("ANALYZE {}").format(t))
        self._uploaded = geoms

    def measure(self, task: Task) -> _overlap.Measure:
        """The local engine's :func:`fzgeo.check._overlap.measure`, computed by PostGIS.

        ``task.nearest`` False looks for distances only within the rule's reach (NaN beyond).
        """
        from psycopg import sql

        geoms, cls, layer, rule = task.geoms, task.cls, task.layer, task.rule
        n = len(geoms)
        fids = self._fids[rule.id]
        names = {
            "sites": sql.Identifier(SITES_TABLE),
            "pieces": self._pieces[rule.layer],
        }
        inside = np.zeros(n)
        parts = np.full(n, None, dtype=object)
        hits: list[tuple[int, int]] = []
        with translated(self.dsn, "check"):
            self._upload(geoms, cls)
            params = {"fids": fids.tolist()}
            if layer.polygons:
                rows = self._conn.execute(sql.SQL(_MEASURE_SQL).format(**names), params)
                for pos, found, amount, wkb in rows.fetchall():
                    inside[pos] = float(amount)
                    parts[pos] = shapely.from_wkb(bytes(wkb))
                    hits.extend((pos, f) for f in found)
            distance = np.where(inside > 0, 0.0, np.nan)
            todo = np.flatnonzero(~(inside > 0))
            limit = None if task.nearest else float(rule.reach_m)
            if len(todo) and limit != 0:
                params_d = {"fids": fids.tolist(), "todo": todo.tolist(), "limit": limit}
                within = sql.SQL(
                    "" if limit is None else "AND ST_DWithin(s.geom, p.geom, %(limit)s)"
                )
                query = sql.SQL(_DISTANCE_SQL).format(within=within, **names)
                rows = self._conn.execute(query, params_d)
                for pos, dist in rows.fetchall():
                    distance[pos] = float(dist)
            if rule.reach_m > 0:
                params_r = {"fids": fids.tolist(), "reach": float(rule.reach_m)}
                rows = self._conn.execute(sql.SQL(_REACH_SQL).format(**names), params_r)
                hits.extend((int(p), int(f)) for p, f in rows.fetchall())
        return _overlap.Measure(inside, parts, distance, _feature_lists(hits, fids, n))


def _feature_lists(hits: list[tuple[int, int]], fids: np.ndarray, n: int) -> list[np.ndarray]:
    """Sorted unique feature positions (in the rule's filtered layer) per site."""
    out = [np.empty(0, dtype=np.int64)] * n
    if not hits:
        return out
    pairs = np.unique(np.array(hits, dtype=np.int64), axis=0)
    positions = np.searchsorted(fids, pairs[:, 1])
    starts = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])
    for a, b in zip(starts, np.r_[starts[1:], len(pairs)], strict=True):
        out[int(pairs[a, 0])] = positions[a:b]
    return out


def run(
    sites: GeoDataFrame,
    dsn: str,
    rule_set: RuleSet | None = None,
    *,
    result_table: str | None = None,
    **options: Any,
) -> check.CheckResult:
    """Run the siting check against the layers in the database ``dsn``.

    Parameters
    ----------
    sites
        Project sites (any CRS), as for :func:`fzgeo.check.run`.
    dsn
        A database the layers were pushed to (``fzgeo db push``).
    rule_set
        The rules; the packaged defaults when None. Each rule's layer is looked up by name in
        the ``fzgeo`` schema; a layer that is not there makes the rule skipped (跳过).
    result_table
        Also store the per-site result table as ``fzgeo."<result_table>"`` (replaced whole, in
        one transaction after the check): the report's table (``report.csv``: Chinese headers,
        the reports' rounding) with the sites' geometry in EPSG:4490.
    options
        As for :func:`fzgeo.check.run` (``point_radius_m``, ``ellipsoidal``, ``progress``).

    Raises
    ------
    DatabaseError
        FZ700/FZ702 when the database cannot be used, FZ701 when the connection is lost: then
        no result table was written.
    """
    options.pop("workers", None)  # the database parallelises itself
    with PostgisEngine(dsn) as engine:
        result = check.run(sites, {}, rule_set, engine=engine, **options)
    result.notes.append("measured in PostGIS")
    if result_table:
        store_result(dsn, result_table, result)
    return result


def result_frame(result: check.CheckResult) -> GeoDataFrame:
    """The per-site table as the reports show it (``report.csv``), with the sites' geometry.

    Chinese headers and rounding from :func:`fzgeo.report.site_table`; a header longer than
    PostgreSQL's 63 bytes names its rule by id instead of its Chinese name (e.g.
    ``eco_redline·重叠面积（平方米）``).
    """
    from fzgeo.report import site_table

    table = site_table(result)
    renamed = {}
    for rule in result.rules.rules:
        prefix = f"{rule.name_zh}·"
        for col in table.columns:
            text = str(col)
            if text.startswith(prefix) and len(text.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
                renamed[col] = f"{rule.id}·{text[len(prefix) :]}"
    table = table.rename(columns=renamed)
    return GeoDataFrame(table, geometry=result.sites.geometry.values, crs=result.sites.crs)


def store_result(dsn: str, table: str, result: check.CheckResult) -> None:
    """Write the per-site result table (:func:`result_frame`) into the ``fzgeo`` schema.

    All or nothing: the table is replaced whole in one transaction.
    """
    from psycopg import sql

    from fzgeo.db.push import prepare, write_layer

    frame = prepare(table, result_frame(result))
    with connect(dsn) as conn, translated(dsn, "storing the check result"):
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
        write_layer(conn, table, frame)
        conn.commit()
