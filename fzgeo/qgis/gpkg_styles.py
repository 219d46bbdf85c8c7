"""Store QGIS styles, Chinese field aliases and layer abstracts inside a GeoPackage.

For each layer (a table registered in ``gpkg_contents``) :func:`style_geopackage` writes

- a row of the ``layer_styles`` table QGIS reads (QML and SLD, ``useAsDefault=1``), so QGIS
  draws the layer styled as soon as it is opened; the table is created in QGIS's layout and
  registered in ``gpkg_contents`` as an ``attributes`` table, as QGIS itself does;
- the Chinese alias of every column into ``gpkg_data_columns`` (``name`` and ``title``; the
  ``gpkg_schema`` extension, which GDAL 3.7+ reads as field alternative names), with the coded values
  of ``precision``/``status`` as ``enum`` constraints labelled in Chinese;
- the abstract (plan passage and precision) into ``gpkg_contents.description`` and as QGIS layer
  metadata into ``gpkg_metadata`` (the ``gpkg_metadata`` extension), which QGIS loads as the
  layer's metadata.

A style written earlier for the same layer and name is replaced, not duplicated. All changes to
one file happen in one SQLite transaction. The geometry column is read from
``gpkg_geometry_columns``, never assumed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from fzgeo.errors import ConfigError, DataNotFoundError, InputError, UnknownLayerError
from fzgeo.plan.schema import LayerKind
from fzgeo.qgis import qml, sld
from fzgeo.qgis.layerinfo import DataSummary, LayerInfo, from_aliases, from_kind
from fzgeo.styles import Style

GPKG_APPLICATION_ID = 0x47504B47
STYLE_NAME_MAX = 30
QGIS_METADATA_URI = "http://mrcc.com/qgis.dtd"
SCHEMA_EXTENSION = "http://www.geopackage.org/spec120/#extension_schema"
METADATA_EXTENSION = "http://www.geopackage.org/spec120/#extension_metadata"

_DDL = {
    "layer_styles": """CREATE TABLE layer_styles (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256),
        f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
        useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
        update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))""",
    "gpkg_extensions": """CREATE TABLE gpkg_extensions (
        table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
        definition TEXT NOT NULL, scope TEXT NOT NULL,
        CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))""",
    "gpkg_data_columns": """CREATE TABLE gpkg_data_columns (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
        description TEXT, mime_type TEXT, constraint_name TEXT,
        CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
        CONSTRAINT gdc_tn UNIQUE (table_name, name))""",
    "gpkg_data_column_constraints": """CREATE TABLE gpkg_data_column_constraints (
        constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT,
        min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN,
        description TEXT,
        CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))""",
    "gpkg_metadata": """CREATE TABLE gpkg_metadata (
        id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
        md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL,
        mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')""",
    "gpkg_metadata_reference": """CREATE TABLE gpkg_metadata_reference (
        reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT,
        row_id_value INTEGER,
        timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        md_file_id INTEGER NOT NULL, md_parent_id INTEGER,
        CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
        CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id))""",
}
_EXTENSIONS = {
    "gpkg_data_columns": ("gpkg_schema", SCHEMA_EXTENSION),
    "gpkg_data_column_constraints": ("gpkg_schema", SCHEMA_EXTENSION),
    "gpkg_metadata": ("gpkg_metadata", METADATA_EXTENSION),
    "gpkg_metadata_reference": ("gpkg_metadata", METADATA_EXTENSION),
}
_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

#: What to style: a LayerKind (aliases, description, style key) or an alias mapping, and the
#: Style (``None``: the kind's own).
LayerSpec = tuple[LayerKind | Mapping[str, str], Style | None]


def _exists(con: sqlite3.Connection, table: str) -> bool:
    sql = "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?"
    return con.execute(sql, (table,)).fetchone() is not None


def _ensure(con: sqlite3.Connection, table: str) -> None:
    if not _exists(con, table):
        con.execute(_DDL[table])
    if table in _EXTENSIONS:
        if not _exists(con, "gpkg_extensions"):
            con.execute(_DDL["gpkg_extensions"])
        name, definition = _EXTENSIONS[table]
        sql = (
            "SELECT 1 FROM gpkg_extensions WHERE table_name=? AND column_name IS NULL "
            "AND extension_name=?"
        )
        if con.execute(sql, (table, name)).fetchone() is None:
            con.execute(
                "INSERT INTO gpkg_extensions VALUES (?, NULL, ?, ?, 'read-write')",
                (table, name, definition),
            )
    if table == "layer_styles":
        found = con.execute("SELECT 1 FROM gpkg_contents WHERE table_name='layer_styles'")
        if found.fetchone() is None:
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
                f"last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', "
                f"'QGIS layer styles', {_NOW})"
            )


def geometry_column(con: sqlite3.Connection, table: str) -> str | None:
    """The geometry column of ``table`` from ``gpkg_geometry_columns`` (``None``: no geometry)."""
    row = con.execute(
        "SELECT column_name FROM gpkg_geometry_columns WHERE table_name=?", (table,)
    ).fetchone()
    return None if row is None else str(row[0])


def fields(con: sqlite3.Connection, table: str) -> list[str]:
    """The attribute fields of ``table`` as QGIS lists them: every column but the geometry."""
    geom = geometry_column(con, table)
    names = [str(r[1]) for r in con.execute(f'PRAGMA table_info("{_quote(table)}")')]
    return [n for n in names if n != geom]


def _quote(name: str) -> str:
    return name.replace('"', '""')


def summarise(con: sqlite3.Connection, table: str) -> DataSummary:
    """Feature count, precision mix and plan passages of ``table`` (for its abstract)."""
    cols = set(fields(con, table))
    t = f'"{_quote(table)}"'
    count = int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
    precision: dict[str, int] = {}
    if "precision" in cols:
        sql = f"SELECT precision, count(*) FROM {t} WHERE precision IS NOT NULL GROUP BY 1"
        precision = {str(p): int(n) for p, n in con.execute(sql)}
    sources: list[str] = []
    if "source" in cols:
        sql = f"SELECT source FROM {t} WHERE source IS NOT NULL GROUP BY 1 ORDER BY min(rowid)"
        sources = [str(r[0]) for r in con.execute(sql)]
    lines: list[int] = []
    if "source_line" in cols:
        sql = f"SELECT DISTINCT source_line FROM {t} WHERE source_line IS NOT NULL ORDER BY 1"
        lines = [int(r[0]) for r in con.execute(sql)]
    return DataSummary(features=count, precision=precision, sources=sources, lines=lines)


def _write_style(con: sqlite3.Connection, info: LayerInfo, names: Sequence[str]) -> None:
    _ensure(con, "layer_styles")
    style_name = info.name[:STYLE_NAME_MAX]
    con.execute(
        "DELETE FROM layer_styles WHERE f_table_name=? AND styleName=?", (info.name, style_name)
    )
    con.execute("UPDATE layer_styles SET useAsDefault=0 WHERE f_table_name=?", (info.name,))
    con.execute(
        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
        "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, "
        "ui) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, 'fzgeo', NULL)",
        (
            info.name,
            geometry_column(con, info.name) or "",
            style_name,
            qml.qml(info, names),
            sld.sld(info, with_labels=info.style.label in names),
            info.abstract,
        ),
    )


def _unique_alias(alias: str, column: str, taken: set[str]) -> str:
    name = alias if alias not in taken else f"{alias}（{column}）"
    taken.add(name)
    return name


def _write_aliases(
    con: sqlite3.Connection, info: LayerInfo, names: Sequence[str], notes: Mapping[str, str]
) -> None:
    _ensure(con, "gpkg_data_columns")
    _ensure(con, "gpkg_data_column_constraints")
    con.execute("DELETE FROM gpkg_data_columns WHERE table_name=?", (info.name,))
    taken: set[str] = set()
    for column in names:
        alias = info.aliases.get(column)
        if not alias:
            continue
        constraint = None
        labels = info.value_labels.get(column)
        if labels:
            constraint = f"fzgeo_{column}"
            con.execute(
                "DELETE FROM gpkg_data_column_constraints WHERE constraint_name=?", (constraint,)
            )
            con.executemany(
                "INSERT INTO gpkg_data_column_constraints (constraint_name, constraint_type, "
                "value, description) VALUES (?, 'enum', ?, ?)",
                [(constraint, value, label) for value, label in labels.items()],
            )
        con.execute(
            "INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description, "
            "constraint_name) VALUES (?, ?, ?, ?, ?, ?)",
            (
                info.name,
                column,
                _unique_alias(alias, column, taken),
                alias,
                notes.get(column) or None,
                constraint,
            ),
        )


def _write_abstract(con: sqlite3.Connection, info: LayerInfo) -> None:
    con.execute(
        "UPDATE gpkg_contents SET description=?, identifier=? WHERE table_name=?",
        (info.abstract, info.title, info.name),
    )
    _ensure(con, "gpkg_metadata")
    _ensure(con, "gpkg_metadata_reference")
    old = [
        r[0]
        for r in con.execute(
            "SELECT md_file_id FROM gpkg_metadata_reference JOIN gpkg_metadata "
            "ON gpkg_metadata.id = md_file_id WHERE reference_scope='table' AND table_name=? "
            "AND md_standard_uri=?",
            (info.name, QGIS_METADATA_URI),
        )
    ]
    for md_id in old:
        con.execute("DELETE FROM gpkg_metadata_reference WHERE md_file_id=?", (md_id,))
        con.execute("DELETE FROM gpkg_metadata WHERE id=?", (md_id,))
    cur = con.execute(
        "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
        "VALUES ('dataset', ?, 'text/xml', ?)",
        (QGIS_METADATA_URI, qml.to_string(qml.metadata(info))),
    )
    con.execute(
        "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id) "
        "VALUES ('table', ?, ?)",
        (info.name, cur.lastrowid),
    )


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise DataNotFoundError("GeoPackage not found", path=path)
    con = sqlite3.connect(path, isolation_level=None)  # transactions are explicit
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        con.close()
        raise InputError(f"not a GeoPackage ({exc})", path=path) from exc
    if app_id != GPKG_APPLICATION_ID:
        con.close()
        raise InputError("not a GeoPackage (application_id is not 'GPKG')", path=path)
    return con


def _info(
    con: sqlite3.Connection, table: str, spec: LayerSpec, description: str, group: str
) -> LayerInfo:
    what, style = spec
    summary = summarise(con, table)
    if isinstance(what, LayerKind):
        info = from_kind(what, summary, name=table)
        return info if style is None else replace(info, style=style)
    if style is None:
        msg = f"layer {table!r}: a Style is required when only aliases are given"
        raise ConfigError(msg)
    return from_aliases(table, what, style, summary, description=description, group=group)


def style_geopackage(
    path: str | Path,
    layers: Mapping[str, LayerSpec],
    *,
    descriptions: Mapping[str, str] | None = None,
    groups: Mapping[str, str] | None = None,
) -> list[LayerInfo]:
    """Store styles, Chinese aliases and abstracts for ``layers`` in the GeoPackage ``path``.

    Parameters
    ----------
    path
        An existing GeoPackage holding the layers (tables) named in ``layers``.
    layers
        Table name -> (``LayerKind`` or column -> Chinese alias mapping, ``Style`` or ``None``
        for the kind's own style).
    descriptions
        Table name -> description for the abstract of layers given by aliases (a kind brings
        its own).
    groups
        Table name -> layer group in the QGIS project, for layers given by an alias mapping.

    Returns
    -------
    list of LayerInfo
        What was stored, in the order given; :func:`fzgeo.qgis.project.write_project` takes it.

    Raises
    ------
    DataNotFoundError
        The file is missing.
    InputError
        The file is not a GeoPackage.
    ConfigError
        A layer given by aliases has no style.
    UnknownLayerError
        A named layer is not in the GeoPackage.
    """
    path = Path(path)
    con = _connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")  # DDL included: all or nothing
        present = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
        missing = sorted(set(layers) - present)
        if missing:
            msg = f"layers {missing} not in the GeoPackage; it holds {sorted(present)}"
            raise UnknownLayerError(msg, path=path)
        infos = []
        for table, spec in layers.items():
            description = (descriptions or {}).get(table, "")
            info = _info(con, table, spec, description, (groups or {}).get(table, ""))
            names = fields(con, table)
            _write_style(con, info, names)
            _write_aliases(con, info, names, _column_notes(spec[0]))
            _write_abstract(con, info)
            infos.append(info)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return infos


def _column_notes(what: LayerKind | Mapping[str, str]) -> dict[str, str]:
    if isinstance(what, LayerKind):
        return {c.name: c.description for c in what.all_columns if c.description}
    return {}
