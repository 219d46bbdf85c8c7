"""Arguments shared by the subcommands that read user files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geopandas import GeoDataFrame


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """``--layer``, ``--assume-crs``, ``--encoding`` and ``--input-coords``."""
    group = parser.add_argument_group("input")
    group.add_argument("--layer", help="layer to read from a multi-layer file (GeoPackage, zip)")
    group.add_argument(
        "--assume-crs",
        metavar="CRS",
        help=(
            "CRS of the coordinates, e.g. EPSG:4548 (CGCS2000 GK CM 117E): taken when a file "
            "declares none or one its coordinates contradict (a GeoJSON in metres); a CGCS2000 "
            "CRS vouches for coordinates declared in 西安80/北京54"
        ),
    )
    group.add_argument("--encoding", help="attribute text encoding, e.g. gbk or utf-8")
    group.add_argument(
        "--input-coords",
        choices=("wgs84", "gcj02", "bd09"),
        help=(
            "lon/lat picked on Amap/Tencent (gcj02) or Baidu (bd09) maps are converted; wgs84 "
            "says they are not shifted (files named or marked 高德/百度 stop without it)"
        ),
    )


def read_input(args: argparse.Namespace, path: Path, *, what: str) -> GeoDataFrame:
    """Read ``path`` with the shared input options."""
    from fzgeo import io

    return io.read(
        path,
        layer=args.layer,
        assume_crs=args.assume_crs,
        encoding=args.encoding,
        input_coords=args.input_coords,
        what=what,
    )
