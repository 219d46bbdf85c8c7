"""``fzgeo db push|pull|list``: layers in and out of PostGIS (see docs/database.md).

One DSN rule for every command that talks to PostGIS (``db``, ``check --engine postgis``,
``serve``): the database is ``--dsn``, else ``$FZGEO_DSN`` (:func:`add_dsn_option`,
:func:`dsn_from_env`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from fzgeo._defaults import MAX_VERTICES
from fzgeo.errors import InputError, UnknownLayerError

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

ORDER = 60
DSN_ENV = "FZGEO_DSN"


def dsn_from_env() -> str | None:
    """``$FZGEO_DSN``, or None when it is unset or blank."""
    value = os.environ.get(DSN_ENV, "").strip()
    return value or None


def add_dsn_option(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--dsn``, defaulting to ``$FZGEO_DSN`` (required when neither is there)."""
    default = dsn_from_env()
    parser.add_argument(
        "--dsn",
        default=default,
        required=required and default is None,
        help="PostgreSQL connection URI or string, e.g. postgresql://user@host:5432/db "
        f"(default: ${DSN_ENV}); keep passwords in PGPASSWORD or ~/.pgpass",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``fzgeo db`` and its subcommands."""
    db = sub.add_parser("db", help="push layers into PostGIS, pull them back, list them")
    dbsub = db.add_subparsers(dest="db_command", metavar="SUBCOMMAND", required=True)

    p = dbsub.add_parser(
        "push",
        help="write layers into schema fzgeo (typed geometry columns, SRID 4490, GiST indexes, "
        "comments, QGIS default styles in layer_styles; pre-subdivided pieces in schema "
        "fzgeo_pieces), all in one transaction",
    )
    add_dsn_option(p)
    p.add_argument(
        "names",
        nargs="*",
        help="layers to push: packaged layer names, or with --from the file's layers (default all)",
    )
    p.add_argument("--from", dest="source", type=Path, help="push the layers of this file instead")
    p.add_argument(
        "--as", dest="rename", metavar="NAME", help="table name for a single layer from --from"
    )
    p.add_argument("--assume-crs", metavar="CRS", help="CRS to take when --from declares none")
    p.add_argument(
        "--max-vertices",
        type=int,
        default=MAX_VERTICES,
        help=f"largest piece of the subdivided copy (default {MAX_VERTICES})",
    )
    p.set_defaults(func=cmd_push)

    p = dbsub.add_parser(
        "pull",
        help="read pushed layers back into a file; a GeoPackage is styled for QGIS (default "
        "styles, Chinese aliases, abstracts, as fzgeo build writes them)",
    )
    add_dsn_option(p)
    p.add_argument("names", nargs="*", help="layers to pull (default: every pushed layer)")
    p.add_argument("--out", type=Path, required=True, help="output file; format from the suffix")
    p.set_defaults(func=cmd_pull)

    p = dbsub.add_parser("list", help="the layers in the database, with counts and hashes")
    add_dsn_option(p)
    p.set_defaults(func=cmd_list)


def _from_file(args: argparse.Namespace) -> dict[str, GeoDataFrame]:
    from fzgeo import io

    path: Path = args.source
    names = io.list_layers(path) if path.suffix.lower() == ".gpkg" and path.exists() else []
    if not names:
        gdf = io.read(path, assume_crs=args.assume_crs, what="layer")
        return {args.rename or path.stem: gdf}
    wanted = args.names or names
    unknown = [n for n in wanted if n not in names]
    if unknown:
        msg = f"no layer(s) {unknown} in the file; it holds: {', '.join(names)}"
        raise UnknownLayerError(msg, path=path)
    if args.rename and len(wanted) != 1:
        raise InputError("--as needs exactly one layer", path=path, code="FZ303")
    read = {n: io.read(path, layer=n, assume_crs=args.assume_crs, what="layer") for n in wanted}
    return {args.rename: read[wanted[0]]} if args.rename else read


def cmd_push(args: argparse.Namespace) -> int:
    """Push packaged layers or a file's layers."""
    from fzgeo.db.legacy import migrate
    from fzgeo.db.push import push
    from fzgeo.plan import layers

    if args.source is not None:
        data = _from_file(args)
    else:
        if args.rename:
            raise InputError("--as only applies with --from", code="FZ303")
        data = layers.build_all(args.names or None)
    moved = migrate(args.dsn)
    if moved:
        print(
            f"moved the pieces of {len(moved)} layer(s) pushed by an older fzgeo from "
            f'fzgeo."<layer>__pieces" into schema fzgeo_pieces: {", ".join(moved)}'
        )
    done = push(data, args.dsn, max_vertices=args.max_vertices)
    for item in done:
        print(
            f"{item.name}\t{item.features} features\t{item.geometry_type}\t"
            f"{item.pieces} pieces\t{item.sha256[:12]}"
        )
    print(f"pushed {len(done)} layer(s) into schema fzgeo (pieces in fzgeo_pieces)")
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    """Pull layers into one file."""
    from fzgeo.db.pull import pull_to_file

    data = pull_to_file(args.dsn, args.out, args.names or None)
    if not data:
        print("no layers in the database")
        return 0
    for name, gdf in data.items():
        print(f"{name}\t{len(gdf)} features")
    print(f"wrote {len(data)} layer(s) to {args.out}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print the layer table."""
    import pandas as pd

    from fzgeo.db.pull import listing

    table = listing(args.dsn)
    if table.empty:
        print("no layers in the database")
        return 0
    table["sha256"] = table["sha256"].str.slice(0, 12)
    table["pushed_at"] = table["pushed_at"].astype(str).str.slice(0, 19)
    shown = table.drop(columns=["comment"])
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(shown.to_string(index=False))
    return 0
