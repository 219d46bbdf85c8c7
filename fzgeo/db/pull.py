"""``fzgeo db pull`` and ``fzgeo db list``: read pushed layers back out of PostGIS.

:func:`pull` returns each layer as it was pushed: the same features in the same order (by
``fid``), the same attribute columns, geometries in EPSG:4490 with the same coordinates, typed as
the table's column holds them (a single polygon or line comes back as a one-part MultiPolygon or
MultiLineString, see :mod:`fzgeo.db.geometry`; Z values were dropped by the push). A layer whose name is a packaged
layer kind (and satisfied it when pushed) is validated against that kind, so what comes back is a
proper fzgeo layer. :func:`pull_to_file` writes them into a file, a GeoPackage styled for QGIS.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame

from fzgeo import crs
from fzgeo.db.connect import META_TABLE, SCHEMA, connect, table_exists, translated
from fzgeo.errors import DatabaseError
from fzgeo.plan import schema

if TYPE_CHECKING:
    from fzgeo.check.constraints import ConstraintLayers
    from fzgeo.check.rules import RuleSet

PG_TO_PANDAS = {
    "bigint": "Int64",
    "integer": "Int64",
    "smallint": "Int64",
    "double precision": "float64",
    "real": "float64",
    "numeric": "float64",
    "boolean": "boolean",
}


def listing(dsn: str) -> pd.DataFrame:
    """One row per pushed layer: name, kind, features, pieces, sha256, pushed_at, comment."""
    from psycopg import sql

    cols = ["name", "kind", "name_zh", "geometry_type", "features", "pieces", "max_vertices"]
    cols += ["sha256", "pushed_at", "fzgeo_version", "comment"]
    with connect(dsn) as conn, translated(dsn, "list"):
        if not table_exists(conn, META_TABLE):
            return pd.DataFrame(columns=cols)
        rows = conn.execute(
            sql.SQL("SELECT {} FROM {}.{} ORDER BY name").format(
                sql.SQL(", ").join(map(sql.Identifier, cols)),
                sql.Identifier(SCHEMA),
                sql.Identifier(META_TABLE),
            )
        ).fetchall()
    return pd.DataFrame(rows, columns=cols)


def pg_columns(conn: Any, table: str) -> list[tuple[str, str]]:
    """(name, PostgreSQL type) of a pushed table's attribute columns, in order."""
    rows = conn.execute(
        """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position
        """,
        (SCHEMA, table),
    ).fetchall()
    return [(str(n), str(t)) for n, t in rows if n not in ("fid", "geom")]


def read_table(conn: Any, name: str) -> GeoDataFrame:
    """One pushed layer as a GeoDataFrame in EPSG:4490, in ``fid`` order."""
    from psycopg import sql

    if not table_exists(conn, name):
        msg = f"no layer {name!r} in schema {SCHEMA!r}"
        raise DatabaseError(msg, code="FZ703", where=f"layer {name}")
    columns = pg_columns(conn, name)
    query = sql.SQL("SELECT {}, ST_AsBinary(geom) FROM {}.{} ORDER BY fid").format(
        sql.SQL(", ").join(
            [*(sql.Identifier(c) for c, _ in columns)] or [sql.SQL("NULL")]  # type: ignore[list-item]
        ),
        sql.Identifier(SCHEMA),
        sql.Identifier(name),
    )
    rows = conn.execute(query).fetchall()
    data: dict[str, Any] = {}
    for i, (col, pg_type) in enumerate(columns):
        values = [r[i] for r in rows]
        dtype = PG_TO_PANDAS.get(pg_type)
        data[col] = pd.Series(values, dtype=dtype) if dtype else pd.Series(values, dtype=object)
    blobs = np.array([None if r[-1] is None else bytes(r[-1]) for r in rows], dtype=object)
    geoms = shapely.from_wkb(blobs) if len(blobs) else []
    return GeoDataFrame(data, geometry=geoms, crs=crs.STORAGE_CRS)


def pull(dsn: str, names: Iterable[str] | None = None) -> dict[str, GeoDataFrame]:
    """The layers ``names`` (default: every pushed layer) from the database.

    Raises
    ------
    DatabaseError
        FZ700/FZ702 when the database cannot be used, FZ703 when a named layer is not there.
    """
    table = listing(dsn)
    kinds = dict(zip(table["name"], table["kind"], strict=True))
    wanted = list(names) if names is not None else list(table["name"])
    out: dict[str, GeoDataFrame] = {}
    with connect(dsn) as conn, translated(dsn, "pull"):
        for name in wanted:
            gdf = read_table(conn, name)
            out[name] = _validated(name, gdf, kinds.get(name))
    return out


def constraint_layers(dsn: str, rule_set: RuleSet) -> ConstraintLayers:
    """The rules' constraint layers as pushed to the database (``None`` for a layer not pushed).

    What the PostGIS engine's report draws: its measuring reads the tables themselves.
    """
    from fzgeo.check.constraints import ConstraintLayers

    present = set(listing(dsn)["name"])
    wanted = [name for name in rule_set.layers() if name in present]
    found: dict[str, GeoDataFrame | None] = dict.fromkeys(rule_set.layers())
    found.update(pull(dsn, wanted))
    return ConstraintLayers(found)


def pull_to_file(
    dsn: str, out: str | Path, names: Iterable[str] | None = None
) -> dict[str, GeoDataFrame]:
    """Pull layers into one file; a GeoPackage comes styled for QGIS.

    A GeoPackage (``.gpkg``) is written by :func:`fzgeo.qgis.export.write_qgis` (replaced whole,
    atomically): each layer pushed as a packaged layer kind gets the kind's default style,
    Chinese aliases and abstract in the file's ``layer_styles`` and ``gpkg_data_columns``,
    exactly as ``fzgeo build`` writes them; other layers are written plain. Any other format
    is written by :func:`fzgeo.io.write` (one layer unless the format holds several).

    Returns
    -------
    dict
        The layers written, by name (empty: nothing in the database, and no file written).
    """
    from fzgeo import io
    from fzgeo.plan import layers
    from fzgeo.qgis.export import write_qgis

    out = Path(out)
    data = pull(dsn, names)
    if not data:
        return data
    if out.suffix.lower() == ".gpkg":
        table = listing(dsn)
        kinds = dict(zip(table["name"], table["kind"], strict=True))
        specs = {
            name: (layers.kind(name), None)
            for name in data
            if kinds.get(name) == name and name in layers.available()
        }
        write_qgis(data, out, specs=specs, with_project=False)
    elif len(data) > 1:
        io.write(data, out)
    else:
        ((name, gdf),) = data.items()
        io.write(gdf, out, layer=name)
    return data


def _validated(name: str, gdf: GeoDataFrame, kind: str | None) -> GeoDataFrame:
    """Validate against the packaged layer kind the layer was pushed as, if any."""
    from fzgeo.plan import layers

    if not kind or pd.isna(kind) or kind not in layers.available():
        return gdf
    return schema.validate(gdf, layers.kind(kind), path=f"database layer {name}")
