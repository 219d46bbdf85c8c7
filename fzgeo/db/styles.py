"""QGIS default styles in the database: the ``layer_styles`` table QGIS itself reads and writes.

QGIS's PostgreSQL provider looks for a table called ``layer_styles`` on the connection's search
path (``public`` by default) and, when it opens a layer, loads the row for that database, schema,
table and geometry column with ``useasdefault`` true. :func:`write_style` stores there, for each
pushed layer of a packaged layer kind, the same QML (symbols, labels, Chinese field aliases and
value labels, scale visibility) and SLD the GeoPackage export stores
(:mod:`fzgeo.qgis.gpkg_styles`), built by the same functions from the same layer description.

- The table is created in QGIS's layout (``id`` serial, ``f_table_catalog`` ... ``type``) when
  it does not exist; an existing one (created by QGIS or a DBA) is used as it is.
- fzgeo's row is named ``fzgeo: <中文名>`` and replaced at every push; it is the default unless
  another style of the same layer is (a style a user saved as default in QGIS stays the
  default; fzgeo's is still listed under its name).
- ``type`` (QGIS's geometry-type filter) is left empty, which QGIS reads as "any": the style
  then loads however the layer is opened (from the browser, with or without ``type=`` in the URI).
- When the table does not exist and the user may not create it (PostgreSQL 15 grants CREATE on
  ``public`` to the database owner only), or it exists and the user may not write it, the layers
  are still pushed and a warning (FZ706) says the styles were not stored.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from geopandas import GeoDataFrame

from fzgeo.db.connect import SCHEMA
from fzgeo.errors import RepairWarning
from fzgeo.plan.schema import LayerKind
from fzgeo.qgis import qml, sld
from fzgeo.qgis.layerinfo import DataSummary, LayerInfo, from_kind

STYLES_TABLE = "layer_styles"  #: QGIS's table name
STYLE_PREFIX = "fzgeo: "  #: fzgeo's rows are named ``fzgeo: <中文名>``
GEOMETRY_COLUMN = "geom"  #: every pushed table's geometry column
#: QGIS 3.22's own DDL (QgsPostgresUtils::createStylesTable), schema-qualified.
_DDL = """
CREATE TABLE public.layer_styles (
    id SERIAL PRIMARY KEY,
    f_table_catalog varchar,
    f_table_schema varchar,
    f_table_name varchar,
    f_geometry_column varchar,
    stylename text,
    styleqml xml,
    stylesld xml,
    useasdefault boolean,
    description text,
    owner varchar(63) DEFAULT CURRENT_USER,
    ui xml,
    update_time timestamp DEFAULT CURRENT_TIMESTAMP,
    type varchar
)
"""


def summary(gdf: GeoDataFrame) -> DataSummary:
    """Feature count, precision mix and plan passages of a layer, for its abstract.

    The same summary :func:`fzgeo.qgis.gpkg_styles.summarise` takes from a GeoPackage table:
    sources in order of first appearance, distinct source lines sorted.
    """
    cols = set(gdf.columns)
    precision: dict[str, int] = {}
    if "precision" in cols:
        counts = gdf["precision"].dropna().astype(str).value_counts()
        precision = {str(k): int(v) for k, v in counts.items()}
    sources: list[str] = []
    if "source" in cols:
        sources = [str(v) for v in pd.unique(gdf["source"].dropna().astype(str))]
    lines: list[int] = []
    if "source_line" in cols:
        lines = sorted({int(v) for v in gdf["source_line"].dropna()})
    return DataSummary(features=len(gdf), precision=precision, sources=sources, lines=lines)


def layer_info(name: str, gdf: GeoDataFrame, kind: LayerKind) -> LayerInfo:
    """What QGIS is told about the pushed layer ``name`` (the GeoPackage export's description)."""
    return from_kind(kind, summary(gdf), name=name)


def fields(gdf: GeoDataFrame) -> list[str]:
    """The attribute fields QGIS lists for a pushed table: ``fid`` and the columns, in order."""
    return ["fid", *(str(c) for c in gdf.columns if c != gdf.geometry.name)]


def styles_table(conn: Any) -> Any:
    """The ``layer_styles`` table QGIS will read, created if needed; ``None`` if impossible.

    The table QGIS finds is the one an unqualified ``layer_styles`` names on the search path
    (``None`` if this user may not write it); when there is none, ``public.layer_styles`` is
    created if the user may.
    """
    from psycopg import sql

    row = conn.execute(
        "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass(%s)",
        (STYLES_TABLE,),
    ).fetchone()
    if row is not None:
        name = sql.SQL("{}.{}").format(sql.Identifier(row[0]), sql.Identifier(STYLES_TABLE))
        qualified = name.as_string(conn)
        rights = conn.execute(
            "SELECT has_table_privilege(%(t)s, 'SELECT') AND has_table_privilege(%(t)s, 'INSERT') "
            "AND has_table_privilege(%(t)s, 'DELETE') AND has_table_privilege(%(t)s, 'UPDATE') "
            "AND coalesce(has_sequence_privilege(pg_get_serial_sequence(%(t)s, 'id'), 'USAGE'), "
            "true)",
            {"t": qualified},
        ).fetchone()
        return name if rights and rights[0] else None
    allowed = conn.execute(
        "SELECT has_schema_privilege('public', 'CREATE') FROM pg_namespace WHERE nspname = 'public'"
    ).fetchone()
    if not (allowed and allowed[0]):
        return None
    conn.execute(_DDL)
    return sql.SQL("public.{}").format(sql.Identifier(STYLES_TABLE))


def warn_not_stored(layers: list[str]) -> None:
    """The FZ706 warning: no ``layer_styles`` table and no right to create one."""
    warnings.warn(
        f"[FZ706] QGIS styles not stored for {len(layers)} layer(s) ({', '.join(layers[:5])}"
        f"{' ...' if len(layers) > 5 else ''}): the database has no layer_styles table and this "
        "user may not create public.layer_styles; the layers were pushed and open unstyled "
        "(hint: run `fzgeo db push` once as the database owner, or GRANT CREATE ON SCHEMA public)",
        RepairWarning,
        stacklevel=3,
    )


def _where(table: str) -> tuple[str, tuple[Any, ...]]:
    clause = (
        "f_table_catalog = current_database() AND f_table_schema = %s AND f_table_name = %s "
        "AND f_geometry_column = %s"
    )
    return clause, (SCHEMA, table, GEOMETRY_COLUMN)


def remove_style(conn: Any, target: Any, table: str) -> None:
    """Delete fzgeo's style rows of ``fzgeo."<table>"`` (a user's own styles stay)."""
    from psycopg import sql

    clause, params = _where(table)
    conn.execute(
        sql.SQL("DELETE FROM {} WHERE " + clause + " AND stylename LIKE %s").format(target),
        (*params, STYLE_PREFIX + "%"),
    )


def write_style(conn: Any, target: Any, info: LayerInfo, names: list[str]) -> None:
    """Store the layer's QML and SLD in ``target`` (:func:`styles_table`) as fzgeo's style row.

    The row is the default unless a user's style of the same layer already is.
    """
    from psycopg import sql

    remove_style(conn, target, info.name)
    clause, params = _where(info.name)
    taken = conn.execute(
        sql.SQL("SELECT 1 FROM {} WHERE " + clause + " AND useasdefault").format(target), params
    ).fetchone()
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
            "stylename, styleqml, stylesld, useasdefault, description, owner, ui, update_time, "
            "type) VALUES (current_database(), %s, %s, %s, %s, XMLPARSE(DOCUMENT %s), "
            "XMLPARSE(DOCUMENT %s), %s, %s, CURRENT_USER, NULL, CURRENT_TIMESTAMP, NULL)"
        ).format(target),
        (
            *params,
            STYLE_PREFIX + info.title,
            qml.qml(info, names),
            sld.sld(info, with_labels=info.style.label in names),
            taken is None,
            info.abstract,
        ),
    )


def column_comment(kind: LayerKind, column: str) -> str | None:
    """``COMMENT ON COLUMN`` text: the Chinese alias and the English meaning (None: unknown)."""
    from fzgeo.qgis.layerinfo import VALUE_LABELS

    found = {c.name: c for c in kind.all_columns}.get(column)
    if found is None or not found.alias_zh:
        return None
    labels = VALUE_LABELS.get(column)
    meaning = (
        ", ".join(f"{value} {label}" for value, label in labels.items())
        if labels
        else found.description
    )
    return f"{found.alias_zh} ({column}): {meaning}" if meaning else f"{found.alias_zh} ({column})"
