"""Per-site maps of a siting check: one SVG a planner can print and file, per site to review.

:func:`write_site_maps` draws, for each chosen site, ``maps/site_NNNNN.svg`` (NNNNN the site's
1-based number) with

- the site's outline, its conflict parts (the part inside a red line, or for a ``within`` rule
  the part outside the boundary, 界外部分（冲突）) and 邻近 parts;
- every checked constraint layer near the site (the layers the check used: the user's files
  when given), named in the legend, their features labelled by the layer's name column;
- context: county and city lines (packaged ``admin_boundaries``), rivers, highways and
  railways (packaged ``rivers``, ``highways``, ``railways``), with the county the site lies
  in and the nearest river, road and railway named in the side panel;
- a scale bar, a north arrow (grid north of EPSG:4548, within 1° of true north in 抚州), the
  frame's corner coordinates in EPSG:4548 (X north, Y east, metres), a locator of the site in
  the city, the site's name and verdict as title, and the 示意 banner when the check used an
  illustrative constraint layer (:func:`fzgeo.report._summary.illustrative_layers`).

SVG is text built straight from shapely coordinates: a map takes milliseconds, prints as vectors
on A4, and its Chinese is set in the viewer's fonts, so no font has to be installed where the check
runs. This module chooses the sites and writes the files; :mod:`fzgeo.report._sitescene` prepares
what the maps draw, :mod:`fzgeo.report._sitedraw` lays out one map, :mod:`fzgeo.report._svg`
holds the SVG primitives. Neighbouring features are found with an STR-tree of
each layer and cut to the frame with ``clip_by_rect``; a layer is projected to the work CRS only
where some frame needs it. Many maps are drawn in worker processes (``fork``), few in-process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame

from fzgeo._atomic import atomic_folder_files, prepare_folder
from fzgeo.check import CheckResult
from fzgeo.check.rules import CONFLICT, NEAR, UNCHECKED
from fzgeo.errors import ConfigError
from fzgeo.report import _sitedraw, _sitescene
from fzgeo.report._sitescene import LABEL_COLUMNS, Scene, site_label
from fzgeo.report._summary import ILLUSTRATIVE, illustrative_layers, now
from fzgeo.report._svg import Frame

MAX_MAPS = 200  #: site maps drawn at most (the most serious sites first)
WHICH = ("review", "all", "none")  #: which sites get a map: 冲突 and 邻近, every site, none
FOLDER = "maps"  #: the maps' folder inside the report folder
_PR_SET_PDEATHSIG = 1
PARALLEL_MIN = 64  #: maps below which drawing in worker processes does not pay
_SEVERITY = {"一票否决": 0, "警告": 1, "复核": 2, "参考": 3}
_MAP_FILE = re.compile(r"site_\d{5,}\.(svg|png)$")

# --- which sites ---------------------------------------------------------------------------


def candidates(result: CheckResult, which: str = "review") -> list[int]:
    """The sites ``which`` asks for, most serious first, before the :data:`MAX_MAPS` cap.

    Sites 无法检查 (no usable geometry) never get a map. Order: 冲突 before 邻近 before the
    rest; then by severity (一票否决, 警告, 复核, 参考, other);
    then by the check's score (graver first); then input order.
    """
    if which not in WHICH:
        raise ConfigError(f"site maps: which must be one of {', '.join(WHICH)}, got {which!r}")
    sites = result.sites
    if which == "none" or not len(sites):
        return []
    verdict = sites["verdict"].to_numpy()
    wanted = np.ones(len(sites), bool) if which == "all" else np.isin(verdict, (CONFLICT, NEAR))
    wanted &= verdict != UNCHECKED  # no geometry to draw
    rank = np.select([verdict == CONFLICT, verdict == NEAR], [0, 1], 2)
    severity = [
        min((_SEVERITY.get(s, 9) for s in str(v).split(";") if s), default=9)
        for v in sites["severity"].fillna("")
    ]
    score = pd.to_numeric(sites.get("score", 0.0), errors="coerce")
    score = np.nan_to_num(np.broadcast_to(np.asarray(score, float), len(sites)))
    order = np.lexsort((np.arange(len(sites)), -score, np.asarray(severity), rank))
    return [int(i) for i in order if wanted[i]]


def chosen(result: CheckResult, which: str = "review") -> tuple[list[int], int]:
    """The sites to map (at most :data:`MAX_MAPS`) and how many ``which`` asked for."""
    found = candidates(result, which)
    return found[:MAX_MAPS], len(found)


# --- writing -------------------------------------------------------------------------------

_SCENE: Scene | None = None  #: the scene the worker processes draw from (inherited by fork)


def _draw_many(folder: str, positions: list[int]) -> dict[int, str]:
    """Draw the maps of ``positions`` from :data:`_SCENE` into ``folder/maps/``.

    They are written together (:func:`fzgeo._atomic.atomic_folder_files`: each file replaces
    its namesake atomically, synced once as a batch), far faster than one synced write each.
    """
    assert _SCENE is not None
    maps = Path(folder) / FOLDER
    with atomic_folder_files(maps / "site") as tmp:
        for pos in positions:
            name = f"site_{pos + 1:05d}.svg"
            (tmp / name).write_text(_sitedraw.render(_SCENE, _SCENE.sites[pos]), encoding="utf-8")
    return {pos: f"{FOLDER}/site_{pos + 1:05d}.svg" for pos in positions}


def _die_with_parent(parent: int) -> None:
    """In a worker: end when the check's process ends, even killed (Linux ``PR_SET_PDEATHSIG``).

    Without it a killed check leaves its map workers waiting for work forever, holding its
    output pipes open.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def illustrative_titles(result: CheckResult, layers: Mapping[str, GeoDataFrame]) -> list[str]:
    """The Chinese names of the illustrative (示意) constraint layers the check used.

    The rule of :func:`fzgeo.report._summary.illustrative_layers` (a layer whose recorded
    ``precision`` values include ``illustrative``); when the check recorded no layers (an engine
    that fills no audit), the same rule on the ``precision`` column of ``layers``.
    """
    audit = (getattr(result, "audit", None) or {}).get("layers")
    if audit:
        titles = {r.layer: result.rules.layer_title(r.layer) for r in result.rules.rules}
        return [titles.get(n, n) for n in illustrative_layers(result)]
    return [
        title
        for title, gdf in layers.items()
        if gdf is not None
        and "precision" in gdf.columns
        and (gdf["precision"].astype(str) == ILLUSTRATIVE).any()
    ]


def _scene(result: CheckResult, layers: Mapping[str, GeoDataFrame], positions: list[int]) -> Scene:
    sites = _sitescene.site_records(result, positions)
    frames = [
        Frame.around(shapely.bounds(s.geom), at=(0.0, 0.0, _sitedraw.FRAME)).outer(50.0)
        for s in sites.values()
    ]
    boxes = shapely.box(*np.asarray(frames).T) if frames else np.array([], dtype=object)
    admin, context = _sitescene.context()
    drawn = [*context, *_sitescene.constraint_layers(result, layers, boxes)]
    counties = None
    if admin is not None:
        level = admin.get("level", pd.Series("", index=admin.index)).to_numpy()
        county = level != "city"
        counties = (
            np.asarray(admin.geometry.values, object)[county],
            admin["name"].astype(str).to_numpy(object)[county],
        )
    locator, locator_frame = _sitescene.locator(admin)
    banner = illustrative_titles(result, layers)
    stamp = now().strftime("%Y-%m-%d")  # the date in Asia/Shanghai, as the report's
    return Scene(drawn, sites, counties, locator, locator_frame, banner, stamp)


def _can_fork() -> bool:
    """Whether worker processes may be forked: ``fork`` exists and no other thread runs.

    Forking a process that runs threads can deadlock the child.
    """
    return "fork" in get_all_start_methods() and threading.active_count() == 1


def _clean(folder: Path, keep: set[str]) -> None:
    """Remove site maps of an earlier run that this run did not draw."""
    maps = folder / FOLDER
    if maps.is_dir():
        for path in maps.iterdir():
            if _MAP_FILE.match(path.name) and f"{FOLDER}/{path.name}" not in keep:
                path.unlink(missing_ok=True)


def write_site_maps(
    result: CheckResult,
    folder: str | Path,
    layers: Mapping[str, GeoDataFrame],
    *,
    which: str = "review",
    workers: int | None = None,
) -> dict[int, str]:
    """Draw the site maps of ``result`` into ``folder/maps/`` and say where each went.

    Parameters
    ----------
    result
        What :func:`fzgeo.check.run` returned.
    folder
        The report folder; maps go to ``maps/site_NNNNN.svg`` in it (NNNNN: the site's 1-based
        number). Site maps of an earlier run that this run does not draw are removed.
    layers
        The constraint layers the check used, by display name (the Chinese name of their first
        rule, :meth:`fzgeo.check.constraints.ConstraintLayers.titled`), in any CRS.
    which
        ``review`` (冲突 and 邻近 sites), ``all`` or ``none``; most serious first, at most
        :data:`MAX_MAPS` (:func:`chosen` tells how many were asked for).
    workers
        Processes drawing the maps (default: the CPU count); fewer than :data:`PARALLEL_MIN`
        maps, a platform without ``fork`` or a process running other threads (a progress bar's
        monitor, a dask client) draw in this process.

    Returns
    -------
    dict
        Site position (0-based) -> path of its map relative to ``folder`` (``/`` separated).
    """
    global _SCENE
    folder = prepare_folder(Path(folder))
    positions, _ = chosen(result, which)
    if not positions:
        _clean(folder, set())
        return {}
    prepare_folder(folder / FOLDER)
    scene = _scene(result, layers, positions)
    workers = max(1, workers or os.cpu_count() or 1)
    _SCENE = scene
    try:
        if workers < 2 or len(positions) < PARALLEL_MIN or not _can_fork():
            out = _draw_many(str(folder), positions)
        else:
            chunks = [c.tolist() for c in np.array_split(positions, workers * 4) if len(c)]
            out = {}
            with ProcessPoolExecutor(
                workers,
                mp_context=get_context("fork"),
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            ) as pool:
                for done in pool.map(_draw_many, [str(folder)] * len(chunks), chunks):
                    out.update(done)
    finally:
        _SCENE = None
    _clean(folder, set(out.values()))
    return {pos: out[pos] for pos in positions}


__all__ = [
    "LABEL_COLUMNS",
    "MAX_MAPS",
    "WHICH",
    "candidates",
    "chosen",
    "site_label",
    "write_site_maps",
]
