"""The three engines (file, PostGIS, dask) give the same check, and fail cleanly.

Hand-computed cases and seeded generated data are checked by the file engine, by PostGIS (the
throwaway cluster of ``tests/_postgis.py``) and by a real dask LocalCluster (2 worker processes);
every number agrees to 1e-6 relative, every verdict and feature list exactly.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest
from test_check import raw_slivers, touching_in_zone_39
from test_db import interrupt_while_locked

import shapely
from geopandas import GeoDataFrame
from shapely import LineString, Point, Polygon, box

from fzgeo import check, crs, io
from fzgeo.check import rules, scale
from fzgeo.cli import main
from fzgeo.db import check as db_check
from fzgeo.db import push
from fzgeo.db.connect import SCHEMA, TEMP_PREFIX
from fzgeo.errors import DatabaseError, DistributedError, GeometryError

X0, Y0 = 430_000.0, 3_090_000.0  # EPSG:4548, inside 抚州市
RTOL = 1e-6


def b(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def frame(geoms: list, **cols: list) -> GeoDataFrame:
    return GeoDataFrame(dict(cols), geometry=list(geoms), crs=crs.WORK_CRS)


#: (name, site, red-line parts, expected overlap m² or length m, expected distance m)
HAND_CASES = [
    ("square half inside", b(50, 0, 150, 100), [b(0, 0, 100, 100)], 5_000.0, 0.0),
    ("touching only a boundary", b(100, 0, 200, 100), [b(0, 0, 100, 100)], 0.0, 0.0),
    (
        "inside a hole",
        b(30, 30, 70, 70),
        [Polygon(b(0, 0, 100, 100).exterior.coords, [b(20, 20, 80, 80).exterior.coords])],
        0.0,
        10.0,
    ),
    (
        "two overlapping red-line parts",
        b(-100, 0, 200, 100),
        [b(0, 0, 100, 100), b(50, 0, 150, 100)],
        15_000.0,
        0.0,
    ),
    (
        "line crossing",
        LineString([(X0 - 50, Y0 + 50), (X0 + 150, Y0 + 50)]),
        [b(0, 0, 100, 100)],
        100.0,
        0.0,
    ),
    (
        "line crossing two overlapping parts",
        LineString([(X0 - 50, Y0 + 50), (X0 + 200, Y0 + 50)]),
        [b(0, 0, 100, 100), b(50, 0, 150, 100)],
        150.0,
        0.0,
    ),
]
VETO = rules.from_mapping(
    {"version": 1, "rules": [{"id": "red", "name_zh": "红线", "layer": "red", "kind": "veto"}]}
)


@pytest.fixture(scope="module")
def dask_engine() -> Iterator[scale.DaskEngine]:
    """A real dask LocalCluster of 2 worker processes.

    Not threads: a worker thread's ``warnings.catch_warnings`` (geopandas and shapely use it)
    swaps the process-wide filters while the main thread records the check's warnings, which
    made the warning assertions of :func:`three_engines` flaky.
    """
    with scale.DaskEngine(workers=2, processes=True) as engine:
        yield engine


def three_engines(
    sites: GeoDataFrame,
    layers: dict[str, GeoDataFrame],
    rule_set: rules.RuleSet,
    dsn: str,
    dask_engine: scale.DaskEngine,
) -> tuple[check.CheckResult, check.CheckResult, check.CheckResult]:
    push.push(layers, dsn)
    runs = (
        lambda: check.run(sites, layers, rule_set),
        lambda: db_check.run(sites, dsn, rule_set),
        lambda: check.run(sites, layers, rule_set, engine=dask_engine),
    )
    results = []
    for run in runs:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run()
        result.notes.extend(f"warning: {w.message}" for w in caught)
        results.append(result)
    return results[0], results[1], results[2]


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same columns and rows; numbers to 1e-6 relative, everything else exactly."""
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        if col == "geometry":
            continue
        left, right = a[col], b[col]
        if pd.api.types.is_float_dtype(left.dtype):
            np.testing.assert_allclose(
                left.to_numpy(dtype=float), right.to_numpy(dtype=float), rtol=RTOL, atol=1e-9,
                err_msg=col,
            )  # fmt: skip
        else:
            assert left.astype(str).tolist() == right.astype(str).tolist(), col


@pytest.mark.parametrize(("name", "site", "parts", "expected", "distance"), HAND_CASES)
def test_hand_computed_cases_agree(
    name: str,
    site: shapely.Geometry,
    parts: list[Polygon],
    expected: float,
    distance: float,
    postgis_dsn: str,
    dask_engine: scale.DaskEngine,
) -> None:
    sites = frame([site], site_id=[name])
    red = frame(parts, name=[f"红线{i}" for i in range(len(parts))])
    results = three_engines(sites, {"red": red}, VETO, postgis_dsn, dask_engine)
    is_line = site.geom_type == "LineString"
    measured = "red__length_inside_m" if is_line else "red__overlap_m2"
    for result in results:
        row = result.sites.iloc[0]
        assert row[measured] == pytest.approx(expected, rel=RTOL, abs=1e-9), name
        assert row["red__distance_m"] == pytest.approx(distance, rel=RTOL, abs=1e-9), name
        assert row["red__verdict"] == ("冲突" if expected > 0 else "无冲突"), name
    assert_same(results[0].details, results[1].details)
    assert_same(results[0].details, results[2].details)
    assert results[1].notes[-1] == "measured in PostGIS"


def test_touching_sites_in_zone_39_are_no_conflict_on_every_engine(
    postgis_dsn: str, dask_engine: scale.DaskEngine
) -> None:
    """Sites in EPSG:4527 sharing an edge with a red line stored in EPSG:4490: touches only."""
    sites, red = touching_in_zone_39()
    assert (raw_slivers(sites, red) > 0).sum() >= 2  # slivers of ~1e-8 m² before the tolerance
    near = rules.from_mapping(
        {"rules": [{"id": "red", "layer": "red", "kind": "veto"},
                   {"id": "near", "layer": "red", "kind": "veto", "near_m": 10}]}
    )  # fmt: skip
    results = three_engines(sites, {"red": red}, near, postgis_dsn, dask_engine)
    for result, engine in zip(results, ("file", "PostGIS", "dask"), strict=True):
        out = result.sites
        assert set(out["red__verdict"]) == {"无冲突"}, engine
        assert set(out["near__verdict"]) == {"邻近"}, engine  # distance 0, within near_m
        assert (out["red__overlap_m2"] == 0).all(), engine
        assert (out["red__distance_m"] == 0).all(), engine
        assert (out["red__feature_ids"] == "").all(), engine
        assert list(out["near__feature_ids"]) == red["BSM"].tolist(), engine
        assert len(result.parts) == 0, engine
        assert result.audit["touch_tolerance"] == {"m2": 0.01, "m": 0.01}, engine
    assert_same(results[0].details, results[1].details)
    assert_same(results[0].details, results[2].details)


WITHIN = rules.from_mapping(
    {"rules": [{"id": "urb", "name_zh": "城镇开发边界", "layer": "urb", "kind": "within"}]}
)


def test_within_conflict_part_is_the_part_outside_on_every_engine(
    postgis_dsn: str, dask_engine: scale.DaskEngine
) -> None:
    urb = frame([b(0, 0, 100, 100), b(100, 0, 200, 50)])  # two features, meeting on an edge
    sites = frame([b(50, 0, 150, 100), b(300, 0, 340, 50), b(10, 10, 20, 20)])
    results = three_engines(sites, {"urb": urb}, WITHIN, postgis_dsn, dask_engine)
    east_quarter = b(100, 50, 150, 100)  # outside both features
    for result, engine in zip(results, ("file", "PostGIS", "dask"), strict=True):
        out = result.sites
        assert list(out["urb__verdict"]) == ["冲突", "冲突", "无冲突"], engine
        assert list(out["urb__outside_m2"]) == pytest.approx([2500.0, 2000.0, 0.0]), engine
        assert list(out["urb__share"]) == pytest.approx([0.25, 1.0, 0.0]), engine
        parts = result.parts.to_crs(crs.WORK_CRS)
        assert list(parts["site"]) == [0, 1], engine
        assert list(parts["side"]) == ["outside", "outside"], engine
        assert list(parts["inside"]) == pytest.approx([2500.0, 2000.0]), engine
        assert parts.geometry.iloc[0].symmetric_difference(east_quarter).area < 1e-6, engine
        assert parts.geometry.iloc[1].symmetric_difference(b(300, 0, 340, 50)).area < 1e-6
    assert_same(results[0].details, results[1].details)
    assert_same(results[0].details, results[2].details)


def test_feature_codes_names_and_project_types_on_every_engine(
    postgis_dsn: str, dask_engine: scale.DaskEngine
) -> None:
    """A user's layer with BSM and HXMC; sites typed in 项目类型 (one with a full-width space)."""
    red = frame(
        [b(0, 0, 100, 100), b(100, 0, 200, 100), b(0, 500, 100, 600)],
        BSM=["3610001", "3610002", "3610003"],
        HXMC=["马头山红线", "洪门水库红线", "廖坊水库红线"],
    )
    sites = frame(
        [b(50, 0, 150, 100), b(50, 500, 60, 510), b(10, 10, 20, 20)],
        项目类型=["线性基础设施", "线性\u3000基础设施", "工业"],
    )
    rule_set = rules.from_mapping(
        {"project_types": ["工业"],
         "rules": [{"id": "red", "layer": "red", "kind": "veto",
                    "exempt_types": ["线性基础设施"], "exempt_verdict": "邻近"}]}
    )  # fmt: skip
    results = three_engines(sites, {"red": red}, rule_set, postgis_dsn, dask_engine)
    for result, engine in zip(results, ("file", "PostGIS", "dask"), strict=True):
        out = result.sites
        assert list(out["red__feature_ids"]) == ["3610001;3610002", "3610003", "3610001"], engine
        assert list(out["red__feature_names"]) == [
            "马头山红线;洪门水库红线",
            "廖坊水库红线",
            "马头山红线",
        ], engine
        assert list(out["red__verdict"]) == ["邻近", "邻近", "冲突"], engine
        assert list(out["red__exempt"]) == [True, True, False], engine
        assert result.audit["type_column"] == "项目类型", engine
        layer = result.audit["layers"]["red"]
        assert (layer["id_column"], layer["name_column"]) == ("BSM", "HXMC"), engine
    assert_same(results[0].sites, results[1].sites)
    assert_same(results[0].sites, results[2].sites)


def test_same_layer_same_sha256_and_engine_recorded_on_every_engine(
    postgis_dsn: str, dask_engine: scale.DaskEngine
) -> None:
    """A layer delivered in zone-prefixed EPSG:4527 and one in EPSG:4490: one hash per layer."""
    red = frame([b(0, 0, 100, 100), b(200, 0, 300, 100)], precision=["surveyed", "official"])
    layers = {"red": red.to_crs(4527), "farm": frame([b(0, 200, 100, 300)]).to_crs(4490)}
    rule_set = rules.from_mapping(
        {"rules": [{"id": "red", "layer": "red", "kind": "veto"},
                   {"id": "farm", "layer": "farm", "kind": "soft"}]}
    )  # fmt: skip
    sites = frame([b(50, 50, 250, 250)])
    results = three_engines(sites, layers, rule_set, postgis_dsn, dask_engine)
    expected = {
        name: check.pieces.layer_sha256(np.asarray(gdf.geometry.values), gdf.crs)
        for name, gdf in layers.items()
    }
    for result, engine in zip(results, ("file", "PostGIS", "dask"), strict=True):
        recorded = result.audit["layers"]
        assert {n: r["sha256"] for n, r in recorded.items()} == expected, engine
        assert recorded["red"]["features"] == 2, engine
        assert recorded["red"]["precision"] == ["official", "surveyed"], engine
        assert recorded["farm"]["precision"] == [], engine
    assert results[0].audit["engine"] == {"name": "local", "threads": 1}
    assert results[1].audit["engine"] == {"name": "postgis", "database": postgis_dsn}
    assert results[2].audit["engine"] == {
        "name": "dask",
        "scheduler": "local cluster",
        "workers": 2,
    }
    for dsn in ("postgresql://planner:secret@db.example/fz", "host=db password=secret dbname=fz"):
        described = db_check.PostgisEngine(dsn).describe()["database"]
        assert "secret" not in described and "db" in described
    with psycopg.connect(postgis_dsn) as conn:  # what fzgeo db push recorded: the same hash
        stored = dict(conn.execute(f'SELECT name, sha256 FROM {SCHEMA}."_layers"').fetchall())
    assert stored == expected


def noisy_ring(rng: np.random.Generator, cx: float, cy: float, r: float, k: int) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, k, endpoint=False)
    rr = r * (1 + 0.15 * np.sin(5 * t + rng.uniform(0, 6)) + rng.normal(0, 0.01, k))
    return np.c_[cx + rr * np.cos(t), cy + rr * np.sin(t)]


def generated(seed: int = 20261129, n_sites: int = 300) -> tuple[GeoDataFrame, dict]:
    """Seeded sites and constraint layers exercising every rule kind and site class."""
    rng = np.random.default_rng(seed)
    reds = []
    for _ in range(6):
        cx, cy, r = rng.uniform(2e3, 18e3), rng.uniform(2e3, 18e3), rng.uniform(1.5e3, 4e3)
        shell = noisy_ring(rng, X0 + cx, Y0 + cy, r, int(rng.integers(300, 900)))
        hole = noisy_ring(rng, X0 + cx, Y0 + cy, 0.3 * r, 64)
        reds.append(Polygon(shell, [hole]))
    reds.append(
        Polygon([(X0, Y0), (X0 + 3e3, Y0 + 3e3), (X0 + 3e3, Y0), (X0, Y0 + 3e3)])
    )  # bow-tie
    farms = [
        shapely.affinity.rotate(b(x, y, x + w, y + h), a)
        for x, y, w, h, a in zip(
            *rng.uniform([0, 0, 200, 200, 0], [2e4, 2e4, 1500, 1500, 90], (40, 5)).T, strict=True
        )
    ]
    boundary = [Polygon(noisy_ring(rng, X0 + 1e4, Y0 + 1e4, 8e3, 2000))]
    rivers = [
        LineString(np.c_[X0 + np.linspace(0, 2e4, 700), Y0 + 1e4 + 3e3 * np.sin(np.linspace(0, 9, 700)) + k * 4e3])
        for k in (-1, 0, 1)
    ]  # fmt: skip
    geoms: list[shapely.Geometry] = []
    for _ in range(n_sites):
        x, y, s = rng.uniform(0, 2e4), rng.uniform(0, 2e4), rng.uniform(30, 600)
        kind = rng.uniform()
        if kind < 0.7:
            geoms.append(shapely.affinity.rotate(b(x, y, x + s, y + s * 0.7), rng.uniform(0, 90)))
        elif kind < 0.9:
            pts = np.c_[
                X0 + x + np.cumsum(rng.normal(0, s, 5)), Y0 + y + np.cumsum(rng.normal(0, s, 5))
            ]
            geoms.append(LineString(pts))
        else:
            geoms.append(Point(X0 + x, Y0 + y))
    radius = [
        float(rng.uniform(20, 300)) if g.geom_type == "Point" and rng.uniform() < 0.5 else None
        for g in geoms
    ]
    sites = frame(
        geoms,
        site_id=[f"S{i:04d}" for i in range(n_sites)],
        project_type=rng.choice(["", "国家重大项目"], n_sites, p=[0.9, 0.1]).tolist(),
        radius_m=radius,
    )  # fmt: skip
    layers = {
        "red": frame(reds, name=[f"红线{i}" for i in range(len(reds))]),
        "farm": frame(farms, id=[f"F{i}" for i in range(len(farms))]),
        "boundary": frame(boundary, name=["城镇开发边界"]),
        "rivers": frame(rivers, name=["甲河", "抚河", "乙河"], main=[False, True, False]),
    }
    return sites, layers


GENERATED_RULES = rules.from_mapping(
    {
        "version": 1,
        "rules": [
            {
                "id": "red",
                "layer": "red",
                "kind": "veto",
                "near_m": 300,
                "exempt_types": ["国家重大项目"],
            },
            {"id": "farm", "layer": "farm", "kind": "soft", "weight": 2.0},
            {"id": "boundary", "layer": "boundary", "kind": "within"},
            {
                "id": "river",
                "layer": "rivers",
                "kind": "proximity",
                "distance_m": 800,
                "where": {"main": True},
            },
            {"id": "missing", "layer": "nowhere", "kind": "veto"},
        ],
    }
)


def test_generated_data_agree(postgis_dsn: str, dask_engine: scale.DaskEngine) -> None:
    sites, layers = generated()
    file_r, db_r, dask_r = three_engines(sites, layers, GENERATED_RULES, postgis_dsn, dask_engine)
    details = file_r.details
    assert (details["verdict"] == "冲突").sum() > 20  # the data exercise every outcome
    assert (details["verdict"] == "邻近").sum() > 20
    assert set(details.loc[details["rule"] == "missing", "verdict"]) == {"跳过"}
    assert details["exempt"].any()
    assert file_r.layers["red"].repaired == 1  # the bow-tie
    repaired = (
        "warning: [FZ410] constraint layer red: repaired 1 invalid geometr(y/ies) with make_valid"
    )
    assert repaired in file_r.notes
    assert repaired in db_r.notes
    assert repaired in dask_r.notes
    assert not [n for r in (file_r, db_r, dask_r) for n in r.notes if "FZ106" in n]  # in place
    for other in (db_r, dask_r):
        assert_same(file_r.details, other.details)
        assert_same(file_r.sites, other.sites)
        assert other.skipped.keys() == file_r.skipped.keys()
        assert other.layers["red"].repaired == 1
        assert [c.features for c in other.layers.values()] == [
            c.features for c in file_r.layers.values()
        ]
    areas = [r.parts.to_crs(crs.WORK_CRS).area.sum() for r in (file_r, db_r, dask_r)]
    assert areas[1] == pytest.approx(areas[0], rel=RTOL)
    assert areas[2] == pytest.approx(areas[0], rel=RTOL)


def test_sites_in_place_are_not_outside_on_every_engine(
    postgis_dsn: str, dask_engine: scale.DaskEngine
) -> None:
    sites, layers = generated(seed=8, n_sites=40)
    results = three_engines(sites, layers, GENERATED_RULES, postgis_dsn, dask_engine)
    for result, engine in zip(results, ("file", "PostGIS", "dask"), strict=True):
        assert result.audit["sites_outside"] is False, engine
        assert not [n for n in result.notes if "[FZ106]" in n], engine


def test_sites_in_the_wrong_zone_warn_on_every_engine(
    postgis_dsn: str, dask_engine: scale.DaskEngine
) -> None:
    """CM 117E sites declared CM 114E (EPSG:4547): ~300 km west, the extent guard warns."""
    sites, layers = generated(seed=8, n_sites=40)
    shifted = sites.set_crs(4547, allow_override=True)
    results = three_engines(shifted, layers, GENERATED_RULES, postgis_dsn, dask_engine)
    for result, engine in zip(results, ("file", "PostGIS", "dask"), strict=True):
        guard = [n for n in result.notes if "[FZ106]" in n]
        assert len(guard) == 1, engine
        assert "share no common extent with any of 抚州市" in guard[0], engine
        for layer in ("red", "farm", "boundary", "rivers"):  # every layer checked, by name
            assert f", {layer} (x 116." in guard[0], engine
        assert "as EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E) instead of the declared EPSG:4547" in guard[0], engine  # fmt: skip
        red = result.details[result.details["rule"] == "red"]
        assert set(red["verdict"]) == {"无冲突"}, engine  # for the wrong reason
        assert result.audit["sites_outside"] is True, engine  # fzgeo check stops on it
    warned = [[n for n in r.notes if n.startswith("warning:")] for r in results]
    assert warned[0] == warned[1] == warned[2]  # the same words from every engine
    assert_same(results[0].details, results[1].details)
    assert_same(results[0].details, results[2].details)


@pytest.mark.filterwarnings("ignore::fzgeo.errors.RepairWarning")
def test_nearest_only_within_reach_agrees(postgis_dsn: str, dask_engine: scale.DaskEngine) -> None:
    sites, layers = generated(seed=17, n_sites=120)
    push.push(layers, postgis_dsn)
    file_r = check.run(sites, layers, GENERATED_RULES, nearest=False)
    far = file_r.details["distance_m"].isna() & (file_r.details["verdict"] != "跳过")
    assert far.any()  # distances beyond a rule's reach are not looked for
    db_r = db_check.run(sites, postgis_dsn, GENERATED_RULES, nearest=False)
    dask_r = check.run(sites, layers, GENERATED_RULES, engine=dask_engine, nearest=False)
    assert_same(file_r.details, db_r.details)
    assert_same(file_r.details, dask_r.details)


@pytest.mark.filterwarnings("ignore::fzgeo.errors.RepairWarning")
def test_dask_through_a_scheduler_address() -> None:
    from distributed import LocalCluster

    sites, layers = generated(seed=5, n_sites=60)
    expected = check.run(sites, layers, GENERATED_RULES)
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        got = scale.run(
            sites, layers, GENERATED_RULES, scheduler=cluster.scheduler_address, partitions=3
        )
    assert_same(expected.details, got.details)
    assert got.notes[-1] == f"measured on dask ({cluster.scheduler_address})"  # fmt: skip


def test_unreachable_scheduler_is_a_clear_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = scale.DaskEngine(scheduler=f"tcp://127.0.0.1:{port}", connect_timeout=2)
    with pytest.raises(DistributedError, match=r"\[FZ710\] cannot reach the dask scheduler"):
        engine.__enter__()


def test_workers_with_another_fzgeo_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scale, "worker_version", lambda: "0.0-other")
    with (
        pytest.raises(DistributedError, match=r"another fzgeo version"),
        scale.DaskEngine(workers=1, processes=False),
    ):
        pass


def db_tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (SCHEMA,))
        return {r[0] for r in rows.fetchall()}


@pytest.mark.filterwarnings("ignore::fzgeo.errors.RepairWarning")
def test_lost_connection_mid_check_leaves_no_table(postgis_dsn: str) -> None:
    sites, layers = generated(seed=3, n_sites=40)
    push.push(layers, postgis_dsn)
    before = db_tables(postgis_dsn)
    err = interrupt_while_locked(
        postgis_dsn,
        'LOCK TABLE fzgeo_pieces."boundary" IN ACCESS EXCLUSIVE MODE',
        lambda: db_check.run(sites, postgis_dsn, GENERATED_RULES, result_table="result"),
    )
    assert isinstance(err, DatabaseError)
    assert err.code == "FZ701"
    assert "connection lost" in str(err)
    assert db_tables(postgis_dsn) == before


@pytest.mark.filterwarnings("ignore::fzgeo.errors.RepairWarning")
def test_lost_connection_while_storing_results_keeps_the_old_table(postgis_dsn: str) -> None:
    sites, layers = generated(seed=3, n_sites=40)
    push.push(layers, postgis_dsn)
    db_check.run(sites.iloc[:10], postgis_dsn, GENERATED_RULES, result_table="result")
    before = db_tables(postgis_dsn)
    err = interrupt_while_locked(
        postgis_dsn,
        'LOCK TABLE fzgeo."result" IN ACCESS SHARE MODE',
        lambda: db_check.run(sites, postgis_dsn, GENERATED_RULES, result_table="result"),
    )
    assert isinstance(err, DatabaseError)
    assert "no table was written" in str(err)
    assert db_tables(postgis_dsn) == before
    assert not any(t.startswith(TEMP_PREFIX) for t in before)
    with psycopg.connect(postgis_dsn) as conn:
        assert conn.execute('SELECT count(*) FROM fzgeo."result"').fetchone()[0] == 10


@pytest.mark.filterwarnings("ignore::fzgeo.errors.RepairWarning")
@pytest.mark.filterwarnings("ignore::fzgeo.errors.RepairWarning")
def test_result_table_holds_the_report(postgis_dsn: str) -> None:
    from fzgeo.report import site_table

    sites, layers = generated(seed=3, n_sites=40)
    push.push(layers, postgis_dsn)
    result = db_check.run(sites, postgis_dsn, GENERATED_RULES, result_table="检查结果")
    report = site_table(result)  # the report's own table: Chinese headers, its rounding
    with psycopg.connect(postgis_dsn) as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = %s ORDER BY ordinal_position",
                (SCHEMA, "检查结果"),
            ).fetchall()
        ]
        rows = conn.execute(
            'SELECT "序号", site_id, "综合结论", "red·重叠面积（平方米）" FROM fzgeo."检查结果" '
            "ORDER BY fid"
        ).fetchall()
    assert columns == ["fid", *map(str, report.columns), "geom"]
    assert "综合结论" in columns and "verdict" not in columns
    assert [r[0] for r in rows] == report["序号"].tolist()
    assert [r[1] for r in rows] == result.sites["site_id"].tolist()
    assert [r[2] for r in rows] == result.sites["verdict"].tolist()
    np.testing.assert_allclose(
        np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=float),
        report["red·重叠面积（平方米）"].to_numpy(dtype=float),
    )


def test_result_table_headers_too_long_for_postgresql_name_the_rule_by_id() -> None:
    long_name = "生态保护红线与永久基本农田及其他重要生态空间"  # 21 characters, 63 bytes
    rule_set = rules.from_mapping(
        {"rules": [{"id": "red", "name_zh": long_name, "layer": "red", "kind": "veto"}]}
    )
    result = check.run(frame([b(0, 0, 10, 10)]), {"red": frame([b(0, 0, 5, 5)])}, rule_set)
    table = db_check.result_frame(result)
    assert "red·重叠面积（平方米）" in table.columns
    assert all(len(str(c).encode("utf-8")) <= 63 for c in table.columns)


def test_cli_check_on_every_engine(postgis_dsn: str, tmp_path: Path) -> None:
    sites, layers = generated(seed=11, n_sites=12)
    src = tmp_path / "sites.gpkg"
    io.write(crs.to_storage(sites), src)
    against = []
    for name, gdf in layers.items():
        path = tmp_path / f"{name}.gpkg"
        io.write(crs.to_storage(gdf), path)
        against += ["--against", f"{name}={path}"]
        assert main(["db", "push", "--dsn", postgis_dsn, "--from", str(path)]) == 0
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(
        "version: 1\nrules:\n"
        "  - {id: red, layer: red, kind: veto, near_m: 300}\n"
        "  - {id: boundary, layer: boundary, kind: within}\n"
        "  - {id: river, layer: rivers, kind: proximity, distance_m: 800}\n"
        "  - {id: farm, layer: farm, kind: soft}\n",
        encoding="utf-8",
    )
    base = ["check", str(src), "--rules", str(rules_file), "--no-progress"]
    codes = {
        "file": main([*base, *against, "--out", str(tmp_path / "file")]),
        "db": main([*base, "--dsn", postgis_dsn, "--out", str(tmp_path / "db")]),
        "dask": main([*base, *against, "--workers", "1", "--out", str(tmp_path / "dask")]),
    }
    assert set(codes.values()) == {1}  # conflicts found on every engine
    tables = {k: pd.read_csv(next((tmp_path / k).glob("*.csv"))) for k in codes}
    assert_same(tables["file"], tables["db"])
    assert_same(tables["file"], tables["dask"])


def test_cli_refuses_mixed_engine_options(
    postgis_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "sites.gpkg"
    io.write(crs.to_storage(frame([b(0, 0, 10, 10)])), src)
    assert main(["check", str(src), "--against", "eco_redline", "--dsn", postgis_dsn, "--out", str(tmp_path / "o")]) == 2  # fmt: skip
    assert "with --dsn the constraint layers come from the database" in capsys.readouterr().err
    assert main(["check", str(src), "--db-table", "t", "--out", str(tmp_path / "o")]) == 2
    assert "--db-table needs --dsn" in capsys.readouterr().err


def test_demo_sites_default_rules_same_report(postgis_dsn: str, tmp_path: Path) -> None:
    """The packaged layers and rules, the demo's sample sites: the same report from PostGIS."""
    from fzgeo.demo._check import sample_sites

    src = io.write(sample_sites(), tmp_path / "sites.geojson")
    wanted = rules.load().layers()
    assert main(["db", "push", "--dsn", postgis_dsn, *wanted]) == 0
    base = ["check", str(src), "--no-progress"]
    assert main([*base, "--out", str(tmp_path / "file")]) == 1
    assert (
        main([*base, "--dsn", postgis_dsn, "--db-table", "demo", "--out", str(tmp_path / "db")])
        == 1
    )
    for name in ("report.csv", "details.csv"):
        file_table = pd.read_csv(tmp_path / "file" / name)
        db_table = pd.read_csv(tmp_path / "db" / name)
        pd.testing.assert_frame_equal(file_table, db_table)
    sites = pd.read_csv(tmp_path / "file" / "report.csv")
    with psycopg.connect(postgis_dsn) as conn:
        assert conn.execute('SELECT count(*) FROM fzgeo."demo"').fetchone()[0] == len(sites)


@pytest.mark.parametrize("kind", ["veto", "within"])
def test_boundary_lines_under_an_area_rule_are_refused_on_every_engine(
    kind: str, postgis_dsn: str, dask_engine: scale.DaskEngine, tmp_path: Path
) -> None:
    """A red line delivered as its boundary lines (CAD) must not make a site inside 无冲突."""
    ring = b(0, 0, 100, 100).exterior
    red = frame([LineString(ring.coords), shapely.MultiLineString([ring.coords])], BSM=["A", "B"])
    path = tmp_path / "红线.gpkg"
    red.to_file(path)
    red = io.read(path)
    sites = frame([b(20, 20, 80, 80)])  # wholly inside the area the lines enclose
    rule_set = rules.from_mapping(
        {"version": 1, "rules": [{"id": "red", "name_zh": "红线", "layer": "red", "kind": kind}]}
    )
    push.push({"red": red}, postgis_dsn)
    runs = {
        "file": lambda: check.run(sites, {"red": red}, rule_set),
        "PostGIS": lambda: db_check.run(sites, postgis_dsn, rule_set),
        "dask": lambda: check.run(sites, {"red": red}, rule_set, engine=dask_engine),
    }
    for engine, run in runs.items():
        with pytest.raises(GeometryError) as caught:
            run()
        err = caught.value
        assert err.code == "FZ406", engine
        assert "constraint layer red" in str(err), engine
        assert "2 feature(s) are" in str(err), engine
        assert "not areas (polygons)" in str(err), engine
        assert "Polygonize" in str(err), engine
        if engine == "PostGIS":
            assert "table fzgeo.red" in str(err)
        else:
            assert err.path == str(path), engine
            assert "are MultiLineString, not areas" in str(err), engine  # GPKG promotes to multi
    # a polygon layer of the same outline is measured: the site is in conflict (veto) or not
    polygons = check.run(sites, {"red": frame([b(0, 0, 100, 100)])}, rule_set)
    assert polygons.sites["verdict"].iloc[0] == ("冲突" if kind == "veto" else "无冲突")


def test_sites_without_geometry_are_unchecked_on_every_engine(
    postgis_dsn: str, dask_engine: scale.DaskEngine
) -> None:
    """Null and empty sites stay as rows 无法检查; the others are measured alike everywhere."""
    sites, layers = generated(seed=9, n_sites=30)
    geoms = list(sites.geometry)
    geoms[3], geoms[17] = None, Polygon()
    sites = sites.set_geometry(geoms)
    results = three_engines(sites, layers, GENERATED_RULES, postgis_dsn, dask_engine)
    for result, engine in zip(results, ("file", "PostGIS", "dask"), strict=True):
        assert len(result.sites) == 30, engine
        unchecked = result.sites.index[result.sites["verdict"] == "无法检查"].tolist()
        assert unchecked == [sites.index[3], sites.index[17]], engine
        assert [n for n in result.notes if "2 site(s) without usable geometry" in n], engine
    assert_same(results[0].details, results[1].details)
    assert_same(results[0].details, results[2].details)
    assert_same(
        results[0].sites.drop(columns="geometry"), results[1].sites.drop(columns="geometry")
    )


def test_lines_in_a_polygon_layer_are_named_on_every_engine(
    postgis_dsn: str, dask_engine: scale.DaskEngine
) -> None:
    """Polygons measured; the stray boundary line (BSM L-2) is named, not silently ignored."""
    red = frame(
        [b(0, 0, 100, 100), LineString(b(200, 0, 300, 100).exterior.coords)], BSM=["P-1", "L-2"]
    )
    sites = frame([b(50, 0, 150, 100), b(220, 20, 280, 80)])
    results = three_engines(sites, {"red": red}, VETO, postgis_dsn, dask_engine)
    for result, engine in zip(results, ("file", "PostGIS", "dask"), strict=True):
        warned = [n for n in result.notes if "[FZ413]" in n]
        assert len(warned) == 1, engine
        assert "constraint layer red: 1 of its 2 feature(s) hold no area" in warned[0], engine
        assert ": L-2; rule red (veto)" in warned[0], engine
        assert result.sites["verdict"].tolist() == ["冲突", "无冲突"], engine
    assert_same(results[0].details, results[1].details)
    assert_same(results[0].details, results[2].details)
