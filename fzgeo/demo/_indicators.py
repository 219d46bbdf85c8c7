"""Demo step: the plan's spatial targets measured on the layers, as ``indicators.csv``.

Uses the layers the build step left in ``ctx.results["layers"]`` when present.
"""

from __future__ import annotations

from pathlib import Path

from geopandas import GeoDataFrame

from fzgeo.demo import DemoContext
from fzgeo.plan import indicators, layers
from fzgeo.report._tables import write_csv

ORDER = 20


def run(out: Path, ctx: DemoContext) -> None:
    """Measure every target and write the table (UTF-8 with BOM)."""
    built = ctx.results.get("layers") or {}

    def loader(name: str) -> GeoDataFrame:
        return built[name] if name in built else layers.load(name)

    table = indicators.evaluate(indicators.load_targets(), loader=loader)
    ctx.results["indicators"] = table
    main = table.loc[table["主口径"]]
    for _, row in main.iterrows():
        print(f"{row['指标']}: {row['读数']} / {row['目标']} -> {row['结论']} {row['精度']}")
    written = write_csv(table, out / "indicators.csv")
    ctx.wrote(written, f"{len(main)} spatial targets measured (schematic lengths approximate)")
