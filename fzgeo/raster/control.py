"""The planning control grid: 三区三线 rasterised into a coded Cloud-Optimised GeoTIFF.

One band of class codes on an EPSG:4548 grid aligned to multiples of the resolution:

====  ==================  ======================================
code  class               from
====  ==================  ======================================
1     生态保护红线         ``eco_redline``
2     永久基本农田         ``basic_farmland``
3     城镇开发边界         ``urban_boundary``
0     其他（市域内）       inside the city boundary, none of the above
255   nodata              outside the city boundary
====  ==================  ======================================

Where lines overlap (they should not), the stricter class wins: 1 over 2 over 3. A cell takes the
class whose polygon holds the cell centre. The colour table follows each layer's style, category
names go into the GDAL PAM sidecar (``.aux.xml``, as GDAL itself stores them for GeoTIFF) and into
the file's own metadata (``CLASS_<code>``). Rasterising runs in row blocks, so memory stays bounded.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import numpy.typing as npt
import pandas as pd

import rasterio
import rasterio.shutil
from geopandas import GeoDataFrame
from rasterio.features import rasterize
from rasterio.transform import from_origin
from rasterio.windows import Window

from fzgeo import styles
from fzgeo._atomic import atomic_path, prepare_folder
from fzgeo.crs import WORK_CRS, to_crs_checked, to_work
from fzgeo.errors import ConfigError, DataNotFoundError

NODATA = 255
OTHER = 0


@dataclass(frozen=True)
class ControlClass:
    """One class of the control grid."""

    code: int
    layer: str
    name_zh: str


#: In priority order: earlier classes win where polygons overlap.
CLASSES: tuple[ControlClass, ...] = (
    ControlClass(1, "eco_redline", "生态保护红线"),
    ControlClass(2, "basic_farmland", "永久基本农田"),
    ControlClass(3, "urban_boundary", "城镇开发边界"),
)
OTHER_NAME = "其他（市域内）"
_FALLBACK_COLOURS = {1: "#2e7d32", 2: "#f9d71c", 3: "#e53935"}


def sample_table(codes: npt.NDArray[np.uint8], index: pd.Index) -> pd.DataFrame:
    """What ``fzgeo raster sample`` writes per point: 管控分区代码 and 管控分区 (Chinese name)."""
    names = class_names()
    return pd.DataFrame(
        {"管控分区代码": codes, "管控分区": [names.get(int(c), "") for c in codes]}, index=index
    )


def class_names() -> dict[int, str]:
    """Code to Chinese class name, including 0 and the nodata code."""
    return {OTHER: OTHER_NAME, **{c.code: c.name_zh for c in CLASSES}, NODATA: "市域外"}


def _colour(layer: str, code: int) -> tuple[int, int, int, int]:
    from fzgeo.plan import layers

    hexcode = _FALLBACK_COLOURS[code]
    try:
        sym = styles.style(layers.kind(layer).style).symbol
        hexcode = sym.fill or sym.stroke or hexcode
    except (KeyError, LookupError):
        pass
    return (int(hexcode[1:3], 16), int(hexcode[3:5], 16), int(hexcode[5:7], 16), 255)


def grid_for(boundary: GeoDataFrame, res: float) -> tuple[rasterio.Affine, int, int]:
    """An EPSG:4548 grid aligned to multiples of ``res`` covering ``boundary``."""
    if res <= 0:
        raise ConfigError(f"resolution must be positive, got {res}")
    if boundary.geometry.is_empty.all():
        raise ConfigError("the boundary of the control grid is empty")
    x0, y0, x1, y1 = to_work(boundary, what="boundary").total_bounds
    left, top = math.floor(x0 / res) * res, math.ceil(y1 / res) * res
    width = math.ceil((x1 - left) / res)
    height = math.ceil((top - y0) / res)
    return from_origin(left, top, res, res), width, height


def _shapes(layers: Mapping[str, GeoDataFrame], boundary: GeoDataFrame) -> list[tuple[object, int]]:
    shapes: list[tuple[object, int]] = [
        (g, OTHER) for g in to_work(boundary).geometry if g is not None
    ]
    # lowest priority first: rasterize lets later shapes overwrite earlier ones
    for cls in reversed(CLASSES):
        if cls.layer not in layers:
            continue
        gdf = to_crs_checked(layers[cls.layer], WORK_CRS, what=f"layer {cls.layer}")
        shapes.extend((g, cls.code) for g in gdf.geometry if g is not None and not g.is_empty)
    return shapes


def _pam_xml(names: Mapping[int, str]) -> str:
    top = max(names)
    cats = "\n".join(
        f"      <Category>{escape(names.get(i, ''))}</Category>" for i in range(top + 1)
    )
    return (
        '<PAMDataset>\n  <PAMRasterBand band="1">\n    <CategoryNames>\n'
        f"{cats}\n    </CategoryNames>\n  </PAMRasterBand>\n</PAMDataset>\n"
    )


def sources(gpkg: Path | None = None) -> tuple[dict[str, GeoDataFrame], GeoDataFrame]:
    """The layers of :data:`CLASSES` and the city boundary the grid covers.

    Packaged by default; from the GeoPackage ``gpkg`` when given (its ``admin_boundaries`` city
    row if it has one, else the packaged city). Layers that are not there are left out.
    """
    from fzgeo import crs, io
    from fzgeo.plan import layers

    names = [c.layer for c in CLASSES]
    present: set[str] = set()
    if gpkg is None:
        found = {n: layers.load(n) for n in names if n in layers.available()}
    else:
        present = set(io.list_layers(gpkg))
        found = {n: crs.to_storage(io.read(gpkg, layer=n)) for n in names if n in present}
    if gpkg is None or "admin_boundaries" not in present:
        return found, layers.load("admin_boundaries").query("level == 'city'")
    boundary = io.read(gpkg, layer="admin_boundaries")
    if "level" in boundary and (boundary["level"] == "city").any():
        boundary = boundary[boundary["level"] == "city"]
    return found, boundary


def write_control(
    layers: Mapping[str, GeoDataFrame],
    boundary: GeoDataFrame,
    out: str | Path,
    *,
    res: float = 30.0,
    block_rows: int = 1024,
) -> Path:
    """Rasterise the 三区三线 layers into a Cloud-Optimised GeoTIFF at ``out``.

    Parameters
    ----------
    layers
        Layer name to GeoDataFrame; names of :data:`CLASSES` are used, missing ones are left out.
    boundary
        The area the grid covers (cells outside are nodata).
    out
        The ``.tif`` to write (atomically), with its ``.aux.xml`` beside it.
    res
        Cell size in metres.
    block_rows
        Rows rasterised at once.
    """
    out = Path(out)
    prepare_folder(out.parent)
    transform, width, height = grid_for(boundary, res)
    shapes = _shapes(layers, boundary)
    names = class_names()
    colours = {OTHER: (255, 255, 255, 0), NODATA: (0, 0, 0, 0)}
    colours.update({c.code: _colour(c.layer, c.code) for c in CLASSES})
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "uint8",
        "crs": WORK_CRS,
        "transform": transform,
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
    }
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".control.") as tmpdir:
        plain = Path(tmpdir) / "plain.tif"
        with rasterio.open(plain, "w", **profile) as dst:
            for row in range(0, height, block_rows):
                rows = min(block_rows, height - row)
                win = Window(0, row, width, rows)
                block = (
                    rasterize(
                        shapes,
                        out_shape=(rows, width),
                        transform=rasterio.windows.transform(win, transform),
                        fill=NODATA,
                        dtype="uint8",
                    )
                    if shapes
                    else np.full((rows, width), NODATA, np.uint8)
                )
                dst.write(block, 1, window=win)
            dst.write_colormap(1, colours)
            dst.update_tags(1, **{f"CLASS_{k}": v for k, v in names.items()})
            dst.update_tags(
                RESOLUTION_M=str(res),
                SOURCE_LAYERS=",".join(c.layer for c in CLASSES if c.layer in layers),
            )
            dst.set_band_description(1, "三区三线管控分类")
        with atomic_path(out) as tmp:
            rasterio.shutil.copy(
                plain, tmp, driver="COG", COMPRESS="DEFLATE", RESAMPLING="NEAREST", OVERVIEWS="AUTO"
            )
            aux = Path(str(tmp) + ".aux.xml")
            if aux.exists():  # GDAL's own PAM copy: replaced by ours below
                aux.unlink()
    with atomic_path(Path(str(out) + ".aux.xml")) as tmp:
        tmp.write_text(_pam_xml(names), encoding="utf-8")
    return out


def sample(path: str | Path, points: GeoDataFrame) -> npt.NDArray[np.uint8]:
    """Control class code at each point (``NODATA`` outside the grid), in input order."""
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError("control raster not found", path=path)
    pts = to_crs_checked(points, WORK_CRS, what="points")
    xy = [(g.x, g.y) for g in pts.geometry]
    with rasterio.open(path) as src:
        if not xy:
            return np.zeros(0, np.uint8)
        values = np.fromiter(
            (v[0] for v in src.sample(xy, masked=False)), dtype=np.uint8, count=len(xy)
        )
        inside = np.array(
            [
                src.bounds.left <= x < src.bounds.right and src.bounds.bottom < y <= src.bounds.top
                for x, y in xy
            ]
        )
    return np.where(inside, values, NODATA).astype(np.uint8)
