"""The siting check on a dask cluster: sites partitioned spatially, constraint pieces broadcast.

:func:`run` is :func:`fzgeo.check.run` with the measuring spread over dask workers, for batches
beyond one machine (``fzgeo check --workers N`` starts a local cluster of N worker processes;
``--scheduler tcp://HOST:PORT`` uses a running one, whose workers need the same fzgeo installed).

How the work is split:

1. The sites, prepared exactly as the file engine prepares them (work CRS EPSG:4548, repaired,
   point radii buffered), become a dask-geopandas GeoDataFrame that is partitioned spatially
   along a Hilbert curve (distances computed by ``hilbert_distance`` on the cluster), so each
   partition holds sites that lie near each other and meet few constraint pieces. The partitions
   stay on the workers for every rule.
2. Each constraint layer is cut into pieces once, locally (:mod:`fzgeo.check.pieces`, cached), and the
   pieces are broadcast to every worker (``Client.scatter(..., broadcast=True)``); each worker
   builds its STR-tree once per layer.
3. Each partition is measured with the file engine's own :func:`fzgeo.check._overlap.measure`; the
   results are put back in input order and judged by :mod:`fzgeo.check`, so the tables are the
   same as the file engine's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from geopandas import GeoDataFrame

from fzgeo import crs
from fzgeo.check import _overlap, pieces, runner
from fzgeo.check.engines import Engine, Task
from fzgeo.check.model import CheckResult, Constraint
from fzgeo.check.rules import RuleSet
from fzgeo.errors import DistributedError

#: Sites per partition aimed at (a partition is one task per rule).
PARTITION_SITES = 4096
_WORKER_TREES: dict[tuple[str, int], pieces.Pieces] = {}


@dataclass(frozen=True)
class PiecePayload:
    """What is broadcast to the workers for one layer (no STR-tree: each worker builds its own)."""

    geoms: np.ndarray
    feature: np.ndarray
    digest: str

    def pieces(self) -> pieces.Pieces:
        """The pieces with their tree, built once per worker process."""
        key = (self.digest, len(self.geoms))
        found = _WORKER_TREES.get(key)
        if found is None:
            found = pieces.Pieces(self.geoms, self.feature, self.digest)
            _ = found.tree, found.shape, found.edge_tree  # before the worker's threads share them
            _WORKER_TREES[key] = found
        return found


def worker_version() -> str:
    """On a worker: import what the check needs and return fzgeo's version."""
    # loaded now, not in the first task
    import fzgeo
    import fzgeo.check._overlap

    return fzgeo.__version__


def measure_partition(
    part: GeoDataFrame, payload: PiecePayload, options: dict[str, Any]
) -> tuple[np.ndarray, _overlap.Measure]:
    """Measure one partition of sites on a worker; returns input positions and the measures.

    ``options`` are the keyword arguments of :func:`fzgeo.check._overlap.measure`.
    """
    geoms = np.asarray(part.geometry.values, dtype=object)
    cls = part["cls"].to_numpy(dtype=np.int8)
    m = _overlap.measure(geoms, cls, payload.pieces(), **options)
    return part["pos"].to_numpy(dtype=np.int64), m


class DaskEngine(Engine):
    """Measures for :func:`fzgeo.check.run` (its ``engine``) on a dask cluster.

    Parameters
    ----------
    workers
        Start a local cluster with this many workers (one thread each).
    scheduler
        Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``; excludes ``workers``.
    processes
        Local workers as processes (default; true parallelism) or threads in this process.
    partitions
        Number of spatial partitions of the sites (default: about 4096 sites each, at least two
        per worker).
    connect_timeout
        Seconds to wait for ``scheduler``.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        scheduler: str | None = None,
        processes: bool = True,
        partitions: int | None = None,
        connect_timeout: float = 15.0,
    ) -> None:
        if workers is not None and scheduler is not None:
            raise ValueError("give `workers` (a local cluster) or `scheduler`, not both")
        if workers is not None and workers < 1:
            raise ValueError(f"`workers` must be at least 1, got {workers}")
        self.workers = workers
        self.scheduler = scheduler
        self.processes = processes
        self.partitions = partitions
        self.connect_timeout = connect_timeout
        self.client: Any = None
        self._cluster: Any = None
        self._sites: tuple[np.ndarray, list[Any]] | None = None
        self._payloads: dict[tuple[str, int], Any] = {}

    def __enter__(self) -> DaskEngine:
        """Start the local cluster or connect to the scheduler."""
        from distributed import Client, LocalCluster

        try:
            if self.scheduler is not None:
                _probe(self.scheduler, self.connect_timeout)
                self.client = Client(
                    self.scheduler, timeout=f"{self.connect_timeout}s", set_as_default=False
                )
            else:
                where = {"host": "127.0.0.1"} if self.processes else {}  # loopback only
                self._cluster = LocalCluster(
                    n_workers=self.workers or 2,
                    threads_per_worker=1,
                    processes=self.processes,
                    dashboard_address="127.0.0.1:0",  # never the shared default :8787
                    **where,
                )
                self.client = Client(self._cluster, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            target = self.scheduler or "a local cluster"
            msg = f"cannot reach the dask scheduler at {target} ({exc})"
            raise DistributedError(msg, code="FZ710") from exc
        self._check_workers()
        return self

    def _check_workers(self) -> None:
        """Import fzgeo on every worker now (not in the first task) and compare versions."""
        from fzgeo import __version__

        try:
            found = self.client.run(worker_version)
        except ImportError as exc:
            self.__exit__()
            msg = f"the dask workers cannot import fzgeo ({exc})"
            raise DistributedError(
                msg, hint=f"install fzgeo {__version__} on every worker"
            ) from exc
        wrong = {w: v for w, v in found.items() if v != __version__}
        if wrong:
            self.__exit__()
            listing = ", ".join(f"{w}: {v}" for w, v in sorted(wrong.items()))
            msg = f"dask workers run another fzgeo version than this {__version__} ({listing})"
            raise DistributedError(msg, hint=f"install fzgeo {__version__} on every worker")

    def __exit__(self, *exc: object) -> None:
        """Close the client, and the cluster if this engine started it."""
        if self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
        self.client = self._cluster = None

    @property
    def n_workers(self) -> int:
        """Workers currently connected to the scheduler."""
        return len(self.client.scheduler_info()["workers"])

    def describe(self) -> dict[str, Any]:
        """``name`` dask, the ``scheduler`` address (or "local cluster") and its ``workers``."""
        return {
            "name": "dask",
            "scheduler": self.scheduler or "local cluster",
            "workers": self.n_workers if self.client is not None else self.workers,
        }

    def _site_partitions(self, geoms: np.ndarray, cls: np.ndarray) -> list[Any]:
        """Futures of the site partitions, contiguous runs along a Hilbert curve (made once).

        The Hilbert distances are computed on the cluster by dask-geopandas; the sites are then
        cut into ``k`` runs of neighbouring sites and scattered to the workers. (A full
        ``spatial_shuffle`` would move the same data through a distributed shuffle, which costs
        more than it saves when the sites start out on the client.)
        """
        if self._sites is not None and self._sites[0] is geoms:
            return self._sites[1]
        import dask_geopandas

        n = len(geoms)
        k = self.partitions or max(2 * max(self.n_workers, 1), math.ceil(n / PARTITION_SITES))
        k = max(1, min(k, n))
        frame = GeoDataFrame(
            {"pos": np.arange(n, dtype=np.int64), "cls": cls.astype(np.int8)},
            geometry=geoms,
            crs=crs.WORK_CRS,
        )
        ddf = dask_geopandas.from_geopandas(frame, npartitions=k)
        x0, y0, x1, y1 = (float(v) for v in frame.total_bounds)
        bounds = (x0 - 1.0, y0 - 1.0, x1 + 1.0, y1 + 1.0)  # never zero-width (a single site)
        distance = self.client.compute(ddf.hilbert_distance(total_bounds=bounds)).result()
        order = np.argsort(distance.to_numpy(), kind="stable")
        runs = [frame.iloc[chunk] for chunk in np.array_split(order, k)]
        futures = self.client.scatter(runs, hash=False)
        self._sites = (geoms, futures)
        return futures

    def _payload(self, layer: Constraint) -> Any:
        key = (layer.pieces.digest, len(layer.pieces))
        if key not in self._payloads:
            payload = PiecePayload(layer.pieces.geoms, layer.pieces.feature, layer.pieces.digest)
            self._payloads[key] = self.client.scatter(payload, broadcast=True, hash=False)
        return self._payloads[key]

    def measure(self, task: Task) -> _overlap.Measure:
        """The local engine's measure, one dask task per spatial partition."""
        from distributed import KilledWorker

        options = task.options
        n = len(task.geoms)
        if n == 0:
            return _overlap.measure(task.geoms, task.cls, task.layer.pieces, **options)
        parts = self._site_partitions(task.geoms, task.cls)
        payload = self._payload(task.layer)
        tasks = [
            self.client.submit(measure_partition, part, payload, options, pure=False)
            for part in parts
        ]
        try:
            done = self.client.gather(tasks)
        except (KilledWorker, OSError, TimeoutError) as exc:
            raise DistributedError(f"a dask worker failed during the check ({exc})") from exc
        return _overlap.scatter(done, n)


def _probe(address: str, timeout: float) -> None:
    """Fail fast, with a clear message, when nothing listens at a ``tcp://`` address."""
    import socket
    from urllib.parse import urlsplit

    if not address.startswith("tcp://"):
        return
    parts = urlsplit(address)
    if parts.hostname is None or parts.port is None:
        raise DistributedError(f"scheduler address {address!r} is not tcp://HOST:PORT")
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
        pass


def run(
    sites: GeoDataFrame,
    constraints: Mapping[str, GeoDataFrame | None],
    rule_set: RuleSet | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
    partitions: int | None = None,
    **options: Any,
) -> CheckResult:
    """Run the siting check on dask; arguments as for :func:`fzgeo.check.run`.

    Parameters
    ----------
    sites, constraints, rule_set
        As for :func:`fzgeo.check.run`.
    workers, scheduler, processes, partitions
        As for :class:`DaskEngine`.
    options
        Other options of :func:`fzgeo.check.run` (``point_radius_m``, ``ellipsoidal`` ...).

    Raises
    ------
    DistributedError
        FZ710 when the scheduler cannot be reached or a worker dies.
    """
    with DaskEngine(
        workers=workers, scheduler=scheduler, processes=processes, partitions=partitions
    ) as engine:
        result = runner.run(sites, constraints, rule_set, engine=engine, **options)
        where = scheduler or f"a local cluster of {engine.n_workers} workers"
    result.notes.append(f"measured on dask ({where})")
    return result
