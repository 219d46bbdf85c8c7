"""``fzgeo raster``: the 三区三线 control grid and terrain screening."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from fzgeo.cli._common import add_input_options, read_input
from fzgeo.errors import UnknownLayerError

if TYPE_CHECKING:
    import pandas as pd

    from geopandas import GeoDataFrame

ORDER = 60


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommands."""
    p = sub.add_parser(
        "raster", help="control-grid GeoTIFF of 三区三线; terrain screening from a DEM"
    )
    rsub = p.add_subparsers(dest="raster_command", metavar="ACTION", required=True)

    c = rsub.add_parser(
        "control",
        help="rasterise 三区三线 into a coded Cloud-Optimised GeoTIFF on an EPSG:4548 grid",
    )
    c.add_argument("--res", type=float, default=30.0, help="cell size in metres (default 30)")
    c.add_argument("--out", type=Path, required=True, help="GeoTIFF to write (.aux.xml beside it)")
    c.add_argument(
        "--from-gpkg",
        type=Path,
        help="take eco_redline, basic_farmland, urban_boundary (and admin_boundaries) from this "
        "GeoPackage, e.g. official data loaded with fzgeo; default: the packaged layers",
    )
    c.set_defaults(func=cmd_control)

    s = rsub.add_parser(
        "sample",
        help="control class of each point of a file (CSV columns 管控分区代码, 管控分区)",
    )
    s.add_argument("control", type=Path, help="control GeoTIFF written by 'fzgeo raster control'")
    s.add_argument("points", type=Path, help="point file (any format fzgeo reads)")
    s.add_argument("--out", type=Path, required=True, help="CSV to write")
    add_input_options(s)
    s.set_defaults(func=cmd_sample)

    t = rsub.add_parser(
        "terrain",
        help="slope statistics of each site from a DEM (any CRS): CSV columns 平均坡度（度）, "
        "最大坡度（度）, 坡度大于15°的面积比例（%%）, ...",
    )
    t.add_argument("dem", type=Path, help="elevation GeoTIFF in metres")
    t.add_argument("sites", type=Path, help="site file (any format fzgeo reads)")
    t.add_argument("--out", type=Path, required=True, help="CSV to write")
    t.add_argument(
        "--threshold",
        type=float,
        action="append",
        help="slope in degrees whose exceeded share is reported (repeatable; default 15 and 25)",
    )
    add_input_options(t)
    t.set_defaults(func=cmd_terrain)


def cmd_control(args: argparse.Namespace) -> int:
    """Write the control raster."""
    from fzgeo.raster import control

    found, boundary = control.sources(args.from_gpkg)
    if not found:
        msg = "none of eco_redline, basic_farmland, urban_boundary is available"
        raise UnknownLayerError(msg, path=args.from_gpkg)
    missing = [c.layer for c in control.CLASSES if c.layer not in found]
    for name in missing:
        print(f"warning: layer {name} not available; its class is left out")
    out = control.write_control(found, boundary, args.out, res=args.res)
    print(f"wrote {out} ({', '.join(found)}; {args.res:g} m cells)")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    """Write the class of each point (管控分区代码, 管控分区)."""
    from fzgeo.raster import control

    points = read_input(args, args.points, what="points")
    codes = control.sample(args.control, points)
    _write_rows(points, control.sample_table(codes, points.index), args.out)
    return 0


def cmd_terrain(args: argparse.Namespace) -> int:
    """Write slope statistics per site, Chinese headers (degrees, shares in %)."""
    from fzgeo.raster import terrain

    sites = read_input(args, args.sites, what="sites")
    stats = terrain.screen(args.dem, sites, thresholds=args.threshold or terrain.DEFAULT_THRESHOLDS)
    _write_rows(sites, terrain.chinese_table(stats), args.out)
    return 0


def _write_rows(features: GeoDataFrame, results: pd.DataFrame, out: Path) -> None:
    """Each feature's attributes followed by its results (same index), as CSV."""
    import pandas as pd

    from fzgeo.report._tables import write_csv

    attributes = pd.DataFrame(features.drop(columns=features.geometry.name))
    table = pd.concat([attributes, results], axis=1)
    write_csv(table, out)
    print(f"wrote {len(table)} rows to {out}")
