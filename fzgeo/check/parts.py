"""Overlap parts as storage geometries, and areas on the CGCS2000 ellipsoid.

The check measures in the work CRS EPSG:4548 (metres). What leaves it as geometry, the overlap
parts of :attr:`fzgeo.check.CheckResult.parts`, is dissolved and projected to EPSG:4490 here, in
chunks over threads for large batches; :func:`ellipsoidal_area` gives the area (m²) of work-CRS
geometries on the CGCS2000 ellipsoid (:class:`pyproj.Geod`), for ``ellipsoidal=True``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame, GeoSeries

from fzgeo.check import _overlap
from fzgeo.check.rules import Rule
from fzgeo.crs import STORAGE_CRS, WORK_CRS
from fzgeo.errors import CRSError

PART_CHUNK = 1024  #: overlap parts per task when dissolving and projecting them
PART_COLUMNS = ["site", "rule", "rule_zh", "layer", "verdict", "severity", "exempt"]


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
    seams = collected[~shapely.is_valid(geoms[collected])]
    if not len(seams):
        return geoms
    merged = shapely.buffer(geoms[seams], 0)
    before = shapely.area(geoms[seams])
    off = np.abs(shapely.area(merged) - before) > 1e-9 * np.maximum(before, 1.0)
    off |= ~shapely.is_valid(merged)
    merged[off] = shapely.make_valid(geoms[seams][off], method="structure")
    geoms[seams] = merged
    return geoms


def storage_parts(geoms: np.ndarray, workers: int) -> np.ndarray:
    """Dissolved parts in EPSG:4490, in chunks over ``workers`` threads.

    Both steps release the GIL for most of their time.
    """

    def one(part: np.ndarray) -> np.ndarray:
        return work_to_storage(dissolve(part))

    if workers < 2 or len(geoms) < 2 * PART_CHUNK:
        return one(geoms)
    chunks = np.array_split(geoms, min(len(geoms) // PART_CHUNK, 4 * workers))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return np.concatenate(list(pool.map(one, chunks)))


def parts_frame(
    found: list[tuple[Rule, _overlap.Measure]], details: pd.DataFrame, n: int, workers: int
) -> GeoDataFrame:
    """The overlap parts (inside the layer, EPSG:4490) of every site and measured rule.

    ``details`` holds the measured rules' long tables, ``n`` rows each, in the order of ``found``.
    """
    frames = []
    for k, (_rule, m) in enumerate(found):
        d = details.iloc[k * n : (k + 1) * n]
        keep = ~shapely.is_missing(m.parts) & (m.inside > 0)
        if not keep.any():
            continue
        sub = d[keep][PART_COLUMNS]
        sub = sub.assign(inside=m.inside[keep], feature_ids=d["feature_ids"].to_numpy()[keep])
        geoms = storage_parts(m.parts[keep], workers)
        frames.append(GeoDataFrame(sub, geometry=GeoSeries(geoms, crs=STORAGE_CRS).values))
    if not frames:
        cols = [*PART_COLUMNS, "inside"]
        return GeoDataFrame({c: [] for c in cols}, geometry=[], crs=STORAGE_CRS)
    return GeoDataFrame(pd.concat(frames, ignore_index=True), crs=STORAGE_CRS)
