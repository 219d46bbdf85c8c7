"""GCJ-02 (火星坐标, Amap/Tencent) and BD-09 (Baidu) coordinates, vectorised with numpy.

GCJ-02 is the obfuscated datum Chinese web maps use: WGS84 shifted by a deterministic, nonlinear
offset of a few hundred metres. BD-09 adds a further rotation on top of GCJ-02. The forward
transforms are the published formulas; the inverses are iterative and converge to better than
1e-9 degree in a handful of steps. CGCS2000 and WGS84 agree to a few centimetres, far below the
offsets treated here, so ``wgs84`` below may be read as CGCS2000 (EPSG:4490).

Outside mainland China the forward transform is the identity, as in Amap itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt

import shapely
from geopandas import GeoDataFrame, GeoSeries

FloatArray = npt.NDArray[np.float64]
CoordSystem = Literal["wgs84", "gcj02", "bd09"]

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_INVERSE_TOLERANCE = 1e-10  # degrees
_INVERSE_MAX_ITER = 30


def _outside_china(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat += common
    d_lon += common
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def _arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift WGS84 (or CGCS2000) longitudes and latitudes to GCJ-02."""
    lon, lat = _arrays(lon, lat)
    d_lon, d_lat = _delta(lon, lat)
    outside = _outside_china(lon, lat)
    return np.where(outside, lon, lon + d_lon), np.where(outside, lat, lat + d_lat)


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    target_x: FloatArray,
    target_y: FloatArray,
    x: FloatArray,
    y: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(x, y) == target`` by fixed-point iteration from the first guess ``x, y``.

    The offsets vary slowly, so subtracting each step's residual converges geometrically.
    """
    x, y = x.copy(), y.copy()
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = forward(x, y)
        ex, ey = fx - target_x, fy - target_y
        x -= ex
        y -= ey
        if np.all(np.abs(ex) < _INVERSE_TOLERANCE) and np.all(np.abs(ey) < _INVERSE_TOLERANCE):
            break
    return x, y


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (error below 1e-9 degree)."""
    g_lon, g_lat = _arrays(lon, lat)
    return _invert(wgs84_to_gcj02, g_lon, g_lat, g_lon, g_lat)


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 to Baidu's BD-09."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Invert :func:`gcj02_to_bd09` by fixed-point iteration (error below 1e-9 degree)."""
    b_lon, b_lat = _arrays(lon, lat)
    # the usual closed-form approximation is the first guess
    x, y = b_lon - 0.0065, b_lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, b_lon, b_lat, z * np.cos(theta), z * np.sin(theta))


def convert_xy(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, src: CoordSystem, dst: CoordSystem
) -> tuple[FloatArray, FloatArray]:
    """Convert coordinate arrays between ``wgs84``, ``gcj02`` and ``bd09``."""
    order = ("wgs84", "gcj02", "bd09")
    if src not in order or dst not in order:
        msg = f"`src` and `dst` must be one of {order}, got {src!r} and {dst!r}"
        raise ValueError(msg)
    x, y = _arrays(lon, lat)
    step = {
        ("wgs84", "gcj02"): wgs84_to_gcj02,
        ("gcj02", "bd09"): gcj02_to_bd09,
        ("bd09", "gcj02"): bd09_to_gcj02,
        ("gcj02", "wgs84"): gcj02_to_wgs84,
    }
    i, j = order.index(src), order.index(dst)
    direction = 1 if j > i else -1
    while i != j:
        x, y = step[(order[i], order[i + direction])](x, y)
        i += direction
    return x, y


def convert_geometries(geoms: GeoSeries, *, src: CoordSystem, dst: CoordSystem) -> GeoSeries:
    """Convert every vertex of a GeoSeries in degrees between coordinate systems.

    The GeoSeries' CRS must be geographic (GCJ-02/BD-09 are offsets of lon/lat); the result keeps it.
    """
    if geoms.crs is not None and not geoms.crs.is_geographic:
        msg = f"GCJ-02/BD-09 conversion needs lon/lat degrees, got CRS {geoms.crs.to_string()}"
        raise ValueError(msg)

    def _transform(coords: FloatArray) -> FloatArray:
        x, y = convert_xy(coords[:, 0], coords[:, 1], src=src, dst=dst)
        return np.column_stack([x, y])

    out = shapely.transform(np.asarray(geoms.values), _transform)
    return GeoSeries(out, index=geoms.index, crs=geoms.crs)


def convert_gdf(gdf: GeoDataFrame, *, src: CoordSystem, dst: CoordSystem) -> GeoDataFrame:
    """Return a copy of ``gdf`` with its geometry converted between coordinate systems."""
    out = gdf.copy()
    out[out.geometry.name] = convert_geometries(gdf.geometry, src=src, dst=dst)
    return out
