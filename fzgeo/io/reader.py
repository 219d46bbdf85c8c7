"""Read whatever a user hands in; write layers atomically.

:func:`read` takes a GeoPackage or File GDB (pick a layer by name), a Shapefile (also zipped,
read in place), GeoJSON, FlatGeobuf, GeoParquet, a CSV with lon/lat columns or a WKT column, or a
boundary-point coordinate table (界址点坐标表, CSV or XLSX), or a 报部格式 coordinate TXT
(建设用地勘测定界, ``[地块坐标]``; :mod:`fzgeo.io._landtxt`). It checks the file before GDAL sees it
(content against extension, truncation, Shapefile parts, archive safety), decodes attribute text
with a reported encoding, refuses coordinates no repair can fix (NaN, (0, 0), short rings),
resolves the CRS with :func:`fzgeo.crs.resolve_crs` and optionally converts GCJ-02/BD-09 input.
Every failure is an :class:`~fzgeo.errors.FzgeoError` with a code; GDAL's own exceptions never
reach the caller. :func:`load` stops before the coordinate and CRS checks: it is what
``fzgeo validate`` inspects.

:func:`write` (from :mod:`fzgeo.io.writer`) writes a GeoDataFrame, or a mapping of layer name to
GeoDataFrame for a GeoPackage, through a temporary file that replaces the target only when
complete.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import pyogrio
from geopandas import GeoDataFrame

from fzgeo import crs as crs_mod
from fzgeo import gcj02
from fzgeo.errors import (
    CRSError,
    DataNotFoundError,
    DeclaredAreaWarning,
    FzgeoError,
    InputError,
    TextEncodingWarning,
    UnknownLayerError,
)
from fzgeo.io import _archive, _csvpoints, _encoding, _landtxt, _shapefile, _sniff, parcels
from fzgeo.io.repair import coordinate_problems, labels
from fzgeo.io.writer import _GDAL_ERRORS, GPKG_VERSION, WRITE_SUFFIXES, write  # noqa: F401

log = logging.getLogger(__name__)

#: file suffix -> format name, of the files read (the writer's drivers: fzgeo.io.writer.DRIVERS)
FORMATS: dict[str, str] = {
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
    ".csv": "CSV",
    ".xlsx": "boundary-point table (XLSX)",
    ".txt": _landtxt.FORMAT,
    ".zip": "zipped Shapefile",
    ".gdb": "File Geodatabase",
}
#: GeoPackage tables that hold no data layer (QGIS styles, see fzgeo.qgis): not listed as layers.
NON_DATA_TABLES = ("layer_styles",)
LON_NAMES = _csvpoints.LON_NAMES
LAT_NAMES = _csvpoints.LAT_NAMES
WKT_NAMES = _csvpoints.WKT_NAMES
_UNSUPPORTED_HINTS = {
    ".xls": "save the workbook as .xlsx (Excel or WPS: 另存为 .xlsx)",
    ".dbf": "open the .shp that belongs to it",
    ".shx": "open the .shp that belongs to it",
    ".kml": "convert it first: ogr2ogr out.gpkg in.kml",
    ".dwg": "export the red line from CAD as .dxf or .shp with its CRS, or send the 界址点坐标表",
    ".rar": "repack it as .zip",
    ".7z": "repack it as .zip",
}
#: words in a file, layer or column name, or in a 坐标系 value, that say GCJ-02/BD-09 coordinates
OFFSET_WORDS = ("高德", "百度", "腾讯", "gcj", "bd09", "bd-09", "火星", "amap", "baidu", "tencent")
#: words of a column name whose values say which coordinate system the rows use (坐标系 ...)
_CRS_COLUMN_WORDS = ("坐标", "crs", "srs", "coord", "datum")
_TRUNCATED = (
    "truncat",
    "unexpected end",
    "unterminated",
    "premature",
    "malformed",
    "fatal error parsing",
    "not a database",
    "short read",
    "end of file",
    "eof",
)


#: ``GeoDataFrame.attrs`` key under which :func:`read` records how it read the file (format,
#: layer, text encoding and how it was chosen, CRS) for audit records such as ``summary.json``
READ_AS = "fzgeo_read_as"


@dataclass
class Source:
    """Where a frame came from and how it was decoded (what ``fzgeo validate`` reports)."""

    path: Path
    format: str
    layer: str | None = None
    encoding: _encoding.Encoding | None = None
    notes: list[FzgeoError] = field(default_factory=list)  #: non-fatal findings while reading
    skipped: list[str] = field(default_factory=list)  #: sheets without a 点号/X/Y header
    degrees: bool = False  #: lon/lat columns: CGCS2000 degrees unless the user says otherwise
    crs_refusal: FzgeoError | None = None  #: a declared CRS fzgeo cannot convert (FZ108)
    refused_datum: str | None = None  #: the old datum (Xian 1980, ...) behind ``crs_refusal``


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        hint = _UNSUPPORTED_HINTS.get(suffix, "")
        msg = f"unsupported file type {suffix or '(none)'}; known: {known}"
        raise InputError(msg, path=path, hint=hint)
    return suffix


def list_layers(path: str | Path) -> list[str]:
    """Names of the layers in a multi-layer file (GeoPackage, File GDB, zip archive)."""
    path = Path(path)
    if path.suffix.lower() == ".zip":
        return [_archive.layer_name(m) for m in _archive.datasets(_archive.members(path))]
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(str(path))]
    except _GDAL_ERRORS as exc:
        raise _gdal_error(exc, path, FORMATS.get(path.suffix.lower(), "file")) from exc
    return [n for n in names if n not in NON_DATA_TABLES]


def _pick_layer(path: Path, layer: str | None) -> str | None:
    if path.suffix.lower() not in (".gpkg", ".gdb"):
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


def _gdal_error(exc: Exception, path: Path, fmt: str) -> InputError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    if any(k in text.lower() for k in _TRUNCATED):
        return InputError(
            f"cannot read as {fmt}: the file is truncated or corrupt ({text})",
            path=path,
            code="FZ302",
            hint="copy or download the file again, or re-export it",
        )
    return InputError(f"cannot read as {fmt} ({text})", path=path, code="FZ301")


def _read_gdal(source: str, path: Path, fmt: str, **kwargs: Any) -> GeoDataFrame:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gdf = pyogrio.read_dataframe(source, **kwargs)
    except UnicodeDecodeError as exc:
        msg = f"attribute text is not {kwargs.get('encoding') or 'UTF-8'} ({exc.reason} at byte 0x{exc.object[exc.start]:02X})"
        raise InputError(msg, path=path, code="FZ304") from exc
    except IndexError as exc:  # pyogrio finds no default layer in a damaged file
        msg = f"cannot read as {fmt}: no readable layer; the file is truncated or corrupt"
        raise InputError(
            msg, path=path, code="FZ302", hint="copy or download the file again"
        ) from exc
    except (*_GDAL_ERRORS, ValueError, OSError) as exc:
        if fmt == "GeoJSON":
            better = _sniff.json_error(path, fmt)
            if better is not None:
                raise better from exc
        raise _gdal_error(exc, path, fmt) from exc
    for w in caught:
        log.info("%s: GDAL: %s", path, w.message)
    return gdf


def _open_checks(path: Path, suffix: str) -> None:
    if path.is_dir():
        if suffix != ".gdb":
            raise InputError("is a folder, not a file", path=path, code="FZ301")
        return
    if path.stat().st_size == 0:
        raise InputError("file is empty (0 bytes)", path=path, code="FZ302")
    with path.open("rb") as fh:
        head = fh.read(512)
    wrong = _sniff.mismatch(path, head)
    if wrong is not None:
        found, rename = wrong
        hint = f"rename it to {rename}" if rename else "check that this is the file you meant"
        msg = f"the file is named {suffix} but its content is {found}"
        raise InputError(msg, path=path, code="FZ309", hint=hint)
    if suffix == ".gpkg":
        _sniff.check_sqlite(path, head)


def _load_shapefile(path: Path, encoding: str | None) -> tuple[GeoDataFrame, Source]:
    enc = _shapefile.check(_shapefile.local_parts(path), path=path, encoding=encoding)
    gdf = _read_gdal(str(path), path, "Shapefile", encoding=enc.codec)
    return gdf, Source(path, "Shapefile", path.stem, enc)


def _load_zip(path: Path, layer: str | None, encoding: str | None) -> tuple[GeoDataFrame, Source]:
    member, found = _archive.pick(path, layer)
    name = _archive.layer_name(member)
    source = _archive.gdal_path(path, member)
    if member.suffix == ".shp":
        parts = _shapefile.zip_parts(path, member, found)
        enc = _shapefile.check(parts, path=path, encoding=encoding)
        gdf = _read_gdal(source, path, "zipped Shapefile", encoding=enc.codec)
        return gdf, Source(path, f"zipped Shapefile ({member.name})", name, enc)
    fmt = {".gpkg": "GeoPackage", ".fgb": "FlatGeobuf", ".gdb": "File Geodatabase"}.get(
        member.suffix, "GeoJSON"
    )
    try:
        inner = [str(n) for n, _ in pyogrio.list_layers(source)]
    except _GDAL_ERRORS as exc:
        raise _gdal_error(exc, path, f"zipped {fmt}") from exc
    chosen = layer if layer in inner else None
    if chosen is None and len(inner) == 1:
        chosen = inner[0]
    if chosen is None:
        msg = f"{member.name} holds {len(inner)} layers ({', '.join(inner)}); fzgeo does not guess"
        raise InputError(msg, path=path, code="FZ303", hint="pass --layer NAME")
    gdf = _read_gdal(source, path, f"zipped {fmt}", layer=chosen)
    return gdf, Source(path, f"zipped {fmt} ({member.name})", name if len(inner) == 1 else chosen)


def _load_csv(path: Path, encoding: str | None) -> tuple[GeoDataFrame, Source, bool]:
    decoded = _encoding.decode_text(path.read_bytes(), path=path, override=encoding)
    rows = parcels.csv_rows(decoded.text[:65536])
    if parcels.is_parcel_table(rows):
        gdf, _skipped = parcels.from_sheets(
            [(path.stem, parcels.csv_rows(decoded.text))], path=path
        )
        return gdf, Source(path, "boundary-point table (CSV)", None, decoded.encoding), False
    gdf, degrees = _csvpoints.read(decoded.text, path)
    return gdf, Source(path, "CSV", None, decoded.encoding), degrees


#: names of a Parquet column of WKB geometries, in the order tried (any letter case)
WKB_NAMES = ("geometry", "geom", "wkb", "wkb_geometry", "the_geom", "shape", "geometry_wkb")


def _wkb_column(df: Any) -> str | None:
    """The column of WKB bytes of a Parquet table without GeoParquet metadata, or None."""
    binary = []
    for col in df.columns:
        values = df[col].dropna()
        if len(values) and isinstance(values.iloc[0], (bytes, bytearray, memoryview)):
            binary.append(col)
    lower = {str(c).lower(): c for c in binary}
    named = next((lower[n] for n in WKB_NAMES if n in lower), None)
    return named or next(
        (c for c in binary if "wkb" in str(c).lower() or "geom" in str(c).lower()), None
    )


def _load_parquet(path: Path) -> tuple[GeoDataFrame, Source]:
    import pandas as pd

    import geopandas as gpd
    import shapely

    try:
        return gpd.read_parquet(path), Source(path, "GeoParquet")
    except (ValueError, OSError) as exc:
        if "geo metadata" not in str(exc).lower():
            raise _gdal_error(exc, path, "GeoParquet") from exc
        missing = exc
    df = pd.read_parquet(path)
    col = _wkb_column(df)
    if col is None:
        msg = (
            "the Parquet file has no 'geo' metadata and no column of WKB geometries "
            f"(binary, named e.g. {', '.join(WKB_NAMES[:4])}) among {[str(c) for c in df.columns]}"
        )
        raise InputError(msg, path=path, code="FZ311") from missing
    values = np.asarray(df[col].to_numpy(dtype=object), dtype=object)
    try:
        geoms = shapely.from_wkb(values, on_invalid="raise")
    except shapely.errors.GEOSException as exc:
        loose = shapely.from_wkb(values, on_invalid="ignore")
        bad = next(i for i, g in enumerate(loose) if g is None and values[i] is not None)
        msg = f"column {col!r} holds bytes that are not WKB ({exc})"
        raise InputError(msg, path=path, where=f"row {bad + 1}", code="FZ307", hint="") from exc
    gdf = GeoDataFrame(df.drop(columns=[col]), geometry=geoms)
    log.info("%s: no GeoParquet metadata; geometries decoded from WKB column %r", path, col)
    return gdf, Source(path, f"Parquet (WKB column {col!r}, no GeoParquet metadata)")


def load(
    path: str | Path, *, layer: str | None = None, encoding: str | None = None
) -> tuple[GeoDataFrame, Source]:
    """Read a file as it is: checked and decoded, CRS as declared, coordinates unchecked.

    Raises :class:`~fzgeo.errors.FzgeoError` for files that cannot be read at all. Findings that
    do not stop reading (suspected mojibake) are in ``Source.notes``.
    """
    path = Path(path)
    if not path.exists():
        raise DataNotFoundError("file not found", path=path)
    suffix = _suffix(path)
    _open_checks(path, suffix)
    if suffix == ".shp":
        gdf, src = _load_shapefile(path, encoding)
    elif suffix == ".zip":
        gdf, src = _load_zip(path, layer, encoding)
    elif suffix == ".csv":
        gdf, src, degrees = _load_csv(path, encoding)
        src.degrees = degrees
    elif suffix == ".txt":
        got, enc = _landtxt.read(path, encoding=encoding)
        gdf, src = got.gdf, Source(path, FORMATS[suffix], None, enc, got.notes)
        src.crs_refusal, src.refused_datum = got.refusal, got.datum
    elif suffix == ".xlsx":
        gdf, skipped = parcels.from_sheets(parcels.xlsx_sheets(path), path=path)
        src = Source(path, FORMATS[suffix], skipped=skipped)
    elif suffix in (".parquet", ".geoparquet"):
        gdf, src = _load_parquet(path)
    elif suffix in (".geojson", ".json"):
        enc = _encoding.json_encoding(path, override=encoding)
        gdf = _read_gdal(str(path), path, "GeoJSON", encoding=enc.codec)
        src = Source(path, "GeoJSON", None, enc)
    else:
        chosen = _pick_layer(path, layer)
        fmt = FORMATS[suffix]
        extra = {"encoding": _encoding.normalise(encoding, path=path)} if encoding else {}
        gdf = _read_gdal(str(path), path, fmt, layer=chosen, **extra)
        src = Source(
            path,
            fmt,
            chosen,
            _encoding.Encoding(extra["encoding"], "--encoding") if extra else None,
        )
    _note_mojibake(gdf, src)
    if src.encoding is not None:
        log.info("%s: attribute text read as %s", path, src.encoding)
        if src.encoding.guessed:
            msg = f"text read as {src.encoding}: a guess, no encoding is declared"
            src.notes.insert(0, InputError(msg, path=path, code="FZ312", hint=None))
    return gdf, src


def _note_mojibake(gdf: GeoDataFrame, src: Source) -> None:
    texts: list[object] = [str(c) for c in gdf.columns]
    for col in gdf.columns:
        if col != gdf.geometry.name and gdf[col].dtype.kind in ("O", "T", "U"):
            texts.extend(gdf[col].head(1000).tolist())
    sample = _encoding.looks_like_gbk_mojibake(texts)
    if sample is not None:
        fixed = sample.encode("latin-1").decode("gbk")
        used = f" (read as {src.encoding})" if src.encoding else ""
        msg = f"text such as {sample!r} looks like GBK read as Latin-1{used}; as GBK it reads {fixed!r}"
        src.notes.append(InputError(msg, path=src.path, code="FZ313"))


def offset_evidence(gdf: GeoDataFrame, src: Source) -> list[tuple[str, str | None]]:
    """What says the coordinates are GCJ-02/BD-09 (Amap, Tencent, Baidu): (evidence, feature).

    The file, layer and column names are searched for :data:`OFFSET_WORDS`, and so are the values
    of a column whose name says it holds the coordinate system (坐标系, 坐标系统, crs, ...); for
    a value, the first feature that holds it is named.
    """
    names = [("file", src.path.name)]
    if src.layer and src.layer != src.path.stem:
        names.append(("layer", src.layer))
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    names += [("column", c) for c in columns]
    found: list[tuple[str, str | None]] = [
        (f"{kind} name {name!r}", None)
        for kind, name in names
        if any(w in name.lower() for w in OFFSET_WORDS)
    ]
    for col in columns:
        if not any(w in col.lower() for w in _CRS_COLUMN_WORDS):
            continue
        values = gdf[col].astype(str).str.lower()
        hit = values.str.contains("|".join(OFFSET_WORDS), regex=True).to_numpy()
        if hit.any():
            first = int(hit.argmax())
            more = f" (and {int(hit.sum()) - 1} more)" if hit.sum() > 1 else ""
            where = labels(gdf, [first])[0]
            found.append(
                (f"column {col} says {str(gdf[col].iloc[first])!r} in {where}{more}", where)
            )
    return found


def resolve(
    gdf: GeoDataFrame,
    src: Source,
    *,
    assume_crs: object | None = None,
    input_coords: str | None = None,
    what: str = "data",
) -> GeoDataFrame:
    """The CRS steps of :func:`read`, also what ``fzgeo validate`` runs: the same codes, the same ids.

    A CRS the reader refused (a 报部格式 TXT in 西安80) stands unless ``assume_crs`` vouches for
    the coordinates (:func:`fzgeo.crs.vouch`); lon/lat columns are CGCS2000 degrees unless
    ``assume_crs`` says otherwise; then :func:`fzgeo.crs.resolve_crs`. Lon/lat data that names
    Amap, Tencent or Baidu (:func:`offset_evidence`) without ``input_coords`` is FZ107: fzgeo
    neither converts it on a guess nor goes on as if it were CGCS2000.
    """
    if src.crs_refusal is not None:
        if assume_crs is None:
            raise src.crs_refusal
        refused = f"{src.crs_refusal.where}: {src.crs_refusal.message}"
        assumed = crs_mod.parse_crs(assume_crs, what="--assume-crs")
        crs_mod.vouch(assumed, refused=refused, datum=src.refused_datum, path=src.path)
    if src.degrees and assume_crs is None:
        assume_crs = crs_mod.STORAGE_EPSG
    frame = gdf
    gdf = crs_mod.resolve_crs(
        gdf,
        assume=assume_crs,
        path=src.path,
        what=what,
        labels=lambda positions: labels(frame, positions),
    )
    if input_coords is None and gdf.crs is not None and gdf.crs.is_geographic:
        evidence = offset_evidence(gdf, src)
        if evidence:
            msg = (
                f"{what} in lon/lat looks like GCJ-02/BD-09 (Amap/Tencent/Baidu) coordinates, "
                f"shifted by hundreds of metres from CGCS2000: {'; '.join(e for e, _ in evidence)}"
            )
            where = next((w for _, w in evidence if w), None)
            raise CRSError(msg, code="FZ107", path=src.path, where=where)
    return gdf


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
        GeoPackage, File GDB, Shapefile (``.shp`` or zipped), GeoJSON, FlatGeobuf, GeoParquet,
        CSV (points, WKT or 界址点坐标表), XLSX (界址点坐标表) or TXT (报部格式, with a
        ``[地块坐标]`` section).
    layer
        The layer of a multi-layer file (or the dataset inside a zip); required when there are
        several.
    assume_crs
        The CRS to take when the file declares none (``--assume-crs``); it replaces a declared
        CRS only when the coordinates contradict that one and agree with it, and vouches for
        the coordinates of a file declared in 西安80 or 北京54 when it is a CGCS2000 CRS
        (:func:`fzgeo.crs.resolve_crs`).
    encoding
        Text encoding of attributes (Shapefile .dbf, CSV, TXT); overrides detection.
    input_coords
        ``"gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu) when the lon/lat are shifted
        coordinates: converted to CGCS2000; ``"wgs84"`` says they are not shifted. Without it,
        lon/lat data whose names or 坐标系 column name Amap, Tencent or Baidu is FZ107.
    what
        What the data is, for messages.

    Returns
    -------
    GeoDataFrame
        In the file's own CRS (resolved), with the original attributes.
    """
    given = str(Path(path))
    gdf, src = load(path, layer=layer, encoding=encoding)
    problems = coordinate_problems(gdf, path=str(src.path))
    if problems:
        raise problems[0]
    for note in src.notes:
        category = DeclaredAreaWarning if note.code == "FZ420" else TextEncodingWarning
        warnings.warn(str(note), category, stacklevel=2)
    declared = gdf.crs
    gdf = resolve(gdf, src, assume_crs=assume_crs, input_coords=input_coords, what=what)
    crs_note = crs_note_zh(declared, gdf.crs, assume_crs, src)
    if input_coords:
        gdf = _from_offset(gdf, input_coords, src.path)
    gdf.attrs[READ_AS] = {
        "path": given,
        "format": src.format,
        "layer": src.layer,
        "encoding": str(src.encoding) if src.encoding else None,
        "crs": f"EPSG:{gdf.crs.to_epsg()} {gdf.crs.name}" if gdf.crs.to_epsg() else gdf.crs.name,
        "input_coords": input_coords,
        "crs_note_zh": crs_note,
    }
    return gdf


def read_records(frames: Iterable[GeoDataFrame | None]) -> dict[str, dict[str, Any]]:
    """How each frame was read (its :data:`READ_AS` record), by the path it was read from.

    Frames not read by :func:`read` (packaged layers, ``None``) are left out; what the report's
    ``summary.json`` records as ``read_as``.
    """
    return {
        str(f.attrs[READ_AS]["path"]): f.attrs[READ_AS]
        for f in frames
        if f is not None and READ_AS in f.attrs
    }


def _crs_label(crs: Any) -> str:
    code = crs.to_epsg() if crs is not None else None
    return f"EPSG:{code}" if code else str(getattr(crs, "name", crs))


def crs_note_zh(declared: Any, final: Any, assume_crs: object | None, src: Source) -> str:
    """In Chinese, the CRS :func:`read` took that the file did not declare, or "" (the 问题 column).

    A CRS taken from ``--assume-crs`` or from the coordinates when the file declares none, one
    that replaced a declared CRS the coordinates contradict, and 西安80/北京54 coordinates vouched
    for as CGCS2000 (no datum shift applied). Lon/lat columns read as CGCS2000 degrees, the
    documented rule for them, are not an assumption here.
    """
    if final is None:
        return ""
    taken = _crs_label(final)
    if src.crs_refusal is not None:
        return (
            f"坐标系为{src.refused_datum or '旧基准'}，按 --assume-crs 视为 {taken}，未做基准转换"
        )
    if src.degrees and declared is None and assume_crs is None:
        return ""
    if declared is None:
        if assume_crs is not None:
            return f"文件未声明坐标系，按 --assume-crs 取 {taken}"
        return f"文件未声明坐标系，按坐标推定为 {taken}"
    if not final.equals(declared):
        return f"声明的坐标系 {_crs_label(declared)} 与坐标不符，按 --assume-crs 取 {taken}"
    return ""


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
