"""Synthetic DEMs for the terrain tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import rasterio
from rasterio.transform import from_origin

X0, Y0 = 430_000.0, 3_100_000.0  #: EPSG:4548 origin near 抚州
RES = 30.0
N = 400


def write_dem(
    path: Path,
    z: np.ndarray,
    *,
    crs: str = "EPSG:4548",
    transform: rasterio.Affine | None = None,
    nodata: float | None = None,
) -> Path:
    """Write ``z`` as a tiled float32 GeoTIFF (default grid: origin X0, Y0, 30 m cells)."""
    transform = transform or from_origin(X0, Y0, RES, RES)
    with rasterio.open(
        path, "w", driver="GTiff", width=z.shape[1], height=z.shape[0], count=1,
        dtype="float32", crs=crs, transform=transform, nodata=nodata,
        tiled=True, blockxsize=128, blockysize=128,
    ) as dst:  # fmt: skip
        dst.write(z.astype("float32"), 1)
    return path


def cell_centres() -> tuple[np.ndarray, np.ndarray]:
    """Easting and northing of every cell centre of the default grid."""
    cols, rows = np.meshgrid(np.arange(N), np.arange(N))
    return X0 + (cols + 0.5) * RES, Y0 - (rows + 0.5) * RES
