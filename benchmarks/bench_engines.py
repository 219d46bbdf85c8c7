"""Engines benchmark: the same siting check by the file engine, in PostGIS and on dask.

    python benchmarks/bench_engines.py [--sites 2000 20000] [--vertices 1100000] [--workers 2] [--no-write]

One run, one seeded data set from `benchmarks/synthetic.py`, the generator of the siting-check
benchmark (benchmarks/bench_check.py, same seeds): a synthetic 生态保护红线 of ragged polygons with
holes (about ``--vertices`` vertices in all) and ``--sites`` rotated-rectangle parcels (EPSG:4548).
Then, in this order and in this process:

* file engine: ``fzgeo.check.run`` (threads on every core); the first run pays for cutting the
  pieces, the second reads them from the piece cache (the normal case: the red line changes rarely);
* PostGIS: a throwaway PostgreSQL 15 + PostGIS cluster (as the tests start it); ``fzgeo db push``
  (one-off: COPY, GiST, ST_Subdivide) and then ``fzgeo.db.check.run`` (the query);
* dask: a LocalCluster of ``--workers`` worker processes (start-up timed apart) and
  ``fzgeo.check.scale.run`` through it.

Every engine's per-site table is compared with the file engine's (largest relative difference of
the overlap areas and distances, verdict mismatches). Results go into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import _results
import numpy as np
import pandas as pd

import shapely

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
START, END = _results.markers("bench_engines")


def machine() -> str:
    """CPU model, cores, memory, Python and library versions."""
    import dask
    import psycopg

    return _results.machine(
        f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string})",
        f"dask {dask.__version__}",
        f"psycopg {psycopg.__version__}",
    )


def timed(label: str, func, *args, **kwargs):
    t = time.perf_counter()
    out = func(*args, **kwargs)
    secs = time.perf_counter() - t
    print(f"{label}: {secs:.2f} s", flush=True)
    return out, secs


def agreement(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, int]:
    """Largest relative difference of the numbers, and how many verdicts differ."""
    worst = 0.0
    for col in ("red__overlap_m2", "red__share", "red__distance_m"):
        x, y = a[col].to_numpy(float), b[col].to_numpy(float)
        ok = np.isfinite(x) & np.isfinite(y)
        scale = np.maximum(np.abs(x[ok]), 1.0)
        worst = max(worst, float(np.max(np.abs(x[ok] - y[ok]) / scale, initial=0.0)))
    return worst, int((a["red__verdict"] != b["red__verdict"]).sum())


def run(n_sites: int, vertices: int, workers: int) -> dict:
    """Run the three engines on one data set; return the figures."""
    sys.path.insert(0, str(ROOT / "tests"))
    import synthetic
    from _postgis import start_server, stop_server

    from fzgeo import check
    from fzgeo.check import rules, scale
    from fzgeo.db import check as db_check
    from fzgeo.db import push

    red = synthetic.redlines(vertices, seed=0)  # the siting-check benchmark's data
    sites = synthetic.sites(n_sites, seed=1)
    nv = int(shapely.get_num_coordinates(red.geometry.values).sum())
    rule_set = rules.from_mapping(
        {"version": 1, "rules": [{"id": "red", "layer": "red", "kind": "veto", "near_m": 200}]}
    )
    figures: dict = {"sites": n_sites, "vertices": nv}
    with tempfile.TemporaryDirectory() as cache:  # the piece cache, for file and dask alike
        os.environ["FZGEO_CACHE_DIR"] = cache
        _, figures["file_cold"] = timed(
            "file engine, cutting pieces", check.run, sites, {"red": red}, rule_set
        )
        base, figures["file"] = timed(
            "file engine, cached pieces", check.run, sites, {"red": red}, rule_set
        )
        server, proc = start_server()
        try:
            dsn = server.create_database()
            _, figures["push"] = timed(
                "PostGIS push (COPY, GiST, ST_Subdivide)", push.push, {"red": red}, dsn
            )
            db, figures["postgis"] = timed("PostGIS check", db_check.run, sites, dsn, rule_set)
        finally:
            stop_server(server, proc)
        engine, figures["dask_start"] = timed(
            f"dask LocalCluster start ({workers} processes)",
            scale.DaskEngine(workers=workers).__enter__,
        )
        try:
            dk, figures["dask"] = timed(
                "dask check", check.run, sites, {"red": red}, rule_set, engine=engine
            )
        finally:
            engine.__exit__(None, None, None)
    figures["workers"] = workers
    figures["postgis_diff"], figures["postgis_verdicts"] = agreement(base.sites, db.sites)
    figures["dask_diff"], figures["dask_verdicts"] = agreement(base.sites, dk.sites)
    figures["conflicts"] = int((base.sites["red__verdict"] == rules.CONFLICT).sum())
    return figures  # fmt: skip


def section(rows: list[dict]) -> str:
    """The RESULTS.md section."""
    when = _results.stamp()
    lines = [
        START,
        "## Engines: file vs PostGIS vs dask (`python benchmarks/bench_engines.py`)",
        "",
        f"{when}; {machine()}; PostgreSQL 15 + PostGIS 3.3 on a local socket; load average "
        f"{os.getloadavg()[1]:.1f} over the last 5 minutes (a shared machine: absolute times are "
        "noisy, ratios less so).",
        "One seeded data set per row from `benchmarks/synthetic.py` (as bench_check: red line seed 0, sites",
        "seed 1), one veto rule with near_m 200 (so every site's nearest distance within 200 m is",
        "looked for, and beyond it too: nearest=True). file: `fzgeo.check.run` with the pieces",
        "cached (cold: cutting them first). PostGIS: `fzgeo.db.check.run` after `fzgeo db push`",
        "(push = one-off COPY, GiST and ST_Subdivide). dask: `fzgeo.check.scale` on a LocalCluster of",
        "worker processes (start-up apart), pieces from the same cache as the file engine. Ratio = engine time / file time. Agreement: largest",
        "relative difference of overlap m², share and distance against the file engine, and",
        "verdicts that differ.",
        "",
        "| sites | red-line vertices | conflicts | file s (cold) | PostGIS s (push) "
        "| dask s (start) | PostGIS/file | dask/file | max rel diff | verdicts differ |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in rows:
        lines.append(
            f"| {f['sites']:,} | {f['vertices']:,} | {f['conflicts']:,} "
            f"| {f['file']:.1f} ({f['file_cold']:.1f}) | {f['postgis']:.1f} ({f['push']:.1f}) "
            f"| {f['dask']:.1f} ({f['dask_start']:.1f}, {f['workers']} workers) "
            f"| {f['postgis'] / f['file']:.1f}x | {f['dask'] / f['file']:.1f}x "
            f"| {max(f['postgis_diff'], f['dask_diff']):.1e} "
            f"| {f['postgis_verdicts'] + f['dask_verdicts']} |"
        )
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run, print and record."""
    parser = _results.parser(__doc__)
    parser.add_argument("--sites", type=int, nargs="+", default=[2_000, 20_000])
    parser.add_argument("--vertices", type=int, default=1_100_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = [run(n, args.vertices, args.workers) for n in args.sites]
    _results.record("bench_engines", section(rows), write=not args.no_write)


if __name__ == "__main__":
    main()
