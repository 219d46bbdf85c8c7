"""Seeded synthetic red lines and project sites for benchmarks and tests (no I/O).

Real 生态保护红线 layers are not public, but their shape is known: a few hundred large polygons with
finely digitised, ragged boundaries (10^5-10^6 vertices per county), holes where villages or
farmland are carved out, and nothing else nearby. :func:`redlines` builds such a layer with a given
total vertex count; :func:`sites` builds a batch of small project parcels scattered over the same
area, a share of which overlap the red line. Both are in EPSG:4548 (metres) and deterministic for
a seed, so results can be compared between runs and between engines (fzgeo, geopandas, PostGIS,
dask-geopandas).

>>> red = redlines(vertices=20_000, seed=1)
>>> batch = sites(1_000, seed=2)
"""

from __future__ import annotations

import numpy as np

import shapely
from geopandas import GeoDataFrame

from fzgeo.crs import WORK_CRS

#: The default extent: about 60 km x 60 km of 抚州 in EPSG:4548 metres (x0, y0, x1, y1).
EXTENT = (470_000.0, 3_030_000.0, 530_000.0, 3_090_000.0)


def _noise(rng: np.random.Generator, n: int, octaves: int = 9) -> np.ndarray:
    """Periodic multi-scale noise in about [-1, 1] along a closed ring of ``n`` samples."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    out = np.zeros(n)
    for k in range(octaves):
        freq = 3 * 2**k
        if freq > n / 8:
            break
        out += np.sin(freq * t + rng.uniform(0, 2 * np.pi)) / (1.7**k)
    return out / 2.4


def _ring(
    rng: np.random.Generator, cx: float, cy: float, r: float, n: int, rough: float
) -> np.ndarray:
    """A ragged closed ring: smooth multi-scale bays and spurs plus digitising jitter."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    spacing = 2 * np.pi * r / n
    rad = r * (1.0 + rough * _noise(rng, n)) + rng.normal(0.0, 0.25 * spacing, n)
    return np.column_stack([cx + rad * np.cos(t), cy + rad * np.sin(t)])


def _polygon(rng: np.random.Generator, cx: float, cy: float, r: float, n: int) -> shapely.Geometry:
    shell = _ring(rng, cx, cy, r, n, rough=0.25)
    holes = []
    for _ in range(int(rng.integers(0, 4))):
        ang, dist = rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 0.4) * r
        hr = rng.uniform(0.04, 0.1) * r
        holes.append(
            _ring(rng, cx + dist * np.cos(ang), cy + dist * np.sin(ang), hr, max(16, n // 50), 0.2)
        )
    poly = shapely.Polygon(shell, holes)
    return poly if poly.is_valid else shapely.make_valid(poly)


def redlines(
    vertices: int = 1_100_000,
    *,
    features: int = 36,
    seed: int = 0,
    extent: tuple[float, float, float, float] = EXTENT,
) -> GeoDataFrame:
    """A synthetic red-line layer of about ``vertices`` vertices in ``features`` polygons.

    The polygons sit in a grid over ``extent`` (so they do not overlap one another), each with a
    ragged multi-scale boundary, digitising jitter and up to three holes. Columns: ``id``,
    ``name``, ``vertices``.
    """
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(features)))
    x0, y0, x1, y1 = extent
    cw, ch = (x1 - x0) / side, (y1 - y0) / side
    per = max(64, vertices // features)
    geoms, ids = [], []
    for k in range(features):
        i, j = divmod(k, side)
        cx = x0 + (j + 0.5) * cw + rng.uniform(-0.1, 0.1) * cw
        cy = y0 + (i + 0.5) * ch + rng.uniform(-0.1, 0.1) * ch
        r = rng.uniform(0.2, 0.32) * min(cw, ch)
        geoms.append(_polygon(rng, cx, cy, r, per))
        ids.append(f"HX{k:04d}")
    geoms_arr = np.array(geoms, dtype=object)
    return GeoDataFrame(
        {
            "id": ids,
            "name": [f"生态保护红线（合成）{k + 1}" for k in range(features)],
            "vertices": shapely.get_num_coordinates(geoms_arr),
        },
        geometry=geoms_arr,
        crs=WORK_CRS,
    )


def sites(
    n: int,
    *,
    seed: int = 1,
    extent: tuple[float, float, float, float] = EXTENT,
    min_side: float = 60.0,
    max_side: float = 600.0,
) -> GeoDataFrame:
    """``n`` project parcels: rotated rectangles of ``min_side``-``max_side`` metres.

    Columns: ``site_id`` (0..n-1), ``project_type``.
    """
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = extent
    cx, cy = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    w, h = rng.uniform(min_side, max_side, n), rng.uniform(min_side, max_side, n)
    ang = rng.uniform(0, np.pi, n)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
    xs = cx[:, None] + dx * c - dy * s
    ys = cy[:, None] + dx * s + dy * c
    coords = np.stack([xs, ys], axis=-1)
    geoms = shapely.polygons(coords)
    kinds = np.array(["工业", "住宅", "商业", "市政设施", "旅游"], dtype=object)
    return GeoDataFrame(
        {"site_id": np.arange(n), "project_type": kinds[rng.integers(0, len(kinds), n)]},
        geometry=geoms,
        crs=WORK_CRS,
    )
