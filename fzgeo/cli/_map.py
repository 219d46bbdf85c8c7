"""``fzgeo map`` (one web map) and ``fzgeo publish`` (a static site of maps)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from fzgeo.maps.basemaps import NAMES as BASEMAPS

if TYPE_CHECKING:
    from fzgeo.maps.compose import MapSpec

ORDER = 50


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommands."""
    p = sub.add_parser(
        "map",
        help="write a web map (HTML) of a shipped map composition or of named layers",
        description="Write a Leaflet web map. NAME is a map composition in maps/ "
        "(plan_overview, transport, sanqu_ecology, conflicts) or one or more layer kinds "
        "(fzgeo layers).",
    )
    p.add_argument("names", nargs="+", metavar="MAP|LAYER", help="a map or layer kinds")
    p.add_argument("--out", type=Path, required=True, help="HTML file to write")
    _common(p)
    p.add_argument("--title", help="title of an ad-hoc map of layers")
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


def cmd_map(args: argparse.Namespace) -> int:
    """Render one map and report what display preparation did."""
    from fzgeo.maps import conflict, render, simplify

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
