"""Official 三区三线 loader benchmark: time and peak memory to load a national-standard File GDB.

    python benchmarks/bench_sanqu_load.py [--sizes 10000 100000] [--no-write]

Writes a File GDB with one YJJBNTBHTB (永久基本农田保护图斑) layer of N small rectangles in CGCS2000
GK zone 39 (EPSG:4527) with the usual fields (BSM, YSDM, XZQDM, XZQMC, BHTBBH, DLBM, TBMJ), then
measures, in fresh subprocesses, (a) the obvious alternative: ``pyogrio.read_dataframe`` +
``to_crs(4490)`` with no mapping, no checks and no report, and (b) ``fzgeo.plan.sanqu.load`` with the
``gb`` profile (field mapping, per-feature geometry repair and accounting, area checks, schema
validation). Results go into benchmarks/RESULTS.md (section "三区三线 loader"), with machine and date.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import _results
import numpy as np

import geopandas as gpd
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
END = _results.markers("bench_sanqu_load")[1]

RUNNER = """
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
path, mode = sys.argv[1], sys.argv[2]
t = time.perf_counter()
if mode == "plain":
    import pyogrio
    gdf = pyogrio.read_dataframe(path, layer="YJJBNTBHTB").to_crs(4490)
    n = len(gdf)
else:
    from fzgeo.plan import sanqu
    n = len(sanqu.load(path).layers["basic_farmland"])
secs = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"n": n, "seconds": secs, "peak_mb": peak}))
"""


def make_gdb(n: int, folder: Path, seed: int = 0) -> Path:
    """A File GDB with ``n`` farmland patches of 60 x 40 m spread over 临川/东乡."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(420_000, 470_000, n) + 39_000_000
    y = rng.uniform(3_000_000, 3_080_000, n)
    geoms = shapely.box(x, y, x + 60, y + 40)
    gdf = gpd.GeoDataFrame(
        {
            "BSM": [f"3610{i:010d}" for i in range(n)],
            "YSDM": ["2001010100"] * n,
            "XZQDM": ["361002"] * n,
            "XZQMC": ["临川区"] * n,
            "BHTBBH": [f"B{i:07d}" for i in range(n)],
            "DLBM": ["0101"] * n,
            "TBMJ": shapely.area(geoms),
        },
        geometry=geoms,
        crs=4527,
    )
    path = folder / f"farmland_{n}.gdb"
    pyogrio.write_dataframe(gdf, path, layer="YJJBNTBHTB", driver="OpenFileGDB")
    return path


def section(rows: list[dict[str, float]]) -> str:
    """The RESULTS.md section."""
    lines = [
        *_results.heading("bench_sanqu_load", "三区三线 loader (`python benchmarks/bench_sanqu_load.py`)", _results.gdal()),
        "A File GDB layer YJJBNTBHTB in EPSG:4527. Plain: `pyogrio.read_dataframe` + `to_crs(4490)`",
        "(no mapping, checks or report). fzgeo: `fzgeo.plan.sanqu.load(path)` with the `gb` profile.",
        "Each in a fresh subprocess; peak = max RSS of that process.",
        "",
        "| features | plain s | fzgeo s | time ratio | plain peak MB | fzgeo peak MB |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r['n']:,} | {r['plain_s']:.1f} | {r['fzgeo_s']:.1f} | "
            f"{r['fzgeo_s'] / r['plain_s']:.1f} | {r['plain_mb']:.0f} | {r['fzgeo_mb']:.0f} |"
            for r in rows
        ),
        END,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure and report."""
    args = _results.parser(__doc__, sizes=[10_000, 100_000]).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            _results.mode_row(RUNNER, make_gdb(n, Path(tmp)), ("plain", "fzgeo"), n)
            for n in args.sizes
        ]
    _results.record("bench_sanqu_load", section(rows), write=not args.no_write)


if __name__ == "__main__":
    main()
