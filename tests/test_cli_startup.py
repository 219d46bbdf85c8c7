"""Building the ``fzgeo`` parser and printing ``--help`` import no GIS or data-frame library.

The subcommand modules import geopandas, rasterio, folium, ... inside their handlers, so start-up
stays fast. Not timed here (timings belong in benchmarks/); the test looks at ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("geopandas", "rasterio", "folium", "pandas", "shapely", "pyproj", "numpy")

_PROBE = """
import argparse, contextlib, io, json, sys
from fzgeo.cli import build_parser, main

def walk(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from walk(sub)

{body}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _imported_after(body: str) -> list[str]:
    code = _PROBE.format(body=body, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_building_the_parser_imports_no_heavy_library() -> None:
    body = "helps = [p.format_help() for p in walk(build_parser())]\nassert len(helps) > 20"
    assert _imported_after(body) == []


def test_help_of_every_command_imports_no_heavy_library() -> None:
    body = """
names = [[]]
for action in build_parser()._actions:
    if isinstance(action, argparse._SubParsersAction):
        names += [[name] for name in action.choices]
assert ["check"] in names and ["db"] in names
for argv in names:
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
        main([*argv, "--help"])
    assert "usage: fzgeo" in out.getvalue(), argv
"""
    assert _imported_after(body) == []


def test_running_a_command_still_imports_what_it_needs() -> None:
    body = """
with contextlib.redirect_stdout(io.StringIO()) as out:
    assert main(["layers", "admin_boundaries"]) == 0
assert "admin_boundaries" in out.getvalue()
"""
    assert {"geopandas", "pandas"} <= set(_imported_after(body))


def test_console_help_through_python_m() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "fzgeo.cli", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "check" in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()}
    assert imported.isdisjoint(HEAVY)
