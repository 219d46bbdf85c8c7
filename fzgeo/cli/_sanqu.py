"""``fzgeo sanqu``: load official 三区三线 data with a field-mapping profile."""

from __future__ import annotations

import argparse
from pathlib import Path

ORDER = 25

EPILOG = """\
FILE is a File GDB (.gdb folder), GeoPackage, Shapefile, a folder of Shapefiles, or any single-layer
file fzgeo reads. The profile maps source layers (e.g. STBHHX, YJJBNTBHTB, CZKFBJ) to the layer
kinds eco_redline, basic_farmland, urban_boundary and spatial_zones, and source fields (BSM, YSDM,
XZQDM, XZQMC, MJ, TBMJ, ...) to their columns. No feature is dropped: unmapped fields are kept as
src_<FIELD>, invalid geometries are repaired and reported, and a feature without geometry stops
the load with its id. The output GeoPackage holds one layer per kind, named like the kind
(eco_redline, basic_farmland, ...), with the columns of the packaged stand-in layers; check sites
against it with `fzgeo check SITES --against eco_redline=OUT.gpkg --against ...`."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``fzgeo sanqu load`` and ``fzgeo sanqu profiles``."""
    p = sub.add_parser(
        "sanqu", help="load official 三区三线 data (File GDB, GeoPackage, Shapefile)"
    )
    cmds = p.add_subparsers(dest="sanqu_command", required=True, metavar="COMMAND")
    load = cmds.add_parser(
        "load",
        help="map official data onto fzgeo's 三区三线 layer kinds and write a GeoPackage",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument("file", type=Path, help="official data: .gdb, .gpkg, .shp or a folder")
    load.add_argument(
        "--profile",
        default="gb",
        help="shipped profile name (see `fzgeo sanqu profiles`) or a profile .yaml (default: gb)",
    )
    load.add_argument("--out", type=Path, required=True, help="GeoPackage to write (replaced)")
    load.add_argument("--report", type=Path, help="also write the mapping report as JSON")
    load.add_argument(
        "--kind",
        choices=("eco_redline", "basic_farmland", "urban_boundary", "spatial_zones"),
        help="the layer kind the data holds when its layer name does not say "
        "(with a multi-layer input, give --layer too)",
    )
    load.add_argument(
        "--layer", help="read only this layer of a GeoPackage, File GDB or folder of Shapefiles"
    )
    load.add_argument("--assume-crs", metavar="CRS", help="CRS when the data declares none")
    load.add_argument("--encoding", help="attribute encoding of Shapefiles, e.g. gbk")
    load.set_defaults(func=cmd_load)
    prof = cmds.add_parser("profiles", help="list the shipped field-mapping profiles")
    prof.set_defaults(func=cmd_profiles)


def cmd_load(args: argparse.Namespace) -> int:
    """Load, write the GeoPackage (and JSON report), print the report."""
    from fzgeo import _atomic
    from fzgeo.plan import sanqu
    from fzgeo.qgis.export import write_qgis

    data = sanqu.load(
        args.file,
        profile=args.profile,
        kind=args.kind,
        layer=args.layer,
        assume_crs=args.assume_crs,
        encoding=args.encoding,
    )
    print(data.report.text())
    if not data.layers:
        print("no layer of the profile was found; nothing written")
        return 1
    written = write_qgis(data.layers, args.out)  # styled for QGIS, .qgz beside it
    print(f"wrote {', '.join(f'{k} ({len(v)})' for k, v in data.layers.items())} to {args.out}")
    print(f"wrote QGIS project {written.project}")
    if args.report:
        _atomic.write_text(args.report, data.report.to_json())
        print(f"wrote the mapping report to {args.report}")
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:  # noqa: ARG001 - argparse signature
    """Print each shipped profile with the layers it maps."""
    from fzgeo.plan import layers, sanqu

    for name in sanqu.available_profiles():
        prof = sanqu.read_profile(name)
        kinds = ", ".join(
            f"{layers.kind(k).name_zh} {k} <- {'/'.join(src)}"
            for k, (src, _) in prof.layers.items()
        )
        print(f"{name}: {kinds}")
    return 0
