"""The ``fzgeo`` command line: a thin argparse shell over the library.

Each subcommand lives in its own module ``fzgeo/cli/_<name>.py``, found at start-up, exposing
``register(subparsers)``, which adds its parser and sets ``func`` to a callable taking the parsed
arguments and returning an exit status, and ``ORDER`` (an int) that places it in ``--help``.
Every module is imported to build the parser, so at module level they import only the standard
library and light fzgeo modules (:mod:`fzgeo.errors`, :mod:`fzgeo._defaults`, ...); geopandas,
pandas, rasterio, folium and the fzgeo modules built on them are imported inside the handlers
(type-only imports under ``TYPE_CHECKING``). ``fzgeo --help`` then starts in a tenth of the time;
tests/test_cli_startup.py holds it so.
User errors (:class:`~fzgeo.errors.FzgeoError`) print one line on stderr and exit with status 2;
no traceback is shown. Warnings are printed as ``warning: ...`` lines.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

from fzgeo import __version__
from fzgeo.errors import FzgeoError

EXIT_OK = 0
EXIT_USER_ERROR = 2


def _show_warning(
    message: Warning | str,
    category: type[Warning],  # noqa: ARG001
    filename: str,  # noqa: ARG001
    lineno: int,  # noqa: ARG001
    file: object = None,  # noqa: ARG001
    line: str | None = None,  # noqa: ARG001
) -> None:
    print(f"warning: {message}", file=sys.stderr)


def command_modules() -> list[ModuleType]:
    """The subcommand modules, in ``--help`` order."""
    import fzgeo.cli

    found = []
    for info in pkgutil.iter_modules(fzgeo.cli.__path__):
        if info.name.startswith("_") and not info.name.startswith("__"):
            module = importlib.import_module(f"fzgeo.cli.{info.name}")
            if hasattr(module, "register"):
                found.append(module)
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="fzgeo",
        description=(
            "GIS layers from the 抚州市 14th Five-Year Plan, siting-conflict checks against "
            "三区三线, web maps and QGIS-ready data."
        ),
    )
    parser.add_argument("--version", action="version", version=f"fzgeo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in command_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (also used as the console script)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():  # restores filters and showwarning on exit
            warnings.simplefilter("default")
            # library deprecations concern developers, not the person running a command
            for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
                warnings.simplefilter("ignore", category)
            warnings.showwarning = _show_warning
            status = int(args.func(args))
    except FzgeoError as err:
        print(f"fzgeo: error {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("fzgeo: interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
