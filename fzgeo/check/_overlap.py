"""Vectorised measurement of sites against one prepared constraint layer (no I/O).

Everything here works in the metric work CRS (EPSG:4548) on numpy arrays of shapely geometries,
so that :mod:`fzgeo.check` can hand chunks of sites to threads (shapely 2 releases the GIL in its
vectorised operations).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import shapely

from fzgeo.check import _parallel
from fzgeo.check.pieces import Pieces

POLYGON, LINE, POINT = 0, 1, 2  #: site geometry classes
_CLASS_OF_TYPE = {0: POINT, 4: POINT, 1: LINE, 2: LINE, 5: LINE, 3: POLYGON, 6: POLYGON}


@dataclass(frozen=True)
class Measure:
    """Measurements of a chunk of sites against one constraint layer.

    ``inside`` is the area (m², polygon sites), length (m, line sites) or 1/0 (point sites) of the
    site inside the layer, with overlapping constraint features counted once. ``features`` lists
    the positions of the layer features that overlap (or, with ``reach_m``, lie within reach).
    """

    inside: np.ndarray
    parts: np.ndarray  #: the site inside the layer (None where nothing is inside)
    distance: np.ndarray  #: nearest distance to the layer (0 when touching or overlapping)
    features: list[np.ndarray]


def scatter(done: list[tuple[np.ndarray, Measure]], n: int) -> Measure:
    """The measures of some of ``n`` sites each, put at their positions (nothing inside the rest).

    ``done`` pairs the positions of a batch of sites with the measure of that batch.
    """
    inside = np.zeros(n)
    parts = np.full(n, None, dtype=object)
    distance = np.full(n, np.nan)
    features: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * n
    for pos, m in done:
        inside[pos] = m.inside
        parts[pos] = m.parts
        distance[pos] = m.distance
        for p, f in zip(pos.tolist(), m.features, strict=True):
            features[p] = f
    return Measure(inside, parts, distance, features)


def classify(geoms: np.ndarray) -> np.ndarray:
    """POLYGON, LINE or POINT per geometry (-1 for anything else, e.g. a collection)."""
    types = shapely.get_type_id(geoms)
    return np.array([_CLASS_OF_TYPE.get(int(t), -1) for t in types], dtype=np.int8)


def size(geoms: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """The measure of each whole site: area (polygon), length (line) or 1 (point)."""
    return np.where(
        cls == POLYGON,
        shapely.area(geoms),
        np.where(cls == LINE, shapely.length(geoms), 1.0),
    )


def _group_union(
    parts: np.ndarray, site: np.ndarray, feature: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per site: the union of its parts (None where it has none), and whether it is one feature.

    Parts cut from the pieces of one feature tile the site's overlap, so they are only collected
    (see :func:`_collect`); parts of several features may overlap and are unioned in full.
    """
    out = np.full(n, None, dtype=object)
    single_feature = np.ones(n, dtype=bool)
    if not len(parts):
        return out, single_feature
    order = np.lexsort((feature, site))
    site, parts, feature = site[order], parts[order], feature[order]
    starts = np.flatnonzero(np.r_[True, site[1:] != site[:-1]])
    ends = np.r_[starts[1:], len(site)]
    single = (ends - starts) == 1
    out[site[starts[single]]] = parts[starts[single]]
    one_feature = feature[starts] == feature[ends - 1]
    collect = ~single & one_feature
    group = np.repeat(np.arange(len(starts)), ends - starts)
    picked = collect[group]
    out[site[starts[collect]]] = _collect(parts[picked], group[picked])
    several = np.flatnonzero(~single & ~one_feature)
    single_feature[site[starts[several]]] = False
    for g in several:
        out[site[starts[g]]] = shapely.union_all(parts[starts[g] : ends[g]])
    return out, single_feature


def _union_by_site(geoms: np.ndarray, site: np.ndarray, n: int) -> np.ndarray:
    """Per site: the full union of its geometries (pieces of several features may overlap)."""
    out = np.full(n, None, dtype=object)
    order = np.argsort(site, kind="stable")
    site, geoms = site[order], geoms[order]
    starts = np.flatnonzero(np.r_[True, site[1:] != site[:-1]])
    for a, b in zip(starts, np.r_[starts[1:], len(site)], strict=True):
        out[site[a]] = geoms[a] if b - a == 1 else shapely.union_all(geoms[a:b])
    return out


def _collect(parts: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per group (sorted ids), its parts cut from the pieces of one feature, without a union.

    The pieces tile the feature, so polygon parts only share edges: a multipolygon of them has
    the overlap's area. It is dissolved only when the geometry is wanted
    (:attr:`fzgeo.check.CheckResult.parts`). Groups with line or point parts are unioned.
    """
    ids, group = np.unique(group, return_inverse=True)
    out = np.full(len(ids), None, dtype=object)
    if not len(ids):
        return out
    flat, src = shapely.get_parts(parts, return_index=True)
    flat_group = group[src]
    polygonal = np.bincount(flat_group, shapely.get_type_id(flat) != 3, len(ids)) == 0
    keep = polygonal[flat_group]
    at = np.flatnonzero(polygonal)
    # multipolygons() makes one geometry per index 0..max: number the polygonal groups densely
    dense = np.searchsorted(at, flat_group[keep])
    out[at] = shapely.multipolygons(flat[keep], indices=dense)
    bounds = np.searchsorted(group, np.arange(len(ids) + 1))  # group is sorted
    for g in np.flatnonzero(~polygonal):
        out[g] = shapely.union_all(parts[bounds[g] : bounds[g + 1]])
    return out


def _feature_lists(site: np.ndarray, feature: np.ndarray, n: int) -> list[np.ndarray]:
    """Sorted unique feature positions per site."""
    out = [np.empty(0, dtype=np.int64)] * n
    if not len(site):
        return out
    pairs = np.unique(np.column_stack([site, feature]), axis=0)
    starts = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])
    for a, b in zip(starts, np.r_[starts[1:], len(pairs)], strict=True):
        out[pairs[a, 0]] = pairs[a:b, 1]
    return out


@dataclass(frozen=True)
class Overlap:
    """The overlap of a chunk of sites with a polygon layer: what every rule on it shares.

    ``inside`` and ``parts`` as in :class:`Measure`; ``site`` and ``feature`` are the pairs
    (site position, feature position) that overlap with a positive measure.
    """

    inside: np.ndarray
    parts: np.ndarray
    site: np.ndarray
    feature: np.ndarray


def overlap(geoms: np.ndarray, cls: np.ndarray, pieces: Pieces) -> Overlap:
    """How much of each site (work CRS) lies inside a polygon layer's pieces, and which part.

    Candidate pairs come from the pieces' STR-tree (prepared ``intersects``); each is cut once
    (:func:`cut_pairs`); parts of one feature's pieces tile the site's overlap, so their areas
    are summed, while parts of several features are unioned first (overlapping features count
    once). A polygon site whose summed parts make up its whole area (to 1e-9) lies wholly inside
    the layer: its part is the site itself, so nothing needs dissolving later.
    """
    n = len(geoms)
    inside = np.zeros(n)
    si, pi = pieces.tree.query(geoms, predicate="intersects")
    cut = cut_pairs(geoms, cls, pieces, si, pi)
    keep, amount = _positive(cut, cls[si])
    si, pi, cut, amount = si[keep], pi[keep], cut[keep], amount[keep]
    parts, single = _group_union(cut, si, pieces.feature[pi], n)
    line = cls[si] == LINE
    if line.any():
        # cuts of one line by overlapping features end at computed points, so they are not
        # exactly collinear and their union does not dissolve them (the length would count
        # twice): cut each line once, by the union of the pieces it crosses
        covers = _union_by_site(pieces.geoms[pi[line]], si[line], n)
        todo = np.flatnonzero((cls == LINE) & ~shapely.is_missing(covers))
        parts[todo] = shapely.intersection(geoms[todo], covers[todo])
    has = ~shapely.is_missing(parts)
    # a polygon site's parts from one feature's pieces tile its overlap: their areas add up
    # exactly, without measuring the union; other sites are measured on the union
    summed = single & (cls == POLYGON)
    polys = summed[si]
    np.add.at(inside, si[polys], amount[polys])
    rest = has & ~summed
    inside[rest] = size(parts[rest], cls[rest])
    inside[has & (cls == POINT)] = 1.0
    whole = np.flatnonzero(summed & has)
    whole = whole[inside[whole] >= (1 - 1e-9) * shapely.area(geoms[whole])]
    parts[whole] = geoms[whole]
    return Overlap(inside, parts, si, pieces.feature[pi])


def measure(
    geoms: np.ndarray,
    cls: np.ndarray,
    pieces: Pieces,
    *,
    polygons: bool,
    reach_m: float = 0.0,
    nearest: bool = True,
    shared: Overlap | None = None,
) -> Measure:
    """Measure sites (work CRS) against a constraint layer's pieces.

    Parameters
    ----------
    geoms, cls
        The sites and their classes (see :func:`classify`).
    pieces
        The constraint layer's pieces (polygons, or line runs for a line layer).
    polygons
        Whether the layer is polygonal; a line layer has no inside, only distance.
    reach_m
        Also list features within this distance of a site.
    nearest
        Find every site's nearest distance; if False, only up to ``reach_m`` (NaN beyond).
    shared
        The :func:`overlap` of these sites with these pieces when already computed (for
        another rule on the same layer); computed here when None.
    """
    n = len(geoms)
    inside = np.zeros(n)
    parts = np.full(n, None, dtype=object)
    hit_site = np.empty(0, dtype=np.int64)
    hit_feat = np.empty(0, dtype=np.int64)
    if polygons and len(pieces):
        found = shared if shared is not None else overlap(geoms, cls, pieces)
        inside, parts = found.inside, found.parts
        hit_site, hit_feat = found.site, found.feature
    distance = _distance(geoms, pieces, inside > 0, limit=None if nearest else reach_m)
    if reach_m > 0 and len(pieces):
        si, pi = pieces.tree.query(geoms, predicate="dwithin", distance=reach_m)
        hit_site = np.r_[hit_site, si]
        hit_feat = np.r_[hit_feat, pieces.feature[pi]]
    return Measure(inside, parts, distance, _feature_lists(hit_site, hit_feat, n))


def cut_pairs(
    geoms: np.ndarray, cls: np.ndarray, pieces: Pieces, si: np.ndarray, pi: np.ndarray
) -> np.ndarray:
    """The part of site ``si[k]`` inside piece ``pi[k]``, for every candidate pair ``k``.

    Most pairs need no overlay, and each pair is classified once:

    - a piece wholly inside its site (the STR-tree's ``contains`` query, with the site
      prepared) is the part itself;
    - a polygon site is clipped to the piece's bounding box (:func:`shapely.clip_by_rect`, one
      pass over the site's few edges); where the piece is that box (the pieces cut from the
      inside of a large polygon), or where the clipped site is valid and covered by the piece
      (the site meets no edge of the piece inside the box, so it lies wholly inside the polygon
      there), the clipped site is the part;
    - only the rest, where the site crosses the polygon's own boundary, and line and point
      sites, are overlaid (:func:`shapely.intersection`).

    Every way gives the site's overlap with the piece, to floating-point noise (1e-12 relative
    in area).
    """
    out = np.empty(len(si), dtype=object)
    if not len(si):
        return out
    todo = np.ones(len(si), dtype=bool)
    n = np.int64(len(pieces))
    ci, cp = pieces.tree.query(geoms, predicate="contains")
    if len(ci):
        whole = np.isin(si.astype(np.int64) * n + pi, ci.astype(np.int64) * n + cp)
        out[whole] = pieces.geoms[pi[whole]]
        todo &= ~whole
    shape = pieces.shape
    fast = np.flatnonzero(todo & (cls[si] == POLYGON) & shape.polygon[pi])
    if len(fast):
        held = pi[fast]
        b = shape.bounds[held]
        clipped = shapely.lib.clip_by_rect(geoms[si[fast]], b[:, 0], b[:, 1], b[:, 2], b[:, 3])
        ok = shape.box[held].copy()
        test = np.flatnonzero(~ok)
        test = test[_parallel.is_valid(clipped[test])]
        ok[test] = shapely.covered_by(clipped[test], pieces.geoms[held[test]])
        out[fast[ok]] = clipped[ok]
        todo[fast[ok]] = False
    rest = np.flatnonzero(todo)
    out[rest] = shapely.intersection(geoms[si[rest]], pieces.geoms[pi[rest]])
    return out


def _tolerance(cls: np.ndarray, area_m2: float, length_m: float) -> np.ndarray:
    """Per site, the touch tolerance of its class: m² for polygons, m for lines, 0 for points."""
    return np.where(cls == POLYGON, area_m2, np.where(cls == LINE, length_m, 0.0))


def drop_touches(
    m: Measure, cls: np.ndarray, *, area_m2: float, length_m: float, reach_m: float = 0.0
) -> Measure:
    """``m`` with overlaps below the touch tolerance made touches, whichever engine measured.

    A polygon site inside by less than ``area_m2`` (m²), or a line site by less than
    ``length_m`` (m), only touches the layer (e.g. the sliver a coordinate round trip leaves
    where edges coincide): nothing inside, no part, distance 0, and no feature listed unless the
    rule has a reach (``reach_m`` > 0: a touching feature lies within it). A site nearer to the
    layer than ``length_m`` (the gap the same round trip can leave) touches it too: distance 0.
    """
    touch = (m.inside > 0) & (m.inside < _tolerance(cls, area_m2, length_m))
    gap = (m.distance > 0) & (m.distance < length_m)
    if not (touch.any() or gap.any()):
        return m
    inside, parts, distance = m.inside.copy(), m.parts.copy(), m.distance.copy()
    inside[touch], parts[touch], distance[touch | gap] = 0.0, None, 0.0
    features = list(m.features)
    if reach_m <= 0:
        for i in np.flatnonzero(touch):
            features[i] = np.empty(0, dtype=np.int64)
    return Measure(inside, parts, distance, features)


def outside(
    inside: np.ndarray, whole: np.ndarray, cls: np.ndarray, *, area_m2: float, length_m: float
) -> np.ndarray:
    """The measure of each site outside the layer: ``whole`` less ``inside``.

    Rounding noise of a site wholly inside (1e-9 relative) and an outside part below the touch
    tolerance (``area_m2`` for polygons, ``length_m`` for lines) count as nothing.
    """
    out = np.maximum(whole - inside, 0.0)
    out[(out <= 1e-9 * whole) | (out < _tolerance(cls, area_m2, length_m))] = 0.0
    return out


def _positive(cut: np.ndarray, cls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which intersections have a positive measure (a shared edge or corner has none), and it.

    The measure is the area for polygon sites, the length for lines and 1 for points.
    """
    if not len(cut):
        return np.zeros(0, dtype=bool), np.zeros(0)
    poly, line = cls == POLYGON, cls == LINE
    amount = np.ones(len(cut))
    amount[poly] = shapely.area(cut[poly])
    amount[line] = shapely.length(cut[line])
    return ~shapely.is_empty(cut) & (amount > 0), amount


def _distance(
    geoms: np.ndarray, pieces: Pieces, overlapping: np.ndarray, *, limit: float | None
) -> np.ndarray:
    """Nearest distance to the layer (0 for overlapping sites).

    NaN for an empty layer and beyond ``limit`` (None: no limit; 0: not computed).
    """
    distance = np.where(overlapping, 0.0, np.nan)
    todo = np.flatnonzero(~overlapping)
    if len(todo) and len(pieces) and limit != 0:
        (src, _), dist = pieces.edge_tree.query_nearest(
            geoms[todo], return_distance=True, all_matches=False, max_distance=limit
        )
        distance[todo[src]] = dist
    return distance
