"""``fzgeo map`` (one web map) and ``fzgeo publish`` (a static site of maps)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from fzgeo.cli._common import add_input_options, read_input
from fzgeo.maps.basemaps import NAMES as BASEMAPS

if TYPE_CHECKING:
    from fzgeo.maps.compose import MapLayer, MapSpec

ORDER = 50


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommands."""
    p = sub.add_parser(
        "map",
        help="write a web map (HTML) of a shipped map composition or of named layers",
        description="Write a Leaflet web map. NAME is a map composition in maps/ "
        "(plan_overview, transport, sanqu_ecology, conflicts), one or more layer kinds "
        "(fzgeo layers), or a file of your own (any format `fzgeo check` reads: GeoPackage, "
        "Shapefile, GeoJSON, CSV, XLSX/TXT 界址点坐标表 ...), drawn in the style of --kind or "
        "a neutral one, every attribute in its popup.",
    )
    p.add_argument(
        "names", nargs="+", metavar="MAP|LAYER|FILE", help="a map, layer kinds, or one file"
    )
    p.add_argument("--out", type=Path, required=True, help="HTML file to write")
    _common(p)
    p.add_argument("--title", help="title of an ad-hoc map of layers or of a file")
    p.add_argument(
        "--kind",
        metavar="LAYER",
        help="draw FILE in the style of this layer kind (e.g. eco_redline); default: a neutral "
        "style by geometry type",
    )
    add_input_options(p)
    p.set_defaults(func=cmd_map)

    p = sub.add_parser(
        "publish",
        help="write a static site: index page with thumbnails, the maps and their assets",
    )
    p.add_argument("folder", type=Path, metavar="DIR", help="site folder to write")
    p.add_argument(
        "--maps",
        nargs="+",
        metavar="MAP",
        help="maps to publish (default: every shipped map; conflicts only with --check)",
    )
    _common(p)
    p.set_defaults(func=cmd_publish)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--offline",
        action="store_true",
        help="zero external requests: Leaflet and plugins inlined (publish: copied to assets/), "
        "no basemap tiles",
    )
    p.add_argument(
        "--basemap",
        choices=BASEMAPS,
        help="osm, tianditu (key in FZGEO_TIANDITU_KEY), amap (GCJ-02; overlays are shifted "
        "to match) or none; default: the composition's for `map`, none (offline) for `publish`",
    )
    p.add_argument(
        "--check",
        type=Path,
        metavar="DIR",
        help="a `fzgeo check` output folder: add its sites "
        "and conflict parts (required by the conflicts map)",
    )


def _spec(names: list[str], title: str | None) -> MapSpec:
    """A shipped composition named alone, else an ad-hoc map of the named layer kinds."""
    from fzgeo.maps import compose

    if len(names) == 1 and names[0] in compose.available():
        return compose.spec(names[0])
    return compose.adhoc(names, title=title)


def _is_file(names: list[str]) -> bool:
    """One name that is an existing file, or a File GDB folder (``*.gdb``)."""
    if len(names) != 1:
        return False
    path = Path(names[0])
    return path.is_file() or (path.is_dir() and path.suffix.lower() == ".gdb")


def _file_map(args: argparse.Namespace) -> tuple[MapSpec, list[MapLayer]]:
    """The user's file as the one layer of an ad-hoc map fitted to it."""
    from fzgeo.maps import compose, conflict, userfile

    path = Path(args.names[0])
    layer = userfile.file_layer(
        read_input(args, path, what=str(path)), path=path, kind=args.kind, title=args.title
    )
    spec = compose.MapSpec(key=compose.ADHOC, title=args.title or path.stem, layers=())
    extra = conflict.check_layers(args.check, compose.spec("conflicts")) if args.check else []
    return spec, [layer, *extra]


def cmd_map(args: argparse.Namespace) -> int:
    """Render one map and report what display preparation did."""
    from fzgeo.errors import ConfigError
    from fzgeo.maps import conflict, render, simplify

    if _is_file(args.names):
        spec, map_layers = _file_map(args)
    else:
        if args.kind:
            raise ConfigError("--kind styles a file: give one FILE (it does not exist?)")
        spec = _spec(args.names, args.title)
        map_layers = conflict.map_layers(spec, args.check)
    rendered = render.render_spec(spec, map_layers, basemap=args.basemap, offline_mode=args.offline)
    path = rendered.write(args.out)
    print(simplify.summary(rendered.reports).to_string(index=False))
    size = len(rendered.html) / 1e6
    print(f"wrote {spec.title} ({len(map_layers)} layers, {size:.2f} MB) to {path}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Write the site."""
    from fzgeo.maps import publish

    entries = publish.site_maps(args.maps, args.check)
    index = publish.publish(args.folder, entries, basemap=args.basemap, offline_mode=args.offline)
    print(f"wrote {len(entries)} maps and {index}")
    return 0
