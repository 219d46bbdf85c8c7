"""Benchmark of the siting check's measuring core against the obvious alternatives (one command).

    python benchmarks/bench_check.py            # 20k sites x 1.1M-vertex red line, 200k x 5.66M
    python benchmarks/bench_check.py --quick    # a smoke run of a few seconds, not written down

Data come from `benchmarks/synthetic.py` (red line seed 0, sites seed 1): a red line of ragged
polygons with holes and batches of rotated-rectangle parcels, EPSG:4548. Each case is a number
of sites against a red line of a number of vertices. Every method runs in its own subprocess
(its peak memory, ``VmHWM``, is its own; data read before the clock starts), all in one run:

``cold``
    :func:`fzgeo.check.run` (one veto rule, both cores, ``nearest=False``: areas, shares,
    features, verdicts) with an empty piece cache: hashing, repairing and cutting the red line
    into pieces of at most 256 vertices and caching them, then measuring. What a new red-line
    version costs once.
``warm``
    the same with the pieces cached (the normal case: the red line changes rarely); then the
    overlap geometries (``CheckResult.parts``, dissolved and projected to EPSG:4490), timed apart
    (peak memory before them recorded too). Cold runs twice, in two empty caches, and the faster
    counts (the second fills the warm cache).
``floor``
    what no method can skip: the cached pieces read (hash, load, STR-tree) and a prepared
    ``intersects`` query of every site against them on both cores; no areas.
``overlay``
    ``geopandas.overlay(sites, red, how="intersection")`` and the areas summed per site.
``sjoin``
    ``geopandas.sjoin(sites, pieces, predicate="intersects")`` on the same cached pieces (given,
    not timed), then the intersection of every pair and the areas summed per site.
``postgis``
    PostgreSQL 15 + PostGIS (the throwaway cluster of ``tests/_postgis.py``): COPY the red line
    and the sites, ``ST_Subdivide(geom, 256)`` into an indexed pieces table, then
    ``SUM(ST_Area(ST_Intersection(site, piece)))`` over ``ST_Intersects`` pairs per site: the
    whole time from data in memory (the query alone too).
``cli``
    the whole command as a user types it, every output written, warm (for the report writers:
    ``fzgeo check sites.gpkg --against eco_redline=red.gpkg --out DIR``).

Agreement: per-site overlap areas of every method against the warm check (largest difference
relative to the site's area, and conflict/no-conflict calls that differ). ``uptime``'s load
average is recorded with every method: the machine is shared, so ratios within one run say more
than absolute times. Figures go between the ``bench_check`` markers of
``benchmarks/RESULTS.md`` with the machine and date.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _results
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
START, END = _results.markers("bench_check")
MAX_VERTICES = 256


def _rss_mb() -> float:
    """Peak resident memory of this process in MB.

    VmHWM, because ru_maxrss carries the parent's peak across fork and exec.
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> float:
    return os.getloadavg()[0]


def _rule_set():
    from fzgeo.check import rules

    return rules.from_mapping({"rules": [{"id": "red", "layer": "red", "kind": "veto"}]})


def _timed_phases(stats: dict[str, float]):
    """Time the check's two own phases (layers prepared, sites measured) into ``stats``.

    ``prepare_seconds``: the engine's ``prepare_layers`` (hash, cache or cut); ``measure_seconds``:
    the engine's ``measure`` (the measuring core). The rest of ``check.run`` is the sites'
    preparation and the tables.
    """
    from fzgeo.check import engines

    saved = engines.LocalEngine.measure, engines.Engine.prepare_layers
    stats["measure_seconds"] = stats["prepare_seconds"] = 0.0

    def timed(func, key):
        def run(*args, **kwargs):
            t = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                stats[key] += time.perf_counter() - t

        return run

    engines.LocalEngine.measure = timed(saved[0], "measure_seconds")
    engines.Engine.prepare_layers = timed(saved[1], "prepare_seconds")

    def undo() -> None:
        engines.LocalEngine.measure, engines.Engine.prepare_layers = saved

    return undo


def _child(method: str, data: Path, n: int, red_name: str, out: Path) -> dict[str, float]:
    """Run one method in this (child) process; return seconds and memory."""
    import geopandas as gpd
    import shapely

    red = gpd.read_parquet(data / f"{red_name}.parquet")
    sites = gpd.read_parquet(data / f"sites_{n}.parquet")
    from concurrent.futures import ThreadPoolExecutor

    from fzgeo import check  # imported before the clock starts, as geopandas is

    rule_set = _rule_set()
    stats: dict[str, float] = {"load": _load(), "base_mb": _rss_mb()}
    if method == "sjoin":
        cut = check.prepare("red", red).pieces  # from the warm cache, not timed
        pieces = gpd.GeoDataFrame(geometry=cut.geoms, crs=red.crs)
    t0 = time.perf_counter()
    if method in ("cold", "warm"):
        phases = _timed_phases(stats)
        res = check.run(sites, {"red": red}, rule_set, workers=os.cpu_count(), nearest=False)
        phases()
        areas = res.sites["red__overlap_m2"].to_numpy(dtype=float)
        stats["seconds"] = time.perf_counter() - t0
        stats["check_peak_mb"] = _rss_mb()  # the check's peak, before the part geometries
        t1 = time.perf_counter()
        _ = res.parts  # the overlap geometries, built on demand (as overlay builds them)
        stats["parts_seconds"] = time.perf_counter() - t1
    elif method == "floor":
        tree = check.prepare("red", red).pieces.tree
        geoms = np.asarray(sites.geometry.values, dtype=object)
        halves = np.array_split(geoms, os.cpu_count() or 1)
        with ThreadPoolExecutor(len(halves)) as pool:
            found = list(pool.map(lambda g: tree.query(g, predicate="intersects")[0], halves))
        hits = np.zeros(len(geoms))
        first = np.cumsum([0, *map(len, halves)])[:-1]
        for start, si in zip(first, found, strict=True):
            hits[np.unique(si) + start] = 1.0
        areas = hits  # no areas: 1 where a site meets a piece
        stats["seconds"] = time.perf_counter() - t0
    elif method == "sjoin":
        pairs = gpd.sjoin(sites[["geometry"]], pieces, predicate="intersects")
        left = sites.geometry.values[pairs.index.to_numpy()]
        right = pieces.geometry.values[pairs["index_right"].to_numpy()]
        inter = shapely.intersection(np.asarray(left), np.asarray(right))
        areas = np.bincount(pairs.index.to_numpy(), shapely.area(inter), minlength=len(sites))
        stats["seconds"] = time.perf_counter() - t0
    else:  # overlay
        inter = gpd.overlay(sites, red, how="intersection", keep_geom_type=True)
        summed = inter.area.groupby(inter["site_id"].to_numpy()).sum()
        areas = np.zeros(len(sites))
        areas[summed.index.to_numpy()] = summed.to_numpy()
        stats["seconds"] = time.perf_counter() - t0
    np.save(out, areas)
    stats["peak_mb"] = _rss_mb()
    return stats


def _run(
    method: str, data: Path, n: int, red_name: str, env: dict[str, str]
) -> tuple[dict[str, float], np.ndarray]:
    out = data / f"{method}_{n}_{red_name}.npy"
    cmd = [sys.executable, __file__, "--child", method, str(data), str(n), red_name, str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        raise SystemExit(f"{method} at {n} failed:\n{proc.stderr}")
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    extra = f" (+ parts {stats['parts_seconds']:.2f} s)" if "parts_seconds" in stats else ""
    print(
        f"  {method:8s} {n:>7,} sites: {stats['seconds']:7.2f} s{extra}, "
        f"peak {stats['peak_mb']:,.0f} MB, load {stats['load']:.1f}",
        flush=True,
    )
    return stats, np.load(out)


def _postgis(data: Path, n: int, red_name: str, dsn: str) -> tuple[dict[str, float], np.ndarray]:
    """PostGIS + ST_Subdivide from data in memory: COPY, subdivide, index, query (one session)."""
    import psycopg

    import geopandas as gpd
    import shapely

    red = gpd.read_parquet(data / f"{red_name}.parquet")
    sites = gpd.read_parquet(data / f"sites_{n}.parquet")
    stats: dict[str, float] = {"load": _load()}
    tag = f"{red_name}_{n}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        t0 = time.perf_counter()
        for table, frame in ((f"red_{tag}", red), (f"sites_{tag}", sites)):
            conn.execute(f"CREATE TABLE {table} (id integer, geom geometry(Geometry, 4548))")
            wkb = shapely.to_wkb(
                shapely.set_srid(np.asarray(frame.geometry.values), 4548),
                hex=True,
                include_srid=True,
            )
            with conn.cursor().copy(f"COPY {table} (id, geom) FROM STDIN") as cp:
                for i, g in enumerate(wkb):
                    cp.write_row((i, g))
        conn.execute(
            f"CREATE TABLE pieces_{tag} AS SELECT id, ST_Subdivide(geom, {MAX_VERTICES}) AS geom "
            f"FROM red_{tag}"
        )
        conn.execute(f"CREATE INDEX ON pieces_{tag} USING gist (geom)")
        conn.execute(f"ANALYZE pieces_{tag}")
        conn.execute(f"ANALYZE sites_{tag}")
        t1 = time.perf_counter()
        rows = conn.execute(
            f"SELECT s.id, SUM(ST_Area(ST_Intersection(s.geom, p.geom))) FROM sites_{tag} s "
            f"JOIN pieces_{tag} p ON ST_Intersects(s.geom, p.geom) GROUP BY s.id"
        ).fetchall()
        t2 = time.perf_counter()
    areas = np.zeros(len(sites))
    for i, a in rows:
        areas[int(i)] = float(a)
    stats.update(seconds=t2 - t0, query_seconds=t2 - t1, push_seconds=t1 - t0)
    print(
        f"  {'postgis':8s} {n:>7,} sites: {stats['seconds']:7.2f} s (query alone "
        f"{stats['query_seconds']:.2f} s), load {stats['load']:.1f}",
        flush=True,
    )
    return stats, areas


def _cli(data: Path, n: int, red_name: str, env: dict[str, str]) -> dict[str, float]:
    """``fzgeo check`` on the GeoPackages, warm: wall seconds and peak MB of the timed run."""
    import geopandas as gpd

    for name, layer in ((f"sites_{n}", "sites"), (red_name, "red")):
        if not (data / f"{name}.gpkg").is_file():
            gpd.read_parquet(data / f"{name}.parquet").to_file(data / f"{name}.gpkg", layer=layer)
    cmd = [sys.executable, "-m", "fzgeo", "check", str(data / f"sites_{n}.gpkg")]
    cmd += ["--against", f"eco_redline={data / f'{red_name}.gpkg'}", "--no-progress"]
    stats: dict[str, float] = {}
    for attempt in ("warm-up", "timed"):
        out = data / f"cli_{n}_{attempt}"
        log = data / f"cli_{n}_{attempt}.log"
        with log.open("wb") as sink:  # a file, not a pipe: a full pipe would stall the command
            load = _load()
            t0 = time.perf_counter()
            proc = subprocess.Popen([*cmd, "--out", str(out)], env=env, stdout=sink, stderr=sink)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):  # 1: a conflict was found
            raise SystemExit(f"fzgeo check at {n} exited {code}:\n{log.read_text()}")
        stats = {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "load": load}
    files = sorted(p.name for p in (data / f"cli_{n}_timed").rglob("*") if p.is_file())
    stats["files"] = len(files)
    print(f"  {'cli':8s} {n:>7,} sites: {stats['seconds']:7.2f} s, peak {stats['peak_mb']:,.0f} MB")
    return stats


def _agreement(a: np.ndarray, b: np.ndarray, site_area: np.ndarray) -> dict[str, float]:
    rel = np.abs(a - b) / site_area
    return {
        "max_rel_diff": float(rel.max()),
        "verdict_mismatches": int(((a > 0) != (b > 0)).sum()),
    }


def machine() -> dict[str, str]:
    """nproc, CPU model, memory, load, versions and date of this run."""
    import geopandas
    import shapely

    mem = _results.memory_gb()
    return {
        "date": _results.stamp(),
        "nproc": str(os.cpu_count()),
        "cpu": _results.cpu_model(),
        "memory": f"{mem:.1f} GB" if mem else "?",
        "load_average_at_start": _results.load_average(),
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "geopandas": geopandas.__version__,
    }


def _generate(data: Path, vertices: int, n: int) -> str:
    """Write the red line of ``vertices`` and ``n`` sites (once each); return the red line's name."""
    import synthetic

    name = f"red_{vertices}"
    if not (data / f"{name}.parquet").is_file():
        synthetic.redlines(vertices, seed=0).to_parquet(data / f"{name}.parquet")
    if not (data / f"sites_{n}.parquet").is_file():
        synthetic.sites(n, seed=1).to_parquet(data / f"sites_{n}.parquet")
    return name


def bench(cases: list[tuple[int, int]], limits: dict[str, int]) -> dict:
    """Run every method on every case; return the figures."""
    import geopandas as gpd

    results: dict = {"machine": machine(), "runs": []}
    server = proc = None
    with tempfile.TemporaryDirectory(prefix="fzgeo-bench-") as tmp:
        data = Path(tmp)
        try:
            for n, vertices in cases:
                red_name = _generate(data, vertices, n)
                red = gpd.read_parquet(data / f"{red_name}.parquet")
                nv = int(red["vertices"].sum())
                print(f"{n:,} sites x red line of {nv:,} vertices in {len(red)} polygons")
                site_area = gpd.read_parquet(data / f"sites_{n}.parquet").area.to_numpy()
                row: dict = {"sites": n, "vertices": nv, "features": len(red)}
                warm_env = dict(os.environ, FZGEO_CACHE_DIR=str(data / f"cache_{vertices}"))
                cold_env = dict(os.environ, FZGEO_CACHE_DIR=str(data / f"cold_{n}_{vertices}"))
                # cold twice (the second fills the warm cache), the faster counts: a shared
                # machine's load changes within seconds
                first = _run("cold", data, n, red_name, cold_env)
                second = _run("cold", data, n, red_name, warm_env)
                row["cold"], cold = min(first, second, key=lambda r: r[0]["seconds"])
                row["warm"], warm = _run("warm", data, n, red_name, warm_env)
                row["floor"], _ = _run("floor", data, n, red_name, warm_env)
                row["conflicts"] = int((warm > 0).sum())
                row["agreement"] = {"cold": _agreement(cold, warm, site_area)}
                others = [m for m in ("overlay", "sjoin") if n <= limits[m]]
                for method in others:
                    row[method], theirs = _run(method, data, n, red_name, warm_env)
                    row["agreement"][method] = _agreement(theirs, warm, site_area)
                if n <= limits["postgis"]:
                    if server is None:
                        sys.path.insert(0, str(ROOT / "tests"))
                        from _postgis import start_server

                        server, proc = start_server()
                        dsn = server.create_database()
                    row["postgis"], theirs = _postgis(data, n, red_name, dsn)
                    row["agreement"]["postgis"] = _agreement(theirs, warm, site_area)
                if n <= limits["cli"]:
                    row["cli"] = _cli(data, n, red_name, warm_env)
                results["runs"].append(row)
        finally:
            if server is not None:
                from _postgis import stop_server

                stop_server(server, proc)
    return results


def _s(row: dict, method: str) -> str:
    return f"{row[method]['seconds']:.2f}" if method in row else "not run"


def _phase(stats: dict, key: str) -> str:
    return f" ({stats[key]:.2f})" if key in stats else ""


def _ratio(row: dict, num: str, den: str) -> str:
    if num not in row or den not in row:
        return ""
    return f"{row[num]['seconds'] / row[den]['seconds']:.1f}x"


def _targets(res: dict) -> list[str]:
    """The issue's targets, each marked met or not by this run's figures."""
    out = []
    for r in res["runs"]:
        warm, cold = r["warm"]["seconds"], r["cold"]["seconds"]
        if "overlay" in r:
            ratio = r["overlay"]["seconds"] / warm
            with_parts = r["overlay"]["seconds"] / (warm + r["warm"]["parts_seconds"])
            out.append(
                f"- Target warm >= 20x overlay at {r['sites']:,} sites: "
                f"{'met' if ratio >= 20 else 'not met'} ({ratio:.1f}x; {with_parts:.1f}x with the "
                "part geometries)."
            )
        if "postgis" in r:
            ratio = cold / r["postgis"]["seconds"]
            out.append(
                f"- Target cold <= 0.5x PostGIS+ST_Subdivide at {r['sites']:,} sites: "
                f"{'met' if ratio <= 0.5 else 'not met'} ({ratio:.2f}x)."
            )
        if r["sites"] >= 200_000:
            peak = max(r[m].get("check_peak_mb", r[m]["peak_mb"]) for m in ("warm", "cold"))
            met = warm < 30 and cold < 45 and peak < 2048
            out.append(
                f"- Target at {r['sites']:,} sites x {r['vertices']:,} vertices: warm under 30 s, "
                f"cold under 45 s, peak under 2 GB: {'met' if met else 'not met'} (warm "
                f"{warm:.1f} s, cold {cold:.1f} s, peak {peak:,.0f} MB before the part "
                "geometries)."
            )
    return out


def markdown(res: dict) -> str:
    """The RESULTS.md section."""
    m = res["machine"]
    lines = [
        START,
        "## Siting check: the measuring core (`python benchmarks/bench_check.py`)",
        "",
        f"Run {m['date']} on {m['nproc']} cores, {m['cpu']}, {m['memory']} RAM; load average at "
        f"start {m['load_average_at_start']} (the machine was shared with other engineers' test "
        "runs: the 1-minute load when each method started is in the last table). Python "
        f"{m['python']}, shapely {m['shapely']} (GEOS {m['geos']}), geopandas {m['geopandas']}.",
        "",
        "Synthetic red lines (`benchmarks/synthetic.py`, seed 0: ragged polygons with holes) and "
        "rotated-rectangle sites of 60-600 m (seed 1). Seconds from data in memory to per-site "
        "overlap areas, one veto rule; fzgeo on both cores, `nearest=False`. cold: empty piece "
        "cache (hash, repair, cut into pieces of at most 256 vertices, cache, measure); warm: "
        "pieces cached (in brackets the engine's measuring alone, the rest being the sites' "
        "preparation, the layer's hash and cached pieces, and the tables); + parts: the overlap "
        "geometries (`CheckResult.parts`) on top; cold in brackets: preparing the layer (hash, "
        "repair, cut, cache); floor: "
        "cached pieces read and every site's prepared `intersects` query, no areas; sjoin: "
        "`geopandas.sjoin` on the same pieces, then `intersection` per pair; PostGIS: COPY, "
        "`ST_Subdivide(geom, 256)`, GiST, then `SUM(ST_Area(ST_Intersection))` per site (query "
        "alone in brackets).",
        "",
        "| sites | red-line vertices | conflicts | warm s (measuring core) | + parts s "
        "| cold s (cut + cache) | floor s "
        "| overlay s | sjoin on pieces s | PostGIS+ST_Subdivide s | overlay / warm "
        "| PostGIS / cold | sjoin / warm | warm / floor |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res["runs"]:
        pg = (
            f"{r['postgis']['seconds']:.2f} ({r['postgis']['query_seconds']:.2f})"
            if "postgis" in r
            else "not run"
        )
        lines.append(
            f"| {r['sites']:,} | {r['vertices']:,} | {r['conflicts']:,} | {_s(r, 'warm')}"
            f"{_phase(r['warm'], 'measure_seconds')} | {r['warm']['parts_seconds']:.2f} "
            f"| {_s(r, 'cold')}{_phase(r['cold'], 'prepare_seconds')} | {_s(r, 'floor')} "
            f"| {_s(r, 'overlay')} | {_s(r, 'sjoin')} | {pg} | {_ratio(r, 'overlay', 'warm')} "
            f"| {_ratio(r, 'postgis', 'cold')} | {_ratio(r, 'sjoin', 'warm')} "
            f"| {_ratio(r, 'warm', 'floor')} |"
        )
    lines += [
        "",
        "Peak memory (MB, whole process, data loaded included), the 1-minute load average when "
        "each method started, and agreement with the warm check (largest per-site area "
        "difference relative to the site's area; conflict calls that differ):",
        "",
        "| sites | method | peak MB (before parts) | load | max rel. diff | calls differ |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in res["runs"]:
        for method in ("warm", "cold", "floor", "overlay", "sjoin", "postgis"):
            if method not in r:
                continue
            ag = r["agreement"].get(method)
            peak = r[method].get("peak_mb")
            before = r[method].get("check_peak_mb")
            shown = f"{peak:,.0f}" if peak else "server"
            shown += f" ({before:,.0f})" if before else ""
            lines.append(
                f"| {r['sites']:,} | {method} | {shown} "
                f"| {r[method]['load']:.1f} "
                + (f"| {ag['max_rel_diff']:.1e} | {ag['verdict_mismatches']} |" if ag else "| | |")
            )
    cli_rows = [r for r in res["runs"] if "cli" in r]
    if cli_rows:
        lines += [
            "",
            "The whole command, `fzgeo check sites.gpkg --against eco_redline=red.gpkg --out DIR` "
            "(default rules and outputs, warm cache):",
            "",
            "| sites | fzgeo check s | files written | peak MB |",
            "|---:|---:|---:|---:|",
            *(
                f"| {r['sites']:,} | {r['cli']['seconds']:.1f} | {r['cli']['files']:.0f} "
                f"| {r['cli']['peak_mb']:,.0f} |"
                for r in cli_rows
            ),
        ]
    lines += ["", *_targets(res), END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the benchmark (or one child measurement)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        method, data, n, red_name, out = argv[1], Path(argv[2]), int(argv[3]), argv[4], argv[5]
        print(json.dumps(_child(method, data, n, red_name, Path(out))))
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--cases",
        nargs="+",
        default=["20000:1100000", "200000:5500000"],
        help="SITES:VERTICES (vertices asked of synthetic.redlines; it adds about 3%% in holes)",
    )
    p.add_argument("--overlay-max", type=int, default=20_000, help="largest batch for overlay")
    p.add_argument("--sjoin-max", type=int, default=200_000, help="largest batch for sjoin")
    p.add_argument("--postgis-max", type=int, default=20_000, help="largest batch for PostGIS")
    p.add_argument("--cli-max", type=int, default=20_000, help="largest batch as `fzgeo check`")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.add_argument("--from-json", help="only write the section from a --json file of a run")
    p.add_argument("--quick", action="store_true", help="a small smoke run, not written down")
    p.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = p.parse_args(argv)
    if args.from_json:
        section = markdown(json.loads(Path(args.from_json).read_text(encoding="utf-8")))
        print(section)
        if not args.no_write:
            print(f"wrote {_results.write_section('bench_check', section, HERE / 'RESULTS.md')}")
        return 0
    cases = [tuple(int(v) for v in c.split(":")) for c in args.cases]
    limits = {
        "overlay": args.overlay_max,
        "sjoin": args.sjoin_max,
        "postgis": args.postgis_max,
        "cli": args.cli_max,
    }
    if args.quick:
        cases = [(2_000, 60_000)]
        limits = dict.fromkeys(limits, 2_000)
    res = bench([(int(n), int(v)) for n, v in cases], limits)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1), encoding="utf-8")
    section = markdown(res)
    print(section)
    if not (args.quick or args.no_write):
        print(f"wrote {_results.write_section('bench_check', section, HERE / 'RESULTS.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
