"""``fzgeo check``: project sites against 三区三线 and other constraint layers.

Exit status: 0 every rule was checked and no site is in conflict (冲突); 1 at least one site is
in conflict; 2 user error (bad file, CRS, rules); 3 no conflict found but at least one rule was
skipped because its layer is missing (the check is incomplete, not passed); 4 the sites lie
outside 抚州市 and every constraint layer (FZ106, likely a wrong CRS): no report is written
unless ``--allow-outside`` is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fzgeo.cli import _engine
from fzgeo.cli._common import add_input_options, read_input
from fzgeo.cli._engine import add_engine_options

if TYPE_CHECKING:
    from fzgeo import check

ORDER = 30
EXIT_CLEAR, EXIT_CONFLICT, EXIT_INCOMPLETE, EXIT_OUTSIDE = 0, 1, 3, 4
READ_BAR_BYTES = 1 << 20  #: site files from this size get a reading bar on a terminal

EPILOG = """\
--against takes a packaged layer name (e.g. eco_redline), NAME=FILE to use your own file for the
layer the rules call NAME (e.g. eco_redline=红线.shp), or a FILE whose stem is such a NAME. From a
GeoPackage, File GDB or zip holding several layers, NAME=FILE reads the layer called NAME (as
written by `fzgeo sanqu load`), and NAME=FILE:LAYER the layer LAYER (what --layer would name, e.g.
eco_redline=三区三线.zip:红线 for 红线.shp inside the zip; --layer itself is for the sites). A bare
NAME is the packaged layer unless a file of that name exists (as for `fzgeo export`). Without
--against, the packaged layers the rules name are used. With --against, only the layers given are
used and rules on other layers are reported as skipped.

When a constraint layer used is illustrative (示意, e.g. the packaged 三区三线 stand-ins), every
report says so first and the last line printed is that notice. A user's file counts as official
unless its `precision` column says illustrative.

exit status: 0 no conflict and every rule checked; 1 at least one conflict (冲突);
2 user error; 3 no conflict but some rule skipped (incomplete check); 4 the sites lie outside
抚州市 and every constraint layer (FZ106, likely a wrong CRS), no report written (--allow-outside
checks and reports them anyway)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand."""
    p = sub.add_parser(
        "check",
        help="check project sites against 生态保护红线, 永久基本农田, 城镇开发边界 and other "
        "constraint layers; writes CSV, XLSX, GeoPackage, HTML and JSON reports",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sites", type=Path, help="project sites: polygons, lines or points")
    p.add_argument(
        "--against",
        action="append",
        metavar="LAYER_OR_FILE",
        help="constraint layer: packaged name, NAME=FILE, NAME=FILE:LAYER (a layer of a "
        "GeoPackage, or a dataset inside a zip), or FILE (repeatable)",
    )
    p.add_argument("--rules", type=Path, help="rules YAML (default: the packaged rules)")
    p.add_argument(
        "--dem",
        type=Path,
        metavar="DEM.tif",
        help="elevation GeoTIFF (any CRS) for the rules' slope rules (raster 'dem'); when the "
        "rules have none, the packaged terrain rules (25° and 15°) are added",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument(
        "--point-radius",
        type=float,
        metavar="M",
        help="radius in metres for point sites without a radius attribute",
    )
    p.add_argument(
        "--ellipsoidal", action="store_true", help="also report areas on the CGCS2000 ellipsoid"
    )
    p.add_argument(
        "--site-maps",
        choices=("review", "all", "none"),
        default="review",
        help="which sites get a map in report.html (maps/): review = 冲突 and 邻近 sites "
        "(default), all = every site, none = no maps; at most 200, the most serious first",
    )
    add_engine_options(p)
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="never show progress bars (by default they show on a terminal, from 1000 sites, "
        "on stderr; never in pipes or logs)",
    )
    p.add_argument("--no-cache", action="store_true", help="do not read or write cut pieces")
    p.add_argument(
        "--allow-outside",
        action="store_true",
        help="report sites that lie outside 抚州市 and every constraint layer (FZ106) instead of "
        "stopping with exit status 4: they are far away on purpose, not in a wrong CRS",
    )
    add_input_options(p)
    p.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    """Run the check and write the reports; the exit status says what was found."""
    from fzgeo import _progress, io, report
    from fzgeo.check import rules

    show = None if not args.no_progress else False
    rule_set = rules.load(args.rules)
    rasters = {}
    if args.dem is not None:
        rule_set = rules.with_terrain(rule_set)
        rasters["dem"] = args.dem
    with _progress.phase("读取项目", show=_reading_shown(args.sites, show)):
        sites = read_input(args, args.sites, what="sites")
    from fzgeo.check import guard

    guard.require_sites(
        sites, args.sites, hint="check the file (and --layer) holds the sites; an empty batch "
        "is not a clean one"
    )
    shown = _progress.wanted(len(sites), show)
    with _progress.phase("读取管控图层", show=shown):
        constraints = _engine.constraint_layers(args, rule_set)
    try:  # the guard stops the check before measuring, and before --db-table stores anything
        result = _engine.run(
            args,
            sites,
            constraints.layers,
            rule_set,
            point_radius_m=args.point_radius,
            ellipsoidal=args.ellipsoidal,
            workers=args.threads,
            progress=shown,
            use_cache=not args.no_cache,
            rasters=rasters,
            stop_outside=not args.allow_outside,
        )
    except guard.SitesOutside:
        print(
            f"error: [FZ106] {guard.OUTSIDE_STOP} (see the warning above; hint: fix the sites' "
            "CRS, e.g. --assume-crs; pass --allow-outside if they are there on purpose)",
            file=sys.stderr,
        )
        return EXIT_OUTSIDE
    rules_file = [args.rules] if args.rules else []
    inputs = [args.sites, *rules_file, *rasters.values(), *constraints.files]
    read_as = io.read_records([sites, *constraints.layers.values()])
    earlier = (args.out / "summary.json").is_file()
    written = report.write_report(
        result,
        args.out,
        inputs=inputs,
        layers=constraints.titled(rule_set),
        read_as=read_as,
        site_maps=args.site_maps,
        origins=report.layer_origins(constraints.layers, database=bool(args.dsn)),
        progress=shown,
    )
    if earlier:
        print(f"replaced the outputs of an earlier check in {args.out} (other files kept)")
    return _print_outcome(result, written)


def _reading_shown(path: Path, show: bool | None) -> bool:
    """Whether reading the sites gets a bar: by default on a terminal for files of 1 MB and up.

    The number of sites is not known before reading; a 1 MB file holds about a thousand
    parcels or more.
    """
    from fzgeo import _progress

    if show is not None:
        return show
    try:
        size = path.stat().st_size if path.is_file() else 0
    except OSError:
        size = 0
    return size >= READ_BAR_BYTES and _progress.terminal()


def _print_outcome(result: check.CheckResult, written: list[Path]) -> int:
    """Print counts, repairs, skipped rules and files; the 示意 notice is the very last line."""
    from fzgeo import report
    from fzgeo.check import rules

    counts = result.verdict_counts()
    copies = counts["duplicates"]
    print(
        f"{counts['sites']} sites: {counts[rules.CONFLICT]} 冲突 (conflict), "
        f"{counts[rules.NEAR]} 邻近 (review), {counts[rules.CLEAR]} 无冲突"
        + (
            f", {counts[rules.UNCHECKED]} 无法检查 (no usable geometry)"
            if counts[rules.UNCHECKED]
            else ""
        )
        + (f" ({copies} duplicated site(s) counted once, each on its own row)" if copies else "")
    )
    if result.repaired_sites:
        print(f"repaired {result.repaired_sites} invalid site geometries (make_valid)")
    for rid, reason in result.skipped.items():
        print(f"skipped rule {rid}: {reason}")
    for path in written:
        print(f"wrote {path}")
    text = report.notice(result)
    if text:
        print(text)
    if result.any_conflict:
        return EXIT_CONFLICT
    return EXIT_INCOMPLETE if result.skipped else EXIT_CLEAR
