"""``fzgeo layers``, ``fzgeo build`` and ``fzgeo export``."""

from __future__ import annotations

import argparse
from pathlib import Path

from fzgeo.cli._common import add_input_options, read_input
from fzgeo.errors import InputError, UnknownLayerError

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

    p = sub.add_parser(
        "build",
        help="build every packaged layer into one GeoPackage, styled for QGIS, with a .qgz "
        "project beside it",
    )
    p.add_argument("--out", type=Path, required=True, help="GeoPackage to write (replaced whole)")
    p.add_argument("names", nargs="*", help="only these layers (default: all)")
    p.add_argument(
        "--no-project", action="store_true", help="do not write the QGIS project (.qgz) beside it"
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "export",
        help="convert a file (or a packaged layer) to GeoPackage, GeoJSON, FlatGeobuf, "
        "GeoParquet or Shapefile, in EPSG:4490; --qgis: packaged layers styled for QGIS",
    )
    p.add_argument(
        "source",
        nargs="?",
        help="input file, or the name of a packaged layer (with --qgis: default all layers)",
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="output file; format from the suffix")
    target.add_argument(
        "--qgis",
        type=Path,
        metavar="OUT.gpkg",
        help="QGIS-ready GeoPackage of packaged layers (styles, Chinese aliases, abstracts) "
        "and a .qgz project beside it",
    )
    add_input_options(p)
    p.set_defaults(func=cmd_export)


def cmd_layers(args: argparse.Namespace) -> int:
    """Print the layer table."""
    import pandas as pd

    from fzgeo.plan import layers

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
    from fzgeo.plan import layers
    from fzgeo.qgis.export import write_qgis

    built = layers.build_all(args.names or None)
    out = write_qgis(built, args.out, with_project=not args.no_project)
    for name, gdf in built.items():
        print(f"{name}\t{len(gdf)} features")
    print(f"wrote {len(built)} layers to {args.out} (QGIS styles, Chinese aliases, abstracts)")
    if out.project:
        print(f"wrote QGIS project {out.project}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Convert one input to another format, or write packaged layers for QGIS."""
    from fzgeo import crs, io
    from fzgeo.plan import layers

    if args.qgis is not None:
        return _export_qgis(args)
    if args.source is None:
        raise InputError("name the file or packaged layer to export (or use --qgis)")
    path = Path(args.source)
    if _packaged(args.source):
        gdf = layers.load(args.source)
    else:
        gdf = crs.to_storage(read_input(args, path, what="input"))
    io.write(gdf, args.out, layer=path.stem)
    print(f"wrote {len(gdf)} features to {args.out}")
    return 0


def _export_qgis(args: argparse.Namespace) -> int:
    """``export --qgis``: packaged layers only, since the styles belong to the layer kinds."""
    from fzgeo.plan import layers
    from fzgeo.qgis.export import write_qgis

    if args.source is None:
        names = layers.available()
    elif _packaged(args.source):
        names = [args.source]
    else:
        raise UnknownLayerError(
            f"--qgis exports packaged layers (their styles come from styles/); {args.source!r} "
            f"is not one. Available: {', '.join(layers.available())}",
            hint="use --out to convert a file",
        )
    built = layers.build_all(names)
    out = write_qgis(built, args.qgis)
    print(f"wrote {len(built)} layers to {out.gpkg} and QGIS project {out.project}")
    return 0


def _packaged(source: str) -> bool:
    """Whether ``source`` names a packaged layer: it is one and no such file exists."""
    from fzgeo.plan import layers

    return source in layers.available() and not Path(source).exists()
