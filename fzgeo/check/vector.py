"""The vector rules (veto, within, proximity, soft): both sides prepared, then judged.

Measuring happens in EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E), metres.

Sites (:func:`work_sites`)
    Reprojected to the work CRS; invalid geometries repaired with ``make_valid`` and counted
    (a :class:`~fzgeo.errors.RepairWarning`); null, empty or unusable ones are reported
    无法检查 (an :class:`~fzgeo.errors.UnusableGeometryWarning` naming them), the rest measured. A point with a radius (the rules'
    ``radius_column`` attribute, or ``point_radius_m``) becomes a circle (a 128-gon, whose area
    is 0.04 % below the true circle).
Constraint layers (:func:`prepare`, :func:`prepare_layers`)
    Each layer is cut once into pieces of at most 256 vertices (:mod:`fzgeo.check.pieces`,
    cached); features are selected by a rule's ``where``.
Verdicts (:func:`rule_table`)
    From the measures of :func:`fzgeo.check._overlap.measure` (whichever engine computed them,
    touches below the rules' tolerance dropped): 冲突 / 邻近 / 无冲突 with the rule's tolerances
    and reach, exemptions by project type, and the overlap in m², 公顷 and 亩, share of the
    conflict part (outside the layer for a ``within`` rule), length inside, the part outside,
    nearest distance and the features met, by the layer's id and name columns.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame

from fzgeo.check import _overlap, labels, pieces, tables
from fzgeo.check.model import M2_PER_HA, M2_PER_MU, Constraint, LayerRecord
from fzgeo.check.rules import (
    CLEAR,
    CONFLICT,
    NEAR,
    TOUCH_TOLERANCE_M,
    TOUCH_TOLERANCE_M2,
    UNCHECKED,
    Rule,
    RuleSet,
)
from fzgeo.crs import require_crs, to_work
from fzgeo.errors import GeometryError, RepairWarning, UnusableGeometryWarning
from fzgeo.geom import POLYGON_TYPES
from fzgeo.io import READ_AS
from fzgeo.io.repair import labels as repair_labels

_CIRCLE_QUAD_SEGS = 32
#: Why a site cannot be checked, as the report's 问题 column says it.
UNUSABLE = {
    "null": "没有几何（null geometry）",
    "empty": "几何为空（empty geometry）",
    "collection": "几何集合中没有单一的面、线或点（geometry collection）",
}
_CODE_OF = {UNUSABLE["null"]: "FZ412", UNUSABLE["empty"]: "FZ411", UNUSABLE["collection"]: "FZ400"}
#: Rule kinds whose layer means areas: a site is judged by the part of it inside (or outside).
AREA_KINDS = ("veto", "within")


def refuse_non_areas(
    rule_set: RuleSet,
    layers: Mapping[str, Constraint],
    constraints: Mapping[str, GeoDataFrame | None],
) -> None:
    """Refuse (FZ406) an area rule's layer that holds no polygon (boundary lines from CAD).

    A layer that holds polygons and some features without area (lines, points, no geometry)
    is checked on its polygons, with a warning (FZ413, :class:`~fzgeo.errors.
    UnusableGeometryWarning`) naming those features.

    A red line delivered as its boundary lines overlaps nothing, so every site would be 无冲突
    for the wrong reason. ``layers`` are the prepared layers by rule id (every engine fills
    :attr:`Constraint.polygons`); ``constraints`` the layers as given, to name their file.

    Raises
    ------
    GeometryError
        FZ406, naming the layer (and its file), the rule and the geometry types found.
    """
    warned: set[tuple[str, tuple[str, ...]]] = set()
    for rule in rule_set.rules:
        layer = layers.get(rule.id)
        if rule.kind not in AREA_KINDS or layer is None:
            continue
        if layer.polygons:
            if layer.without_area and (layer.name, layer.without_area) not in warned:
                warned.add((layer.name, layer.without_area))
                _warn_without_area(rule, layer)
            continue
        given = constraints.get(rule.layer)
        path = None
        found = "lines or points"
        if given is not None:
            path = given.attrs.get(READ_AS, {}).get("path")
            kinds = given.geometry.geom_type.dropna().unique()
            found = ", ".join(sorted(str(k) for k in kinds)) or found
        where = f"constraint layer {rule.layer}"
        if given is None:  # the PostGIS engine reads its layers from the database
            where += f" (table fzgeo.{rule.layer})"
        raise GeometryError(
            f"its {layer.features} feature(s) are {found}, not areas (polygons): rule "
            f"{rule.id} ({rule.kind}) measures the part of a site inside the layer, and lines "
            "or points contain none, so every site would be 无冲突",
            code="FZ406",
            path=path,
            where=where,
        )


def prepare(
    name: str,
    gdf: GeoDataFrame,
    *,
    where: Mapping[str, object] | None = None,
    use_cache: bool = True,
    rule: Rule | None = None,
) -> Constraint:
    """Cut a constraint layer (any CRS) into work-CRS pieces, keeping rows that match ``where``.

    ``rule`` gives the layer's ``id_column`` and ``name_column`` (default: the usual names,
    :mod:`fzgeo.check.labels`).
    """
    require_crs(gdf, what=f"constraint layer {name}")
    whole = np.asarray(gdf.geometry.values, dtype=object)
    sha256 = pieces.layer_sha256(whole, gdf.crs)
    attributes = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    id_column, name_column = labels.columns_for(attributes, rule or Rule(name, name, "veto"))
    keep = where_mask(gdf, where or {})
    ids, names = labels.feature_labels(attributes, id_column, name_column, keep)
    selected = gdf[keep] if not keep.all() else gdf
    delivered = np.asarray(selected.geometry.values, dtype=object)
    areas = np.isin(shapely.get_type_id(delivered), POLYGON_TYPES) & ~shapely.is_empty(delivered)
    cut, repaired = pieces.for_layer(
        delivered,
        crs=gdf.crs.to_wkt(),
        project=lambda: np.asarray(
            to_work(selected, what=f"constraint layer {name}").geometry.values, dtype=object
        ),
        use_cache=use_cache,
        sha256=sha256 if keep.all() else None,
    )
    _ = cut.tree, cut.shape  # built here, before threads share them
    warn_repaired(name, repaired, stacklevel=4)
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(cut.geoms))
    return Constraint(
        name=name,
        polygons=bool(areas.any()),
        pieces=cut,
        ids=ids,
        names=names,
        features=len(selected),
        repaired=repaired,
        extent=(x0, y0, x1, y1),
        without_area=tuple(str(i) for i in ids[~areas]),
        record=LayerRecord(
            sha256=sha256,
            features=len(gdf),
            precision=precision_values(attributes),
            id_column=id_column,
            name_column=name_column,
        ),
    )


def where_mask(frame: pd.DataFrame, where: Mapping[str, object]) -> np.ndarray:
    """The rows of a layer's attributes that match every ``where`` value (a missing column: none).

    Every engine selects a rule's features with this.
    """
    keep = np.ones(len(frame), dtype=bool)
    for col, value in where.items():
        keep &= (
            (frame[col] == value).fillna(False).to_numpy(dtype=bool)
            if col in frame.columns
            else False
        )
    return keep


def precision_values(attributes: pd.DataFrame) -> tuple[str, ...]:
    """The sorted distinct values of a layer's ``precision`` column (none without it)."""
    if "precision" not in attributes.columns:
        return ()
    return tuple(sorted({v for v in labels.text(attributes["precision"]) if v}))


def warn_repaired(layer: str, count: int, *, stacklevel: int) -> None:
    """The RepairWarning for ``count`` invalid geometries of a constraint layer (none if 0)."""
    if count:
        warnings.warn(
            f"[FZ410] constraint layer {layer}: repaired {count} invalid geometr(y/ies) with "
            "make_valid",
            RepairWarning,
            stacklevel=stacklevel,
        )


def prepare_layers(
    rule_set: RuleSet, constraints: Mapping[str, GeoDataFrame | None], use_cache: bool
) -> tuple[dict[str, Constraint], dict[str, str]]:
    """Per rule: its prepared layer, or the reason it is skipped (the local and dask engines)."""
    layers: dict[str, Constraint] = {}
    skipped: dict[str, str] = {}
    by_key: dict[tuple[str, ...], Constraint] = {}
    for rule in rule_set.rules:
        gdf = constraints.get(rule.layer)
        if gdf is None:
            skipped[rule.id] = f"layer {rule.layer!r} is not available"
            continue
        missing = [c for c in rule.where if c not in gdf.columns]
        if missing:
            skipped[rule.id] = f"layer {rule.layer!r} has no column(s) {missing} for 'where'"
            continue
        key = (rule.layer, repr(sorted(rule.where.items())), rule.id_column, rule.name_column)
        if key not in by_key:
            by_key[key] = prepare(rule.layer, gdf, where=rule.where, use_cache=use_cache, rule=rule)
        if by_key[key].features == 0:
            skipped[rule.id] = f"layer {rule.layer!r} has no feature matching {dict(rule.where)}"
            continue
        layers[rule.id] = by_key[key]
    return layers, skipped


def _warn_without_area(rule: Rule, layer: Constraint) -> None:
    """Warn (FZ413) that some features of an area rule's layer hold no area and count for nothing."""
    found = layer.without_area
    shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    warnings.warn(
        f"[FZ413] constraint layer {layer.name}: {len(found)} of its {layer.features} "
        f"feature(s) hold no area (lines, points or no geometry): {shown}; rule {rule.id} "
        f"({rule.kind}) measures areas, so a site meets nothing there (hint: close boundary "
        "lines into polygons in GIS first)",
        UnusableGeometryWarning,
        stacklevel=5,
    )


def work_sites(
    sites: GeoDataFrame, radius_column: str, point_radius_m: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sites in the work CRS, their classes, which were repaired, and why a site is unusable.

    Radii make points circles. A site without usable geometry (null, empty, or a geometry
    collection that is not one polygon, line or point after repair) gets the reason in the
    fourth array ("" for the others), geometry None and class point; :func:`fzgeo.check.run`
    reports it 无法检查 and measures the rest.
    """
    require_crs(sites, what="sites")
    delivered = np.asarray(sites.geometry.values, dtype=object)
    # a copy: sites already in the work CRS would otherwise share the caller's array
    geoms = np.array(to_work(sites, what="sites").geometry.values, dtype=object, copy=True)
    problem = np.full(len(geoms), "", dtype=object)
    problem[shapely.is_empty(geoms)] = UNUSABLE["empty"]
    problem[shapely.is_missing(geoms)] = UNUSABLE["null"]
    bad = problem != ""
    geoms[bad] = None
    repaired = ~bad & ~shapely.is_valid(delivered)  # as delivered
    geoms, _ = pieces.polygonal(geoms)  # also fixes what reprojection alone bent
    if repaired.any():
        where = ", ".join(repair_labels(sites, np.flatnonzero(repaired)[:10].tolist()))
        more = f" and {int(repaired.sum()) - 10} more" if repaired.sum() > 10 else ""
        warnings.warn(
            f"[FZ410] sites: repaired {int(repaired.sum())} invalid geometr(y/ies) with make_valid "
            f"({where}{more}); the report marks them",
            RepairWarning,
            stacklevel=3,
        )
    cls = _overlap.classify(geoms)
    collection = ~bad & (cls < 0)
    problem[collection] = UNUSABLE["collection"]
    bad |= collection
    geoms[bad] = None
    cls[bad] = _overlap.POINT
    radius = np.full(len(geoms), np.nan if point_radius_m is None else float(point_radius_m))
    if radius_column in sites.columns:
        given = pd.to_numeric(sites[radius_column], errors="coerce").to_numpy(dtype=float)
        radius = np.where(np.isfinite(given), given, radius)
    circle = (cls == _overlap.POINT) & np.isfinite(radius) & (radius > 0) & ~bad
    if circle.any():
        geoms[circle] = shapely.buffer(geoms[circle], radius[circle], quad_segs=_CIRCLE_QUAD_SEGS)
        cls[circle] = _overlap.POLYGON
    return geoms, cls, repaired, problem


def warn_unusable(sites: GeoDataFrame, problem: np.ndarray, *, stacklevel: int = 2) -> None:
    """Warn (:class:`~fzgeo.errors.UnusableGeometryWarning`) naming the sites not checked.

    ``problem`` is :func:`work_sites`' fourth array. The message gives the codes (FZ412 null,
    FZ411 empty, FZ400 a collection), the count and the first sites by 1-based row and id.

    Raises
    ------
    GeometryError
        FZ400 when no site has usable geometry: there is nothing to check.
    """
    bad = np.flatnonzero(problem != "")
    if not len(bad):
        return
    codes = sorted({_CODE_OF[str(problem[i])] for i in bad})
    shown = "; ".join(
        f"{label}: {problem[i]}"
        for label, i in zip(repair_labels(sites, bad[:5].tolist()), bad[:5], strict=True)
    )
    more = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
    if len(bad) == len(problem):
        raise GeometryError(
            f"no site has usable geometry ({shown}{more}): there is nothing to check",
            code="FZ400",
            where="sites",
            hint="fix the geometries in GIS, or give the file that holds the sites",
        )
    warnings.warn(
        f"[{', '.join(codes)}] sites: {len(bad)} site(s) without usable geometry are reported "
        f"{UNCHECKED} and not checked ({shown}{more}); the other sites are checked",
        UnusableGeometryWarning,
        stacklevel=stacklevel + 1,
    )


def _verdicts(
    rule: Rule, m: _overlap.Measure, outside: np.ndarray, cls: np.ndarray, types: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Verdict and exempt flag per site for one rule (touches already dropped from ``m``)."""
    tol = np.where(cls == _overlap.POLYGON, rule.min_overlap_m2, 0.0)
    if rule.kind == "veto":
        hit = m.inside > tol
    elif rule.kind == "within":
        hit = outside > tol
    elif rule.kind == "proximity":
        hit = np.zeros(len(cls), dtype=bool)
    else:  # soft
        hit = m.inside > tol
    verdict = np.where(hit, CONFLICT if rule.kind in ("veto", "within") else NEAR, CLEAR)
    near = (~hit) & (m.distance <= rule.reach_m) if rule.reach_m > 0 else np.zeros_like(hit)
    verdict = np.where(near, NEAR, verdict).astype(object)
    return verdict, tables.exempt(rule, verdict, types)


def _labels(layer: Constraint, features: list[np.ndarray]) -> tuple[list[str], list[str]]:
    ids = [";".join(layer.ids[f]) if len(f) else "" for f in features]
    names = [
        ";".join(dict.fromkeys(n for n in layer.names[f] if n)) if len(f) else "" for f in features
    ]
    return ids, names


def rule_table(
    rule: Rule,
    layer: Constraint | None,
    measured: tuple[_overlap.Measure, np.ndarray, np.ndarray, np.ndarray] | None,
    n: int,
    *,
    touch: tuple[float, float] = (TOUCH_TOLERANCE_M2, TOUCH_TOLERANCE_M),
) -> pd.DataFrame:
    """One row per site: the long-table columns for one vector rule.

    ``measured`` is the measure (touches dropped, :func:`fzgeo.check._overlap.drop_touches`)
    and, per site, the class, whole size and normalised project type; None (or no ``layer``)
    makes the rule skipped. ``touch`` is the touch tolerance (m², m) for the part outside a
    ``within`` layer. ``share`` is the conflict part's share of the site: the part inside the
    layer, or for a ``within`` rule the part outside (``outside_m2``, ``outside_ha``,
    ``outside_mu``, polygons only).
    """
    if layer is None or measured is None:
        return tables.skipped_table(rule, n)
    m, cls, whole, types = measured
    out_of = _overlap.outside(m.inside, whole, cls, area_m2=touch[0], length_m=touch[1])
    verdict, exempt = _verdicts(rule, m, out_of, cls, types)
    area = np.where(cls == _overlap.POLYGON, m.inside, np.nan)  # lines and points have none
    within = rule.kind == "within"
    part = out_of if within else m.inside
    outside_area = np.where(cls == _overlap.POLYGON, out_of, np.nan) if within else np.nan
    ids, names = _labels(layer, m.features)
    return pd.DataFrame(
        {
            **tables.base_columns(rule, n),
            "verdict": verdict,
            "exempt": exempt,
            "overlap_m2": area,
            "overlap_ha": area / M2_PER_HA,
            "overlap_mu": area / M2_PER_MU,
            "length_inside_m": np.where(cls == _overlap.LINE, m.inside, np.nan),
            "share": np.where(whole > 0, part / np.where(whole > 0, whole, 1), 0.0),
            "outside_m2": outside_area,
            "outside_ha": outside_area / M2_PER_HA,
            "outside_mu": outside_area / M2_PER_MU,
            "distance_m": m.distance,
            "score": np.where(
                rule.kind == "soft", rule.weight * m.inside / np.maximum(whole, 1e-300), 0.0
            ),
            "feature_ids": ids,
            "feature_names": names,
        }
    )


def polygons_only(geoms: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """``geoms`` where the site is a polygon, None elsewhere (what has an area)."""
    out = np.asarray(geoms, dtype=object).copy()
    out[cls != _overlap.POLYGON] = None
    return out
