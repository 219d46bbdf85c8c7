"""``fzgeo plan coverage``: which plan elements the layers represent, and why the rest are not mapped."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ORDER = 25

_SHOW = ("all", "missing", "represented", "categories")
_COLUMNS = ["id", "name_zh", "geometry", "line", "layers", "features", "reason", "note"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``fzgeo plan`` and its ``coverage`` subcommand."""
    plan = sub.add_parser("plan", help="the plan inventory against the built layers")
    plan_sub = plan.add_subparsers(dest="plan_command", metavar="SUBCOMMAND", required=True)
    p = plan_sub.add_parser(
        "coverage",
        help="for every inventory entry, the layer and feature that represent it or the reason "
        "it is not on the map; prints the coverage figure over locatable entries",
    )
    p.add_argument(
        "--inventory",
        type=Path,
        help="the plan inventory YAML (default: $FZGEO_INVENTORY, then "
        "../shared/plan/inventory.yaml from the current folder, then beside the checkout)",
    )
    p.add_argument(
        "--csv",
        type=Path,
        help="also write the full table to this CSV (UTF-8 with BOM, for Excel/WPS)",
    )
    p.add_argument(
        "--show",
        choices=_SHOW,
        default="missing",
        help="what to print: all rows, missing (default: locatable entries not represented), "
        "represented, or categories (locatable and represented counts per inventory category)",
    )
    p.add_argument(
        "--fail-under",
        type=float,
        metavar="PCT",
        help="exit with status 1 if fewer than PCT%% of locatable entries are represented",
    )
    p.set_defaults(func=cmd_coverage)


def cmd_coverage(args: argparse.Namespace) -> int:
    """Print the coverage table and figure; write the CSV if asked."""
    import pandas as pd

    from fzgeo.plan import coverage, layers
    from fzgeo.report._tables import write_csv

    path = coverage.find_inventory(args.inventory)
    entries = coverage.load_inventory(path)
    result = coverage.coverage(entries, layers.build_all(), coverage.load_reasons())
    table = result.table
    if args.show == "categories":
        shown = result.by_category()
    elif args.show == "missing":
        shown = table.loc[table["locatable"] & ~table["represented"], _COLUMNS]
    elif args.show == "represented":
        shown = table.loc[table["represented"], _COLUMNS]
    else:
        shown = table[_COLUMNS]
    with pd.option_context("display.max_rows", None, "display.width", 250):
        print(shown.to_string(index=False) if len(shown) else "(no rows)")
    if args.csv:
        write_csv(table, args.csv)
        print(f"wrote {len(table)} rows to {args.csv}")
    for problem in result.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if result.stale:
        print(f"note: reasons no longer needed: {', '.join(result.stale)}", file=sys.stderr)
    print(f"inventory: {path}")
    print(result.summary())
    if result.problems:
        return 1
    if args.fail_under is not None and result.percent < args.fail_under:
        print(f"coverage {result.percent:.1f}% is under {args.fail_under}%", file=sys.stderr)
        return 1
    return 0
