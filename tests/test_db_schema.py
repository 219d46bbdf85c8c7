"""The PostGIS schema QGIS and OGC servers see (issue 19), checked in the database itself.

Typed geometry columns, the QGIS ``layer_styles`` table and its rows, comments, the pieces in
their own schema (and old databases with pieces beside the layers), Z values, ``db pull`` to a
styled GeoPackage and the one DSN rule of the command line. Real PostgreSQL + PostGIS from
``tests/_postgis.py``; what real QGIS makes of it is ``tests/test_db_qgis.py``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest

import shapely
from geopandas import GeoDataFrame
from shapely import LineString, Point, Polygon, box

from fzgeo import crs, io
from fzgeo.check import rules
from fzgeo.cli import main
from fzgeo.db import check as db_check
from fzgeo.db import pull, push
from fzgeo.db.connect import PIECES_SCHEMA, SCHEMA, object_name
from fzgeo.db.styles import STYLE_PREFIX
from fzgeo.errors import RepairWarning
from fzgeo.plan import layers, schema

X0, Y0 = 430_000.0, 3_090_000.0  # EPSG:4548, inside 抚州市
#: QGIS 3.22's layer_styles (QgsPostgresUtils::createStylesTable): column, data type
QGIS_LAYER_STYLES = [
    ("id", "integer"),
    ("f_table_catalog", "character varying"),
    ("f_table_schema", "character varying"),
    ("f_table_name", "character varying"),
    ("f_geometry_column", "character varying"),
    ("stylename", "text"),
    ("styleqml", "xml"),
    ("stylesld", "xml"),
    ("useasdefault", "boolean"),
    ("description", "text"),
    ("owner", "character varying"),
    ("ui", "xml"),
    ("update_time", "timestamp without time zone"),
    ("type", "character varying"),
]


def rows(dsn: str, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return list(conn.execute(query, params).fetchall())


def column_types(dsn: str) -> dict[str, tuple[str, int, int]]:
    found = rows(
        dsn,
        "SELECT f_table_name, type, srid, coord_dimension FROM geometry_columns "
        "WHERE f_table_schema = %s",
        (SCHEMA,),
    )
    return {str(n): (str(t), int(s), int(d)) for n, t, s, d in found}  # type: ignore[call-overload]


def style_rows(dsn: str, table: str) -> list[tuple[object, ...]]:
    return rows(
        dsn,
        "SELECT stylename, useasdefault, styleqml::text, owner, type, f_table_catalog, "
        "f_geometry_column FROM layer_styles WHERE f_table_schema = %s AND f_table_name = %s "
        "ORDER BY id",
        (SCHEMA, table),
    )


def squares(n: int = 2) -> GeoDataFrame:
    geoms = [box(X0 + 200 * i, Y0, X0 + 200 * i + 100, Y0 + 100) for i in range(n)]
    return GeoDataFrame({"name": [f"区块{i}" for i in range(n)]}, geometry=geoms, crs=crs.WORK_CRS)


# -- typed geometry columns --------------------------------------------------------------------


def test_packaged_layers_get_typed_columns(postgis_dsn: str) -> None:
    names = ["eco_redline", "highways", "airports", "transport_stations", "urban_boundary"]
    built = {name: layers.load(name) for name in names}
    # the packaged layers mix singles and multis (or hold singles only): the column is typed
    assert set(built["eco_redline"].geom_type) == {"Polygon", "MultiPolygon"}
    assert set(built["highways"].geom_type) == {"LineString", "MultiLineString"}
    assert set(built["airports"].geom_type) == {"Point", "MultiPoint"}
    assert set(built["transport_stations"].geom_type) == {"Point"}
    assert set(built["urban_boundary"].geom_type) == {"Polygon"}
    done = push.push(built, postgis_dsn)
    assert [d.geometry_type for d in done] == [
        "MultiPolygon",
        "MultiLineString",
        "MultiPoint",
        "Point",
        "MultiPolygon",
    ]
    assert column_types(postgis_dsn) == {
        "eco_redline": ("MULTIPOLYGON", 4490, 2),
        "highways": ("MULTILINESTRING", 4490, 2),
        "airports": ("MULTIPOINT", 4490, 2),
        "transport_stations": ("POINT", 4490, 2),
        "urban_boundary": ("MULTIPOLYGON", 4490, 2),
    }
    listed = pull.listing(postgis_dsn).set_index("name")["geometry_type"].to_dict()
    assert listed["highways"] == "MultiLineString"
    # same coordinates back, singles as one-part multis; every feature valid for its kind
    back = pull.pull(postgis_dsn)
    for name, original in built.items():
        got = back[name]
        assert len(got) == len(original)
        assert shapely.equals(got.geometry.values, original.geometry.values).all(), name
        assert (
            shapely.get_num_coordinates(got.geometry.values)
            == shapely.get_num_coordinates(original.geometry.values)
        ).all(), name
    assert set(back["urban_boundary"].geom_type) == {"MultiPolygon"}


def test_an_empty_layer_takes_its_kinds_type_and_mixed_dimensions_stay_generic(
    postgis_dsn: str,
) -> None:
    empty = schema.empty_layer(layers.kind("highways"))
    mixed = GeoDataFrame(
        {"name": ["line", "point"]},
        geometry=[LineString([(X0, Y0), (X0 + 50, Y0)]), Point(X0, Y0)],
        crs=crs.WORK_CRS,
    )
    push.push({"highways": empty, "mixed": mixed}, postgis_dsn)
    types = column_types(postgis_dsn)
    assert types["highways"] == ("MULTILINESTRING", 4490, 2)
    assert types["mixed"] == ("GEOMETRY", 4490, 2)
    back = pull.pull(postgis_dsn, ["mixed"])["mixed"]
    assert list(back.geom_type) == ["LineString", "Point"]  # a generic column keeps singles


def test_empty_and_null_geometries_fit_the_column(postgis_dsn: str) -> None:
    gdf = GeoDataFrame(
        {"name": ["a", "empty", "null"]},
        geometry=[box(X0, Y0, X0 + 10, Y0 + 10), Polygon(), None],
        crs=crs.WORK_CRS,
    )
    push.push({"holes": gdf}, postgis_dsn)
    assert column_types(postgis_dsn)["holes"][0] == "MULTIPOLYGON"
    found = rows(postgis_dsn, 'SELECT fid, ST_AsText(geom) FROM fzgeo."holes" ORDER BY fid')
    assert found[1:] == [(1, "MULTIPOLYGON EMPTY"), (2, None)]


def test_z_values_are_dropped_with_a_warning_naming_layer_and_count(postgis_dsn: str) -> None:
    gdf = GeoDataFrame(
        {"name": ["flat", "high", "higher"]},
        geometry=[
            box(X0, Y0, X0 + 10, Y0 + 10),
            Polygon([(X0, Y0, 5), (X0 + 10, Y0, 5), (X0 + 10, Y0 + 10, 6), (X0, Y0, 5)]),
            Polygon([(X0, Y0, 7), (X0 + 20, Y0, 7), (X0 + 20, Y0 + 20, 8), (X0, Y0, 7)]),
        ],
        crs=crs.WORK_CRS,
    )
    with pytest.warns(RepairWarning, match=r"\[FZ705\] layer 高程: 2 feature\(s\) carry Z"):
        push.push({"高程": gdf}, postgis_dsn)
    assert column_types(postgis_dsn)["高程"] == ("MULTIPOLYGON", 4490, 2)
    back = pull.pull(postgis_dsn)["高程"]
    assert not shapely.has_z(back.geometry.values).any()
    flat = shapely.force_2d(crs.to_storage(gdf).geometry.values)
    assert shapely.equals(back.geometry.values, flat).all()


def test_z_drop_is_said_by_the_cli(
    postgis_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "z.geojson"
    pts = GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[Point(116.3, 27.9, 40.0), Point(116.4, 27.9)], crs=4490
    )
    io.write(pts, src)
    assert main(["db", "push", "--dsn", postgis_dsn, "--from", str(src), "--as", "wells"]) == 0
    said = capsys.readouterr()
    assert "wells\t2 features\tPoint" in said.out
    assert "warning: [FZ705] layer wells: 1 feature(s) carry Z or M values" in said.err


# -- comments ----------------------------------------------------------------------------------


def test_comments_carry_title_provenance_alias_and_meaning(postgis_dsn: str) -> None:
    push.push({"eco_redline": layers.load("eco_redline"), "mine": squares()}, postgis_dsn)
    table = rows(postgis_dsn, "SELECT obj_description('fzgeo.eco_redline'::regclass)")[0][0]
    assert isinstance(table, str)
    assert table.startswith("生态保护红线（eco_redline）。")
    assert "第八篇 第一章 第一节" in table  # the plan passage
    assert "示意性几何，不是法定边界" in table  # illustrative: says so
    assert "pushed by fzgeo" in table
    comments = dict(
        rows(
            postgis_dsn,
            "SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a "
            "WHERE a.attrelid = 'fzgeo.eco_redline'::regclass AND a.attnum > 0",
        )
    )
    assert comments["function"] == (
        "生态功能 (function): main ecological function, e.g. 水源涵养, 生物多样性维护, 水土保持"
    )
    assert comments["county"] == "所在县（区） (county)"  # no English meaning in the kind
    assert comments["precision"] == (
        "几何精度 (precision): official 官方, surveyed 实测, schematic 示意位置, illustrative 示意"
    )
    assert comments["fid"] is None and comments["geom"] is None
    mine = rows(postgis_dsn, "SELECT obj_description('fzgeo.mine'::regclass)")[0][0]
    assert isinstance(mine, str) and mine.startswith("fzgeo layer mine, 2 features")


# -- QGIS styles -------------------------------------------------------------------------------


def test_layer_styles_is_qgis_table_with_the_geopackage_styles(
    postgis_dsn: str, tmp_path: Path
) -> None:
    names = ["eco_redline", "highways", "admin_boundaries"]
    assert main(["db", "push", "--dsn", postgis_dsn, *names]) == 0
    found = rows(
        postgis_dsn,
        "SELECT table_schema, column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'layer_styles' ORDER BY ordinal_position",
    )
    assert {r[0] for r in found} == {"public"}  # where QGIS looks (the search path)
    assert [(r[1], r[2]) for r in found] == QGIS_LAYER_STYLES
    gpkg = tmp_path / "plan.gpkg"
    assert main(["build", "--out", str(gpkg), *names]) == 0
    with sqlite3.connect(gpkg) as con:
        exported = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())
    dbname = rows(postgis_dsn, "SELECT current_database()")[0][0]
    for name in names:
        (row,) = style_rows(postgis_dsn, name)
        stylename, default, qml, owner, gtype, catalog, column = row
        assert stylename == STYLE_PREFIX + layers.kind(name).name_zh
        assert default is True
        assert gtype is None  # any geometry type: QGIS loads it however the layer is opened
        assert (catalog, column) == (dbname, "geom")
        assert owner == "fzgeo"  # the database user (the test cluster's superuser)
        assert qml == exported[name], f"{name}: the database's QML is not the GeoPackage's"
        assert '<alias field="name" index="1" name="名称" />' in str(qml)


def test_push_again_replaces_fzgeos_style_and_a_users_default_wins(postgis_dsn: str) -> None:
    push.push({"eco_redline": layers.load("eco_redline")}, postgis_dsn)
    with psycopg.connect(postgis_dsn) as conn:  # a planner saves her own default in QGIS
        conn.execute(
            "UPDATE layer_styles SET useasdefault = false WHERE f_table_name = 'eco_redline'"
        )
        conn.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, stylename, styleqml, useasdefault, type) VALUES "
            "(current_database(), 'fzgeo', 'eco_redline', 'geom', 'eco_redline', "
            "XMLPARSE(DOCUMENT '<qgis/>'), true, 'Polygon')"
        )
    push.push({"eco_redline": layers.load("eco_redline")}, postgis_dsn)
    found = [(r[0], r[1]) for r in style_rows(postgis_dsn, "eco_redline")]
    assert found == [("eco_redline", True), (STYLE_PREFIX + "生态保护红线", False)]
    # a layer that no longer satisfies its kind loses fzgeo's style, never the user's
    push.push({"eco_redline": squares()}, postgis_dsn)
    assert [r[0] for r in style_rows(postgis_dsn, "eco_redline")] == ["eco_redline"]
    push.push({"other": squares()}, postgis_dsn)
    assert style_rows(postgis_dsn, "other") == []


def test_a_user_who_may_not_create_layer_styles_still_pushes(postgis_dsn: str) -> None:
    dbname = rows(postgis_dsn, "SELECT current_database()")[0][0]
    role = f"planner_{dbname}"  # roles are cluster-wide: one per test database
    with psycopg.connect(postgis_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT CREATE ON DATABASE "{dbname}" TO "{role}"')
    planner = postgis_dsn.replace("//fzgeo@", f"//{role}@")
    # PostgreSQL 15: only the database owner may create in public
    with pytest.warns(RepairWarning, match=r"\[FZ706\] QGIS styles not stored for 1 layer"):
        push.push({"eco_redline": layers.load("eco_redline")}, planner)
    assert column_types(postgis_dsn)["eco_redline"][0] == "MULTIPOLYGON"
    assert rows(postgis_dsn, "SELECT to_regclass('public.layer_styles')") == [(None,)]
    # the owner creates it (by a push); the planner may read but not write it: still a warning
    with psycopg.connect(postgis_dsn, autocommit=True) as conn:
        conn.execute(f'GRANT USAGE ON SCHEMA fzgeo, fzgeo_pieces TO "{role}"')
    push.push({"highways": layers.load("highways")}, postgis_dsn)
    with psycopg.connect(postgis_dsn, autocommit=True) as conn:
        conn.execute(f'ALTER SCHEMA fzgeo OWNER TO "{role}"')
        conn.execute(f'ALTER SCHEMA fzgeo_pieces OWNER TO "{role}"')
        conn.execute(f'ALTER TABLE fzgeo._layers OWNER TO "{role}"')
        conn.execute(f'ALTER TABLE fzgeo.eco_redline OWNER TO "{role}"')
        conn.execute(f'ALTER TABLE fzgeo_pieces.eco_redline OWNER TO "{role}"')
        conn.execute(f'GRANT SELECT ON public.layer_styles TO "{role}"')
    with pytest.warns(RepairWarning, match=r"\[FZ706\]"):
        push.push({"eco_redline": layers.load("eco_redline")}, planner)
    with psycopg.connect(postgis_dsn, autocommit=True) as conn:
        conn.execute(f'GRANT INSERT, UPDATE, DELETE ON public.layer_styles TO "{role}"')
        conn.execute(f'GRANT USAGE ON SEQUENCE public.layer_styles_id_seq TO "{role}"')
    push.push({"eco_redline": layers.load("eco_redline")}, planner)  # no warning now
    assert [r[0] for r in style_rows(postgis_dsn, "eco_redline")] == [STYLE_PREFIX + "生态保护红线"]


# -- pieces in their own schema, old databases -------------------------------------------------


def test_pieces_live_in_their_own_schema(postgis_dsn: str) -> None:
    push.push({"eco_redline": layers.load("eco_redline"), "mine": squares()}, postgis_dsn)
    in_layers = {r[0] for r in rows(postgis_dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'fzgeo'")}  # fmt: skip
    assert in_layers == {"eco_redline", "mine", "_layers"}
    pieces = {r[0] for r in rows(postgis_dsn, "SELECT tablename FROM pg_tables WHERE schemaname = %s", (PIECES_SCHEMA,))}  # fmt: skip
    assert pieces == {"eco_redline", "mine"}


def _make_old_style(dsn: str, name: str) -> None:
    """Put the pieces of ``name`` where fzgeo before issue 19 kept them."""
    with psycopg.connect(dsn) as conn:
        conn.execute(
            f'ALTER INDEX fzgeo_pieces."{object_name(name, "gix")}" '
            f'RENAME TO "{object_name(name + "__pieces", "gix")}"'
        )
        conn.execute(f'ALTER TABLE fzgeo_pieces."{name}" RENAME TO "{name}__pieces"')
        conn.execute(f'ALTER TABLE fzgeo_pieces."{name}__pieces" SET SCHEMA fzgeo')


def _sites() -> GeoDataFrame:
    return GeoDataFrame(
        {"项目名称": ["甲", "乙"]},
        geometry=[box(X0 + 50, Y0, X0 + 250, Y0 + 50), box(X0 + 5000, Y0, X0 + 5100, Y0 + 100)],
        crs=crs.WORK_CRS,
    )


def test_an_old_database_is_checked_in_place_and_migrated_by_the_next_push(
    postgis_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    veto = rules.from_mapping({"rules": [{"id": "red", "layer": "red", "kind": "veto"}]})
    push.push({"red": squares(3)}, postgis_dsn)
    before = db_check.run(_sites(), postgis_dsn, veto).sites
    _make_old_style(postgis_dsn, "red")
    with psycopg.connect(postgis_dsn) as conn:  # someone's own table that merely looks old
        conn.execute('CREATE TABLE fzgeo."notes__pieces" (fid bigint, repaired boolean, geom text)')
    # the check reads the old table where it is
    old = db_check.run(_sites(), postgis_dsn, veto).sites
    pd.testing.assert_frame_equal(pd.DataFrame(old), pd.DataFrame(before))
    # the next push (of anything) moves it; the output says so
    assert main(["db", "push", "--dsn", postgis_dsn, "admin_boundaries"]) == 0
    out = capsys.readouterr().out
    assert "moved the pieces of 1 layer(s) pushed by an older fzgeo" in out
    assert "red" in out
    tables = {r[0] for r in rows(postgis_dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'fzgeo'")}  # fmt: skip
    assert tables == {"red", "admin_boundaries", "notes__pieces", "_layers"}
    assert rows(postgis_dsn, 'SELECT count(*) FROM fzgeo_pieces."red"')[0][0] > 0
    after = db_check.run(_sites(), postgis_dsn, veto).sites
    pd.testing.assert_frame_equal(pd.DataFrame(after), pd.DataFrame(before))


def test_a_stale_old_pieces_table_beside_a_new_one_is_dropped(postgis_dsn: str) -> None:
    push.push({"red": squares(3)}, postgis_dsn)
    _make_old_style(postgis_dsn, "red")
    push.push({"red": squares(5)}, postgis_dsn)  # an older fzgeo's table is now stale
    with psycopg.connect(postgis_dsn) as conn:  # as if an older fzgeo had pushed meanwhile
        conn.execute('CREATE TABLE fzgeo."red__pieces" AS SELECT * FROM fzgeo_pieces."red"')
        conn.execute('DELETE FROM fzgeo."red__pieces" WHERE fid > 2')
    push.push({"other": squares(1)}, postgis_dsn)
    tables = {r[0] for r in rows(postgis_dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'fzgeo'")}  # fmt: skip
    assert tables == {"red", "other", "_layers"}
    fids = rows(postgis_dsn, 'SELECT max(fid) FROM fzgeo_pieces."red"')
    assert fids == [(4,)]  # the new version's pieces kept


# -- db pull: a styled GeoPackage --------------------------------------------------------------


def test_pull_writes_a_styled_geopackage(postgis_dsn: str, tmp_path: Path) -> None:
    push.push({"eco_redline": layers.load("eco_redline"), "mine": squares()}, postgis_dsn)
    out = tmp_path / "back.gpkg"
    assert main(["db", "pull", "--dsn", postgis_dsn, "--out", str(out)]) == 0
    assert sorted(io.list_layers(out)) == ["eco_redline", "mine"]
    with sqlite3.connect(out) as con:
        styles = con.execute(
            "SELECT f_table_name, styleName, useAsDefault, styleQML FROM layer_styles"
        ).fetchall()
        aliases = dict(
            con.execute(
                "SELECT column_name, name FROM gpkg_data_columns WHERE table_name='eco_redline'"
            ).fetchall()
        )
        described = con.execute(
            "SELECT description FROM gpkg_contents WHERE table_name='eco_redline'"
        ).fetchone()[0]
    assert [(s[0], s[2]) for s in styles] == [("eco_redline", 1)]  # "mine" has no kind
    (db_qml,) = [r[2] for r in style_rows(postgis_dsn, "eco_redline")]
    assert styles[0][3] == db_qml  # the same style as in the database and the build
    assert aliases["name"] == "名称"
    assert "示意性几何" in described
    back = io.read(out, layer="eco_redline")
    assert len(back) == len(layers.load("eco_redline"))


def test_pull_to_other_formats_is_plain(postgis_dsn: str, tmp_path: Path) -> None:
    push.push({"mine": squares(3)}, postgis_dsn)
    out = tmp_path / "mine.geojson"
    assert main(["db", "pull", "--dsn", postgis_dsn, "mine", "--out", str(out)]) == 0
    assert len(io.read(out)) == 3


# -- one DSN rule ------------------------------------------------------------------------------


def _site_file(tmp_path: Path) -> Path:
    return io.write(crs.to_storage(_sites()), tmp_path / "sites.gpkg")


def _engine_of(out: Path) -> str:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return str(summary["audit"]["engine"]["name"])


def test_db_commands_read_fzgeo_dsn(
    postgis_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FZGEO_DSN", postgis_dsn)
    assert main(["db", "push", "admin_boundaries"]) == 0
    capsys.readouterr()
    assert main(["db", "list"]) == 0
    assert "admin_boundaries" in capsys.readouterr().out
    monkeypatch.delenv("FZGEO_DSN")
    with pytest.raises(SystemExit) as info:
        main(["db", "list"])
    assert info.value.code == 2
    assert "--dsn" in capsys.readouterr().err


def test_check_measures_here_unless_asked_even_with_fzgeo_dsn(
    postgis_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sites = _site_file(tmp_path)
    base = ["check", str(sites), "--no-progress", "--site-maps", "none"]
    # no --dsn, no FZGEO_DSN: here, as always
    monkeypatch.delenv("FZGEO_DSN", raising=False)
    assert main([*base, "--out", str(tmp_path / "plain")]) in (0, 1)
    assert _engine_of(tmp_path / "plain") == "local"
    assert "FZGEO_DSN" not in capsys.readouterr().err
    # FZGEO_DSN set: still here (the packaged layers), and the check says so
    monkeypatch.setenv("FZGEO_DSN", postgis_dsn)
    assert main([*base, "--out", str(tmp_path / "env")]) in (0, 1)
    assert _engine_of(tmp_path / "env") == "local"
    assert "note: $FZGEO_DSN is set, but the check runs here" in capsys.readouterr().err
    # --engine postgis takes the database from FZGEO_DSN
    assert main(["db", "push", "eco_redline"]) == 0
    # (exit 3: the rules whose layers were not pushed are skipped)
    assert main([*base, "--engine", "postgis", "--out", str(tmp_path / "db")]) in (0, 1, 3)
    assert _engine_of(tmp_path / "db") == "postgis"
    # --dsn alone chooses PostGIS, whatever FZGEO_DSN says
    monkeypatch.setenv("FZGEO_DSN", "postgresql://nobody@127.0.0.1:1/none")
    assert main([*base, "--dsn", postgis_dsn, "--out", str(tmp_path / "dsn")]) in (0, 1, 3)
    assert _engine_of(tmp_path / "dsn") == "postgis"


def test_check_engine_options_that_cannot_work_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = _site_file(tmp_path)
    base = ["check", str(sites), "--no-progress", "--out", str(tmp_path / "o")]
    monkeypatch.delenv("FZGEO_DSN", raising=False)
    assert main([*base, "--engine", "postgis"]) == 2
    err = capsys.readouterr().err
    assert "[FZ707] --engine postgis needs a database: give --dsn or set $FZGEO_DSN" in err
    assert main([*base, "--engine", "local", "--dsn", "postgresql://x@/y"]) == 2
    assert "--engine local does not take --dsn" in capsys.readouterr().err
    assert main([*base, "--engine", "postgis", "--workers", "2"]) == 2
    assert "--engine postgis does not take --workers/--scheduler" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_check_help_states_the_dsn_rule(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--engine {local,postgis,dask}" in text
    assert "$FZGEO_DSN alone never chooses postgis" in text
    assert "default with --engine postgis: $FZGEO_DSN" in text


def test_geometry_fit_keeps_coordinates() -> None:
    from fzgeo.db import geometry

    geoms = np.array(
        [box(0, 0, 1, 1), Point(1, 2), None, shapely.multipoints([(0, 0), (1, 1)])], dtype=object
    )
    assert geometry.column_type(geoms) == geometry.GENERIC
    points = geoms[[1, 3]]
    assert geometry.column_type(points) == "MultiPoint"
    fitted = geometry.fit(points, "MultiPoint")
    assert [g.geom_type for g in fitted] == ["MultiPoint", "MultiPoint"]
    assert shapely.equals(fitted, points).all()
