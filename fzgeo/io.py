"""Read whatever a user hands in; write layers atomically.

:func:`read` takes a GeoPackage or File GDB (pick a layer by name), a Shapefile (also zipped), GeoJSON,
FlatGeobuf, GeoParquet, or a CSV with lon/lat columns or a WKT column, resolves its CRS with
:func:`fzgeo.crs.resolve_crs` and optionally converts GCJ-02/BD-09 input. :func:`write` writes a
GeoDataFrame, or a mapping of layer name to GeoDataFrame for a GeoPackage, through a temporary
file that replaces the target only when complete.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

import pyogrio
import shapely
from geopandas import GeoDataFrame

from fzgeo import crs as crs_mod
from fzgeo import gcj02
from fzgeo._atomic import atomic_folder_files, atomic_path
from fzgeo.errors import (
    CoordinateSourceWarning,
    DataNotFoundError,
    InputError,
    UnknownLayerError,
)

#: file suffix -> (format name, GDAL driver)
FORMATS: dict[str, tuple[str, str]] = {
    ".gpkg": ("GeoPackage", "GPKG"),
    ".shp": ("Shapefile", "ESRI Shapefile"),
    ".geojson": ("GeoJSON", "GeoJSON"),
    ".json": ("GeoJSON", "GeoJSON"),
    ".fgb": ("FlatGeobuf", "FlatGeobuf"),
    ".parquet": ("GeoParquet", "Parquet"),
    ".geoparquet": ("GeoParquet", "Parquet"),
    ".csv": ("CSV", "CSV"),
    ".zip": ("zipped Shapefile", "ESRI Shapefile"),
    ".gdb": ("File Geodatabase", "OpenFileGDB"),
}
WRITE_SUFFIXES = (".gpkg", ".geojson", ".json", ".fgb", ".parquet", ".geoparquet", ".shp")
#: GeoPackage version written: 1.2 opens without warnings in QGIS 3.22 LTR (GDAL 3.2+).
GPKG_VERSION = "1.2"

LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape")
_OFFSET_HINTS = ("高德", "百度", "gcj", "bd09", "bd-09", "火星", "amap", "baidu")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise InputError(f"unsupported file type {suffix or '(none)'}; known: {known}", path=path)
    return suffix


def list_layers(path: str | Path) -> list[str]:
    """Names of the layers in a multi-layer file (GeoPackage, File GDB, zipped shapefiles)."""
    path = Path(path)
    return [str(name) for name, _ in pyogrio.list_layers(_gdal_path(path))]


def _gdal_path(path: Path) -> str:
    return f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)


def _pick_layer(path: Path, layer: str | None) -> str | None:
    if path.suffix.lower() not in (".gpkg", ".zip", ".gdb"):
        return layer
    names = list_layers(path)
    if layer is not None:
        if layer not in names:
            msg = f"no layer {layer!r}; the file holds: {', '.join(names)}"
            raise UnknownLayerError(msg, path=path, hint="pass --layer with one of those names")
        return layer
    if len(names) == 1:
        return names[0]
    if not names:
        raise InputError("the file holds no layer", path=path, code="FZ302")
    msg = f"{len(names)} layers ({', '.join(names)}); fzgeo does not guess which one"
    raise InputError(msg, path=path, code="FZ303")


def _read_csv(path: Path, encoding: str | None) -> tuple[GeoDataFrame, bool]:
    """Read a CSV with lon/lat or WKT columns; return the frame and whether it had degrees."""
    tried = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    last: Exception | None = None
    for enc in tried:
        try:
            df = pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False)
            break
        except UnicodeDecodeError as exc:
            last = exc
    else:
        raise InputError(f"cannot decode as {' or '.join(tried)} ({last})", path=path, code="FZ304")
    lower = {c.strip().lower(): c for c in df.columns}
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
        row = int(bad.idxmax()) + 2  # header is line 1
        msg = f"column {column!r} value {values[bad].iloc[0]!r} is not a number"
        raise InputError(msg, path=path, where=f"line {row}", code="FZ307")
    return out


def _parse_wkt(values: pd.Series, path: Path) -> Any:
    try:
        return shapely.from_wkt(values.to_numpy(), on_invalid="raise")
    except shapely.errors.GEOSException as exc:
        geoms = shapely.from_wkt(values.to_numpy(), on_invalid="ignore")
        bad = [i for i, g in enumerate(geoms) if g is None and values.iloc[i]]
        where = f"line {bad[0] + 2}" if bad else None
        raise InputError(f"invalid WKT ({exc})", path=path, where=where, code="FZ307") from exc


def warn_offset_names(gdf: GeoDataFrame, path: Path, layer: str | None) -> None:
    """Warn when a file, layer or column name suggests undeclared GCJ-02/BD-09 coordinates."""
    names = [path.name, layer or "", *map(str, gdf.columns)]
    hits = sorted({n for n in names for h in _OFFSET_HINTS if h in n.lower()})
    if hits:
        warnings.warn(
            f"{path}: names {hits} suggest Amap/Baidu (GCJ-02/BD-09) coordinates; "
            "if so, pass --input-coords gcj02 or bd09",
            CoordinateSourceWarning,
            stacklevel=3,
        )


def read(
    path: str | Path,
    *,
    layer: str | None = None,
    assume_crs: object | None = None,
    encoding: str | None = None,
    input_coords: str | None = None,
    what: str = "data",
) -> GeoDataFrame:
    """Read a vector file as fzgeo's commands do.

    Parameters
    ----------
    path
        GeoPackage, Shapefile (``.shp`` or zipped), GeoJSON, FlatGeobuf, GeoParquet or CSV.
    layer
        The layer of a multi-layer file; required when there are several.
    assume_crs
        The CRS to take when the file declares none (``--assume-crs``).
    encoding
        Text encoding of attributes (Shapefile .dbf, CSV); overrides detection.
    input_coords
        ``"gcj02"`` or ``"bd09"`` when the lon/lat are Amap/Baidu coordinates; converted to CGCS2000.
    what
        What the data is, for messages.

    Returns
    -------
    GeoDataFrame
        In the file's own CRS (resolved), with the original attributes.
    """
    path = Path(path)
    if not path.exists():
        raise DataNotFoundError("file not found", path=path)
    suffix = _suffix(path)
    if path.is_file() and path.stat().st_size == 0:
        raise InputError("file is empty (0 bytes)", path=path, code="FZ302")
    layer = _pick_layer(path, layer)
    if suffix == ".csv":
        gdf, degrees = _read_csv(path, encoding)
        if degrees and assume_crs is None:
            assume_crs = crs_mod.STORAGE_EPSG
    elif suffix in (".parquet", ".geoparquet"):
        import geopandas as gpd

        try:
            gdf = gpd.read_parquet(path)
        except ValueError as exc:
            raise InputError(f"not a GeoParquet file ({exc})", path=path) from exc
    else:
        kwargs: dict[str, Any] = {"layer": layer}
        if encoding:
            kwargs["encoding"] = encoding
        try:
            gdf = pyogrio.read_dataframe(_gdal_path(path), **kwargs)
        except pyogrio.errors.DataSourceError as exc:
            raise InputError(f"cannot open as {FORMATS[suffix][0]} ({exc})", path=path) from exc
    if input_coords is None:
        warn_offset_names(gdf, path, layer)
    gdf = crs_mod.resolve_crs(gdf, assume=assume_crs, path=path, what=what)
    if input_coords:
        gdf = _from_offset(gdf, input_coords, path)
    return gdf


def _from_offset(gdf: GeoDataFrame, input_coords: str, path: Path) -> GeoDataFrame:
    src = input_coords.lower().replace("-", "")
    if src not in ("gcj02", "bd09", "wgs84"):
        msg = f"--input-coords must be gcj02, bd09 or wgs84, got {input_coords!r}"
        raise InputError(msg, path=path, code="FZ101")
    if src == "wgs84":
        return gdf
    if not gdf.crs.is_geographic:
        raise InputError(
            f"--input-coords {src} needs lon/lat degrees, but the file is in {gdf.crs.name}",
            path=path,
            code="FZ101",
        )
    return gcj02.convert_gdf(gdf, src=src, dst="wgs84")  # type: ignore[arg-type]


def _prepare(gdf: GeoDataFrame) -> GeoDataFrame:
    """Make attribute columns writable by every driver (objects to text)."""
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return out


_DBF_NAME_BYTES = 10


def _shapefile_columns(gdf: GeoDataFrame, path: Path) -> GeoDataFrame:
    """Shorten column names to the 10 bytes a .dbf allows, at character boundaries, uniquely.

    GDAL would cut UTF-8 names mid-character (a Chinese character is 3 bytes); the renaming is
    reported in a warning so no column is lost unnoticed.
    """
    renamed: dict[str, str] = {}
    used: set[str] = set()
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        name = str(col)
        short = name
        while len(short.encode("utf-8")) > _DBF_NAME_BYTES:
            short = short[:-1]
        n = 1
        base = short
        while short.lower() in used:
            tag = f"_{n}"
            short = base
            while len((short + tag).encode("utf-8")) > _DBF_NAME_BYTES:
                short = short[:-1]
            short += tag
            n += 1
        used.add(short.lower())
        if short != name:
            renamed[name] = short
    if renamed:
        listing = ", ".join(f"{a} -> {b}" for a, b in renamed.items())
        warnings.warn(
            f"{path}: Shapefile field names hold at most 10 bytes; renamed {len(renamed)} "
            f"column(s): {listing}",
            UserWarning,
            stacklevel=3,
        )
    return gdf.rename(columns=renamed)


def write(
    data: GeoDataFrame | Mapping[str, GeoDataFrame],
    path: str | Path,
    *,
    driver: str | None = None,
    layer: str | None = None,
    **options: Any,
) -> Path:
    """Write one layer, or several into a GeoPackage, atomically.

    Parameters
    ----------
    data
        A GeoDataFrame, or layer name -> GeoDataFrame (GeoPackage only).
    path
        Target file; the format comes from the suffix unless ``driver`` is given.
    driver
        GDAL driver name, e.g. ``"GPKG"``.
    layer
        Layer name for a single GeoDataFrame written to a GeoPackage (default: the file stem).
    options
        Passed to :func:`pyogrio.write_dataframe` (e.g. ``coordinate_precision`` for GeoJSON).
    """
    path = Path(path)
    if driver is None:
        suffix = path.suffix.lower()
        if suffix not in WRITE_SUFFIXES:
            known = ", ".join(WRITE_SUFFIXES)
            raise InputError(f"cannot write {suffix or '(no suffix)'}; known: {known}", path=path)
        driver = FORMATS[suffix][1]
    layers = dict(data) if isinstance(data, Mapping) else {layer or path.stem: data}
    if len(layers) > 1 and driver != "GPKG":
        raise InputError(f"only a GeoPackage holds several layers, not {driver}", path=path)
    if driver == "ESRI Shapefile":
        (gdf,) = layers.values()
        gdf = _shapefile_columns(_prepare(gdf), path)
        with atomic_folder_files(path) as tmpdir:
            gdf.to_file(tmpdir / path.name, driver=driver, encoding="UTF-8", **options)
        return path
    with atomic_path(path) as tmp:
        for name, gdf in layers.items():
            if driver == "Parquet":
                gdf.to_parquet(tmp)
                continue
            kwargs = dict(options)
            if driver == "FlatGeobuf":
                # the packed spatial index reorders features; keep the input order
                kwargs.setdefault("layer_options", {"SPATIAL_INDEX": "NO"})
            if driver == "GPKG":
                kwargs.setdefault("dataset_options", {"VERSION": GPKG_VERSION})
                kwargs["layer"] = name
                kwargs["append"] = tmp.exists()
                if kwargs["append"]:
                    kwargs.pop("dataset_options")
            pyogrio.write_dataframe(_prepare(gdf), tmp, driver=driver, **kwargs)
    return path
