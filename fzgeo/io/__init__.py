"""Input and output: read what users hand in, write layers atomically, validate and repair.

The public entry points are :func:`read` (a user's file, checked and in a known CRS), :func:`load`
(the same file before the coordinate and CRS checks, what ``fzgeo validate`` inspects),
:func:`list_layers` and :func:`write`. The modules behind them:

:mod:`fzgeo.io.reader`
    format dispatch, archive and truncation checks, CRS resolution, GCJ-02/BD-09 conversion;
:mod:`fzgeo.io.writer`
    GeoPackage, GeoJSON, FlatGeobuf, GeoParquet and Shapefile output through a temporary file;
:mod:`fzgeo.io.validate`, :mod:`fzgeo.io.repair`
    everything wrong with a file (coded findings) and the per-feature geometry repair;
:mod:`fzgeo.io.parcels`
    界址点坐标表 (boundary-point tables, CSV or XLSX);
``_archive``, ``_encoding``, ``_shapefile``, ``_csvpoints``, ``_landtxt``, ``_rings``, ``_sniff``
    the format readers and their guards (zip safety, text encodings, 报部格式 TXT, 圈号 rings,
    content sniffing).
"""

from fzgeo.io.reader import FORMATS, READ_AS, Source, list_layers, load, read, read_records
from fzgeo.io.writer import GPKG_VERSION, WRITE_SUFFIXES, write

__all__ = [
    "FORMATS",
    "GPKG_VERSION",
    "READ_AS",
    "WRITE_SUFFIXES",
    "Source",
    "list_layers",
    "load",
    "read",
    "read_records",
    "write",
]
