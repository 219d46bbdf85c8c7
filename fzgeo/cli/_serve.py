"""``fzgeo serve``: the check page, the plan layers as OGC API – Features and the web maps over HTTP."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ORDER = 75
EPILOG = """\
Open the address printed (http://127.0.0.1:8000/ by default). The check page takes the site files
`fzgeo check` reads and offers the same reports; /ogc/ serves the plan layers as OGC API -
Features (add them in QGIS: Layer > Add WFS / OGC API - Features layer); /maps/ the published web
maps; /raster/control.tif the control raster (range requests).

Listening beyond this machine (--host 0.0.0.0 or an intranet address) needs an access token
(--token or $FZGEO_TOKEN): hand out http://HOST:PORT/?token=TOKEN. Uploads and results are
deleted after --keep-hours. See docs/serve.md."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand."""
    p = sub.add_parser(
        "serve",
        help="web server: the siting check page for planners, the plan layers as OGC API - "
        "Features for QGIS, the web maps and the control raster",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument(
        "--token",
        default=None,
        help="access token required on every request (default: $FZGEO_TOKEN); required when "
        "--host is not loopback",
    )
    p.add_argument(
        "--data",
        type=Path,
        default=Path("fzgeo-serve"),
        metavar="DIR",
        help="data folder: the layers' GeoPackage, the web maps and the raster (built on first "
        "start) and the check jobs (default: ./fzgeo-serve)",
    )
    p.add_argument(
        "--engine",
        choices=("local", "postgis"),
        help="where checks measure and what /ogc/ serves: local (default: here, the packaged "
        "layers) or postgis (the tables `fzgeo db push` wrote; --dsn, else $FZGEO_DSN)",
    )
    p.add_argument("--dsn", help="PostGIS database; giving it chooses the postgis engine")
    p.add_argument(
        "--max-upload-mb", type=float, default=200.0, help="largest upload (default: 200 MB)"
    )
    p.add_argument(
        "--keep-hours",
        type=float,
        default=24.0,
        help="delete uploads and results this long after the upload (default: 24)",
    )
    p.add_argument(
        "--workers", type=int, default=2, help="checks run at the same time (default: 2)"
    )
    p.add_argument("--threads", type=int, help="threads per check (default: the check's)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    from fzgeo.cli._db import DSN_ENV
    from fzgeo.errors import ConfigError

    try:
        from fzgeo.serve import TOKEN_ENV, ServeConfig, serve
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"fzgeo serve needs {exc.name}, which is not installed",
            hint="pip install 'fzgeo[serve]'",
        ) from exc

    if args.engine == "local" and args.dsn:
        raise ConfigError("--engine local does not take --dsn (it chooses postgis)")
    dsn = args.dsn
    if args.engine == "postgis" and not dsn:
        dsn = os.environ.get(DSN_ENV, "").strip() or None
        if not dsn:
            raise ConfigError(f"--engine postgis needs a database: give --dsn or set ${DSN_ENV}")
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    token = args.token or os.environ.get(TOKEN_ENV, "").strip() or None
    config = ServeConfig(
        data=args.data,
        dsn=dsn,
        token=token,
        max_upload_mb=args.max_upload_mb,
        keep_hours=args.keep_hours,
        workers=args.workers,
        threads=args.threads,
    )
    serve(config, host=args.host, port=args.port)
    return 0
