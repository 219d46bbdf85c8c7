"""CSV files of points (lon/lat or x/y columns) or of WKT geometries.

The text is decoded by :func:`fzgeo.io._encoding.decode_text` (BOM, strict UTF-8, GB18030), so a file
that decodes under none of them names its first bad line. A cell that is not a number names its
line too (the header is line 1).
"""

from __future__ import annotations

import io as _stdio
from pathlib import Path
from typing import Any

import pandas as pd

import shapely
from geopandas import GeoDataFrame

from fzgeo.errors import InputError

LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape")


def read(text: str, path: Path) -> tuple[GeoDataFrame, bool]:
    """Read a CSV text with lon/lat or WKT columns; return the frame and whether it had degrees."""
    try:
        df = pd.read_csv(_stdio.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"not a readable CSV table ({str(exc).strip()})"
        raise InputError(msg, path=path, code="FZ301") from exc
    lower = {str(c).strip().lower(): c for c in df.columns}
    wkt = next((lower[n] for n in WKT_NAMES if n in lower), None)
    lon = next((lower[n] for n in LON_NAMES if n in lower), None)
    lat = next((lower[n] for n in LAT_NAMES if n in lower), None)
    if wkt is not None:
        geoms = _parse_wkt(df[wkt], path)
        return GeoDataFrame(df.drop(columns=[wkt]), geometry=geoms), False
    if lon is None or lat is None:
        msg = f"no lon/lat or WKT columns among {list(df.columns)}"
        raise InputError(msg, path=path, code="FZ307")
    xs = _numbers(df[lon], path, lon)
    ys = _numbers(df[lat], path, lat)
    geoms = shapely.points(xs.to_numpy(), ys.to_numpy())
    return GeoDataFrame(df, geometry=geoms), True


def _numbers(values: pd.Series, path: Path, column: str) -> pd.Series:
    out = pd.to_numeric(values.str.strip(), errors="coerce")
    bad = out.isna()
    if bad.any():
        row = int(bad.to_numpy().argmax()) + 2  # header is line 1
        msg = f"column {column!r} value {values[bad].iloc[0]!r} is not a number"
        raise InputError(msg, path=path, where=f"line {row}", code="FZ307", hint="")
    return out


def _parse_wkt(values: pd.Series, path: Path) -> Any:
    try:
        return shapely.from_wkt(values.to_numpy(), on_invalid="raise")
    except shapely.errors.GEOSException as exc:
        geoms = shapely.from_wkt(values.to_numpy(), on_invalid="ignore")
        bad = [i for i, g in enumerate(geoms) if g is None and values.iloc[i]]
        where = f"line {bad[0] + 2}" if bad else None
        raise InputError(
            f"invalid WKT ({exc})", path=path, where=where, code="FZ307", hint=""
        ) from exc
