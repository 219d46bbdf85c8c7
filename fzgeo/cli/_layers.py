"""``fzgeo layers``, ``fzgeo build`` and ``fzgeo export``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from fzgeo import crs, io, layers
from fzgeo.cli._common import add_input_options, read_input

ORDER = 20


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommands."""
    p = sub.add_parser("layers", help="list every layer kind with counts and precision")
    p.add_argument("names", nargs="*", help="only these layers")
    p.add_argument(
        "--features",
        action="store_true",
        help="also print each named layer's attribute table (e.g. the county areas in km²)",
    )
    p.set_defaults(func=cmd_layers)

    p = sub.add_parser("build", help="build every packaged layer into one GeoPackage")
    p.add_argument("--out", type=Path, required=True, help="GeoPackage to write (replaced whole)")
    p.add_argument("names", nargs="*", help="only these layers (default: all)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "export",
        help="convert a file (or a packaged layer) to GeoPackage, GeoJSON, FlatGeobuf, "
        "GeoParquet or Shapefile, in EPSG:4490",
    )
    p.add_argument("source", help="input file, or the name of a packaged layer")
    p.add_argument("--out", type=Path, required=True, help="output file; format from the suffix")
    add_input_options(p)
    p.set_defaults(func=cmd_export)


def cmd_layers(args: argparse.Namespace) -> int:
    """Print the layer table."""
    built = layers.build_all(args.names or None)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(layers.summary(built).to_string(index=False))
        if args.features:
            for name, gdf in built.items():
                kind = layers.kind(name)
                own = [c.name for c in kind.columns]
                table = pd.DataFrame(gdf[["name", *own, "precision", "status"]])
                print(f"\n{name} ({kind.name_zh})")
                print(table.to_string(index=False))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """Write the layers to a GeoPackage and say what was written."""
    built = layers.build_all(args.names or None)
    io.write(built, args.out)
    for name, gdf in built.items():
        print(f"{name}\t{len(gdf)} features")
    print(f"wrote {len(built)} layers to {args.out}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Convert one input to another format."""
    path = Path(args.source)
    if not path.exists() and args.source in layers.available():
        gdf = layers.load(args.source)
    else:
        gdf = crs.to_storage(read_input(args, path, what="input"))
    io.write(gdf, args.out, layer=path.stem)
    print(f"wrote {len(gdf)} features to {args.out}")
    return 0
