"""The siting conflict check: project sites against 三区三线 and other constraint layers.

``fzgeo.check.run(sites, layers, rule_set)`` measures every site against every rule and returns a
:class:`CheckResult`; ``fzgeo.check.conflicts`` returns only the wide per-site table. The modules,
each one job:

:mod:`fzgeo.check.runner`
    :func:`run` and :func:`conflicts`, the one path every engine goes through;
:mod:`fzgeo.check.model`
    units (:data:`M2_PER_HA`, :data:`M2_PER_MU`), :data:`ROUNDING`, :class:`Constraint`,
    :class:`CheckResult`;
:mod:`fzgeo.check.rules`
    the rule set (YAML): veto / within / proximity / soft / slope rules, exemptions, verdicts;
:mod:`fzgeo.check.constraints`
    the constraint layers the rules name, packaged or from the user's files (``--against``);
:mod:`fzgeo.check.vector`
    the vector rules: sites and constraint layers prepared in the work CRS, verdicts, long table;
:mod:`fzgeo.check.slope`
    the slope rules on a DEM;
:mod:`fzgeo.check.tables`
    the long table's shared columns and the wide per-site table with the overall verdict;
:mod:`fzgeo.check.project_types`
    the sites' project types (项目类型) for exemptions, and the FZ601 warning;
:mod:`fzgeo.check.labels`
    the features met, named by the layer's id and name columns (BSM, HXMC, ...);
:mod:`fzgeo.check.parts`
    the conflict parts in EPSG:4490 (outside the layer for ``within`` rules), ellipsoidal areas;
:mod:`fzgeo.check.guard`
    the extent guard: sites outside the city and every layer warn (FZ106, likely a wrong CRS);
:mod:`fzgeo.check.engines`
    the :class:`Engine` base class and the local engine (chunks, threads, progress);
:mod:`fzgeo.check.scale`
    the dask engine (the PostGIS engine is :mod:`fzgeo.db.check`);
:mod:`fzgeo.check.pieces`, ``_overlap``
    constraint layers cut into small pieces (cached), and the overlap measurement on them.
"""

from fzgeo.check.engines import Engine
from fzgeo.check.model import M2_PER_HA, M2_PER_MU, ROUNDING, CheckResult, Constraint
from fzgeo.check.runner import conflicts, run
from fzgeo.check.vector import prepare, warn_repaired

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
