"""Conflict parts as storage geometries, and areas on the CGCS2000 ellipsoid.

The check measures in the work CRS EPSG:4548 (metres). What leaves it as geometry, the conflict
parts of :attr:`fzgeo.check.CheckResult.parts`, is dissolved and projected to EPSG:4490 here, in
chunks over threads for large batches: for most rules the part of a site inside the layer, for
a ``within`` rule (城镇开发边界) the part outside it (:func:`outside_parts`). :func:`ellipsoidal_area`
gives the area (m²) of work-CRS geometries on the CGCS2000 ellipsoid (:class:`pyproj.Geod`), for
``ellipsoidal=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame, GeoSeries

from fzgeo.check import _overlap, _parallel
from fzgeo.check.rules import Rule, RuleSet
from fzgeo.crs import STORAGE_CRS, WORK_CRS
from fzgeo.errors import CRSError

PART_CHUNK = 1024  #: overlap parts per task when dissolving and projecting them
PART_COLUMNS = ["site", "rule", "rule_zh", "layer", "verdict", "severity", "exempt"]
_LINE_SNAP_M = 1e-6  #: a line's inside part, widened this much, covers its own computed vertices
_GRID_M = 1e-6  #: grid an outside part is snapped to (metres), removing zero-width spikes


def work_to_storage(geoms: np.ndarray) -> np.ndarray:
    """Work-CRS (EPSG:4548) geometries in EPSG:4490 degrees (None stays None).

    Makes its own transformer, so threads may call it at once (pyproj transformers are not to be
    shared between threads).
    """
    from pyproj import Transformer

    t = Transformer.from_crs(WORK_CRS, STORAGE_CRS, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def ellipsoidal_area(geoms: np.ndarray) -> np.ndarray:
    """Area in m² on the CGCS2000 ellipsoid of work-CRS geometries (NaN for None)."""
    geod = STORAGE_CRS.get_geod()
    if geod is None:  # pragma: no cover - EPSG:4490 names the CGCS2000 ellipsoid
        msg = f"{STORAGE_CRS.name} has no ellipsoid to measure geodesic areas on"
        raise CRSError(msg, code="FZ000")
    out = np.full(len(geoms), np.nan)
    for i, deg in enumerate(work_to_storage(np.asarray(geoms, dtype=object))):
        if deg is not None:
            out[i] = abs(geod.geometry_area_perimeter(deg)[0])
    return out


def dissolve(geoms: np.ndarray) -> np.ndarray:
    """Dissolve the seams of parts collected from several pieces of one feature.

    The parts only share edges, which ``buffer(0)`` merges (three times faster than
    ``make_valid``); where the area moves by more than 1e-9 relative, ``make_valid`` is used.
    """
    geoms = geoms.copy()
    collected = np.flatnonzero(shapely.get_num_geometries(geoms) > 1)  # one polygon has no seam
    seams = collected[~_parallel.is_valid(geoms[collected])]
    if not len(seams):
        return geoms
    merged = shapely.buffer(geoms[seams], 0)
    before = shapely.area(geoms[seams])
    off = np.abs(shapely.area(merged) - before) > 1e-9 * np.maximum(before, 1.0)
    off |= ~_parallel.is_valid(merged)
    merged[off] = shapely.make_valid(geoms[seams][off], method="structure")
    geoms[seams] = merged
    return geoms


def _drop_small(geoms: np.ndarray, area_m2: float, length_m: float) -> np.ndarray:
    """Geometries without their polygon components below ``area_m2`` and lines below ``length_m``.

    What a difference leaves along shared edges (slivers of 1e-9 m²) goes; None stays None.
    """
    out = geoms.copy()
    for i in np.flatnonzero(shapely.get_num_geometries(geoms) > 1):
        comps = shapely.get_parts(geoms[i])
        dim = shapely.get_dimensions(comps)
        size = np.where(dim == 2, shapely.area(comps), shapely.length(comps))
        small = ((dim == 2) & (size < area_m2)) | ((dim == 1) & (size < length_m))
        if small.any() and not small.all():
            out[i] = shapely.union_all(comps[~small])
    return out


def outside_parts(
    sites: np.ndarray, inside: np.ndarray, *, area_m2: float, length_m: float
) -> np.ndarray:
    """The part of each site outside the layer (work CRS): the site less its inside part.

    ``inside`` is each site's part inside the layer (None: none, so the whole site is outside).
    The inside parts are dissolved first; a line's inside part is widened by 1 µm so that its
    computed vertices do not leave crumbs behind. The difference is snapped to a 1 µm grid
    (:data:`_GRID_M`), which folds away the zero-width spikes a site edge that the CRS round trip
    left a few nanometres off the boundary would leave (area change below 0.001 m² for a 1 km
    perimeter). Crumbs below the touch tolerance (``area_m2``, ``length_m``) are dropped. The area or length of the result equals the site's ``outside``
    measure to floating-point noise; the numbers in the tables come from the measures.
    """
    out = np.asarray(sites, dtype=object).copy()
    cut = np.flatnonzero(~shapely.is_missing(inside))
    if not len(cut):
        return out
    cover = dissolve(np.asarray(inside, dtype=object)[cut])
    lines = shapely.get_dimensions(out[cut]) == 1
    cover[lines] = shapely.buffer(cover[lines], _LINE_SNAP_M)
    outside = shapely.set_precision(shapely.difference(out[cut], cover), _GRID_M)
    out[cut] = _drop_small(outside, area_m2, length_m)
    return out


def storage_parts(
    geoms: np.ndarray,
    workers: int,
    step: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    sites: np.ndarray | None = None,
    *,
    at: np.ndarray | None = None,
    release: bool = False,
) -> np.ndarray:
    """Dissolved parts in EPSG:4490, in chunks over ``workers`` threads.

    ``step(sites, geoms)`` turns the chunk's parts into the wanted geometries first (the part
    outside, for a ``within`` rule). Every step releases the GIL for most of its time.

    ``at`` (positions in ``geoms``, default all) selects the parts built, ``sites`` then holding
    one site per position. With ``release`` each chunk's entries of ``geoms`` are set to None
    as soon as the chunk is built, so that the work-CRS parts and the parts built are never
    held whole at once (the caller's array is changed).
    """
    at = np.arange(len(geoms)) if at is None else np.asarray(at)
    parallel = workers >= 2 and len(at) >= 2 * PART_CHUNK
    k = min(len(at) // PART_CHUNK, 4 * workers) if parallel else 1
    if release:  # chunks of at most PART_CHUNK parts: the parts are let go that often
        k = max(k, -(-len(at) // PART_CHUNK))
    bounds = np.cumsum([0, *(len(c) for c in np.array_split(at, max(k, 1)))])

    def one(span: tuple[int, int]) -> np.ndarray:
        pos = at[span[0] : span[1]]
        part = geoms[pos]
        site = part if sites is None else sites[span[0] : span[1]]
        built = work_to_storage(dissolve(part if step is None else step(site, part)))
        if release:
            geoms[pos] = None
        return built

    spans = list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))
    if not parallel:
        done = [one(span) for span in spans]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(one, spans))
    return np.concatenate(done) if done else np.empty(0, dtype=object)


def parts_frame(
    found: list[tuple[Rule, _overlap.Measure]],
    details: pd.DataFrame,
    n: int,
    workers: int,
    work_sites: tuple[np.ndarray, np.ndarray] | None = None,
    rule_set: RuleSet | None = None,
    *,
    release: bool = False,
    only: np.ndarray | None = None,
) -> GeoDataFrame:
    """The conflict parts (EPSG:4490) of every site and measured rule.

    ``details`` holds the measured rules' long tables, ``n`` rows each, in the order of ``found``.
    For a ``within`` rule the part is the site outside the layer (``side`` ``outside``), which
    needs ``work_sites`` (the sites in the work CRS and their classes); for the other rules the
    part inside (``side`` ``inside``). ``inside`` is the part's measure (m², m, 1 for a point).
    With ``release`` the work-CRS parts of each measure (``m.parts``) are set to None chunk by
    chunk as they are built (:func:`storage_parts`): the caller gives them up. ``only`` (site
    positions) builds the parts of those sites alone, the rows of the whole frame whose
    ``site`` is among them, in the same order.
    """
    tol_m2 = rule_set.touch_tolerance_m2 if rule_set else 0.0
    tol_m = rule_set.touch_tolerance_m if rule_set else 0.0
    wanted = np.ones(n, dtype=bool)
    if only is not None:
        wanted = np.zeros(n, dtype=bool)
        wanted[np.asarray(only, dtype=np.int64)] = True
    frames = []
    for k, (rule, m) in enumerate(found):
        d = details.iloc[k * n : (k + 1) * n]
        step: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
        sites: np.ndarray | None = None
        if rule.kind == "within" and work_sites is not None:
            geoms, cls = work_sites
            whole = _overlap.size(geoms, cls)
            amount = _overlap.outside(m.inside, whole, cls, area_m2=tol_m2, length_m=tol_m)
            keep = (amount > 0) & ~shapely.is_missing(geoms) & wanted  # unchecked: no part
            side, sites = "outside", geoms[keep]
            step = partial(outside_parts, area_m2=tol_m2, length_m=tol_m)
        else:
            amount = m.inside
            keep = ~shapely.is_missing(m.parts) & (m.inside > 0) & wanted
            side = "inside"
        if not keep.any():
            continue
        sub = d[keep][PART_COLUMNS]
        sub = sub.assign(
            inside=amount[keep], side=side, feature_ids=d["feature_ids"].to_numpy()[keep]
        )
        geoms_out = storage_parts(
            m.parts, workers, step, sites, at=np.flatnonzero(keep), release=release
        )
        frames.append(GeoDataFrame(sub, geometry=GeoSeries(geoms_out, crs=STORAGE_CRS).values))
    if not frames:
        cols = [*PART_COLUMNS, "inside", "side"]
        return GeoDataFrame({c: [] for c in cols}, geometry=[], crs=STORAGE_CRS)
    return GeoDataFrame(pd.concat(frames, ignore_index=True), crs=STORAGE_CRS)
