"""The siting conflict check: project sites against 三区三线 and other constraint layers.

``fzgeo.check.run(sites, layers, rule_set)`` measures every site against every rule and returns a
:class:`CheckResult`; ``fzgeo.check.conflicts`` returns only the wide per-site table. The modules:

:mod:`fzgeo.check.core`
    constraint preparation, the engines' protocol and the local engine (threads);
:mod:`fzgeo.check.rules`
    the rule set (YAML): veto / within / buffer / slope rules, exemptions, verdicts;
:mod:`fzgeo.check.pieces`, ``_overlap``
    constraint layers cut into small pieces (cached), and the overlap measurement on them;
:mod:`fzgeo.check.scale`
    the dask engine (the PostGIS engine is :mod:`fzgeo.db.check`).
"""

from fzgeo.check.core import (
    M2_PER_HA,
    M2_PER_MU,
    ROUNDING,
    CheckResult,
    Constraint,
    Engine,
    conflicts,
    prepare,
    run,
    warn_repaired,
)

__all__ = [
    "M2_PER_HA",
    "M2_PER_MU",
    "ROUNDING",
    "CheckResult",
    "Constraint",
    "Engine",
    "conflicts",
    "prepare",
    "run",
    "warn_repaired",
]
