"""``fzgeo map`` (one web map) and ``fzgeo publish`` (a static site of maps)."""

from __future__ import annotations

import argparse
from pathlib import Path

from fzgeo.errors import ConfigError

ORDER = 50
BASEMAPS = ("osm", "tianditu", "amap", "none")


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
        "to match) or none; default: the composition's",
    )
    p.add_argument(
        "--check",
        type=Path,
        metavar="DIR",
        help="a `fzgeo check` output folder: add its sites "
        "and conflict parts (required by the conflicts map)",
    )


def _spec_and_layers(names: list[str], check: Path | None, title: str | None):
    from fzgeo.maps import compose, conflict

    if len(names) == 1 and names[0] in compose.available():
        spec = compose.spec(names[0])
    else:
        spec = compose.adhoc(names, title=title)
    if spec.key == "conflicts" and check is None:
        raise ConfigError("the conflicts map needs --check DIR (a `fzgeo check` output folder)")
    layers = compose.resolve(
        spec, where=f"maps/{spec.key}.yaml" if spec.key != "map" else "command line"
    )
    if check is not None:
        styled = spec if spec.check_styles else compose.spec("conflicts")
        layers += conflict.check_layers(check, styled)
    return spec, layers


def _basemap(args: argparse.Namespace, default: str) -> str:
    if args.offline and args.basemap not in (None, "none"):
        raise ConfigError(
            f"--offline loads no tiles, but --basemap {args.basemap} was given",
            hint="drop --basemap or use --basemap none",
        )
    return "none" if args.offline else (args.basemap or default)


def cmd_map(args: argparse.Namespace) -> int:
    """Render one map and report what display preparation did."""
    from fzgeo.maps import render, simplify

    spec, layers = _spec_and_layers(args.names, args.check, args.title)
    rendered = render.render(
        layers,
        title=spec.title,
        basemap=_basemap(args, spec.basemap),
        assets="inline" if args.offline else "cdn",
        center=spec.center,
        zoom=spec.zoom,
        groups=spec.groups,
        detail_zoom=spec.detail_zoom,
        fit_to=spec.fit_to,
    )
    path = rendered.write(args.out)
    print(simplify.summary(rendered.reports).to_string(index=False))
    print(f"wrote {spec.title} ({len(layers)} layers, {len(rendered.html) / 1e6:.2f} MB) to {path}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Write the site."""
    from fzgeo.maps import compose, publish

    keys = args.maps or [k for k in compose.available() if k != "conflicts" or args.check]
    entries = []
    for key in keys:
        if key not in compose.available():
            raise ConfigError(f"no map {key!r}; available: {', '.join(compose.available())}")
        check = args.check if key == "conflicts" else None
        entries.append(_spec_and_layers([key], check, None))
    _basemap(args, "none")  # validates --offline against --basemap
    index = publish.publish(args.folder, entries, basemap=args.basemap, offline_mode=args.offline)
    print(f"wrote {len(entries)} maps and {index}")
    return 0
