"""Constraint polygons cut into small pieces once, as PostGIS ``ST_Subdivide`` does.

A real 生态保护红线 (ecological protection red line) layer holds 10^5-10^6 vertices per county in a
few huge polygons. Testing a site against such a polygon costs time in proportion to its vertex
count; testing it against the few pieces of at most ``max_vertices`` vertices that its bounding box
touches costs almost nothing. :func:`subdivide` cuts each polygon recursively in half along the
longer side of its bounding box until every piece is small enough, each level one vectorised
rectangle clip over every part on every core (checked: a polygon whose pieces are not valid or
do not add up to its area is cut again with exact intersections). Pieces of one feature tile it
exactly (they meet only along the cut lines), so their overlap areas add up; pieces of different
features may overlap, and :mod:`fzgeo.check` unions such parts per site so nothing is counted
twice. :class:`PieceShape` tells the measuring which pieces are their own bounding box (the
inside of a large polygon), where a rectangle clip of the site replaces the overlay.

The red line changes rarely. :func:`layer_sha256` is the one definition of a layer's version
(the ``sha256`` every engine's audit records, and what ``fzgeo db push`` stores): SHA-256 over
the 2-D WKB of its geometries as delivered, in order, then its CRS (``EPSG:n`` when the CRS is
exactly an EPSG one, else its WKT). :func:`for_layer` keeps the pieces, already in the work CRS,
in a cache folder keyed by that hash, the CRS's WKT and the piece format (:func:`cache_key`;
``$FZGEO_CACHE_DIR``, default ``~/.cache/fzgeo/pieces``) together with the number of geometries
that had to be repaired. A check pays the projection, repair and cutting once per version of the
layer and afterwards only the query.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import shapely
from shapely import STRtree

from fzgeo import geom
from fzgeo._atomic import atomic_path
from fzgeo._defaults import MAX_VERTICES  # largest piece, in vertices (re-exported)
from fzgeo.check import _parallel
from fzgeo.errors import FzgeoWarning
from fzgeo.geom import LINE_TYPES, POINT_TYPES, POLYGON_TYPES

EDGE_VERTICES = 32  #: longest edge run searched for nearest distances
CACHE_VERSION = 5  #: bump when the piece format or key changes (5: clipped, polygons raw)


@dataclass(frozen=True)
class Pieces:
    """The pieces of a polygon layer (in its own CRS) and the feature each came from."""

    geoms: np.ndarray  #: shapely geometries, every one polygonal and valid
    feature: np.ndarray  #: int64 position of the source feature in the layer
    digest: str  #: the cache key of the source layer (see :func:`cache_key`)
    max_vertices: int = MAX_VERTICES

    def __len__(self) -> int:
        """Number of pieces."""
        return len(self.geoms)

    @property
    def tree(self) -> STRtree:
        """An STR-tree over the pieces (built on first use).

        Build it in one thread before measuring in several (:func:`fzgeo.check.prepare` does).
        The pieces are deliberately not prepared: GEOS builds a prepared geometry's index lazily,
        which is not safe when threads share the geometry.
        """
        cached = self.__dict__.get("_tree")
        if cached is None:
            cached = STRtree(self.geoms)
            object.__setattr__(self, "_tree", cached)
        return cached

    @property
    def shape(self) -> PieceShape:
        """Each piece's bounding box and whether it is a polygon, or that box itself (cached).

        Cheap (vectorised over the coordinates); built with the tree, before threads share it.
        """
        cached = self.__dict__.get("_shape")
        if cached is None:
            cached = piece_shape(self.geoms)
            object.__setattr__(self, "_shape", cached)
        return cached

    @property
    def edge_tree(self) -> STRtree:
        """An STR-tree over the pieces' edges in runs of at most :data:`EDGE_VERTICES` vertices.

        For nearest distances: a site that does not overlap a polygon is nearest to its
        boundary, and the pieces' boundaries hold the polygon's (their cut edges lie inside the
        polygon, never nearer). Short runs have tight envelopes, so the search visits few of
        them. Built on first use; build it in one thread before measuring in several.
        """
        cached = self.__dict__.get("_edges")
        if cached is None:
            polys = np.isin(shapely.get_type_id(self.geoms), POLYGON_TYPES)
            lines = shapely.get_parts(shapely.boundary(self.geoms[polys]))
            others = self.geoms[~polys]
            runs, _ = split_lines(
                np.concatenate([lines, others[shapely.get_dimensions(others) == 1]]),
                max_vertices=EDGE_VERTICES,
            )
            points = others[shapely.get_dimensions(others) == 0]
            cached = STRtree(np.concatenate([runs, points]).astype(object))
            object.__setattr__(self, "_edges", cached)
        return cached


@dataclass(frozen=True)
class PieceShape:
    """What :func:`fzgeo.check._overlap.measure` needs to know of each piece's shape."""

    bounds: np.ndarray  #: (n, 4) x0, y0, x1, y1
    polygon: np.ndarray  #: a single polygon (what rectangle clipping handles)
    box: np.ndarray  #: the polygon is its own bounding box (an inner piece of a large polygon)


def piece_shape(geoms: np.ndarray) -> PieceShape:
    """The :class:`PieceShape` of pieces: bounds, which are polygons, which are rectangles.

    A rectangle is a polygon without holes of four distinct vertices (five coordinates), each a
    corner of its bounding box: the pieces cut from the inside of a large polygon.
    """
    geoms = np.asarray(geoms, dtype=object)
    bounds = shapely.bounds(geoms).reshape(-1, 4)
    polygon = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
    box = np.zeros(len(geoms), dtype=bool)
    five = np.flatnonzero(
        polygon
        & (shapely.get_num_coordinates(geoms) == 5)
        & (shapely.get_num_interior_rings(geoms) == 0)
    )
    if len(five):
        xy = shapely.get_coordinates(geoms[five]).reshape(-1, 5, 2)[:, :4]
        x0, y0, x1, y1 = (bounds[five, k][:, None] for k in range(4))
        on_x = (xy[..., 0] == x0) | (xy[..., 0] == x1)
        on_y = (xy[..., 1] == y0) | (xy[..., 1] == y1)
        corner = (xy[..., 0] == x1).astype(int) + 2 * (xy[..., 1] == y1)
        distinct = (np.sort(corner, axis=1) == np.arange(4)).all(axis=1)
        box[five] = on_x.all(axis=1) & on_y.all(axis=1) & distinct & (x1[:, 0] > x0[:, 0])
        box[five] &= y1[:, 0] > y0[:, 0]
    return PieceShape(bounds, polygon, box)


def crs_label(crs: object) -> str:
    """A CRS as :func:`layer_sha256` records it: ``EPSG:n`` when exactly that, else its WKT.

    ``crs`` is anything :class:`pyproj.CRS` takes; None or "" gives "".
    """
    if crs is None or crs == "":
        return ""
    from pyproj import CRS

    parsed = CRS.from_user_input(crs)
    code = parsed.to_epsg(min_confidence=100)
    return f"EPSG:{code}" if code is not None else parsed.to_wkt()


def layer_sha256(geoms: np.ndarray, crs: object = None) -> str:
    """The version of a layer: SHA-256 over its geometries as delivered and its CRS.

    Each geometry's 2-D WKB (little-endian; a null geometry as zero bytes), preceded by its length
    as 8 bytes little-endian, in order; then :func:`crs_label` of ``crs`` in UTF-8. Every engine
    records this for the layer it was given (``CheckResult.audit``), and ``fzgeo db push`` stores
    it for the layer it was given, so the same file gives the same hash on every engine.
    """
    h = hashlib.sha256()
    blobs = shapely.to_wkb(
        np.asarray(geoms, dtype=object), hex=False, output_dimension=2, byte_order=1
    )
    for wkb in blobs:
        data = wkb or b""
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    h.update(crs_label(crs).encode("utf-8"))
    return h.hexdigest()


def cache_key(sha256: str, crs_wkt: str = "") -> str:
    """The piece cache's key for a layer of :func:`layer_sha256` ``sha256`` in ``crs_wkt``."""
    text = f"fzgeo-pieces-{CACHE_VERSION}\n{crs_wkt}\n{sha256}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def polygonal(geoms: np.ndarray, *, valid: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Make every geometry valid, polygons staying polygonal; return them and the repair count.

    The invalid ones go through :func:`fzgeo.geom.make_valid`; of a polygon, only the polygonal
    part (:func:`fzgeo.geom.polygonal`) is kept, since a constraint area has no area in its
    lines. Null geometries stay null and are not counted. Any CRS; the result is in the same.
    ``valid`` is :func:`shapely.is_valid` of ``geoms`` when the caller has it (tested here, on
    every core, when None).
    """
    geoms = np.asarray(geoms, dtype=object)
    if valid is None:
        valid = _parallel.split(_parallel.is_valid, geoms, min_items=1)
    bad = ~valid & ~shapely.is_missing(geoms)
    out = geoms.copy()
    if bad.any():
        was_polygon = np.isin(shapely.get_type_id(geoms[bad]), POLYGON_TYPES)
        fixed = geom.make_valid(geoms[bad])
        out[bad] = [geom.polygonal(g) if p else g for g, p in zip(fixed, was_polygon, strict=True)]
    return out, int(bad.sum())


def subdivide(
    geoms: np.ndarray, *, max_vertices: int = MAX_VERTICES
) -> tuple[np.ndarray, np.ndarray]:
    """Cut valid polygons into pieces of at most ``max_vertices`` vertices.

    Each polygon is halved along the longer side of its bounding box, recursively, every level
    in one vectorised :func:`shapely.clip_by_rect` call over all parts (split over the cores).
    Rectangle clipping walks each ring once instead of overlaying it, but does not promise valid
    output, so the pieces are checked: a polygon whose pieces are not all valid, or whose pieces'
    areas do not add up to its own to 1e-9 relative, is cut again with exact intersections
    (:func:`shapely.intersection` with the halves).

    Returns
    -------
    tuple
        The pieces and, for each, the position of the geometry it came from. Null and empty
        geometries yield no pieces.
    """
    if max_vertices < 8:
        msg = f"`max_vertices` must be at least 8, got {max_vertices}"
        raise ValueError(msg)
    geoms = np.asarray(geoms, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    parts, src = shapely.get_parts(geoms[keep], return_index=True)
    src = np.flatnonzero(keep)[src]
    if not len(parts):
        return np.array([], dtype=object), np.array([], dtype=np.int64)
    cut, cut_src = _recurse(parts, src, max_vertices, _clip_halves)
    bad = _untiled(geoms, cut, cut_src)
    if bad.any():  # rare: redo those polygons the slow, exact way
        again = np.isin(src, np.flatnonzero(bad))
        exact, exact_src = _recurse(parts[again], src[again], max_vertices, _exact_halves)
        kept = ~bad[cut_src]
        cut = np.concatenate([cut[kept], exact])
        cut_src = np.concatenate([cut_src[kept], exact_src])
    order = np.argsort(cut_src, kind="stable")  # pieces grouped by their polygon
    return cut[order], cut_src[order].astype(np.int64)


def _recurse(
    parts: np.ndarray,
    src: np.ndarray,
    max_vertices: int,
    halves: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Halve the parts with more than ``max_vertices`` vertices until none is left."""
    done_g: list[np.ndarray] = []
    done_s: list[np.ndarray] = []
    while len(parts):
        small = shapely.get_num_coordinates(parts) <= max_vertices
        done_g.append(parts[small])
        done_s.append(src[small])
        parts, src = _halve(parts[~small], src[~small], halves)
    return np.concatenate(done_g), np.concatenate(done_s).astype(np.int64)


def _untiled(geoms: np.ndarray, cut: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Per polygon: whether its pieces fail to tile it (one invalid, or areas not adding up)."""
    invalid = ~_parallel.split(_parallel.is_valid, cut)
    bad = np.bincount(src, invalid, minlength=len(geoms)) > 0
    whole = np.zeros(len(geoms))
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    whole[ok] = shapely.area(geoms[ok])
    summed = np.bincount(src, _parallel.split(shapely.area, cut), minlength=len(geoms))
    return bad | (np.abs(summed - whole) > 1e-9 * whole)


def _clip_halves(
    parts: np.ndarray, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
) -> np.ndarray:
    """Each part clipped to its rectangle (fast; the output may be invalid: see :func:`subdivide`).

    ``shapely.clip_by_rect`` takes one rectangle for all; its ufunc takes one per geometry.
    """
    return _parallel.split(shapely.lib.clip_by_rect, parts, x0, y0, x1, y1)


def _exact_halves(
    parts: np.ndarray, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
) -> np.ndarray:
    """Each part intersected with its rectangle (overlay: slower, valid output)."""
    return _parallel.split(shapely.intersection, parts, shapely.box(x0, y0, x1, y1))


def _halve(
    parts: np.ndarray,
    src: np.ndarray,
    halves: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Split each polygon in two along the longer side of its bounding box."""
    if not len(parts):
        return parts, src
    x0, y0, x1, y1 = shapely.bounds(parts).T
    wide = (x1 - x0) >= (y1 - y0)
    xm = np.where(wide, (x0 + x1) / 2, x1)
    ym = np.where(wide, y1, (y0 + y1) / 2)
    both = np.concatenate([parts, parts])
    cut = halves(
        both,
        np.r_[x0, np.where(wide, xm, x0)],
        np.r_[y0, np.where(wide, y0, ym)],
        np.r_[xm, x1],
        np.r_[ym, y1],
    )
    hsrc = np.concatenate([src, src])
    types = shapely.get_type_id(cut)
    one = types == shapely.GeometryType.POLYGON  # most halves: kept as they are, not copied
    many = np.flatnonzero(~one & (shapely.get_num_geometries(cut) > 0))
    split, idx = shapely.get_parts(cut[many], return_index=True)
    pieces = np.concatenate([cut[one], split])
    psrc = np.concatenate([hsrc[one], hsrc[many[idx]]])
    keep = np.isin(shapely.get_type_id(pieces), POLYGON_TYPES)
    keep[keep] = _parallel.split(shapely.area, pieces[keep]) > 0
    return pieces[keep], psrc[keep]


def split_lines(
    geoms: np.ndarray, *, max_vertices: int = MAX_VERTICES
) -> tuple[np.ndarray, np.ndarray]:
    """Cut lines into runs of at most ``max_vertices`` vertices (runs share their end vertex)."""
    geoms = np.asarray(geoms, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    parts, src = shapely.get_parts(geoms[keep], return_index=True)
    src = np.flatnonzero(keep)[src]
    if not len(parts):
        return np.array([], dtype=object), np.array([], dtype=np.int64)
    step = max_vertices - 1
    coords = shapely.get_coordinates(parts)
    count = shapely.get_num_coordinates(parts)
    first = np.r_[0, np.cumsum(count)[:-1]]  # each part's first coordinate
    runs = np.maximum(-(-(count - 1) // step), 1)  # runs per part
    part = np.repeat(np.arange(len(parts)), runs)
    k = np.arange(runs.sum()) - np.repeat(np.cumsum(runs) - runs, runs)  # run number in its part
    start = k * step
    length = np.minimum(step, count[part] - 1 - start) + 1  # vertices per run, ends shared
    run = np.repeat(np.arange(len(part)), length)
    offset = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    at = np.repeat(first[part] + start, length) + offset
    out = shapely.linestrings(coords[at], indices=run)
    return np.asarray(out, dtype=object), src[part].astype(np.int64)


def cut(geoms: np.ndarray, *, max_vertices: int = MAX_VERTICES) -> tuple[np.ndarray, np.ndarray]:
    """Pieces of any layer: polygons subdivided, lines split into runs, points kept."""
    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    poly = np.isin(types, POLYGON_TYPES)
    line = np.isin(types, (*LINE_TYPES, shapely.GeometryType.LINEARRING))
    point = np.isin(types, POINT_TYPES)
    pg, ps = subdivide(geoms[poly], max_vertices=max_vertices)
    lg, ls = split_lines(geoms[line], max_vertices=max_vertices)
    qg, qs = shapely.get_parts(geoms[point], return_index=True)
    return (
        np.concatenate([pg, lg, qg]).astype(object),
        np.concatenate(
            [np.flatnonzero(poly)[ps], np.flatnonzero(line)[ls], np.flatnonzero(point)[qs]]
        ).astype(np.int64),
    )


def cache_dir() -> Path:
    """Where pieces are kept: ``$FZGEO_CACHE_DIR`` or ``~/.cache/fzgeo/pieces``."""
    env = os.environ.get("FZGEO_CACHE_DIR")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "pieces" if env else base / "fzgeo" / "pieces"


def _cache_path(digest: str, max_vertices: int) -> Path:
    return cache_dir() / f"{digest}-{max_vertices}.wkb.npz"


def _load_cached(path: Path) -> tuple[np.ndarray, np.ndarray, int] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in _CACHED}
    except (OSError, KeyError, ValueError):
        return None
    return _from_arrays(arrays), arrays["feature"], int(arrays["repaired"])


#: What a cache file holds: the polygons as coordinates with ring and polygon offsets (read
#: back without parsing), the other pieces (lines, points) as WKB, which is which, the feature
#: of each piece and the repair count.
_CACHED = ("coords", "rings", "polygons", "wkb", "offsets", "polygon", "feature", "repaired")


def _to_arrays(geoms: np.ndarray) -> dict[str, np.ndarray]:
    """Pieces as the cache's arrays (see :data:`_CACHED`, without feature and repair count)."""
    polygon = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
    coords, (rings, polygons) = np.zeros((0, 2)), (np.zeros(1, np.int64), np.zeros(1, np.int64))
    if polygon.any():
        _, coords, (rings, polygons) = shapely.to_ragged_array(geoms[polygon])
    blobs = shapely.to_wkb(geoms[~polygon], hex=False)
    return {
        "coords": coords,
        "rings": rings,
        "polygons": polygons,
        "wkb": np.frombuffer(b"".join(blobs), dtype=np.uint8),
        "offsets": np.cumsum([0, *map(len, blobs)]).astype(np.int64),
        "polygon": polygon,
    }


def _from_arrays(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """The pieces back from :func:`_to_arrays`: compact 2-D geometries, in their order."""
    polygon = arrays["polygon"].astype(bool)
    geoms = np.empty(len(polygon), dtype=object)
    if polygon.any():
        offsets = (arrays["rings"], arrays["polygons"])
        geoms[polygon] = shapely.from_ragged_array(
            shapely.GeometryType.POLYGON, arrays["coords"], offsets
        )
    if not polygon.all():
        wkb, ends = arrays["wkb"], arrays["offsets"]
        blobs = [wkb[a:b].tobytes() for a, b in itertools.pairwise(ends)]
        geoms[~polygon] = shapely.from_wkb(np.array(blobs, dtype=object))
    return geoms


def _store(path: Path, arrays: dict[str, np.ndarray], feature: np.ndarray, repaired: int) -> None:
    """Write the pieces to the cache file ``path`` (atomically, streamed: no copy in memory)."""
    try:
        with atomic_path(path) as tmp, tmp.open("wb") as sink:
            named: dict[str, Any] = {**arrays, "feature": feature, "repaired": repaired}
            np.savez(sink, **named)
    except OSError as exc:  # a read-only cache only costs time
        warnings.warn(f"cannot cache pieces in {path.parent} ({exc})", FzgeoWarning, stacklevel=3)


def for_layer(
    geoms: np.ndarray,
    *,
    crs: str = "",
    project: Callable[[], np.ndarray] | None = None,
    max_vertices: int = MAX_VERTICES,
    use_cache: bool = True,
    sha256: str | None = None,
) -> tuple[Pieces, int]:
    """The pieces of a layer in the work CRS, from the cache when present.

    Parameters
    ----------
    geoms
        The layer's geometries as delivered.
    crs
        Their CRS (any text that identifies it, e.g. WKT); part of the cache key.
    project
        Returns the geometries in the CRS the pieces are wanted in; called only when the pieces
        are not cached. None: ``geoms`` are in that CRS already.
    max_vertices
        Largest piece.
    use_cache
        Read and write the piece cache (see :func:`cache_dir`).
    sha256
        :func:`layer_sha256` of ``geoms`` and ``crs``, when the caller has it already.

    Returns
    -------
    tuple
        The pieces and the number of geometries that were invalid as delivered (repaired here;
        what reprojection alone bends is repaired too, without being counted).
    """
    geoms = np.asarray(geoms, dtype=object)
    digest = cache_key(sha256 or layer_sha256(geoms, crs or None), crs)
    path = _cache_path(digest, max_vertices)
    cached = _load_cached(path) if use_cache and path.is_file() else None
    if cached is not None:
        return Pieces(cached[0], cached[1], digest, max_vertices), cached[2]
    ok = _parallel.split(_parallel.is_valid, geoms, min_items=1)  # big polygons: one per core
    repaired = int((~ok & ~shapely.is_missing(geoms)).sum())
    projected = np.asarray(project() if project is not None else geoms, dtype=object)
    same = len(projected) == len(geoms) and all(
        a is b for a, b in zip(projected.tolist(), geoms.tolist(), strict=True)
    )  # already in the work CRS: the validity found above holds
    valid, _ = polygonal(projected, valid=ok if same else None)
    parts, feature = cut(valid, max_vertices=max_vertices)
    del projected, valid  # the layer's work-CRS copy, when it was projected
    arrays = _to_arrays(parts)
    if use_cache:
        _store(path, arrays, feature, repaired)
    # rebuilt from the arrays: clipping leaves 3-D coordinate buffers with room to spare, which
    # take half as much memory again and are measured 10-25% slower than the cached pieces
    parts = _from_arrays(arrays)
    del arrays
    _parallel.release_memory()  # the cut's temporaries
    return Pieces(parts, feature, digest, max_vertices), repaired
