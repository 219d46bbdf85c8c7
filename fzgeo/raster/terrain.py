"""Terrain screening: slope of each site from a DEM (GeoTIFF in any CRS).

Slope uses Horn's 3x3 method (as GDAL's ``gdaldem slope``), with cell sizes in metres: taken from
the transform for projected DEMs, and from the CGCS2000/WGS84 ellipsoid's radii of curvature row by
row for geographic DEMs. A cell contributes when its centre lies in the site (lines, points and
slivers smaller than a cell use every touched cell) and its whole 3x3 neighbourhood has data;
cells without data are counted and reported, never silently treated as flat.

The DEM is read per site in windows of at most ``tile`` x ``tile`` cells plus a one-cell halo,
so memory stays bounded whatever the DEM's size.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

import rasterio
import shapely
from geopandas import GeoDataFrame
from rasterio.features import geometry_mask
from rasterio.windows import Window
from shapely.geometry.base import BaseGeometry

from fzgeo.crs import require_crs, to_crs_checked
from fzgeo.errors import DataNotFoundError, InputError

DEFAULT_THRESHOLDS = (15.0, 25.0)  #: degrees: the usual construction limits
DEFAULT_TILE = 2048
_A = 6378137.0  # CGCS2000 / WGS84 semi-major axis
_E2 = 0.0066943800229  # CGCS2000 first eccentricity squared

FloatArray = npt.NDArray[np.float64]


@dataclass
class _Acc:
    """Running sums over the cells of one site."""

    thresholds: Sequence[float]
    cells: int = 0
    nodata: int = 0
    weight: float = 0.0
    slope_sum: float = 0.0
    slope_max: float = float("nan")
    steep: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.steep = [0.0 for _ in self.thresholds]

    def add(self, slope: FloatArray, inside: npt.NDArray[np.bool_], w: FloatArray) -> None:
        self.cells += int(inside.sum())
        valid = inside & np.isfinite(slope)
        self.nodata += int((inside & ~np.isfinite(slope)).sum())
        if not valid.any():
            return
        s = slope[valid]
        ww = np.broadcast_to(w, slope.shape)[valid]
        self.weight += float(ww.sum())
        self.slope_sum += float((s * ww).sum())
        top = float(s.max())
        self.slope_max = top if math.isnan(self.slope_max) else max(self.slope_max, top)
        for i, t in enumerate(self.thresholds):
            self.steep[i] += float(ww[s > t].sum())


def _cell_metres(src: rasterio.io.DatasetReader, rows: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Cell width and height in metres for the given row centres (arrays, one per row)."""
    t = src.transform
    if src.crs.is_projected:
        unit = float(src.crs.linear_units_factor[1])
        ones = np.ones_like(rows, dtype=np.float64)
        return ones * abs(t.a) * unit, ones * abs(t.e) * unit
    lat = np.radians(t.f + t.e * (rows + 0.5))
    sin2 = np.sin(lat) ** 2
    n = _A / np.sqrt(1 - _E2 * sin2)  # prime vertical radius
    m = _A * (1 - _E2) / (1 - _E2 * sin2) ** 1.5  # meridional radius
    return np.radians(abs(t.a)) * n * np.cos(lat), np.radians(abs(t.e)) * m


def horn_slope(z: FloatArray, dx: FloatArray, dy: FloatArray) -> FloatArray:
    """Slope in degrees of the interior cells of ``z`` (NaN where any neighbour is NaN).

    ``dx`` and ``dy`` are cell sizes in metres per row of ``z``; the result has the shape of
    ``z`` minus a one-cell border.
    """
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * dx[1:-1, None])
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * dy[1:-1, None])
    return np.degrees(np.arctan(np.hypot(dzdx, dzdy)))


def _site_mask(
    geom: BaseGeometry, shape: tuple[int, int], transform: rasterio.Affine
) -> npt.NDArray[np.bool_]:
    polygonal = geom.geom_type in ("Polygon", "MultiPolygon")
    inside = geometry_mask(
        [geom], out_shape=shape, transform=transform, invert=True, all_touched=not polygonal
    )
    if polygonal and not inside.any():  # a sliver smaller than a cell
        inside = geometry_mask(
            [geom], out_shape=shape, transform=transform, invert=True, all_touched=True
        )
    return inside


def _site_window(src: rasterio.io.DatasetReader, geom: BaseGeometry) -> Window | None:
    win = rasterio.windows.from_bounds(*geom.bounds, transform=src.transform)
    col0 = math.floor(win.col_off) - 1
    row0 = math.floor(win.row_off) - 1
    col1 = math.ceil(win.col_off + win.width) + 1
    row1 = math.ceil(win.row_off + win.height) + 1
    col0, row0 = max(col0, 0), max(row0, 0)
    col1, row1 = min(col1, src.width), min(row1, src.height)
    if col1 - col0 < 1 or row1 - row0 < 1:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


def _read(src: rasterio.io.DatasetReader, win: Window) -> FloatArray:
    """``win`` plus a one-cell halo as float metres; NaN beyond the DEM and at nodata."""
    r0, c0 = int(win.row_off) - 1, int(win.col_off) - 1
    h, w = int(win.height) + 2, int(win.width) + 2
    z = np.full((h, w), np.nan)
    rr0, cc0 = max(r0, 0), max(c0, 0)
    rr1, cc1 = min(r0 + h, src.height), min(c0 + w, src.width)
    if rr1 > rr0 and cc1 > cc0:
        data = src.read(1, window=Window(cc0, rr0, cc1 - cc0, rr1 - rr0), masked=True)
        z[rr0 - r0 : rr1 - r0, cc0 - c0 : cc1 - c0] = data.astype(np.float64).filled(np.nan)
    return z


def _screen_site(src: rasterio.io.DatasetReader, geom: BaseGeometry, acc: _Acc, tile: int) -> None:
    full = _site_window(src, geom)
    if full is None:
        return
    for r0 in range(int(full.row_off), int(full.row_off + full.height), tile):
        for c0 in range(int(full.col_off), int(full.col_off + full.width), tile):
            h = min(tile, int(full.row_off + full.height) - r0)
            w = min(tile, int(full.col_off + full.width) - c0)
            win = Window(c0, r0, w, h)
            inside = _site_mask(geom, (h, w), rasterio.windows.transform(win, src.transform))
            if not inside.any():
                continue
            z = _read(src, win)
            rows = np.arange(r0 - 1, r0 + h + 1, dtype=np.float64)
            dx, dy = _cell_metres(src, rows)
            slope = horn_slope(z, dx, dy)
            weight = dx[1:-1, None] * dy[1:-1, None]
            acc.add(slope, inside, weight)


def screen(
    dem: str | Path,
    sites: GeoDataFrame,
    *,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    tile: int = DEFAULT_TILE,
) -> pd.DataFrame:
    """Slope statistics per site, in input order.

    Parameters
    ----------
    dem
        A single-band elevation GeoTIFF (metres) in any CRS.
    sites
        The sites; any CRS (reprojected to the DEM's).
    thresholds
        Slopes in degrees whose exceeded area share is reported (default 15 and 25).
    tile
        Largest window side read at once, in cells.

    Returns
    -------
    DataFrame
        Indexed like ``sites``: ``slope_mean`` (area-weighted, degrees), ``slope_max``,
        ``share_gt_<t>`` (share of the measured area steeper than t degrees), ``cells``,
        ``nodata_cells`` and ``nodata_share``. Sites outside the DEM get ``cells`` 0 and NaNs.
    """
    path = Path(dem)
    if not path.is_file():
        raise DataNotFoundError("DEM not found", path=path)
    require_crs(sites, what="sites")
    try:
        with warnings.catch_warnings():
            # a DEM without georeferencing is refused below with a clear error
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot open the DEM as a raster ({exc})", path=path) from exc
    with src:
        if src.crs is None or src.transform.is_identity:
            raise InputError("the DEM declares no CRS or georeferencing", path=path, code="FZ100")
        local = to_crs_checked(sites, src.crs, what="sites")
        rows = []
        for geom in local.geometry:
            acc = _Acc(thresholds)
            if geom is not None and not geom.is_empty:
                _screen_site(src, shapely.make_valid(geom), acc, tile)
            rows.append(_result(acc))
    return pd.DataFrame(rows, index=sites.index)


def _result(acc: _Acc) -> dict[str, float | int]:
    measured = acc.weight
    out: dict[str, float | int] = {
        "slope_mean": acc.slope_sum / measured if measured else float("nan"),
        "slope_max": acc.slope_max,
    }
    for t, steep in zip(acc.thresholds, acc.steep, strict=True):
        out[f"share_gt_{t:g}"] = steep / measured if measured else float("nan")
    out["cells"] = acc.cells
    out["nodata_cells"] = acc.nodata
    out["nodata_share"] = acc.nodata / acc.cells if acc.cells else float("nan")
    return out


#: Decimal places of the Chinese table: degrees as the check's reports (2), shares in % (4).
DEGREE_DECIMALS, PERCENT_DECIMALS = 2, 4


def chinese_table(stats: pd.DataFrame) -> pd.DataFrame:
    """The figures of :func:`screen` with Chinese headers, as ``fzgeo raster terrain`` writes them.

    平均坡度（度）, 最大坡度（度） (rounded to 0.01°), 坡度大于 t° 的面积比例（%） per threshold and
    无数据比例（%） (shares in %, to 4 decimals), 参与计算的栅格数 and 无数据栅格数.
    """
    out = pd.DataFrame(index=stats.index)
    out["平均坡度（度）"] = stats["slope_mean"].round(DEGREE_DECIMALS)
    out["最大坡度（度）"] = stats["slope_max"].round(DEGREE_DECIMALS)
    for col in stats.columns:
        if col.startswith("share_gt_"):
            t = col.removeprefix("share_gt_")
            out[f"坡度大于{t}°的面积比例（%）"] = (stats[col] * 100).round(PERCENT_DECIMALS)
    out["参与计算的栅格数"] = stats["cells"]
    out["无数据栅格数"] = stats["nodata_cells"]
    out["无数据比例（%）"] = (stats["nodata_share"] * 100).round(PERCENT_DECIMALS)
    return out
