"""A million sites through ``fzgeo check`` end to end: time, peak memory, every output (one command).

    python benchmarks/bench_million.py                      # 1,000,000 point and polygon sites
    python benchmarks/bench_million.py --sizes 100000 --kinds points --no-write   # a smaller run

Data come from ``benchmarks/synthetic.py``: the 1.1M-vertex synthetic red line (seed 0) and
``synthetic.sites(n, seed=1)`` (rotated rectangles of 60-600 m; the ``points`` batch is their
centroids), EPSG:4548, written as GeoPackages before the clock starts. Each batch is checked by
the command a user types, in its own process with a warm piece cache:

    fzgeo check sites.gpkg --against eco_redline=red.gpkg --out DIR --no-progress

(the default rules: the other layers are the packaged stand-ins). Recorded: wall time, the peak
resident memory of the command (``wait4``'s ``ru_maxrss``; the target is 4 GB), every output's
size, the worksheets of ``report.xlsx`` (a sheet holds at most 1,048,576 rows: longer tables are
split) and the rows of the per-site table in ``report.html`` (capped above 2,000 sites).

The obvious alternative, in the same run: a GeoPandas script a GIS analyst would write for the
same question on the red line alone, ``read_file`` both, ``sjoin`` (intersects), the overlap
area of every pair summed per site (points: inside or not) and ``to_csv``; one CSV, no other
output. ``uptime``'s load average is recorded with each run: the machine is shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import _results

HERE = Path(__file__).resolve().parent
NAME = "bench_million"
TARGET_MB = 4096
KINDS = ("points", "polygons")

ALTERNATIVE = """
import json, resource, sys, time
import geopandas as gpd, numpy as np
sites_path, red_path, out = sys.argv[1:4]
t0 = time.perf_counter()
sites = gpd.read_file(sites_path, engine="pyogrio")
red = gpd.read_file(red_path, engine="pyogrio").to_crs(sites.crs)
pairs = gpd.sjoin(sites, red[["geometry"]], predicate="intersects", how="inner")
area = np.zeros(len(sites))
if (sites.geom_type == "Point").all():
    conflict = sites.index.isin(pairs.index)
else:
    other = gpd.GeoSeries(red.geometry.loc[pairs["index_right"]].values, index=pairs.index)
    parts = pairs.geometry.intersection(other, align=False)
    summed = parts.area.groupby(level=0).sum()
    area[sites.index.get_indexer(summed.index)] = summed.to_numpy()
    conflict = area > 0.01
sites.drop(columns="geometry").assign(overlap_m2=area, conflict=conflict).to_csv(out, index=False)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": peak, "conflicts": int(conflict.sum())}))
"""


def _generate(data: Path, n: int, kinds: tuple[str, ...]) -> dict[str, Path]:
    """The red line and the site batches as GeoPackages (written once per run)."""
    import synthetic

    paths = {"red": data / "red.gpkg"}
    synthetic.redlines(1_100_000, seed=0).to_file(paths["red"], layer="red", engine="pyogrio")
    batch = synthetic.sites(n, seed=1)
    for kind in kinds:
        frame = batch if kind == "polygons" else batch.set_geometry(batch.centroid)
        paths[kind] = data / f"{kind}_{n}.gpkg"
        frame.to_file(paths[kind], layer="sites", engine="pyogrio")
    return paths


def _check(sites: Path, red: Path, out: Path, env: dict[str, str]) -> dict:
    """``fzgeo check`` in its own process: seconds, peak MB, exit status, outputs."""
    cmd = [sys.executable, "-m", "fzgeo", "check", str(sites), "--against", f"eco_redline={red}"]
    cmd += ["--out", str(out), "--no-progress"]
    log = out.with_suffix(".log")
    load = _results.load_average()
    with log.open("wb") as sink:  # a file, not a pipe: a full pipe would stall the command
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=sink, stderr=sink)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1, 3):
        raise SystemExit(f"fzgeo check exited {code}:\n{log.read_text(errors='replace')[-4000:]}")
    files = {
        str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()
    }
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(out / "report.xlsx") as zf:
        workbook = zf.read("xl/workbook.xml").decode("utf-8")
    sheets = workbook.count("<sheet ")
    html = (out / "report.html").read_text(encoding="utf-8")
    return {
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,
        "exit": code,
        "load": load,
        "files": files,
        "sheets": sheets,
        "html_rows": html.count("<tr"),
        "site_rows": summary["site_rows"],
        "conflicts": summary["verdicts"]["冲突"],
        "log_tail": log.read_text(encoding="utf-8", errors="replace").splitlines()[-12:],
    }


def _alternative(sites: Path, red: Path, out: Path) -> dict:
    load = _results.load_average()
    got = _results.run_child(ALTERNATIVE, str(sites), str(red), str(out))
    return {**got, "load": load, "csv_bytes": out.stat().st_size}


def _mb(b: float) -> str:
    return f"{b / 1e6:,.0f}" if b >= 1e6 else f"{b / 1e6:,.2f}"


def markdown(n: int, runs: dict[str, dict]) -> str:
    """The RESULTS.md section."""
    lines = _results.heading(NAME, f"A million sites end to end (`python benchmarks/{NAME}.py`)")
    lines += [
        "",
        f"`fzgeo check sites.gpkg --against eco_redline=red.gpkg --out DIR` on {n:,} synthetic "
        "sites (`synthetic.sites(n, seed=1)`, points = their centroids) against the 1.1M-vertex "
        "synthetic red line, default rules (the other layers packaged), warm piece cache, every "
        "output written; beside it a GeoPandas script (`read_file`, `sjoin`, overlap areas, "
        "`to_csv`: one CSV on the red line alone). Peak = the process's peak resident memory.",
        "",
        "| sites | fzgeo check s | peak MB (target 4,096) | exit | 冲突 | load at start "
        "| GeoPandas script s | its peak MB |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for kind, r in runs.items():
        c, a = r["check"], r.get("alternative")
        lines.append(
            f"| {n:,} {kind} | {c['seconds']:.1f} | {c['peak_mb']:,.0f} | {c['exit']} "
            f"| {c['conflicts']:,} | {c['load']} | "
            + (f"{a['seconds']:.1f} | {a['peak_mb']:,.0f} |" if a else "not run | |")
        )
    lines += ["", "Outputs (MB):", ""]
    names = sorted({f for r in runs.values() for f in r["check"]["files"] if "/" not in f})
    lines += [
        "| sites | " + " | ".join(names) + " | site maps | XLSX sheets | report.html table rows |",
        "|---|" + "---:|" * (len(names) + 3),
    ]
    for kind, r in runs.items():
        files = r["check"]["files"]
        maps = sum(1 for f in files if f.startswith("maps/"))
        lines.append(
            f"| {n:,} {kind} | "
            + " | ".join(_mb(files.get(f, 0)) for f in names)
            + f" | {maps} | {r['check']['sheets']} | {r['check']['html_rows']:,} |"
        )
    worst = max(r["check"]["peak_mb"] for r in runs.values())
    lines += [
        "",
        f"- Target: {n:,} sites within 4 GB: {'met' if worst <= TARGET_MB else 'NOT met'} "
        f"(largest peak {worst:,.0f} MB).",
        "- report.xlsx holds every row: a table longer than a worksheet's 1,048,576 rows is split "
        "over sheets 明细, 明细（2）, ...; report.html lists at most 2,000 sites (冲突 and 邻近 "
        "first) and draws at most 200 site maps, and says so; the CSVs and the GeoPackage hold "
        "every site.",
        _results.markers(NAME)[1],
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmark, record the section."""
    p = _results.parser(__doc__, sizes=[1_000_000])
    p.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    p.add_argument(
        "--alternative",
        nargs="*",
        choices=KINDS,
        default=list(KINDS),
        help="the batches the GeoPandas script runs on too (none: skip it)",
    )
    args = p.parse_args(argv)
    n = int(args.sizes[0])
    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="fzgeo-million-") as tmp:
        data = Path(tmp)
        print(f"generating {n:,} sites ...", flush=True)
        paths = _generate(data, n, tuple(args.kinds))
        env = dict(os.environ, FZGEO_CACHE_DIR=str(data / "cache"))
        for kind in args.kinds:
            print(f"fzgeo check, {n:,} {kind} ...", flush=True)
            runs[kind] = {"check": _check(paths[kind], paths["red"], data / f"out_{kind}", env)}
            brief = {k: v for k, v in runs[kind]["check"].items() if k != "files"}
            print(json.dumps(brief, ensure_ascii=False), flush=True)
            if kind in args.alternative:
                print(f"GeoPandas script, {n:,} {kind} ...", flush=True)
                runs[kind]["alternative"] = _alternative(
                    paths[kind], paths["red"], data / f"alt_{kind}.csv"
                )
                print(json.dumps(runs[kind]["alternative"]), flush=True)
    _results.record(NAME, markdown(n, runs), write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
