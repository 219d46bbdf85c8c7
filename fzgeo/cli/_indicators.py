"""``fzgeo indicators``: the plan's spatial targets measured against the layers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ORDER = 26

_NOTE = (
    "说明：长度在 EPSG:4548 中量测，仅计市域内部分。示意（schematic）线路为站点、县城之间的直线段，"
    "短于实际线路，量测值为近似值；“主口径”一行决定结论，其余行为参考口径。"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``fzgeo indicators``."""
    p = sub.add_parser(
        "indicators",
        help="measure the plan's spatial targets (railway mileage over 500 km, 239 km of new or "
        "rebuilt expressway, ...) on the built layers; schematic lengths are approximate",
    )
    p.add_argument(
        "--targets",
        type=Path,
        help="a targets YAML in the format of the packaged layers/targets.yaml (default: that)",
    )
    p.add_argument(
        "--csv", type=Path, help="also write the table to this CSV (UTF-8 with BOM, for Excel/WPS)"
    )
    p.add_argument(
        "--json", action="store_true", help="print the table as JSON records instead of text"
    )
    p.set_defaults(func=cmd_indicators)


def cmd_indicators(args: argparse.Namespace) -> int:
    """Print the indicators table; write the CSV if asked."""
    import pandas as pd

    from fzgeo.plan import indicators
    from fzgeo.report._tables import write_csv

    table = indicators.evaluate(indicators.load_targets(args.targets))
    if args.json:
        records = json.loads(table.to_json(orient="records", force_ascii=False))
        print(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        shown = table.drop(columns=["说明"])
        with pd.option_context("display.max_rows", None, "display.width", 250):
            print(shown.to_string(index=False))
        print()
        for _, row in table.loc[table["说明"].astype(bool)].iterrows():
            print(f"- {row['id']}（{row['口径'] or '—'}）：{row['说明']}")
        print(_NOTE)
    if args.csv:
        written = write_csv(table, args.csv)
        print(f"wrote {written}")
    return 0
