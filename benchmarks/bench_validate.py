"""Input checks benchmark: what reading through fzgeo's door and ``fzgeo validate`` cost.

    python benchmarks/bench_validate.py [--sizes 10000 100000] [--no-write]

Writes a Shapefile of N small rectangles in CGCS2000 GK zone 39 (EPSG:4527) with GBK attributes
and no .cpg (so the encoding must be detected), then measures in fresh subprocesses (a) the obvious
alternative, ``pyogrio.read_dataframe`` with ``encoding="gbk"`` given by hand and no checks,
(b) ``fzgeo.io.read`` (parts, encoding detection, coordinate and CRS checks) and (c)
``fzgeo.io.validate.validate_file`` (all of that plus every feature's validity, repair status and
duplicate search, and the attribute scan). Results go into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import _results
import numpy as np

import geopandas as gpd
import shapely

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
END = _results.markers("bench_validate")[1]

RUNNER = """
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
path, mode = sys.argv[1], sys.argv[2]
t = time.perf_counter()
if mode == "plain":
    import pyogrio
    n = len(pyogrio.read_dataframe(path, encoding="gbk"))
elif mode == "read":
    from fzgeo import io
    n = len(io.read(path))
else:
    from fzgeo.io import validate
    r = validate.validate_file(path)
    assert r.ok and r.features_in == r.features_out, r.findings
    n = r.features_out
secs = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"n": n, "seconds": secs, "peak_mb": peak}))
"""
MODES = ("plain", "read", "validate")


def make_shapefile(n: int, folder: Path, seed: int = 0) -> Path:
    """``n`` 60 x 40 m parcels over 临川/东乡, GBK attributes, no .cpg, language byte cleared."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(420_000, 470_000, n) + 39_000_000
    y = rng.uniform(3_000_000, 3_080_000, n)
    gdf = gpd.GeoDataFrame(
        {"BSM": [f"3610{i:010d}" for i in range(n)], "XZQMC": ["临川区"] * n},
        geometry=shapely.box(x, y, x + 60, y + 40),
        crs=4527,
    )
    path = folder / f"parcels_{n}.shp"
    gdf.to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    dbf = bytearray(path.with_suffix(".dbf").read_bytes())
    dbf[29] = 0
    path.with_suffix(".dbf").write_bytes(bytes(dbf))
    return path


def section(rows: list[dict[str, float]]) -> str:
    """The RESULTS.md section."""
    lines = [
        *_results.heading("bench_validate", "Input checks (`python benchmarks/bench_validate.py`)", _results.gdal()),
        "A Shapefile of N rectangles in EPSG:4527, GBK attributes without .cpg. Plain:",
        '`pyogrio.read_dataframe(path, encoding="gbk")` (encoding known in advance, no checks).',
        "read: `fzgeo.io.read` (parts, encoding detection, coordinate and CRS checks). validate:",
        "`fzgeo.io.validate.validate_file` (plus per-feature status, duplicates, attribute scan).",
        "Each in a fresh subprocess (import time included); peak = max RSS of that process.",
        "",
        "| features | plain s | read s | validate s | plain MB | read MB | validate MB |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {r['n']:,} | {r['plain_s']:.1f} | {r['read_s']:.1f} | {r['validate_s']:.1f} | "
            f"{r['plain_mb']:.0f} | {r['read_mb']:.0f} | {r['validate_mb']:.0f} |"
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
            _results.mode_row(RUNNER, make_shapefile(n, Path(tmp)), MODES, n)
            for n in args.sizes
        ]
    _results.record("bench_validate", section(rows), write=not args.no_write)


if __name__ == "__main__":
    main()
