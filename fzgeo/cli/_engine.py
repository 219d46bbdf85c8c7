"""Where ``fzgeo check`` measures: here (threads), in PostGIS (``--dsn``) or on dask.

Not a subcommand (no ``register``): :mod:`fzgeo.cli._check` calls :func:`add_engine_options`,
:func:`constraint_layers` and :func:`run`. The engine records where it measured
in ``CheckResult.audit["engine"]`` (the database as a DSN without password, the dask scheduler);
:func:`run` passes it the DSN, scheduler or thread count, and removes any password of ``--dsn``
from that record before it reaches an output (:func:`without_password`).
"""

from __future__ import annotations

import argparse
import contextlib
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from fzgeo.errors import ConfigError

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

    from fzgeo import check
    from fzgeo.check import rules
    from fzgeo.check.constraints import ConstraintLayers


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """``--threads``, and one of ``--dsn`` / ``--workers`` / ``--scheduler``, ``--db-table``."""
    from fzgeo.cli._db import DSN_ENV

    group = parser.add_argument_group(
        "engine", "where to measure (default: here, in threads); every engine gives the same table"
    )
    group.add_argument(
        "--threads", type=int, help="threads here, from 1024 sites up (default: all cores)"
    )
    choice = group.add_mutually_exclusive_group()
    choice.add_argument(
        "--dsn",
        help="measure inside PostGIS against the layers `fzgeo db push` wrote there "
        f"(a libpq URI or string; ${DSN_ENV} is not used here, give it explicitly)",
    )
    choice.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="measure on a local dask cluster of N worker processes (dask-geopandas)",
    )
    choice.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="measure on a running dask cluster (its workers need the same fzgeo installed)",
    )
    group.add_argument(
        "--db-table",
        metavar="NAME",
        help="with --dsn: also store the per-site results as table fzgeo.NAME (replaced whole)",
    )


def constraint_layers(args: argparse.Namespace, rule_set: rules.RuleSet) -> ConstraintLayers:
    """The constraint layers: ``--against`` or packaged, or with ``--dsn`` from the database.

    Without ``--dsn`` they are :func:`fzgeo.check.constraints.gather`'s. With it, the layers are
    pulled for the report's maps only; measuring uses the tables.
    """
    from fzgeo.check import constraints

    if getattr(args, "db_table", None) and not args.dsn:
        raise ConfigError("--db-table needs --dsn")
    if not args.dsn:
        return constraints.gather(rule_set, args.against)
    if args.against:
        raise ConfigError(
            "with --dsn the constraint layers come from the database, not --against",
            hint="push your file first: fzgeo db push --dsn ... --from FILE --as NAME",
        )
    from fzgeo.db.pull import listing, pull

    present = set(listing(args.dsn)["name"])
    wanted = [name for name in rule_set.layers() if name in present]
    found: dict[str, GeoDataFrame | None] = dict.fromkeys(rule_set.layers())
    found.update(pull(args.dsn, wanted))
    return constraints.ConstraintLayers(found)


def run(
    args: argparse.Namespace,
    sites: GeoDataFrame,
    layers: dict[str, GeoDataFrame | None],
    rule_set: rules.RuleSet,
    **options: Any,
) -> check.CheckResult:
    """Run the check on the engine the options chose."""
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    if args.dsn:
        from fzgeo.db import check as db_check

        result = db_check.run(sites, args.dsn, rule_set, result_table=args.db_table, **options)
        result.audit = without_password(result.audit, args.dsn)
        return result
    if args.workers or args.scheduler:
        from fzgeo.check import scale

        options.pop("workers", None)
        return scale.run(
            sites, layers, rule_set, workers=args.workers, scheduler=args.scheduler, **options
        )
    from fzgeo import check

    return check.run(sites, layers, rule_set, **options)


def _passwords(dsn: str) -> list[str]:
    """The password(s) a libpq URI or keyword DSN carries (``user:PASSWORD@`` or ``password=``)."""
    found = []
    with contextlib.suppress(ValueError):
        if (password := urlsplit(dsn).password) is not None:
            found += [password, unquote(password)]
    for match in re.finditer(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", dsn, re.IGNORECASE):
        found.append(match.group(1).strip("'"))
    return [p for p in dict.fromkeys(found) if p]


def without_password(value: Any, dsn: str | None) -> Any:
    """``value`` (nested dicts, lists, text) with any password of ``dsn`` replaced by ``***``.

    The audit record names the database (``summary.json``, the report); the password must never
    reach an output, whatever an engine recorded.
    """
    secrets = _passwords(dsn) if dsn else []
    if not secrets:
        return value

    def clean(item: Any) -> Any:
        if isinstance(item, str):
            for secret in secrets:
                item = item.replace(secret, "***")
            return item
        if isinstance(item, dict):
            return {clean(k): clean(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return type(item)(clean(v) for v in item)
        return item

    return clean(value)
