"""Write layers atomically (:func:`write`; re-exported as :func:`fzgeo.io.write`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyogrio
import shapely
from geopandas import GeoDataFrame

from fzgeo._atomic import atomic_folder_files, atomic_path
from fzgeo.errors import InputError, OutputError
from fzgeo.io import _shapefile

#: file suffix -> GDAL driver of the formats written
DRIVERS: dict[str, str] = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
    ".parquet": "Parquet",
    ".geoparquet": "Parquet",
    ".shp": "ESRI Shapefile",
}
WRITE_SUFFIXES = tuple(DRIVERS)
#: GeoPackage version written: 1.2 opens without warnings in QGIS 3.22 LTR (GDAL 3.2+).
GPKG_VERSION = "1.2"
#: what GDAL, GEOS and pyogrio raise on a file they cannot read or write
_GDAL_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError,
    shapely.errors.GEOSException,
    RuntimeError,
)


#: a GeoPackage layer longer than this is written in blocks of it (appended), so that the
#: driver's copies of the columns stay bounded at a million features
GPKG_BLOCK = 100_000
_MULTI = {"Polygon": "MultiPolygon", "LineString": "MultiLineString", "Point": "MultiPoint"}


def _prepare(gdf: GeoDataFrame) -> GeoDataFrame:
    """Make attribute columns writable by every driver (objects to text); others are shared."""
    out = gdf.copy(deep=False)
    for col in out.columns:
        if col == out.geometry.name:
            continue
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return out


def _write_error(exc: Exception, path: Path) -> OutputError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return OutputError(f"cannot write ({text})", path=path)


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

    Raises
    ------
    OutputError
        (FZ308) when the folder is read-only, the disk is full or the writer fails; the target is
        then untouched and no temporary file is left.
    """
    path = Path(path)
    if driver is None:
        suffix = path.suffix.lower()
        if suffix not in WRITE_SUFFIXES:
            known = ", ".join(WRITE_SUFFIXES)
            raise InputError(f"cannot write {suffix or '(no suffix)'}; known: {known}", path=path)
        driver = DRIVERS[suffix]
    layers = dict(data) if isinstance(data, Mapping) else {layer or path.stem: data}
    if len(layers) > 1 and driver != "GPKG":
        raise InputError(f"only a GeoPackage holds several layers, not {driver}", path=path)
    try:
        if driver == "ESRI Shapefile":
            (gdf,) = layers.values()
            gdf = _shapefile.fit_field_names(_prepare(gdf), path)
            # the parts are replaced one by one: one fzgeo writer per folder at a time, so that
            # concurrent writers cannot leave a .shp of one run beside a .dbf of another
            with _shapefile.folder_lock(path.parent), atomic_folder_files(path) as tmpdir:
                gdf.to_file(tmpdir / path.name, driver=driver, encoding="UTF-8", **options)
            return path
        with atomic_path(path) as tmp:
            for name, gdf in layers.items():
                _write_layer(gdf, tmp, name, driver, options)
    except _GDAL_ERRORS as exc:
        raise _write_error(exc, path) from exc
    return path


def _write_layer(
    gdf: GeoDataFrame, tmp: Path, name: str, driver: str, options: dict[str, Any]
) -> None:
    if driver == "Parquet":
        gdf.to_parquet(tmp)
        return
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
        if len(gdf) > GPKG_BLOCK:
            _write_blocks(gdf, tmp, kwargs)
            return
    pyogrio.write_dataframe(_prepare(gdf), tmp, driver=driver, **kwargs)


def _geometry_type(gdf: GeoDataFrame) -> tuple[str, bool]:
    """The layer's geometry type over all features, and whether singles are promoted to multi.

    What one call of :func:`pyogrio.write_dataframe` would infer from the whole frame, so that a
    layer written in blocks gets the type the whole layer needs, not the first block's.
    """
    kinds = set(gdf.geometry.geom_type.dropna().unique().tolist())
    families = {_MULTI.get(k, k) for k in kinds}
    if len(kinds) == 1:
        kind, promote = kinds.pop(), False
    elif len(families) == 1:
        kind, promote = families.pop(), True
    else:
        kind, promote = "Unknown", False
    if kind != "Unknown" and bool(shapely.has_z(gdf.geometry.values).any()):
        kind += " Z"
    return kind, promote


def _write_blocks(gdf: GeoDataFrame, tmp: Path, kwargs: dict[str, Any]) -> None:
    """A long GeoPackage layer in blocks of :data:`GPKG_BLOCK` features, appended in order."""
    kind, promote = _geometry_type(gdf)
    for start in range(0, len(gdf), GPKG_BLOCK):
        block = _prepare(gdf.iloc[start : start + GPKG_BLOCK])
        args = dict(kwargs)
        if start:
            args["append"] = True
            args.pop("dataset_options", None)
        pyogrio.write_dataframe(
            block, tmp, driver="GPKG", geometry_type=kind, promote_to_multi=promote, **args
        )
