"""``fzgeo validate FILE...``: everything wrong with input files, as a table or as JSON.

Exit status: 0 when no file has an error (warnings allowed; with ``--strict`` none either), 1 when
any file has one, 2 for a usage error. ``--codes`` prints the error catalogue.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fzgeo.cli._common import add_input_options
from fzgeo.errors import CATALOGUE
from fzgeo.textsafe import clean_text

if TYPE_CHECKING:
    from fzgeo.io import validate

ORDER = 20
EXIT_PROBLEMS = 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand."""
    p = sub.add_parser(
        "validate",
        help="report everything wrong with input files (CRS, encoding, geometry, parts)",
        description=(
            "Read each FILE as fzgeo check would and report every problem with a stable code, "
            "the feature or row, and a hint. Exit status 1 when any file has an error."
        ),
    )
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help="files to check")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")
    p.add_argument(
        "--features", action="store_true", help="list every feature's status in the table"
    )
    p.add_argument(
        "--strict", action="store_true", help="exit with status 1 on warnings too (for pipelines)"
    )
    p.add_argument(
        "--codes", action="store_true", help="print the error catalogue (Markdown) and exit"
    )
    add_input_options(p)
    p.set_defaults(func=cmd_validate)


def catalogue_markdown() -> str:
    """The error catalogue as a Markdown table, in code order: code, severity, problem, hint."""
    lines = ["| code | severity | problem | hint |", "|---|---|---|---|"]
    for e in CATALOGUE.values():
        hint = e.hint.replace("|", "\\|")
        lines.append(f"| {e.code} | {e.severity} | {e.title} | {hint} |")
    return "\n".join(lines) + "\n"


def _cell(text: str | None, width: int) -> str:
    text = " ".join(str(clean_text(text or "")).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(report: validate.Report, *, features: bool = False) -> str:
    """A plain-text report for the terminal."""
    head = [f"{report.path}: " + ("OK" if report.ok else f"{len(report.errors)} error(s)")]
    facts = [
        ("format", report.format),
        ("layer", report.layer),
        ("CRS", report.crs),
        ("text", report.encoding),
    ]
    head += [f"  {k}: {v}" for k, v in facts if v]
    if report.format is not None:
        counts = ", ".join(f"{n} {s}" for s, n in report.status_counts.items())
        head.append(
            f"  features: {report.features_in} in, {report.features_out} reported ({counts})"
        )
    for f in report.findings:
        message = _cell(f.message, 10_000)
        head.append(f"  {f.severity:<7} {f.code}  {_cell(f.where, 34):<34}  {message}")
        if f.hint:
            head.append(f"  {'':<7} {'':5}  {'':<34}  hint: {f.hint}")
    if features:
        head += [
            f"    {r['feature']}: {r['status']}" + (f" ({r['detail']})" if r["detail"] else "")
            for r in report.features
        ]
    return "\n".join(head)


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate the files."""
    from fzgeo.io import validate

    if args.codes:
        sys.stdout.write(catalogue_markdown())
        return 0
    if not args.files:
        print("fzgeo validate: give at least one FILE (or --codes)", file=sys.stderr)
        return 2
    reports = [
        validate.validate_file(
            path,
            layer=args.layer,
            encoding=args.encoding,
            assume_crs=args.assume_crs,
            input_coords=args.input_coords,
        )
        for path in args.files
    ]
    if args.json:
        data = [r.as_dict() for r in reports]
        print(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False))
    else:
        print("\n\n".join(render_table(r, features=args.features) for r in reports))
    failed = [r for r in reports if not r.ok]
    if args.strict:
        failed += [r for r in reports if r.ok and any(f.severity == "warning" for f in r.findings)]
    return EXIT_PROBLEMS if failed else 0
