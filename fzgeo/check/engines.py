"""Where a check measures: the :class:`Engine` base class and the local engine (threads).

:func:`fzgeo.check.run` hands each vector rule to an engine as one :class:`Task` (every prepared
site against the rule's layer) and judges what comes back, so every engine gives the same
table. Three engines subclass :class:`Engine`:

:class:`LocalEngine`
    here, in threads: the sites are cut into chunks of at most :data:`CHUNK`, near-equal shares
    for ``workers`` threads (shapely releases the GIL), with a progress bar on large batches;
:class:`fzgeo.check.scale.DaskEngine`
    on a dask cluster, the sites partitioned spatially;
:class:`fzgeo.db.check.PostgisEngine`
    inside PostGIS, against the layers ``fzgeo db push`` wrote.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from geopandas import GeoDataFrame

from fzgeo import _progress
from fzgeo.check import _overlap, _parallel, vector
from fzgeo.check.model import Constraint
from fzgeo.check.rules import Rule, RuleSet

CHUNK = 4096  #: sites per task
PARALLEL_FROM = 1024  #: smallest batch handed to a thread pool


@dataclass(frozen=True)
class Task:
    """One measuring job: every prepared site against one rule's layer.

    ``geoms`` are the sites in the work CRS EPSG:4548 (repaired, point radii buffered) and
    ``cls`` their classes (:func:`fzgeo.check._overlap.classify`); the same arrays come with every
    rule of a check, so an engine may upload them once. ``nearest`` as for
    :func:`fzgeo.check.run`.
    """

    geoms: np.ndarray
    cls: np.ndarray
    layer: Constraint
    rule: Rule
    nearest: bool = True

    @property
    def options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`fzgeo.check._overlap.measure` for this task."""
        return {
            "polygons": self.layer.polygons,
            "reach_m": self.rule.reach_m,
            "nearest": self.nearest,
        }


class Engine(ABC):
    """Where a check measures (the ``engine`` of :func:`fzgeo.check.run`).

    :meth:`prepare_layers` returns, per rule id, the rule's layer as a :class:`Constraint` (or
    why the rule is skipped); by default the layers are cut into pieces here, once per layer
    version (cached), as the local and dask engines need; the PostGIS engine reads them from the
    database instead. :meth:`measure` returns what :func:`fzgeo.check._overlap.measure` returns
    for the task's sites against the task's layer.
    """

    def prepare_layers(
        self,
        rule_set: RuleSet,
        constraints: Mapping[str, GeoDataFrame | None],
        use_cache: bool,
    ) -> tuple[dict[str, Constraint], dict[str, str]]:
        """Per rule: its prepared layer, or the reason it is skipped."""
        return vector.prepare_layers(rule_set, constraints, use_cache)

    @abstractmethod
    def measure(self, task: Task) -> _overlap.Measure:
        """Measure every site of the task against its rule's layer."""

    def describe(self) -> dict[str, Any]:
        """What the audit records of the engine: ``name`` and where it measured (JSON-ready)."""
        return {"name": type(self).__name__}


def chunks(n: int, workers: int) -> list[slice]:
    """Slices of at most :data:`CHUNK` sites, as many as a multiple of ``workers``, near-equal.

    Equal shares keep every thread busy to the end (five chunks on two threads would leave one
    thread idle for the last).
    """
    count = -(-n // CHUNK)
    if workers > 1 and n >= PARALLEL_FROM:
        count = -(-count // workers) * workers
    bounds = np.linspace(0, n, max(count, 1) + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def progress(total: int, n_sites: int, show: bool | None) -> Any:
    """The measuring phase's bar of ``total`` chunks (:func:`fzgeo._progress.bar`, 测量).

    Shown as every phase of ``fzgeo check`` is: on a terminal, from
    :data:`fzgeo._progress.MIN_ITEMS` sites, unless ``show`` says otherwise.
    """
    return _progress.bar("测量", total, show=_progress.wanted(n_sites, show), unit="块")


class LocalEngine(Engine):
    """Measures here: chunks of sites over ``workers`` threads, ``bar`` advanced per chunk.

    Rules that share a layer (the same pieces) share its overlap with the sites: each chunk's
    :func:`fzgeo.check._overlap.overlap` is computed once, for the first of them, and kept for
    the others while the engine measures the same sites.
    """

    def __init__(self, workers: int = 1, bar: Any = None) -> None:
        self.workers = workers
        self.bar = bar
        self._overlaps: list[tuple[np.ndarray, Any, list[_overlap.Overlap | None]]] = []

    def describe(self) -> dict[str, Any]:
        """``{"name": "local", "threads": workers}``."""
        return {"name": "local", "threads": self.workers}

    def _shared(self, task: Task, count: int) -> list[_overlap.Overlap | None]:
        """The per-chunk overlaps of these sites with this layer's pieces (None: not yet)."""
        pieces = task.layer.pieces
        for geoms, held, kept in self._overlaps:
            if geoms is task.geoms and held is pieces and len(kept) == count:
                return kept
        self._overlaps = [e for e in self._overlaps if e[0] is task.geoms]  # older sites: gone
        found: list[_overlap.Overlap | None] = [None] * count
        self._overlaps.append((task.geoms, pieces, found))
        return found

    def measure(self, task: Task) -> _overlap.Measure:
        """:func:`fzgeo.check._overlap.measure` chunk by chunk, in threads for large batches."""
        pieces = task.layer.pieces
        _ = pieces.tree, pieces.shape  # built here, before threads share them
        if task.nearest or task.rule.reach_m > 0:
            _ = pieces.edge_tree
        options = task.options
        parts = chunks(len(task.geoms), self.workers)
        shared: list[_overlap.Overlap | None] = [None] * len(parts)
        if task.layer.polygons:
            shared = self._shared(task, len(parts))

        def one(k: int) -> _overlap.Measure:
            s = parts[k]
            geoms, cls = task.geoms[s], task.cls[s]
            if task.layer.polygons and len(pieces) and shared[k] is None:
                shared[k] = _overlap.overlap(geoms, cls, pieces)
            m = _overlap.measure(geoms, cls, pieces, shared=shared[k], **options)
            if self.bar is not None:
                self.bar.update(1)
            return m

        if self.workers > 1 and len(parts) > 1:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                done = list(pool.map(one, range(len(parts))))
        else:
            done = [one(k) for k in range(len(parts))]
        if len(task.geoms) >= PARALLEL_FROM:
            _parallel.release_memory()  # the overlays' temporaries
        return _overlap.Measure(
            inside=np.concatenate([m.inside for m in done]),
            parts=np.concatenate([m.parts for m in done]),
            distance=np.concatenate([m.distance for m in done]),
            features=[f for m in done for f in m.features],
        )
