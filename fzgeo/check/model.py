"""What the siting check works with: units, rounding, a prepared constraint layer and the result.

Every other module of :mod:`fzgeo.check` (and the engines outside it) shares these types; they
hold data and no check logic, apart from building the overlap parts on first use
(:func:`fzgeo.check.parts.parts_frame`): all of them (:attr:`CheckResult.parts`, letting the
raw work-CRS overlaps go chunk by chunk as they are built), or those of a few sites
(:meth:`CheckResult.parts_of`, what a report's site maps draw).

Units: areas in m², 1 公顷 (ha) = 10 000 m², 1 亩 = 10 000/15 m² (666.67 m²).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from geopandas import GeoDataFrame

from fzgeo.check import _overlap, pieces
from fzgeo.check.parts import parts_frame
from fzgeo.check.rules import CLEAR, CONFLICT, NEAR, SKIPPED, UNCHECKED, Rule, RuleSet
from fzgeo.crs import Bounds
from fzgeo.errors import FzgeoError

M2_PER_HA = 10_000.0
M2_PER_MU = 10_000.0 / 15.0  #: 1 亩 = 666.666... m²
#: Decimal places the reports keep (round half to even on the float value).
ROUNDING = {"m2": 2, "ha": 4, "mu": 4, "share": 6, "m": 2, "score": 4, "deg": 2}


@dataclass(frozen=True)
class LayerRecord:
    """What the audit records of a constraint layer as given (whole, before a rule's ``where``).

    ``sha256`` is :func:`fzgeo.check.pieces.layer_sha256` (the same for the same layer on every
    engine), ``precision`` the distinct values of the layer's ``precision`` column (e.g.
    ``illustrative`` for the packaged 示意 stand-ins; empty without the column), ``id_column`` and
    ``name_column`` the columns that name the features met (:mod:`fzgeo.check.labels`).
    """

    sha256: str
    features: int
    precision: tuple[str, ...] = ()
    id_column: str | None = None
    name_column: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``sha256``, ``features``, ``precision`` (a list), the two columns."""
        return {
            "sha256": self.sha256,
            "features": self.features,
            "precision": list(self.precision),
            "id_column": self.id_column,
            "name_column": self.name_column,
        }


@dataclass
class Constraint:
    """A constraint layer prepared for checking: work-CRS pieces and feature labels.

    ``extent`` is the bounding box of the features the rule selects, (x0, y0, x1, y1) in metres
    of the work CRS EPSG:4548 (NaN when they have no geometry); the extent guard
    (:mod:`fzgeo.check.guard`) compares the sites with it. The PostGIS engine leaves ``pieces``
    empty (its pieces are in the database) but fills ``extent``. ``ids`` and ``names`` label the
    selected features (:mod:`fzgeo.check.labels`); ``record`` is what the audit keeps of the
    whole layer.
    """

    name: str
    polygons: bool
    pieces: pieces.Pieces
    ids: np.ndarray
    names: np.ndarray
    features: int
    repaired: int
    extent: Bounds
    record: LayerRecord | None = None
    #: ids of the selected features without area (lines, points, no geometry), as ``ids`` says
    without_area: tuple[str, ...] = ()


@dataclass
class CheckResult:
    """Everything a check found; see :func:`fzgeo.check.run`.

    ``audit`` (JSON-ready) records how the check was made: ``engine`` (``name`` local, dask or
    postgis, with ``threads``, ``scheduler`` or ``database`` without password),
    ``touch_tolerance`` (``m2``, ``m``), ``type_column``, ``unknown_types`` (type -> sites),
    ``untyped_sites``, ``layers`` (layer name -> :meth:`LayerRecord.as_dict`) and
    ``duplicate_sites`` (per group of sites with the same geometry, the 1-based ``rows`` and
    the sites' ``labels``; :mod:`fzgeo.check.duplicates`) and ``sites_outside`` (True when the
    extent guard warned FZ106: the sites meet neither 抚州市 nor any constraint layer).
    """

    sites: GeoDataFrame
    details: pd.DataFrame
    rules: RuleSet
    layers: dict[str, Constraint]  #: rule id -> the layer as that rule sees it
    skipped: dict[str, str]  #: rule id -> why it was skipped
    repaired_sites: int
    notes: list[str] = field(default_factory=list)
    #: per measured rule, its measure (the raw ``parts`` are let go as :attr:`parts` is built,
    #: the ``features`` once the tables name them)
    measured: list[tuple[Rule, _overlap.Measure]] = field(default_factory=list, repr=False)
    workers: int = 1  #: threads for building :attr:`parts`
    audit: dict[str, Any] = field(default_factory=dict)
    #: the sites in the work CRS and their classes (:func:`fzgeo.check.vector.work_sites`)
    work_sites: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    #: True when building :attr:`parts` failed after the raw parts were let go
    parts_lost: bool = field(default=False, repr=False)

    @cached_property
    def parts(self) -> GeoDataFrame:
        """The conflict parts of every site and measured rule, EPSG:4490, built on first use.

        For a ``within`` rule the part of the site outside the layer (column ``side``
        ``outside``; a site wholly outside is its whole self), for the other kinds the part
        inside (``side`` ``inside``); ``inside`` holds the part's measure (m², m, or 1 for a
        point). Parts of one site cut from several pieces of a feature are dissolved here, so a
        check that needs only the numbers does not pay for the geometry.
        """
        if self.parts_lost:
            msg = (
                "the conflict parts cannot be built again: an earlier attempt failed after "
                "letting go of the overlaps it had built (run the check again)"
            )
            raise FzgeoError(msg)
        checked = self.details[self.details["verdict"] != SKIPPED].reset_index(drop=True)
        # the raw parts in the work CRS serve only this: at a million sites they hold as much
        # memory as the parts built, so they are let go chunk by chunk as the parts are built
        # (``measured`` keeps the numbers)
        try:
            built = parts_frame(
                self.measured,
                checked,
                len(self.sites),
                self.workers,
                self.work_sites,
                self.rules,
                release=True,
            )
        except BaseException:
            self.parts_lost = True
            raise
        finally:
            self.measured = [
                (rule, replace(m, parts=np.full(len(m.parts), None, dtype=object)))
                for rule, m in self.measured
            ]
        return built

    def parts_of(self, positions: Sequence[int] | np.ndarray) -> GeoDataFrame:
        """The rows of :attr:`parts` whose ``site`` is in ``positions`` (0-based), in its order.

        Built for those sites alone while :attr:`parts` is not built yet (a report's site maps
        draw at most a few hundred sites of a batch of a million), without letting go of
        anything; taken from :attr:`parts` once it is.
        """
        wanted = np.asarray(positions, dtype=np.int64)
        if "parts" in self.__dict__:
            whole = self.parts
            return whole[whole["site"].isin(wanted)].reset_index(drop=True)
        if self.parts_lost:
            return self.parts  # raises
        checked = self.details[self.details["verdict"] != SKIPPED].reset_index(drop=True)
        return parts_frame(
            self.measured,
            checked,
            len(self.sites),
            self.workers,
            self.work_sites,
            self.rules,
            only=wanted,
        )

    def unused(self, layer: str | None) -> bool:
        """Whether the check used ``layer`` for nothing: it has vector rules and all were skipped."""
        rules = self.rules.vector_rules(layer)
        return bool(rules) and all(r.id in self.skipped for r in rules)

    def counted(self) -> np.ndarray:
        """Per site, whether the batch totals count it: a duplicated site counts once.

        False for the second and later sites of each group in ``audit["duplicate_sites"]``;
        every site keeps its row in the tables.
        """
        keep = np.ones(len(self.sites), dtype=bool)
        for group in self.audit.get("duplicate_sites") or ():
            keep[[int(r) - 1 for r in group["rows"][1:]]] = False
        return keep

    def verdict_counts(self) -> dict[str, int]:
        """The batch totals, as every command prints them.

        ``sites`` counted (a duplicate once), ``duplicates`` left out of them, and per overall
        verdict (冲突, 邻近, 无冲突, 无法检查) the counted sites.
        """
        counted = self.counted()
        counts = self.sites[counted]["verdict"].value_counts()
        out = {"sites": int(counted.sum()), "duplicates": len(self.sites) - int(counted.sum())}
        out.update({v: int(counts.get(v, 0)) for v in (CONFLICT, NEAR, CLEAR, UNCHECKED)})
        return out

    @property
    def any_conflict(self) -> bool:
        """True when any site has a 冲突 verdict under any rule."""
        return bool((self.sites["verdict"] == CONFLICT).any())
