"""Where ``fzgeo check`` measures: here (threads), in PostGIS (``--dsn``) or on dask.

Not a subcommand (no ``register``): :mod:`fzgeo.cli._check` calls :func:`add_engine_options`,
:func:`constraint_layers` and :func:`run`.

The engine is chosen explicitly, never by the environment alone (:func:`resolve`):
``--engine postgis`` or ``--dsn DSN`` measure in PostGIS, ``--engine dask``, ``--workers`` or
``--scheduler`` on dask, anything else here. The PostGIS engine's database follows the rule of
every database command: ``--dsn``, else ``$FZGEO_DSN`` (FZ707 when neither is given). A
``$FZGEO_DSN`` set for ``fzgeo db`` does not move a plain ``fzgeo check`` into the database,
which would change the layers it checks against; the check says so on stderr. The engine records where it measured
in ``CheckResult.audit["engine"]`` (the database as a DSN without password, the dask scheduler);
:func:`run` passes it the DSN, scheduler or thread count, and removes any password of ``--dsn``
from that record before it reaches an output (:func:`without_password`).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from fzgeo.errors import ConfigError

ENGINES = ("local", "postgis", "dask")  #: the choices of ``--engine``

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

    from fzgeo import check
    from fzgeo.check import rules
    from fzgeo.check.constraints import ConstraintLayers


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """``--threads``, and one of ``--dsn`` / ``--workers`` / ``--scheduler``, ``--db-table``."""
    from fzgeo.cli._db import DSN_ENV

    group = parser.add_argument_group(
        "engine",
        "where to measure (default: here, in threads); every engine gives the same table",
    )
    group.add_argument(
        "--engine",
        choices=ENGINES,
        help="local: threads here, against the packaged or --against layers (the default); "
        "postgis: inside PostGIS against the layers `fzgeo db push` wrote (database: --dsn, "
        f"else ${DSN_ENV}); dask: on a dask cluster (--workers, --scheduler). "
        f"${DSN_ENV} alone never chooses postgis",
    )
    group.add_argument(
        "--threads", type=int, help="threads here, from 1024 sites up (default: all cores)"
    )
    choice = group.add_mutually_exclusive_group()
    choice.add_argument(
        "--dsn",
        help="the PostGIS database (a libpq URI or string; default with --engine postgis: "
        f"${DSN_ENV}); giving --dsn chooses the postgis engine",
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
        help="with the postgis engine: also store the per-site results as table fzgeo.NAME "
        "(replaced whole)",
    )


def resolve(args: argparse.Namespace) -> str:
    """The engine the options choose; sets ``args.dsn`` to the database (None off PostGIS).

    Raises
    ------
    ConfigError
        Contradicting options (``--engine local --dsn ...``), or FZ707: the postgis engine
        without ``--dsn`` and without ``$FZGEO_DSN``.
    """
    from fzgeo.cli._db import DSN_ENV, dsn_from_env

    dask_options = args.workers is not None or args.scheduler is not None
    implied = "postgis" if args.dsn else "dask" if dask_options else None
    engine = getattr(args, "engine", None) or implied or "local"
    if implied and implied != engine:
        option = "--dsn" if args.dsn else "--workers/--scheduler"
        raise ConfigError(f"--engine {engine} does not take {option} (it chooses {implied})")
    if engine == "postgis" and not args.dsn:
        args.dsn = dsn_from_env()
        if not args.dsn:
            raise ConfigError(
                f"--engine postgis needs a database: give --dsn or set ${DSN_ENV}",
                code="FZ707",
            )
    if getattr(args, "db_table", None) and engine != "postgis":
        raise ConfigError("--db-table needs --dsn or --engine postgis (the postgis engine)")
    if engine == "local" and dsn_from_env() and not getattr(args, "_dsn_noted", False):
        args._dsn_noted = True
        print(
            f"note: ${DSN_ENV} is set, but the check runs here against the packaged or "
            "--against layers; --engine postgis measures in that database",
            file=sys.stderr,
        )
    args.engine = engine
    return engine


def constraint_layers(args: argparse.Namespace, rule_set: rules.RuleSet) -> ConstraintLayers:
    """The constraint layers: ``--against`` or packaged, or with ``--dsn`` from the database.

    Without ``--dsn`` they are :func:`fzgeo.check.constraints.gather`'s. With it, the layers are
    pulled for the report's maps only; measuring uses the tables.
    """
    from fzgeo.check import constraints

    resolve(args)
    if not args.dsn:
        return constraints.gather(rule_set, args.against)
    if args.against:
        raise ConfigError(
            "with --dsn the constraint layers come from the database, not --against",
            hint="push your file first: fzgeo db push --dsn ... --from FILE --as NAME",
        )
    from fzgeo.db.pull import constraint_layers as from_database

    return from_database(args.dsn, rule_set)


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
    engine = resolve(args)
    if engine == "postgis":
        from fzgeo.db import check as db_check

        result = db_check.run(sites, args.dsn, rule_set, result_table=args.db_table, **options)
        result.audit = without_password(result.audit, args.dsn)
        return result
    if engine == "dask":
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
