"""The siting check from end to end: :func:`run` and :func:`conflicts` (no I/O).

Every engine goes through :func:`run`: the sites are prepared here (:func:`fzgeo.check.vector.
work_sites`), the engine prepares the constraint layers, the extent guard
(:mod:`fzgeo.check.guard`) looks at both, then each vector rule is one
:class:`~fzgeo.check.engines.Task` for the engine and each slope rule goes to
:mod:`fzgeo.check.slope`; the verdicts and tables (:mod:`fzgeo.check.vector`,
:mod:`fzgeo.check.tables`) are computed here whichever engine measured.

:func:`conflicts` returns one row per input site, in input order, with the site's original
attributes and geometry, and per rule of the :class:`~fzgeo.check.rules.RuleSet` the verdict
(冲突 / 邻近 / 无冲突, or 跳过 when the rule's layer is missing), the overlap in m², 公顷 (ha) and 亩,
the share of the site, the length inside (line sites), the nearest distance and the overlapped
features. :func:`run` returns that table together with a long table (one row per site and rule),
the overlap parts as geometries, and what was repaired or skipped.

Every area and distance is computed in EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E),
the plane statistics use; ``ellipsoidal=True`` adds the area on the CGCS2000 ellipsoid. Values
are not rounded here; the reports round them as :data:`fzgeo.check.ROUNDING` says. Where several
features of a layer overlap a site, their parts are unioned, so overlapping or duplicated
constraint polygons never count twice.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from geopandas import GeoDataFrame

from fzgeo import _progress
from fzgeo.check import (
    _overlap,
    duplicates,
    engines,
    guard,
    project_types,
    rules,
    slope,
    tables,
    vector,
)
from fzgeo.check.model import CheckResult, Constraint
from fzgeo.check.parts import ellipsoidal_area
from fzgeo.check.rules import RASTER_KINDS, RuleSet
from fzgeo.errors import GeometryError
from fzgeo.io import READ_AS


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
    engine: engines.Engine | None = None,
    nearest: bool = True,
    rasters: Mapping[str, str | os.PathLike[str]] | None = None,
    stop_outside: bool = False,
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
        Radius in metres for point sites that do not give one in the rules' ``radius_column``.
    ellipsoidal
        Also compute site and overlap areas (m²) on the CGCS2000 ellipsoid.
    workers
        Threads for large batches (default: every core from 1024 sites up).
    progress
        Show a progress bar; by default only for large batches on a terminal.
    use_cache
        Keep constraint pieces in the piece cache (:func:`fzgeo.check.pieces.cache_dir`).
    engine
        Where to measure (see :class:`~fzgeo.check.engines.Engine`): None measures here, in
        threads; :class:`fzgeo.db.check.PostgisEngine` in PostGIS,
        :class:`fzgeo.check.scale.DaskEngine` on a dask cluster. Verdicts and tables are the
        same whichever measures.
    nearest
        Report every non-overlapping site's nearest distance to each layer (the costliest
        measure on large batches); if False, distances are found only within a rule's
        ``distance_m``/``near_m`` and are NaN beyond.
    rasters
        Raster name -> file for the rules on rasters (``slope`` rules read the DEM named by
        their ``layer``, usually ``dem``); a missing raster makes its rules skipped.
    stop_outside
        Raise :class:`fzgeo.check.guard.SitesOutside` right after the extent guard's warning
        (FZ106) instead of measuring sites that lie outside 抚州市 and every constraint layer
        (``fzgeo check`` without ``--allow-outside``); by default the check goes on and records
        ``audit["sites_outside"]``.

    Returns
    -------
    CheckResult
        ``sites`` (one row per input site, in order, original columns first), ``details`` (one
        row per site and rule), ``parts`` (conflict geometries, EPSG:4490), what was skipped
        or repaired, and ``audit`` (engine, tolerances, project types, layers' SHA-256).

    Raises
    ------
    GeometryError
        FZ406 when a ``veto``, ``within`` or ``soft`` rule's layer holds lines or points and no
        polygon (:func:`fzgeo.check.vector.refuse_non_areas`, :func:`refuse_soft_without_areas`).

    Warns
    -----
    ExtentWarning
        FZ106 when the sites lie outside 抚州市 and every constraint layer (likely a wrong CRS).
    ProjectTypeWarning
        FZ601 when the rules exempt project types but the sites have no type column, or types
        no rule knows (:mod:`fzgeo.check.project_types`).
    RepairWarning
        When sites or constraint features had to be repaired.
    DuplicateWarning
        FZ414 when sites repeat an earlier site's geometry (:mod:`fzgeo.check.duplicates`);
        ``audit["duplicate_sites"]`` lists them and the batch totals count them once.
    """
    rule_set = rule_set or rules.load()
    n = len(sites)
    geoms, cls, repaired, problem = vector.work_sites(sites, rule_set.radius_column, point_radius_m)
    vector.warn_unusable(sites, problem, stacklevel=2)
    ok = problem == ""
    whole = np.where(ok, _overlap.size(geoms, cls), np.nan)
    usable = geoms if ok.all() else geoms[ok]  # one array for every task (PostGIS uploads once)
    copies = duplicates.groups(sites)
    duplicates.warn(sites, copies, stacklevel=2)
    site_types = project_types.site_types(sites, rule_set)
    project_types.warn(site_types, rule_set, stacklevel=2)
    types = site_types.values
    touch = (rule_set.touch_tolerance_m2, rule_set.touch_tolerance_m)
    workers = workers or ((os.cpu_count() or 1) if n >= engines.PARALLEL_FROM else 1)
    local = engines.LocalEngine(workers)
    measurer: engines.Engine = engine or local
    vector_rules = replace(
        rule_set, rules=tuple(r for r in rule_set.rules if r.kind not in RASTER_KINDS)
    )
    with _progress.phase("切分管控图层", show=_progress.wanted(n, progress)):
        layers, skipped = (
            measurer.prepare_layers(vector_rules, constraints, use_cache)
            if vector_rules.rules
            else ({}, {})
        )
    vector.refuse_non_areas(vector_rules, layers, constraints)
    refuse_soft_without_areas(vector_rules, layers, constraints)
    inside = guard.warn_if_elsewhere(sites, layers.values(), stacklevel=3)
    if not inside and stop_outside:
        raise guard.SitesOutside("the sites lie outside 抚州市 and every constraint layer")
    skipped.update(slope.raster_skips(rule_set, rasters or {}))
    active = [r for r in vector_rules.rules if r.id not in skipped]
    local.bar = engines.progress(
        len(active) * len(engines.chunks(int(ok.sum()), workers)), n, progress
    )
    blocks, found = [], []
    for rule in rule_set.rules:
        if rule.kind in RASTER_KINDS:
            given = None if rule.id in skipped else rasters
            blocks.append(_unchecked(slope.slope_table(rule, given, usable, types[ok]), ok))
            continue
        layer = layers.get(rule.id)
        task = None if layer is None else engines.Task(usable, cls[ok], layer, rule, nearest)
        m = None if task is None else _expand(measurer.measure(task), ok)
        if m is not None:
            m = _overlap.drop_touches(
                m, cls, area_m2=touch[0], length_m=touch[1], reach_m=rule.reach_m
            )
        table = vector.rule_table(
            rule, layer, (m, cls, whole, types) if m else None, n, touch=touch
        )
        blocks.append(table if ok.all() or m is None else _unchecked(table.iloc[ok], ok))
        if m is not None:
            found.append((rule, replace(m, features=[])))  # named in the table: let go
            if ellipsoidal:
                blocks[-1]["overlap_m2_ellipsoidal"] = ellipsoidal_area(
                    vector.polygons_only(m.parts, cls)
                )
    if local.bar is not None:
        local.bar.close()
    details = pd.concat(blocks, ignore_index=True)
    own = tables.site_columns(sites, cls, whole, repaired)
    if not ok.all():
        own["geometry_class"] = np.where(ok, own["geometry_class"], "")
    own["problem"] = tables.site_issues(sites, problem, repaired, copies, sites.attrs.get(READ_AS))
    if ellipsoidal:
        own["site_area_m2_ellipsoidal"] = ellipsoidal_area(vector.polygons_only(geoms, cls))
    out = tables.assemble(sites, own, details, [r.id for r in rule_set.rules])
    if not ok.all():
        out.loc[~ok, "verdict"] = rules.UNCHECKED
    return CheckResult(
        out,
        details,
        rule_set,
        layers,
        skipped,
        int(repaired.sum()),
        measured=found,
        workers=workers,
        audit={
            **audit(measurer, rule_set, site_types, layers),
            "duplicate_sites": duplicates.record(sites, copies),
            "sites_outside": not inside,
        },
        work_sites=(geoms, cls),
    )


def refuse_soft_without_areas(
    rule_set: RuleSet,
    layers: Mapping[str, Constraint],
    constraints: Mapping[str, GeoDataFrame | None],
) -> None:
    """Refuse (FZ406) a ``soft`` rule whose layer holds no polygon (lines such as roads, points).

    A soft rule scores the share of a site inside its layer; a line or point contains none, so
    every site would score 0 and be 无冲突: a silent zero. (Distance to lines is what a
    ``proximity`` rule judges.) ``layers`` are the prepared layers by rule id, ``constraints``
    the layers as given, to name their file.
    """
    for rule in rule_set.rules:
        layer = layers.get(rule.id)
        if rule.kind != "soft" or layer is None or layer.polygons:
            continue
        given = constraints.get(rule.layer)
        found, path = "lines or points", None
        if given is not None:
            path = given.attrs.get(READ_AS, {}).get("path")
            kinds = sorted(str(k) for k in given.geometry.geom_type.dropna().unique())
            found = ", ".join(kinds) or found
        where = f"constraint layer {rule.layer}"
        if given is None:  # the PostGIS engine reads its layers from the database
            where += f" (table fzgeo.{rule.layer})"
        raise GeometryError(
            f"its {layer.features} feature(s) are {found}, not areas (polygons): rule {rule.id} "
            "(soft) scores the share of a site inside the layer, and lines or points contain "
            "none, so every site would score 0 and be 无冲突",
            code="FZ406",
            path=path,
            where=where,
            hint=f"to judge sites near the {found}, make rule {rule.id} a proximity rule with "
            "distance_m; to score the share inside a band, buffer them into polygons in GIS "
            "(QGIS: Buffer, 缓冲区) and give that layer",
        )


def _expand(m: _overlap.Measure, ok: np.ndarray) -> _overlap.Measure:
    """A measure of the usable sites spread over every site: nothing inside the others."""
    return m if ok.all() else _overlap.scatter([(np.flatnonzero(ok), m)], len(ok))


def _unchecked(table: pd.DataFrame, ok: np.ndarray) -> pd.DataFrame:
    """A rule's long table of the usable sites, spread over every site: the others 无法检查."""
    if ok.all():
        return table
    full = table.reset_index(drop=True).set_axis(np.flatnonzero(ok)).reindex(range(len(ok)))
    for col in ("rule", "rule_zh", "layer", "kind", "severity"):
        full[col] = table[col].iloc[0] if len(table) else None
    full["site"] = np.arange(len(ok))
    full.loc[~ok, "verdict"] = rules.UNCHECKED
    full.loc[~ok, "exempt"] = False
    full["exempt"] = full["exempt"].astype(bool)
    if "feature_ids" in full.columns:
        full.loc[~ok, ["feature_ids", "feature_names"]] = ""
    return full.reset_index(drop=True)


def audit(
    engine: engines.Engine,
    rule_set: RuleSet,
    types: project_types.SiteTypes,
    layers: Mapping[str, Constraint],
) -> dict[str, Any]:
    """How the check was made, JSON-ready (:attr:`fzgeo.check.CheckResult.audit`)."""
    records: dict[str, dict[str, Any]] = {}
    for layer in layers.values():
        if layer.name not in records and layer.record is not None:
            records[layer.name] = layer.record.as_dict()
    return {
        "engine": engine.describe(),
        "touch_tolerance": {"m2": rule_set.touch_tolerance_m2, "m": rule_set.touch_tolerance_m},
        "type_column": types.column,
        "unknown_types": dict(types.unknown),
        "untyped_sites": types.untyped,
        "layers": records,
    }


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
