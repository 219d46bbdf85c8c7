"""``fzgeo demo``: the main job end to end on the packaged data."""

from __future__ import annotations

import argparse
from pathlib import Path

from fzgeo import demo

ORDER = 10


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand."""
    p = sub.add_parser(
        "demo",
        help="run the main job on the packaged data: build every layer into a GeoPackage "
        "and run each later step (see fzgeo.demo); prints what it wrote",
    )
    p.add_argument("--out", type=Path, default=Path("fzgeo-demo"), help="output folder")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo steps in order."""
    ctx = demo.run(args.out)
    print(f"demo finished: {len(ctx.written)} outputs in {args.out}")
    return 0
