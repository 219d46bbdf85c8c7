"""Benchmark of the siting check against plain ``geopandas.overlay`` (one command).

    python benchmarks/bench_check.py            # full run: 1.1M-vertex red line, 20k and 200k sites
    python benchmarks/bench_check.py --quick    # a smoke run of a few seconds

Data come from `benchmarks/synthetic.py` (seeded): a red line of ragged polygons with holes and
batches of rotated-rectangle parcels. Every measurement runs in its own subprocess so that its
peak memory (``VmHWM``) is its own. Methods:

``cut``
    cutting the red line into pieces of at most 256 vertices (paid once per red-line version;
    afterwards the pieces come from the cache).
``fzgeo``
    :func:`fzgeo.check.run` with the pieces cached, both cores, ``nearest=False`` (areas,
    shares, features and verdicts), then the overlap geometries (``CheckResult.parts``), which
    is what overlay gives; the time without the geometries is recorded too.
``fzgeo+nearest``
    the same plus every non-overlapping site's nearest distance to the red line.
``overlay``
    ``geopandas.overlay(sites, red, how="intersection")`` and the areas summed per site.
``cli``
    the whole command as a user types it, every output written: ``fzgeo check sites.gpkg
    --against eco_redline=red.gpkg --out DIR`` with the default rules (the other rules on the
    packaged layers) and the default outputs (CSV, XLSX, GeoPackage + QGIS project, HTML with its
    site maps, summary.json), warm (a first run has cut and cached the pieces); wall time and the
    command's peak memory (``ru_maxrss`` of that child alone, from ``os.wait4``).

Agreement: per-site overlap areas of fzgeo against overlay (largest relative difference, and the
count of sites whose conflict/no-conflict call differs). The figures are written between the
``bench_check`` markers of ``benchmarks/RESULTS.md`` with the machine and date.
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
START, END = _results.markers("bench_check")


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


def _child(method: str, data: Path, n: int, out: Path) -> dict[str, float]:
    """Run one method in this (child) process; return seconds and memory."""
    import geopandas as gpd

    red = gpd.read_parquet(data / "red.parquet")
    sites = gpd.read_parquet(data / f"sites_{n}.parquet")
    base = _rss_mb()
    t0 = time.perf_counter()
    if method == "cut":
        from fzgeo import check

        layer = check.prepare("red", red, use_cache=True)
        areas = np.array([len(layer.pieces)], dtype=float)
    elif method.startswith("fzgeo"):
        from fzgeo import check
        from fzgeo.check import rules

        rs = rules.from_mapping({"rules": [{"id": "red", "layer": "red", "kind": "veto"}]})
        res = check.run(
            sites, {"red": red}, rs, workers=os.cpu_count(), nearest=method.endswith("nearest")
        )
        areas = res.sites["red__overlap_m2"].to_numpy(dtype=float)
        numbers = time.perf_counter() - t0
        _ = res.parts  # the overlap geometries, built on demand (as overlay builds them)
    else:
        inter = gpd.overlay(sites, red, how="intersection", keep_geom_type=True)
        summed = inter.area.groupby(inter["site_id"].to_numpy()).sum()
        areas = np.zeros(len(sites))
        areas[summed.index.to_numpy()] = summed.to_numpy()
    seconds = time.perf_counter() - t0
    np.save(out, areas)
    stats = {"seconds": seconds, "peak_mb": _rss_mb(), "base_mb": base}
    if method.startswith("fzgeo"):
        stats["numbers_seconds"] = numbers
    return stats


def _run(
    method: str, data: Path, n: int, env: dict[str, str]
) -> tuple[dict[str, float], np.ndarray]:
    out = data / f"{method}_{n}.npy"
    cmd = [sys.executable, __file__, "--child", method, str(data), str(n), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        raise SystemExit(f"{method} at {n} failed:\n{proc.stderr}")
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"  {method:15s} {n:>7,} sites: {stats['seconds']:7.2f} s, peak {stats['peak_mb']:,.0f} MB"
    )
    return stats, np.load(out)


def _cli(data: Path, n: int, env: dict[str, str]) -> dict[str, float]:
    """``fzgeo check`` on the GeoPackages, warm: wall seconds and peak MB of the timed run."""
    cmd = [sys.executable, "-m", "fzgeo", "check", str(data / f"sites_{n}.gpkg")]
    cmd += ["--against", f"eco_redline={data / 'red.gpkg'}", "--no-progress"]
    stats: dict[str, float] = {}
    for attempt in ("warm-up", "timed"):
        out = data / f"cli_{n}_{attempt}"
        log = data / f"cli_{n}_{attempt}.log"
        with log.open("wb") as sink:  # a file, not a pipe: a full pipe would stall the command
            t0 = time.perf_counter()
            proc = subprocess.Popen([*cmd, "--out", str(out)], env=env, stdout=sink, stderr=sink)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):  # 1: a conflict was found
            raise SystemExit(f"fzgeo check at {n} exited {code}:\n{log.read_text()}")
        stats = {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024}
    files = sorted(p.name for p in (data / f"cli_{n}_timed").rglob("*") if p.is_file())
    stats["files"] = len(files)
    print(f"  {'cli':15s} {n:>7,} sites: {stats['seconds']:7.2f} s, peak {stats['peak_mb']:,.0f} MB")
    return stats


def _agreement(a: np.ndarray, b: np.ndarray, site_area: np.ndarray) -> dict[str, float]:
    rel = np.abs(a - b) / site_area
    return {
        "max_rel_diff": float(rel.max()),
        "sites_over_1e-6": int((rel > 1e-6).sum()),
        "verdict_mismatches": int(((a > 0) != (b > 0)).sum()),
    }


def machine() -> dict[str, str]:
    """nproc, CPU model, load, versions and date of this run."""
    import geopandas
    import shapely

    return {
        "date": _results.stamp(),
        "nproc": str(os.cpu_count()),
        "cpu": _results.cpu_model(),
        "load_average_at_start": _results.load_average(),
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "geopandas": geopandas.__version__,
    }


def _generate(data: Path, vertices: int, sizes: list[int], seed: int) -> dict[str, float]:
    import synthetic

    t0 = time.perf_counter()
    red = synthetic.redlines(vertices, seed=seed)
    red.to_parquet(data / "red.parquet")
    red.to_file(data / "red.gpkg", layer="red")
    for n in sizes:
        sites = synthetic.sites(n, seed=seed + 1)
        sites.to_parquet(data / f"sites_{n}.parquet")
        sites.to_file(data / f"sites_{n}.gpkg", layer="sites")
    return {
        "seconds": time.perf_counter() - t0,
        "vertices": int(red["vertices"].sum()),
        "features": len(red),
    }


def bench(vertices: int, sizes: list[int], overlay_max: int, seed: int, cli_max: int) -> dict:
    """Run every method; return the figures."""
    results: dict = {"machine": machine(), "runs": [], "seed": seed}
    with tempfile.TemporaryDirectory(prefix="fzgeo-bench-") as tmp:
        data = Path(tmp)
        env = dict(os.environ, FZGEO_CACHE_DIR=str(data / "cache"))
        results["data"] = _generate(data, vertices, sizes, seed)
        print(
            f"red line: {results['data']['vertices']:,} vertices in {results['data']['features']} polygons"
        )
        cut, _ = _run("cut", data, sizes[0], env)
        results["cut"] = cut
        import geopandas as gpd

        for n in sizes:
            site_area = gpd.read_parquet(data / f"sites_{n}.parquet").area.to_numpy()
            row: dict = {"sites": n}
            row["fzgeo"], mine = _run("fzgeo", data, n, env)
            row["fzgeo+nearest"], near = _run("fzgeo+nearest", data, n, env)
            row["conflicts"] = int((mine > 0).sum())
            if n <= overlay_max:
                row["overlay"], theirs = _run("overlay", data, n, env)
                row["agreement"] = _agreement(mine, theirs, site_area)
                row["ratio"] = row["overlay"]["seconds"] / row["fzgeo"]["seconds"]
                row["ratio_cold"] = row["overlay"]["seconds"] / (
                    row["fzgeo"]["seconds"] + cut["seconds"]
                )
            row["nearest_agrees"] = bool(np.allclose(mine, near, rtol=1e-12, atol=0))
            if n <= cli_max:
                row["cli"] = _cli(data, n, env)
            results["runs"].append(row)
    return results


def _fz(stats: dict) -> str:
    return f"{stats['numbers_seconds']:.2f} / {stats['seconds']:.2f}"


def _targets(res: dict) -> list[str]:
    """The issue's targets, each marked met or not by this run's figures."""
    out = []
    for r in res["runs"]:
        if "ratio" in r:
            numbers = r["overlay"]["seconds"] / r["fzgeo"]["numbers_seconds"]
            met = "met" if r["ratio"] >= 10 else "not met"
            out.append(
                f"- Target >= 10x overlay at {r['sites']:,} sites: {met} with part geometries "
                f"({r['ratio']:.1f}x); numbers only {numbers:.1f}x."
            )
        if "cli" in r:
            limit, mem = (10, 1024) if r["sites"] <= 20_000 else (90, None)
            met = r["cli"]["seconds"] <= limit and (mem is None or r["cli"]["peak_mb"] < mem)
            out.append(
                f"- Target: the whole `fzgeo check` at {r['sites']:,} sites within {limit} s"
                + (f" and {mem / 1024:.0f} GB" if mem else "")
                + f": {'met' if met else 'not met'} ({r['cli']['seconds']:.1f} s, "
                f"{r['cli']['peak_mb']:,.0f} MB)."
            )
        if r["sites"] >= 200_000:
            met = "met" if r["fzgeo"]["seconds"] < 60 else "not met"
            out.append(
                f"- Target {r['sites']:,} sites in under a minute: {met} "
                f"({r['fzgeo']['seconds']:.1f} s; {r['fzgeo+nearest']['seconds']:.1f} s with "
                "every site's nearest distance, the costliest measure)."
            )
    return out


def markdown(res: dict) -> str:
    """The RESULTS.md section."""
    m, d = res["machine"], res["data"]
    lines = [
        START,
        "## Siting check (`python benchmarks/bench_check.py`)",
        "",
        f"Run {m['date']} on {m['nproc']} cores, {m['cpu']}; load average at start "
        f"{m['load_average_at_start']} (the machine was shared). Python {m['python']}, "
        f"shapely {m['shapely']} (GEOS {m['geos']}), geopandas {m['geopandas']}.",
        "",
        f"Synthetic red line (seed {res['seed']}): {d['vertices']:,} vertices in "
        f"{d['features']} ragged polygons with holes; sites are rotated rectangles of "
        "60-600 m. fzgeo uses both cores and the cached pieces; cutting the pieces "
        f"(once per red-line version) took {res['cut']['seconds']:.1f} s, peak "
        f"{res['cut']['peak_mb']:,.0f} MB.",
        "",
        "| sites | conflicts | fzgeo s (numbers / + part geometries) | fzgeo + nearest s "
        "| overlay s | overlay / fzgeo "
        "| overlay / (fzgeo + cut) | peak MB fzgeo / overlay | max rel. area diff | verdict mismatches |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res["runs"]:
        ov = r.get("overlay")
        ag = r.get("agreement", {})
        lines.append(
            f"| {r['sites']:,} | {r['conflicts']:,} | {_fz(r['fzgeo'])} "
            f"| {r['fzgeo+nearest']['seconds']:.2f} "
            f"| {ov['seconds']:.2f} | {r['ratio']:.1f}x | {r['ratio_cold']:.1f}x "
            f"| {r['fzgeo']['peak_mb']:,.0f} / {ov['peak_mb']:,.0f} "
            f"| {ag['max_rel_diff']:.1e} | {ag['verdict_mismatches']} |"
            if ov
            else f"| {r['sites']:,} | {r['conflicts']:,} | {_fz(r['fzgeo'])} "
            f"| {r['fzgeo+nearest']['seconds']:.2f} | not run | | "
            f"| {r['fzgeo']['peak_mb']:,.0f} / - | | |"
        )
    cli_rows = [r for r in res["runs"] if "cli" in r]
    if cli_rows:
        lines += [
            "",
            "The whole command, `fzgeo check sites.gpkg --against eco_redline=red.gpkg --out DIR` "
            "(default rules and outputs, warm cache), beside the measuring alone and overlay:",
            "",
            "| sites | fzgeo check s | files written | peak MB | measuring alone s | overlay s |",
            "|---:|---:|---:|---:|---:|---:|",
            *(
                f"| {r['sites']:,} | {r['cli']['seconds']:.1f} | {r['cli']['files']:.0f} "
                f"| {r['cli']['peak_mb']:,.0f} | {r['fzgeo']['seconds']:.2f} | "
                + (f"{r['overlay']['seconds']:.1f} |" if "overlay" in r else "not run |")
                for r in cli_rows
            ),
        ]
    lines += ["", *_targets(res)]
    lines += [
        "",
        "Ratios use fzgeo's time with the part geometries (overlay builds them too). "
        "Peak MB is the whole process's peak resident memory (data loaded included). "
        "The relative area difference is per site, relative to the site's area.",
        END,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the benchmark (or one child measurement)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        method, data, n, out = argv[1], Path(argv[2]), int(argv[3]), Path(argv[4])
        print(json.dumps(_child(method, data, n, out)))
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vertices", type=int, default=1_100_000)
    p.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    p.add_argument("--overlay-max", type=int, default=20_000, help="largest batch run with overlay")
    p.add_argument("--cli-max", type=int, default=200_000, help="largest batch run as `fzgeo check`")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="a small smoke run, not written down")
    p.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = p.parse_args(argv)
    if args.quick:
        args.vertices, args.sizes, args.overlay_max, args.cli_max = 60_000, [2_000], 2_000, 2_000
    res = bench(args.vertices, args.sizes, args.overlay_max, args.seed, args.cli_max)
    section = markdown(res)
    print(section)
    if not (args.quick or args.no_write):
        print(f"wrote {_results.write_section('bench_check', section, HERE / 'RESULTS.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
