"""Web-map benchmark: HTML size and time to first render in headless Chromium.

    python benchmarks/bench_maps.py [--sizes 10000 100000] [--no-write]

For layers of 1k, 10k and 100k polygon features (irregular 16-gons of 100-300 m radius spread over
抚州市, full-precision coordinates, the provenance attributes), and for one red line of 1M vertices,
it writes the same layer twice: as plain ``folium.GeoJson`` (with a tooltip and a popup, the usual
way) and as fzgeo's map (:func:`fzgeo.maps.render.render`: display simplification, quantised
coordinates, compact properties, canvas). Both pages inline the same Leaflet from the packaged
assets and have no basemap, so nothing is fetched. Each page is loaded in headless Chromium
(/usr/bin/chromium via selenium); "first render" is the time from navigation start to the second
animation frame after every script ran and fzgeo's layers were added (a probe appended after
the map's scripts; a big layer is inflated first). The results go into benchmarks/RESULTS.md (section
"Web maps"), with the machine and date.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import shapely
from geopandas import GeoDataFrame

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import _results  # noqa: E402
from map_browser import chromium  # noqa: E402

from fzgeo.maps import offline, render  # noqa: E402
from fzgeo.maps.compose import MapLayer  # noqa: E402
from fzgeo.plan.schema import LayerKind  # noqa: E402
from fzgeo.styles import Style  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
START, END = _results.markers("bench_maps")
#: After the scripts ran and, on an fzgeo page, its layers were added (``data-fz-ready``: a big
#: layer is inflated first), the second animation frame.
PROBE = (
    "<script>(function(){var root=document.documentElement;function done(){"
    "requestAnimationFrame(function(){requestAnimationFrame(function(){"
    "window.__rendered = performance.now();});});}"
    "if(!window.FZ||root.getAttribute('data-fz-ready')==='1'){done();return;}"
    "new MutationObserver(function(_m,o){if(root.getAttribute('data-fz-ready')==='1'){"
    "o.disconnect();done();}}).observe(root,{attributes:true});})();</script></html>"
)
STYLE = {
    "key": "bench",
    "name_zh": "基准图层",
    "geometry": "polygon",
    "symbol": {"stroke": "#c62828", "width": 1.5, "fill": "#ef5350", "fill_opacity": 0.4},
}


def parcels(n: int, seed: int = 42) -> GeoDataFrame:
    """``n`` irregular 16-gons over 抚州市 in EPSG:4490, with provenance attributes."""
    rng = np.random.default_rng(seed)
    cx = rng.uniform(440_000, 600_000, n)
    cy = rng.uniform(2_950_000, 3_180_000, n)
    t = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    r = rng.uniform(100, 300, (n, 1)) * rng.uniform(0.7, 1.0, (n, 16))
    rings = np.stack([cx[:, None] + r * np.cos(t), cy[:, None] + r * np.sin(t)], axis=-1)
    geoms = shapely.polygons(rings)
    return _frame(geoms, [f"地块{i}" for i in range(n)])


def red_line(vertices: int = 1_000_000, seed: int = 7) -> GeoDataFrame:
    """One noisy polygon of ``vertices`` vertices (a red line as surveyed)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    r = 40_000 + np.cumsum(rng.normal(0, 2.0, vertices))
    r -= np.linspace(0, r[-1] - r[0], vertices)
    ring = np.column_stack([520_000 + r * np.cos(t), 3_090_000 + r * np.sin(t)])
    return _frame(np.array([shapely.Polygon(ring)]), ["生态保护红线（合成）"])


def _frame(geoms: np.ndarray, names: list[str]) -> GeoDataFrame:
    n = len(names)
    data = {
        "name": names,
        "precision": ["illustrative"] * n,
        "status": ["planned"] * n,
        "source": ["benchmark"] * n,
        "note": ["synthetic"] * n,
    }
    return GeoDataFrame(data, geometry=geoms, crs=4548).to_crs(4490)


def plain_folium(gdf: GeoDataFrame) -> str:
    """The obvious alternative: folium.GeoJson with a tooltip and a popup, Leaflet inlined."""
    import folium

    m = folium.Map(location=[27.95, 116.36], zoom_start=9, tiles=None)
    m.default_js = [("leaflet", render.LEAFLET_JS)]
    m.default_css = [("leaflet_css", render.LEAFLET_CSS)]
    fields = ["name", "precision", "status", "source"]
    folium.GeoJson(
        gdf.to_crs(4326),
        style_function=lambda _f: {"color": "#c62828", "weight": 1.5, "fillColor": "#ef5350"},
        tooltip=folium.GeoJsonTooltip(fields=["name"]),
        popup=folium.GeoJsonPopup(fields=fields),
    ).add_to(m)
    return offline.localise(m.get_root().render(), "inline")


def fzgeo_map(gdf: GeoDataFrame) -> str:
    """The fzgeo map of the same layer."""
    kind = LayerKind("bench", "基准图层", "Polygon", style="bench", group="测试")
    layer = MapLayer("bench", kind, Style.from_mapping(STYLE, where="bench"), gdf)
    return render.render(
        [layer], title="benchmark", basemap="none", assets="inline", center=(27.95, 116.36)
    ).html


def first_render(driver: object, html: str, folder: Path, name: str) -> float:
    """Seconds from navigation start to the second animation frame after all scripts."""
    path = folder / f"{name}.html"
    head, sep, _tail = html.rpartition("</html>")
    if not sep:
        raise ValueError(f"{name}: no </html> in the page")
    path.write_text(head + PROBE, encoding="utf-8")
    driver.get("about:blank")  # type: ignore[attr-defined]
    driver.get(path.as_uri())  # type: ignore[attr-defined]
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        value = driver.execute_script("return window.__rendered")  # type: ignore[attr-defined]
        if value:
            return float(value) / 1000
        time.sleep(0.05)
    raise TimeoutError(f"{name} did not render in 600 s")


PAN_JS = """
var done = arguments[arguments.length - 1];
var map = window.fzgeoMap ? fzgeoMap.map : window[Object.keys(window).find(function (k) {
  return k.indexOf("map_") === 0 && window[k] && window[k].panBy; })];
var times = [], i = 0;
function step() {
  if (i === 4) { done(times.reduce(function (a, b) { return a + b; }, 0) / times.length); return; }
  var t0 = performance.now();
  map.once("moveend", function () {
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      times.push(performance.now() - t0); i++; step(); }); });
  });
  map.panBy([i % 2 ? -300 : 300, 200 * (i % 2 ? -1 : 1)], { animate: false });
}
step();
"""


def pan_and_heap(driver: object) -> tuple[float, float]:
    """Mean seconds of a 360 px pan until drawn (4 pans), and the JS heap in MB after them."""
    driver.set_script_timeout(600)  # type: ignore[attr-defined]
    pan = driver.execute_async_script(PAN_JS)  # type: ignore[attr-defined]
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})  # type: ignore[attr-defined]
    heap = driver.execute_cdp_cmd("Runtime.getHeapUsage", {})  # type: ignore[attr-defined]
    return float(pan) / 1000, heap["usedSize"] / 1e6


def run(sizes: list[int]) -> list[dict[str, object]]:
    """Measure every case; returns one row per case."""
    cases = [(f"{n:,} parcels", parcels(n)) for n in sizes]
    cases.append(("red line, 1M vertices", red_line()))
    rows = []
    with tempfile.TemporaryDirectory() as tmp, chromium() as driver:
        for label, gdf in cases:
            row: dict[str, object] = {"case": label}
            for who, make in (("folium", plain_folium), ("fzgeo", fzgeo_map)):
                t0 = time.perf_counter()
                html = make(gdf)
                row[f"{who}_build_s"] = time.perf_counter() - t0
                row[f"{who}_mb"] = len(html.encode("utf-8")) / 1e6
                row[f"{who}_render_s"] = first_render(driver, html, Path(tmp), who)
                row[f"{who}_pan_s"], row[f"{who}_heap_mb"] = pan_and_heap(driver)
            print(_line(row), flush=True)
            rows.append(row)
    return rows


def _line(r: dict[str, object]) -> str:
    return (
        f"| {r['case']} | {r['folium_mb']:.2f} | {r['fzgeo_mb']:.2f} | "
        f"{100 * r['fzgeo_mb'] / r['folium_mb']:.1f} % | {r['folium_render_s']:.2f} | "  # type: ignore[operator]
        f"{r['fzgeo_render_s']:.2f} | {r['folium_render_s'] / r['fzgeo_render_s']:.1f}x | "  # type: ignore[operator]
        f"{r['folium_build_s']:.1f} | {r['fzgeo_build_s']:.1f} | "
        f"{r['folium_pan_s']:.2f} | {r['fzgeo_pan_s']:.2f} | "
        f"{r['folium_heap_mb']:.0f} | {r['fzgeo_heap_mb']:.0f} |"
    )


def _machine() -> str:
    version = subprocess.run(
        ["/usr/bin/chromium", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return _results.machine(f"load average at the end {load}", version)


def section(rows: list[dict[str, object]]) -> str:
    """The RESULTS.md section."""
    stamp = _results.stamp()
    lines = [
        START,
        "## Web maps (`python benchmarks/bench_maps.py`)",
        "",
        f"{stamp}; {_machine()}.",
        "Plain `folium.GeoJson` (tooltip + popup, SVG) against fzgeo's map (display tolerance one",
        "pixel at zoom 14, quantised coordinates in the compact encoding (zig-zag base-32",
        "differences), properties by column, one shared canvas; a layer of 20 000 features or more on a",
        "canvas of its own without Leaflet objects, its data gzip-compressed in base 85 and inflated",
        "by the browser's `DecompressionStream`, see docs/maps.md). Both inline the same Leaflet",
        "1.9.4 and have no basemap. First render: navigation start to the second animation frame",
        "after all scripts ran and fzgeo's layers were added (big layers inflated), in headless",
        "Chromium (1200x800). fzgeo % = fzgeo MB / folium MB. Build: Python time to produce the",
        "HTML. Pan: mean time of four 360 px pans until the second animation frame after",
        "`moveend`. Heap: JS heap in use after the pans and a garbage collection (CDP).",
        "",
        "| case | folium MB | fzgeo MB | fzgeo % | folium render s | fzgeo render s | "
        "render ratio | folium build s | fzgeo build s | folium pan s | fzgeo pan s | "
        "folium heap MB | fzgeo heap MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *(_line(r) for r in rows),
        END,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the benchmark and record the results."""
    args = _results.parser(__doc__, sizes=[10_000, 100_000]).parse_args()
    _results.record("bench_maps", section(run(args.sizes)), write=not args.no_write)


if __name__ == "__main__":
    main()
