"""The siting conflict check: project sites against 三区三线 and other constraint layers (no I/O).

:func:`conflicts` returns one row per input site, in input order, with the site's original
attributes and geometry, and per rule of the :class:`~fzgeo.check.rules.RuleSet` the verdict
(冲突 / 邻近 / 无冲突, or 跳过 when the rule's layer is missing), the overlap in m², 公顷 (ha) and 亩,
the share of the site, the length inside (line sites), the nearest distance and the overlapped
features. :func:`run` returns that table together with a long table (one row per site and rule),
the overlap parts as geometries, and what was repaired or skipped.

Measuring
    Every area and distance is computed in EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E),
    the plane statistics use; ``ellipsoidal=True`` adds the area on the CGCS2000 ellipsoid
    (:class:`pyproj.Geod`). 1 公顷 = 10 000 m², 1 亩 = 10 000/15 m² (666.67 m²). Values are not
    rounded here; the reports round them as :data:`ROUNDING` says.
Sites
    Polygons are measured by area, lines by length (a road or pipeline: length inside), points are
    inside or not; a point with a radius (the rules' ``radius_column`` attribute, or
    ``point_radius_m``) becomes a circle (a 128-gon, whose area is 0.04 % below the true circle).
    Invalid geometries are repaired with ``make_valid`` and counted; null or empty ones are an
    error naming the rows.
Constraints
    Each layer is cut once into pieces of at most 256 vertices (:mod:`fzgeo.check.pieces`); a site is
    tested only against the pieces its bounding box meets. Where several features of a layer
    overlap a site, their parts are unioned, so overlapping or duplicated constraint polygons
    never count twice.
"""

from __future__ import annotations

import itertools
import os
import sys
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Protocol

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame, GeoSeries

from fzgeo.check import _overlap, pieces, rules
from fzgeo.check.rules import CLEAR, CONFLICT, NEAR, RANK, RASTER_KINDS, SKIPPED, Rule, RuleSet
from fzgeo.crs import STORAGE_CRS, WORK_CRS, require_crs, to_work
from fzgeo.errors import GeometryError, RepairWarning

M2_PER_HA = 10_000.0
M2_PER_MU = 10_000.0 / 15.0  #: 1 亩 = 666.666... m²
#: Decimal places the reports keep (round half to even on the float value).
ROUNDING = {"m2": 2, "ha": 4, "mu": 4, "share": 6, "m": 2, "score": 4, "deg": 2}
CHUNK = 4096  #: sites per task
PART_CHUNK = 1024  #: overlap parts per task when dissolving and projecting them
PARALLEL_FROM = 1024  #: smallest batch handed to a thread pool
PROGRESS_FROM = 2 * CHUNK  #: smallest batch with a progress bar (on a terminal)
_CIRCLE_QUAD_SEGS = 32
_CLASS_NAMES = {_overlap.POLYGON: "polygon", _overlap.LINE: "line", _overlap.POINT: "point"}


@dataclass
class Constraint:
    """A constraint layer prepared for checking: work-CRS pieces and feature labels."""

    name: str
    polygons: bool
    pieces: pieces.Pieces
    ids: np.ndarray
    names: np.ndarray
    features: int
    repaired: int


@dataclass
class CheckResult:
    """Everything a check found; see :func:`run`."""

    sites: GeoDataFrame
    details: pd.DataFrame
    rules: RuleSet
    layers: dict[str, Constraint]  #: rule id -> the layer as that rule sees it
    skipped: dict[str, str]  #: rule id -> why it was skipped
    repaired_sites: int
    notes: list[str] = field(default_factory=list)
    measured: list[tuple[Rule, _overlap.Measure]] = field(default_factory=list, repr=False)
    workers: int = 1  #: threads for building :attr:`parts`

    @cached_property
    def parts(self) -> GeoDataFrame:
        """The overlap parts (the site inside each rule's layer), EPSG:4490, built on first use.

        Parts of one site cut from several pieces of a feature are dissolved here, so a check
        that needs only the numbers does not pay for the geometry.
        """
        checked = self.details[self.details["verdict"] != SKIPPED].reset_index(drop=True)
        return _parts_frame(self.measured, checked, len(self.sites), self.workers)

    @property
    def any_conflict(self) -> bool:
        """True when any site has a 冲突 verdict under any rule."""
        return bool((self.sites["verdict"] == CONFLICT).any())


class Engine(Protocol):
    """Where a check measures: the database and dask engines implement this (see :func:`run`).

    ``prepare_layers`` returns, per rule id, the rule's layer as a :class:`Constraint` (or why
    the rule is skipped); ``measure`` returns what :func:`fzgeo.check._overlap.measure` returns for
    the prepared sites (work CRS) against one rule's layer.
    """

    def prepare_layers(
        self,
        rule_set: RuleSet,
        constraints: Mapping[str, GeoDataFrame | None],
        use_cache: bool,
    ) -> tuple[dict[str, Constraint], dict[str, str]]:
        """Per rule: its prepared layer, or the reason it is skipped."""
        ...

    def measure(
        self,
        geoms: np.ndarray,
        cls: np.ndarray,
        layer: Constraint,
        rule: Rule,
        *,
        nearest: bool = True,
    ) -> _overlap.Measure:
        """Measure every site against one rule's layer (``nearest`` as for :func:`run`)."""
        ...


def prepare(
    name: str,
    gdf: GeoDataFrame,
    *,
    where: Mapping[str, object] | None = None,
    use_cache: bool = True,
) -> Constraint:
    """Cut a constraint layer (any CRS) into work-CRS pieces, keeping rows that match ``where``."""
    require_crs(gdf, what=f"constraint layer {name}")
    if where:
        keep = np.ones(len(gdf), dtype=bool)
        for col, value in where.items():
            keep &= (
                (gdf[col] == value).fillna(False).to_numpy(dtype=bool)
                if col in gdf.columns
                else False
            )
        gdf = gdf[keep]
    delivered = np.asarray(gdf.geometry.values, dtype=object)
    cut, repaired = pieces.for_layer(
        delivered,
        crs=gdf.crs.to_wkt(),
        project=lambda: np.asarray(
            to_work(gdf, what=f"constraint layer {name}").geometry.values, dtype=object
        ),
        use_cache=use_cache,
    )
    _ = cut.tree  # built here, before threads share it
    warn_repaired(name, repaired, stacklevel=4)
    ids = gdf["id"] if "id" in gdf.columns else pd.Series(range(len(gdf)), index=gdf.index)
    names = gdf["name"] if "name" in gdf.columns else pd.Series([""] * len(gdf), index=gdf.index)
    return Constraint(
        name=name,
        polygons=bool(np.isin(shapely.get_type_id(delivered), (3, 6)).any()),
        pieces=cut,
        ids=ids.astype(str).to_numpy(dtype=object),
        names=names.fillna("").astype(str).to_numpy(dtype=object),
        features=len(gdf),
        repaired=repaired,
    )


def warn_repaired(layer: str, count: int, *, stacklevel: int) -> None:
    """The RepairWarning for ``count`` invalid geometries of a constraint layer (none if 0)."""
    if count:
        warnings.warn(
            f"constraint layer {layer}: repaired {count} invalid geometr(y/ies) with make_valid",
            RepairWarning,
            stacklevel=stacklevel,
        )


def _exempt(rule: Rule, verdict: np.ndarray, types: np.ndarray) -> np.ndarray:
    """Which conflicts the rule exempts by project type; their verdict becomes the exempt one."""
    exempt = (verdict == CONFLICT) & np.isin(types, rule.exempt_types)
    verdict[exempt] = rule.exempt_verdict
    return exempt


def _work_sites(
    sites: GeoDataFrame, radius_column: str, point_radius_m: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sites in the work CRS, repaired (and which were), points buffered where a radius is given."""
    require_crs(sites, what="sites")
    geoms = np.asarray(to_work(sites, what="sites").geometry.values, dtype=object)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(bad)[:10])
        raise GeometryError(f"{int(bad.sum())} site(s) without geometry", where=f"rows {rows}")
    repaired = ~shapely.is_valid(np.asarray(sites.geometry.values))  # as delivered
    geoms, _ = pieces.polygonal(geoms)  # also fixes what reprojection alone bent
    if repaired.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(repaired)[:10])
        warnings.warn(
            f"sites: repaired {int(repaired.sum())} invalid geometr(y/ies) with make_valid "
            f"(rows {rows}); the report marks them",
            RepairWarning,
            stacklevel=3,
        )
    cls = _overlap.classify(geoms)
    if (cls < 0).any():
        rows = ", ".join(str(i) for i in np.flatnonzero(cls < 0)[:10])
        raise GeometryError(
            "sites must be polygons, lines or points, not geometry collections",
            where=f"rows {rows}",
        )
    radius = np.full(len(geoms), np.nan if point_radius_m is None else float(point_radius_m))
    if radius_column in sites.columns:
        given = pd.to_numeric(sites[radius_column], errors="coerce").to_numpy(dtype=float)
        radius = np.where(np.isfinite(given), given, radius)
    circle = (cls == _overlap.POINT) & np.isfinite(radius) & (radius > 0)
    if circle.any():
        geoms[circle] = shapely.buffer(geoms[circle], radius[circle], quad_segs=_CIRCLE_QUAD_SEGS)
        cls[circle] = _overlap.POLYGON
    return geoms, cls, repaired


def _chunks(n: int, workers: int) -> list[slice]:
    """Slices of at most :data:`CHUNK` sites, as many as a multiple of ``workers``, near-equal.

    Equal shares keep every thread busy to the end (five chunks on two threads would leave one
    thread idle for the last).
    """
    count = -(-n // CHUNK)
    if workers > 1 and n >= PARALLEL_FROM:
        count = -(-count // workers) * workers
    bounds = np.linspace(0, n, max(count, 1) + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def _measure_all(
    geoms: np.ndarray,
    cls: np.ndarray,
    layer: Constraint,
    rule: Rule,
    workers: int,
    bar: object,
    nearest: bool = True,
) -> _overlap.Measure:
    chunks = _chunks(len(geoms), workers)

    def one(s: slice) -> _overlap.Measure:
        m = _overlap.measure(
            geoms[s],
            cls[s],
            layer.pieces,
            polygons=layer.polygons,
            reach_m=rule.reach_m,
            nearest=nearest,
        )
        if bar is not None:
            bar.update(1)  # type: ignore[attr-defined]
        return m

    if workers > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(one, chunks))
    else:
        done = [one(s) for s in chunks]
    return _overlap.Measure(
        inside=np.concatenate([m.inside for m in done]),
        parts=np.concatenate([m.parts for m in done]),
        distance=np.concatenate([m.distance for m in done]),
        features=[f for m in done for f in m.features],
    )


def _verdicts(
    rule: Rule, m: _overlap.Measure, whole: np.ndarray, cls: np.ndarray, types: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Verdict, exempt flag and outside measure per site for one rule."""
    tol = np.where(cls == _overlap.POLYGON, rule.min_overlap_m2, 0.0)
    outside = np.maximum(whole - m.inside, 0.0)
    outside[outside <= 1e-9 * whole] = 0.0  # rounding noise of a site wholly inside
    if rule.kind == "veto":
        hit = m.inside > tol
    elif rule.kind == "within":
        hit = outside > tol
    elif rule.kind == "proximity":
        hit = np.zeros(len(whole), dtype=bool)
    else:  # soft
        hit = m.inside > tol
    verdict = np.where(hit, CONFLICT if rule.kind in ("veto", "within") else NEAR, CLEAR)
    near = (~hit) & (m.distance <= rule.reach_m) if rule.reach_m > 0 else np.zeros_like(hit)
    verdict = np.where(near, NEAR, verdict).astype(object)
    return verdict, _exempt(rule, verdict, types), outside


def _labels(layer: Constraint, features: list[np.ndarray]) -> tuple[list[str], list[str]]:
    ids = [";".join(layer.ids[f]) if len(f) else "" for f in features]
    names = [
        ";".join(dict.fromkeys(n for n in layer.names[f] if n)) if len(f) else "" for f in features
    ]
    return ids, names


def _base_columns(rule: Rule, n: int) -> dict[str, object]:
    """The columns every rule's long table starts with."""
    return {
        "site": np.arange(n),
        "rule": rule.id,
        "rule_zh": rule.name_zh,
        "layer": rule.layer,
        "kind": rule.kind,
        "severity": rule.severity,
    }


def _rule_table(
    rule: Rule,
    layer: Constraint | None,
    measured: tuple[_overlap.Measure, np.ndarray, np.ndarray, np.ndarray] | None,
    n: int,
) -> pd.DataFrame:
    """One row per site: the long-table columns for one rule."""
    base = _base_columns(rule, n)
    if layer is None or measured is None:
        return pd.DataFrame({**base, "verdict": SKIPPED, "exempt": False})
    m, cls, whole, types = measured
    verdict, exempt, outside = _verdicts(rule, m, whole, cls, types)
    area = np.where(cls == _overlap.POLYGON, m.inside, np.nan)  # lines and points have none
    ids, names = _labels(layer, m.features)
    out = pd.DataFrame(
        {
            **base,
            "verdict": verdict,
            "exempt": exempt,
            "overlap_m2": area,
            "overlap_ha": area / M2_PER_HA,
            "overlap_mu": area / M2_PER_MU,
            "length_inside_m": np.where(cls == _overlap.LINE, m.inside, np.nan),
            "share": np.where(whole > 0, m.inside / np.where(whole > 0, whole, 1), 0.0),
            "outside_m2": np.where(cls == _overlap.POLYGON, outside, np.nan),
            "distance_m": m.distance,
            "score": np.where(
                rule.kind == "soft", rule.weight * m.inside / np.maximum(whole, 1e-300), 0.0
            ),
            "feature_ids": ids,
            "feature_names": names,
        }
    )
    if rule.kind != "within":
        out["outside_m2"] = np.nan
    return out


def _work_to_storage(geoms: np.ndarray) -> np.ndarray:
    """Work-CRS geometries in EPSG:4490 degrees (None stays None).

    Makes its own transformer, so threads may call it at once (pyproj transformers are not to be
    shared between threads).
    """
    from pyproj import Transformer

    t = Transformer.from_crs(WORK_CRS, STORAGE_CRS, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _ellipsoidal_area(geoms: np.ndarray) -> np.ndarray:
    """Area on the CGCS2000 ellipsoid of work-CRS geometries (NaN for None)."""
    geod = STORAGE_CRS.get_geod()
    out = np.full(len(geoms), np.nan)
    for i, deg in enumerate(_work_to_storage(np.asarray(geoms, dtype=object))):
        if deg is not None:
            out[i] = abs(geod.geometry_area_perimeter(deg)[0])
    return out


def _progress(total: int, n_sites: int, progress: bool | None) -> object:
    show = (n_sites >= PROGRESS_FROM and sys.stderr.isatty()) if progress is None else progress
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="checking sites", unit="chunk", file=sys.stderr)


def _site_columns(
    sites: GeoDataFrame, cls: np.ndarray, whole: np.ndarray, repaired: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "geometry_class": [_CLASS_NAMES[int(c)] for c in cls],
            "site_area_m2": np.where(cls == _overlap.POLYGON, whole, np.nan),
            "site_length_m": np.where(cls == _overlap.LINE, whole, np.nan),
            "repaired": repaired,
        },
        index=sites.index,
    )


WIDE = ("verdict", "exempt", "overlap_m2", "overlap_ha", "overlap_mu", "length_inside_m")
WIDE_MORE = ("share", "outside_m2", "distance_m", "feature_ids", "feature_names")
#: per-rule columns of slope rules (terrain screening)
WIDE_SLOPE = ("slope_mean_deg", "slope_max_deg", "steep_share", "dem_nodata_share")


def _overall(details: pd.DataFrame, n: int, rule_ids: list[str]) -> pd.DataFrame:
    """Per site: the gravest verdict, the rules behind it, the skipped rules and the score."""
    rank = details["verdict"].map(RANK).to_numpy().reshape(len(rule_ids), n)
    verdicts = details["verdict"].to_numpy().reshape(len(rule_ids), n)
    names = details["rule_zh"].to_numpy().reshape(len(rule_ids), n)
    sev = details["severity"].to_numpy().reshape(len(rule_ids), n)
    top = rank.max(axis=0)
    worst = np.array([CLEAR, NEAR, CONFLICT], dtype=object)[top]

    def join(arr: np.ndarray, mask: np.ndarray) -> np.ndarray:
        # a rule's name and severity are the same for every site, so the joined text depends
        # only on which rules are set: join once per distinct pattern of rules
        patterns, inverse = np.unique(mask.T, axis=0, return_inverse=True)
        first = np.zeros(len(patterns), dtype=np.int64)
        first[inverse.ravel()[::-1]] = np.arange(n)[::-1]
        texts = [";".join(dict.fromkeys(arr[p, j])) for p, j in zip(patterns, first, strict=True)]
        return np.array(texts, dtype=object)[inverse.ravel()] if n else np.array([], dtype=object)

    grave = (rank == top) & (top > 0)
    score = details.get("score", pd.Series(0.0, index=details.index))
    return pd.DataFrame(
        {
            "verdict": worst,
            "severity": join(sev, grave),
            "rules_hit": join(names, grave),
            "skipped_rules": join(names, verdicts == SKIPPED),
            "score": score.fillna(0.0).to_numpy().reshape(len(rule_ids), n).sum(axis=0),
        }
    )


def _dissolve(geoms: np.ndarray) -> np.ndarray:
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


def _storage_parts(geoms: np.ndarray, workers: int) -> np.ndarray:
    """Dissolved parts in EPSG:4490, in chunks over ``workers`` threads.

    Both steps release the GIL for most of their time.
    """

    def one(part: np.ndarray) -> np.ndarray:
        return _work_to_storage(_dissolve(part))

    if workers < 2 or len(geoms) < 2 * PART_CHUNK:
        return one(geoms)
    chunks = np.array_split(geoms, min(len(geoms) // PART_CHUNK, 4 * workers))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return np.concatenate(list(pool.map(one, chunks)))


def _parts_frame(
    found: list[tuple[Rule, _overlap.Measure]], details: pd.DataFrame, n: int, workers: int
) -> GeoDataFrame:
    """The overlap parts (inside the layer) of every site with a non-clear verdict."""
    frames = []
    for k, (_rule, m) in enumerate(found):
        d = details.iloc[k * n : (k + 1) * n]
        keep = ~shapely.is_missing(m.parts) & (m.inside > 0)
        if not keep.any():
            continue
        sub = d[keep][["site", "rule", "rule_zh", "layer", "verdict", "severity", "exempt"]]
        sub = sub.assign(inside=m.inside[keep], feature_ids=d["feature_ids"].to_numpy()[keep])
        geoms = _storage_parts(m.parts[keep], workers)
        frames.append(GeoDataFrame(sub, geometry=GeoSeries(geoms, crs=STORAGE_CRS).values))
    if not frames:
        cols = ["site", "rule", "rule_zh", "layer", "verdict", "severity", "exempt", "inside"]
        return GeoDataFrame({c: [] for c in cols}, geometry=[], crs=STORAGE_CRS)
    return GeoDataFrame(pd.concat(frames, ignore_index=True), crs=STORAGE_CRS)


def run(
    sites: GeoDataFrame,
    constraints: Mapping[str, GeoDataFrame | None],
    rule_set: RuleSet | None = None,
    *,
    point_radius_m: float | None = None,
    ellipsoidal: bool = False,
    workers: int | None = None,
    progress: bool | None = None,
    use_cache: bool = True,
    engine: Engine | None = None,
    nearest: bool = True,
    rasters: Mapping[str, str | os.PathLike[str]] | None = None,
) -> CheckResult:
    """Check every site against every rule.

    Parameters
    ----------
    sites
        Project sites (any CRS; polygons, lines or points), in the order to report them.
    constraints
        Layer name -> GeoDataFrame (any CRS) for the layers the rules name; a missing or None
        layer makes its rules skipped.
    rule_set
        The rules; the packaged defaults (:func:`fzgeo.check.rules.load`) when None.
    point_radius_m
        Radius for point sites that do not give one in the rules' ``radius_column``.
    ellipsoidal
        Also compute site and overlap areas on the CGCS2000 ellipsoid.
    workers
        Threads for large batches (default: every core from 8192 sites up).
    progress
        Show a progress bar; by default only for large batches on a terminal.
    use_cache
        Keep constraint pieces in the piece cache (:func:`fzgeo.check.pieces.cache_dir`).
    engine
        Where to measure (see :class:`Engine`): None measures here, in threads;
        :class:`fzgeo.db.check.PostgisEngine` in PostGIS, :class:`fzgeo.check.scale.DaskEngine` on a
        dask cluster. Verdicts and tables are the same whichever measures.
    nearest
        Report every non-overlapping site's nearest distance to each layer (the costliest
        measure on large batches); if False, distances are found only within a rule's
        ``distance_m``/``near_m`` and are NaN beyond.
    rasters
        Raster name -> file for the rules on rasters (``slope`` rules read the DEM named by
        their ``layer``, usually ``dem``); a missing raster makes its rules skipped.

    Returns
    -------
    CheckResult
        ``sites`` (one row per input site, in order, original columns first), ``details`` (one
        row per site and rule), ``parts`` (overlap geometries, EPSG:4490), and what was skipped
        or repaired.
    """
    rule_set = rule_set or rules.load()
    n = len(sites)
    geoms, cls, repaired = _work_sites(sites, rule_set.radius_column, point_radius_m)
    whole = _overlap.size(geoms, cls)
    types = (
        sites[rule_set.type_column].astype(str).to_numpy(dtype=object)
        if rule_set.type_column in sites.columns
        else np.full(n, "", dtype=object)
    )
    workers = workers or ((os.cpu_count() or 1) if n >= PARALLEL_FROM else 1)
    prepare_layers = _prepare_layers if engine is None else engine.prepare_layers
    vector = replace(rule_set, rules=tuple(r for r in rule_set.rules if r.kind not in RASTER_KINDS))
    layers, skipped = prepare_layers(vector, constraints, use_cache) if vector.rules else ({}, {})
    skipped.update(_raster_skips(rule_set, rasters or {}))
    active = [r for r in vector.rules if r.id not in skipped]
    bar = _progress(len(active) * len(_chunks(n, workers)), n, progress)
    tables, found = [], []
    for rule in rule_set.rules:
        if rule.kind in RASTER_KINDS:
            tables.append(_slope_table(rule, None if rule.id in skipped else rasters, geoms, types))
            continue
        layer = layers.get(rule.id)
        if layer is None:
            m = None
        elif engine is None:
            if nearest or rule.reach_m > 0:
                _ = layer.pieces.edge_tree  # built here, before threads share it
            m = _measure_all(geoms, cls, layer, rule, workers, bar, nearest)
        else:
            m = engine.measure(geoms, cls, layer, rule, nearest=nearest)
        tables.append(_rule_table(rule, layer, (m, cls, whole, types) if m else None, n))
        if m is not None:
            found.append((rule, m))
            if ellipsoidal:
                tables[-1]["overlap_m2_ellipsoidal"] = _ellipsoidal_area(
                    np.where(cls == _overlap.POLYGON, m.parts, None)
                )
    if bar is not None:
        bar.close()  # type: ignore[attr-defined]
    details = pd.concat(tables, ignore_index=True)
    own = _site_columns(sites, cls, whole, repaired)
    if ellipsoidal:
        own["site_area_m2_ellipsoidal"] = _ellipsoidal_area(
            np.where(cls == _overlap.POLYGON, geoms, None)
        )
    out = _assemble(sites, own, details, [r.id for r in rule_set.rules])
    return CheckResult(
        out,
        details,
        rule_set,
        layers,
        skipped,
        int(repaired.sum()),
        measured=found,
        workers=workers,
    )


def _raster_skips(rule_set: RuleSet, rasters: Mapping[str, object]) -> dict[str, str]:
    """Raster rules whose raster was not given, with the reason."""
    return {
        r.id: f"raster {r.layer!r} is not available (give a DEM with --dem)"
        for r in rule_set.rules
        if r.kind in RASTER_KINDS and r.layer not in rasters
    }


def _slope_table(
    rule: Rule,
    rasters: Mapping[str, str | os.PathLike[str]] | None,
    geoms: np.ndarray,
    types: np.ndarray,
) -> pd.DataFrame:
    """One row per site for a slope rule: slope statistics from the DEM and the verdict."""
    from fzgeo.raster import terrain  # rasterio is imported only when a DEM is used

    n = len(geoms)
    base = _base_columns(rule, n)
    if rasters is None:
        return pd.DataFrame({**base, "verdict": SKIPPED, "exempt": False})
    sites = GeoDataFrame(geometry=list(geoms), crs=WORK_CRS)
    stats = terrain.screen(rasters[rule.layer], sites, thresholds=[rule.max_slope_deg])
    steep = stats[f"share_gt_{rule.max_slope_deg:g}"].to_numpy(dtype=float)
    hit = np.nan_to_num(steep, nan=0.0) > rule.max_share
    verdict = np.where(hit, rule.hit_verdict, CLEAR).astype(object)
    exempt = _exempt(rule, verdict, types)
    return pd.DataFrame(
        {
            **base,
            "verdict": verdict,
            "exempt": exempt,
            "share": steep,
            "slope_mean_deg": stats["slope_mean"].to_numpy(dtype=float),
            "slope_max_deg": stats["slope_max"].to_numpy(dtype=float),
            "steep_share": steep,
            "dem_nodata_share": stats["nodata_share"].to_numpy(dtype=float),
        }
    )


def _prepare_layers(
    rule_set: RuleSet, constraints: Mapping[str, GeoDataFrame | None], use_cache: bool
) -> tuple[dict[str, Constraint], dict[str, str]]:
    """Per rule: its prepared layer, or the reason it is skipped."""
    layers: dict[str, Constraint] = {}
    skipped: dict[str, str] = {}
    by_key: dict[tuple[str, str], Constraint] = {}
    for rule in rule_set.rules:
        gdf = constraints.get(rule.layer)
        if gdf is None:
            skipped[rule.id] = f"layer {rule.layer!r} is not available"
            continue
        missing = [c for c in rule.where if c not in gdf.columns]
        if missing:
            skipped[rule.id] = f"layer {rule.layer!r} has no column(s) {missing} for 'where'"
            continue
        key = (rule.layer, repr(sorted(rule.where.items())))
        if key not in by_key:
            by_key[key] = prepare(rule.layer, gdf, where=rule.where, use_cache=use_cache)
        if by_key[key].features == 0:
            skipped[rule.id] = f"layer {rule.layer!r} has no feature matching {dict(rule.where)}"
            continue
        layers[rule.id] = by_key[key]
    return layers, skipped


def _assemble(
    sites: GeoDataFrame, own: pd.DataFrame, details: pd.DataFrame, rule_ids: list[str]
) -> GeoDataFrame:
    """The wide per-site table: original columns, site measures, overall and per-rule results."""
    n = len(sites)
    overall = _overall(details, n, rule_ids)
    overall.index = sites.index
    blocks = [sites.drop(columns=sites.geometry.name), own, overall]
    for k, rid in enumerate(rule_ids):
        d = details.iloc[k * n : (k + 1) * n]
        if len(d) and d["kind"].iloc[0] in RASTER_KINDS:
            cols = [c for c in ("verdict", "exempt", *WIDE_SLOPE) if c in d.columns]
        else:
            cols = [c for c in (*WIDE, *WIDE_MORE) if c in d.columns]
            if "overlap_m2_ellipsoidal" in d.columns:
                cols.insert(3, "overlap_m2_ellipsoidal")
        block = d[cols].rename(columns=lambda c, r=rid: f"{r}__{c}")
        block.index = sites.index
        blocks.append(block)
    table = pd.concat(blocks, axis=1)
    return GeoDataFrame(table, geometry=sites.geometry.values, crs=sites.crs)


def conflicts(
    sites: GeoDataFrame,
    constraints: Mapping[str, GeoDataFrame | None],
    rule_set: RuleSet | None = None,
    **options: object,
) -> GeoDataFrame:
    """One row per site with its verdicts and overlaps; ``options`` as for :func:`run`.

    The per-rule columns are named ``<rule id>__<measure>``, e.g. ``eco_redline__overlap_ha``.
    """
    return run(sites, constraints, rule_set, **options).sites  # type: ignore[arg-type]
