"""PostGIS backend: push/pull round trips, safe SQL, transactional writes, clear errors.

Runs against the throwaway PostgreSQL + PostGIS cluster of ``tests/_postgis.py`` (never skipped).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest

from geopandas import GeoDataFrame
from shapely import LineString, Point, box

from fzgeo import crs, io
from fzgeo.cli import main
from fzgeo.db import pull, push
from fzgeo.db.connect import PIECES_SCHEMA, SCHEMA, TEMP_PREFIX, redact
from fzgeo.errors import DatabaseError, InputError
from fzgeo.plan import layers

X0, Y0 = 430_000.0, 3_090_000.0  # EPSG:4548, inside 抚州市
HOSTILE = 'red"; DROP SCHEMA fzgeo CASCADE; --'


def sample_layer(n: int = 3) -> GeoDataFrame:
    geoms = [box(X0 + 200 * i, Y0, X0 + 200 * i + 100, Y0 + 100) for i in range(n)]
    return GeoDataFrame(
        {
            "name": [f"区块{i}" for i in range(n)],
            "count": pd.array(range(n), dtype="Int64"),
            "weight": [0.5 * i for i in range(n)],
            "flag": pd.array([True, False, None][:n] + [True] * max(0, n - 3), dtype="boolean"),
        },
        geometry=geoms,
        crs=crs.WORK_CRS,
    )


def tables(dsn: str, schema: str = SCHEMA) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))
        return {r[0] for r in rows.fetchall()}


def test_packaged_layer_round_trip(postgis_dsn: str) -> None:
    original = layers.load("admin_boundaries")
    done = push.push({"admin_boundaries": original}, postgis_dsn)
    assert done[0].features == len(original)
    assert done[0].pieces > len(original)  # the county polygons are cut into pieces
    back = pull.pull(postgis_dsn)["admin_boundaries"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(original.drop(columns="geometry")), pd.DataFrame(back.drop(columns="geometry"))
    )
    assert back.crs.equals(crs.STORAGE_CRS)
    assert back.geometry.geom_equals_exact(original.geometry, 0).all()


def test_tables_have_srid_indexes_comments_and_pieces(postgis_dsn: str) -> None:
    original = layers.load("admin_boundaries")
    push.push({"admin_boundaries": original}, postgis_dsn, max_vertices=64)
    with psycopg.connect(postgis_dsn) as conn:
        columns = conn.execute(
            "SELECT f_table_schema, f_table_name, type, srid FROM geometry_columns "
            "WHERE f_table_schema LIKE 'fzgeo%%' ORDER BY 1"
        ).fetchall()
        assert columns == [
            (SCHEMA, "admin_boundaries", "MULTIPOLYGON", 4490),
            (PIECES_SCHEMA, "admin_boundaries", "GEOMETRY", 4548),
        ]
        gist = conn.execute(
            "SELECT schemaname, tablename FROM pg_indexes WHERE indexdef LIKE %s ORDER BY 1",
            ("%USING gist%",),
        ).fetchall()
        assert gist == [(s, t) for s, t, _, _ in columns]
        key = conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
            ('fzgeo."admin_boundaries"',),
        ).fetchall()
        assert key == [("fid",)]
        comment = conn.execute(
            "SELECT obj_description(%s::regclass)", ('fzgeo."admin_boundaries"',)
        ).fetchone()[0]
        assert comment.startswith("行政区划")
        assert "几何精度 (precision, features): 实测 surveyed 12" in comment
        assert "规划出处 (plan passage / source): " in comment
        alias = conn.execute(
            "SELECT col_description(%s::regclass, 2)", ('fzgeo."admin_boundaries"',)
        ).fetchone()[0]
        # column 2 is "name", after fid: the Chinese alias and the English meaning
        assert alias == "名称 (name): the feature's name, as the plan or dataset gives it"
        most, area = conn.execute(
            'SELECT max(ST_NPoints(geom)), sum(ST_Area(geom)) FROM fzgeo_pieces."admin_boundaries"'
            " WHERE fid = 0"
        ).fetchone()
    assert most <= 64
    city = crs.to_work(original.iloc[[0]]).area.iloc[0]
    assert area == pytest.approx(city, rel=1e-9)


def test_hostile_names_and_values_stay_data(postgis_dsn: str) -> None:
    gdf = sample_layer()
    gdf["'; DELETE FROM pg_class; --"] = ["x'); DROP TABLE t; --", "\\N", "$$"]
    push.push({HOSTILE: gdf}, postgis_dsn)
    assert tables(postgis_dsn) == {HOSTILE, "_layers"}
    assert tables(postgis_dsn, PIECES_SCHEMA) == {HOSTILE}
    back = pull.pull(postgis_dsn, [HOSTILE])[HOSTILE]
    assert back["'; DELETE FROM pg_class; --"].tolist() == ["x'); DROP TABLE t; --", "\\N", "$$"]
    assert back["name"].tolist() == gdf["name"].tolist()
    listing = pull.listing(postgis_dsn)
    assert listing["name"].tolist() == [HOSTILE]


def test_names_postgresql_cannot_hold_are_refused(postgis_dsn: str) -> None:
    with pytest.raises(InputError, match=r"\[FZ704\].*is 66 bytes"):
        push.push({"红" * 22: sample_layer()}, postgis_dsn)
    push.push({"红" * 21: sample_layer()}, postgis_dsn)  # 63 bytes: fits
    assert tables(postgis_dsn, PIECES_SCHEMA) == {"红" * 21}
    bad = sample_layer().rename(columns={"name": "geom"})
    with pytest.raises(InputError, match=r"\[FZ704\].*column 'geom'"):
        push.push({"ok": bad}, postgis_dsn)
    assert tables(postgis_dsn) == {"红" * 21, "_layers"}


def test_types_survive(postgis_dsn: str) -> None:
    gdf = sample_layer()
    push.push({"typed": gdf}, postgis_dsn)
    back = pull.pull(postgis_dsn)["typed"]
    assert str(back["count"].dtype) == "Int64"
    assert back["weight"].dtype == np.float64
    assert str(back["flag"].dtype) == "boolean"
    assert back["flag"].isna().tolist() == [False, False, True]
    work = crs.to_work(back)
    assert work.area.tolist() == pytest.approx([10_000.0] * 3, rel=1e-9)


def test_mixed_and_line_layers(postgis_dsn: str) -> None:
    line = LineString([(X0 + i * 10.0, Y0 + (i % 7) * 3.0) for i in range(600)])
    gdf = GeoDataFrame(
        {"name": ["line", "point"]}, geometry=[line, Point(X0, Y0)], crs=crs.WORK_CRS
    )
    done = push.push({"mixed": gdf}, postgis_dsn)
    assert done[0].pieces >= 4  # a 600-vertex line in pieces of at most 256
    with psycopg.connect(postgis_dsn) as conn:
        length = conn.execute(
            'SELECT sum(ST_Length(geom)) FROM fzgeo_pieces."mixed" WHERE fid = 0'
        ).fetchone()[0]
    assert length == pytest.approx(line.length, rel=1e-9)


def test_push_replaces_the_old_version(postgis_dsn: str) -> None:
    push.push({"zone": sample_layer(3)}, postgis_dsn)
    first = pull.listing(postgis_dsn)["sha256"].iloc[0]
    push.push({"zone": sample_layer(5)}, postgis_dsn)
    listing = pull.listing(postgis_dsn)
    assert listing["features"].tolist() == [5]
    assert listing["sha256"].iloc[0] != first
    assert len(pull.pull(postgis_dsn)["zone"]) == 5
    assert not any(t.startswith(TEMP_PREFIX) for t in tables(postgis_dsn))


def _backend_blocked(dsn: str, timeout: float = 30.0) -> int:
    """The pid of the fzgeo backend waiting for a lock."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE application_name = 'fzgeo' AND wait_event_type = 'Lock'"
            ).fetchone()
            if row:
                return int(row[0])
            time.sleep(0.05)
    pytest.fail("the fzgeo backend never blocked on the lock")


def interrupt_while_locked(dsn: str, lock_sql: str, action: Callable[[], object]) -> BaseException:
    """Run ``action`` while a lock blocks it, terminate its backend, return what it raised."""
    raised: list[BaseException] = []

    def target() -> None:
        try:
            action()
        except BaseException as exc:
            raised.append(exc)

    with psycopg.connect(dsn) as holder:
        holder.execute(lock_sql)
        worker = threading.Thread(target=target)
        worker.start()
        pid = _backend_blocked(dsn)
        with psycopg.connect(dsn, autocommit=True) as killer:
            assert killer.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        worker.join(timeout=60)
        holder.rollback()
    assert not worker.is_alive()
    assert raised, "the interrupted action did not fail"
    return raised[0]


def test_lost_connection_mid_push_writes_nothing(postgis_dsn: str) -> None:
    push.push({"zone": sample_layer(3)}, postgis_dsn)
    before = tables(postgis_dsn)
    err = interrupt_while_locked(
        postgis_dsn,
        'LOCK TABLE fzgeo."zone" IN ACCESS SHARE MODE',
        lambda: push.push({"other": sample_layer(2), "zone": sample_layer(5)}, postgis_dsn),
    )
    assert isinstance(err, DatabaseError)
    assert err.code == "FZ701"
    assert "connection lost" in str(err)
    assert "no table was written" in str(err)
    assert tables(postgis_dsn) == before  # no "other", no _fzgeo_tmp_ table
    assert len(pull.pull(postgis_dsn)["zone"]) == 3  # the old version is intact
    assert pull.listing(postgis_dsn)["features"].tolist() == [3]


def test_unreachable_server_and_missing_postgis(postgis_server, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dsn = f"postgresql://nobody:secret@127.0.0.1:{port}/nodb"
    with pytest.raises(DatabaseError, match=r"\[FZ700\] cannot connect") as info:
        pull.pull(dsn)
    assert "secret" not in str(info.value)
    assert "nobody:***@" in str(info.value)
    name = f"plain_{tmp_path.name[-8:].lower()}".replace("-", "_")
    with psycopg.connect(postgis_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    with pytest.raises(DatabaseError, match=r"\[FZ702\].*no PostGIS"):
        push.push({"zone": sample_layer()}, postgis_server.dsn(name))


def test_missing_layer_is_named(postgis_dsn: str) -> None:
    push.push({"zone": sample_layer()}, postgis_dsn)
    with pytest.raises(DatabaseError, match=r"\[FZ703\].*no layer 'nope'"):
        pull.pull(postgis_dsn, ["nope"])


def test_redact_hides_passwords() -> None:
    assert redact("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact("host=h password=pw dbname=d") == "host=h password=*** dbname=d"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"


def test_cli_push_list_pull(
    postgis_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "push", "--dsn", postgis_dsn, "admin_boundaries"]) == 0
    assert "admin_boundaries\t12 features" in capsys.readouterr().out
    assert main(["db", "list", "--dsn", postgis_dsn]) == 0
    out = capsys.readouterr().out
    assert "admin_boundaries" in out
    assert "行政区划" in out
    gpkg = tmp_path / "back.gpkg"
    assert main(["db", "pull", "--dsn", postgis_dsn, "--out", str(gpkg)]) == 0
    assert io.list_layers(gpkg) == ["admin_boundaries"]
    assert len(io.read(gpkg, layer="admin_boundaries")) == 12


def test_cli_push_from_file(postgis_dsn: str, tmp_path: Path) -> None:
    src = tmp_path / "mine.gpkg"
    io.write({"a": crs.to_storage(sample_layer(2)), "b": crs.to_storage(sample_layer(4))}, src)
    assert main(["db", "push", "--dsn", postgis_dsn, "--from", str(src), "b"]) == 0
    assert main(["db", "push", "--dsn", postgis_dsn, "--from", str(src), "a", "--as", "甲"]) == 0
    assert set(pull.listing(postgis_dsn)["name"]) == {"b", "甲"}
    assert len(pull.pull(postgis_dsn, ["甲"])["甲"]) == 2


def test_cli_errors_are_one_line(
    postgis_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "mine.gpkg"
    io.write({"a": crs.to_storage(sample_layer(2))}, src)
    assert main(["db", "push", "--dsn", postgis_dsn, "--from", str(src), "zz"]) == 2
    err = capsys.readouterr().err
    assert "no layer(s) ['zz']" in err
    assert "Traceback" not in err
    assert (
        main(["db", "pull", "--dsn", postgis_dsn, "nope", "--out", str(tmp_path / "x.gpkg")]) == 2
    )
    assert "[FZ703]" in capsys.readouterr().err


def test_pushed_file_records_the_sha256_the_file_engine_records(
    postgis_dsn: str, tmp_path: Path
) -> None:
    """A user's EPSG:4527 red line: one SHA-256 from the file and from PostGIS after a push.

    The file engine reads it with ``fzgeo.io.read``; ``fzgeo db push --from`` reads it the same.
    """
    from fzgeo import check
    from fzgeo.check import rules
    from fzgeo.db import check as db_check

    red = sample_layer(3).assign(BSM=["HX1", "HX2", "HX3"]).to_crs(4527)
    src = io.write(red, tmp_path / "红线.gpkg")
    assert main(["db", "push", "--dsn", postgis_dsn, "--from", str(src), "--as", "red"]) == 0
    veto = rules.from_mapping({"rules": [{"id": "red", "layer": "red", "kind": "veto"}]})
    sites = GeoDataFrame(geometry=[box(X0 + 50, Y0, X0 + 250, Y0 + 50)], crs=crs.WORK_CRS)
    from_file = check.run(sites, {"red": io.read(src)}, veto)
    in_db = db_check.run(sites, postgis_dsn, veto)
    sha = from_file.audit["layers"]["red"]["sha256"]
    assert in_db.audit["layers"]["red"]["sha256"] == sha
    assert pull.listing(postgis_dsn).set_index("name").loc["red", "sha256"] == sha
    assert list(in_db.sites["red__feature_ids"]) == list(from_file.sites["red__feature_ids"])
    assert from_file.sites["red__feature_ids"].iloc[0] == "HX1;HX2"
