"""Coordinate reference systems: the storage and work CRS, detection of missing or wrong CRSs.

fzgeo stores every layer in CGCS2000 geographic coordinates (EPSG:4490) and measures every area and
distance in CGCS2000 / 3-degree Gauss-Kruger CM 117E (EPSG:4548), the zone that holds all of 抚州市
(about 115.6-117.3 E). Design institutes often deliver the zone-prefixed variant (EPSG:4527, false
easting 39 500 000) or a 6-degree zone; all CGCS2000 Gauss-Kruger variants are recognised.

Nothing here guesses silently. :func:`resolve_crs` takes a declared CRS, an explicit user assumption,
or unambiguous evidence reported as a :class:`~fzgeo.errors.CRSAssumptionWarning`; anything else is a
:class:`~fzgeo.errors.CRSError` that says what the coordinates look like. A CRS on the old Chinese
datums (西安80 Xian 1980, 北京54 Beijing 1954, New Beijing: :func:`legacy_datum`) is refused (FZ108)
for every reader alike: reaching CGCS2000 from them needs local transformation parameters, and
the ballpark shift PROJ would apply is off by metres. :func:`require_same_crs` raises where
geopandas would only warn.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geopandas import GeoDataFrame, GeoSeries
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from fzgeo.errors import CRSAssumptionWarning, CRSError, CRSMismatchError, ExtentWarning

log = logging.getLogger(__name__)

STORAGE_EPSG = 4490  #: CGCS2000 geographic: every stored layer
WORK_EPSG = 4548  #: CGCS2000 / 3-degree Gauss-Kruger CM 117E: every area and distance
ZONE39_EPSG = 4527  #: CGCS2000 / 3-degree Gauss-Kruger zone 39 (false easting 39 500 000)
WEB_EPSG = 4326  #: WGS84, what Leaflet draws

STORAGE_CRS = CRS.from_epsg(STORAGE_EPSG)
WORK_CRS = CRS.from_epsg(WORK_EPSG)

#: (west, south, east, north) in degrees
CHINA_BOUNDS = (73.0, 3.8, 135.1, 53.6)
JIANGXI_BOUNDS = (113.5, 24.4, 118.6, 30.1)
FUZHOU_BOUNDS = (115.5, 26.4, 117.4, 28.6)

_GK3_CMS = range(75, 136, 3)
_LISTED = 5  #: features named one by one in a message
_GK6_CMS = range(75, 136, 6)


def gk3_epsg(central_meridian: int, *, zone_prefix: bool = False) -> int:
    """EPSG code of CGCS2000 / 3-degree Gauss-Kruger for a central meridian (75-135 E)."""
    if central_meridian not in _GK3_CMS:
        msg = f"`central_meridian` must be a multiple of 3 from 75 to 135, got {central_meridian}"
        raise ValueError(msg)
    step = (central_meridian - 75) // 3
    return (4513 if zone_prefix else 4534) + step


def gk6_epsg(central_meridian: int, *, zone_prefix: bool = False) -> int:
    """EPSG code of CGCS2000 / 6-degree Gauss-Kruger for a central meridian (75-135 E)."""
    if central_meridian not in _GK6_CMS:
        msg = f"`central_meridian` must be 75, 81, ..., 135, got {central_meridian}"
        raise ValueError(msg)
    step = (central_meridian - 75) // 6
    return (4491 if zone_prefix else 4502) + step


def parse_crs(value: object, *, what: str = "CRS") -> CRS:
    """Turn ``4548``, ``"EPSG:4548"``, a WKT or PROJ string or a CRS into a :class:`pyproj.CRS`."""
    if isinstance(value, CRS):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    try:
        return CRS.from_user_input(value)
    except PyprojCRSError as exc:
        msg = f"{what} {value!r} is not a CRS pyproj understands ({exc})"
        raise CRSError(msg, code="FZ101", hint="give an EPSG code such as EPSG:4548") from exc


#: the old Chinese geodetic datums: English name -> Chinese name
LEGACY_DATUMS = {"Xian 1980": "西安80", "Beijing 1954": "北京54", "New Beijing": "新北京54"}
_LEGACY_NAMES = (
    (re.compile(r"new\s*beijing|新北京", re.IGNORECASE), "New Beijing"),
    (re.compile(r"xi\W?an\s*(19)?80|西安", re.IGNORECASE), "Xian 1980"),
    (re.compile(r"beijing\s*(19)?54|北京", re.IGNORECASE), "Beijing 1954"),
)
#: (semi-major axis in metres, inverse flattening) of the ellipsoids only those datums use
_LEGACY_ELLIPSOIDS = {(6378140.0, 298.257): "Xian 1980", (6378245.0, 298.3): "Beijing 1954"}
_CGCS2000_NAME = re.compile(r"china\s*2000|cgcs\s*2000|geodetic coordinate system 2000", re.I)


def _words(name: str) -> str:
    """``D_Xian_1980`` -> ``Xian 1980``: ESRI prefixes and underscores dropped."""
    return re.sub(r"^(d|gcs)\s+", "", name.replace("_", " ").strip(), flags=re.IGNORECASE)


def legacy_datum_named(text: str) -> str | None:
    """The old datum ``text`` names: "Xian 1980", "Beijing 1954", "New Beijing", or None.

    ``text`` is a datum or CRS name as GDAL, ESRI (``D_Xian_1980``) or a Chinese header
    (``1980西安坐标系``, ``北京54``) writes it.
    """
    words = _words(text)
    return next((datum for pattern, datum in _LEGACY_NAMES if pattern.search(words)), None)


def _unbound(crs: CRS) -> CRS:
    """``crs`` without a +towgs84 binding (a BoundCRS's source CRS), else ``crs`` itself."""
    return crs.source_crs if crs.is_bound and crs.source_crs is not None else crs


def legacy_datum(crs: CRS) -> str | None:
    """The old Chinese datum ``crs`` is on ("Xian 1980", "Beijing 1954", "New Beijing"), or None.

    Matched by the datum's name (EPSG or ESRI spelling), then the CRS's name, and for a datum of
    no known name (a PROJ string, an ESRI .prj with ``D_unknown``) by its ellipsoid: IAG 1975
    (a = 6 378 140 m) is Xian 1980's, Krassowsky 1940 (a = 6 378 245 m) Beijing 1954's.
    """
    crs = _unbound(crs)
    geodetic = crs.geodetic_crs
    datum = geodetic.datum.name if geodetic is not None and geodetic.datum is not None else ""
    found = legacy_datum_named(datum) or legacy_datum_named(crs.name)
    if found or (datum and not re.search(r"unknown|unnamed|^$", _words(datum), re.IGNORECASE)):
        return found
    ellipsoid = crs.ellipsoid
    if ellipsoid is None:
        return None
    key = (round(ellipsoid.semi_major_metre, 1), round(ellipsoid.inverse_flattening, 3))
    return _LEGACY_ELLIPSOIDS.get(key)


def is_cgcs2000(crs: CRS) -> bool:
    """True when ``crs`` is on the CGCS2000 datum (EPSG:4490 and its projections)."""
    geodetic = _unbound(crs).geodetic_crs
    if geodetic is None or geodetic.datum is None:
        return False
    return bool(_CGCS2000_NAME.search(_words(geodetic.datum.name)))


def cgcs2000_counterpart(crs: CRS) -> int | None:
    """EPSG code of the CGCS2000 CRS with the same projection as ``crs`` (Gauss-Kruger or degrees).

    E.g. Xian 1980 / 3-degree Gauss-Kruger CM 117E (EPSG:2384) -> EPSG:4548; None when there is
    no such CGCS2000 CRS.
    """
    crs = _unbound(crs)
    if crs.is_geographic:
        return STORAGE_EPSG
    gk = gauss_kruger(crs)
    if gk is None or not float(gk.central_meridian).is_integer():
        return None
    cm = int(gk.central_meridian)
    if not gk.zone_prefixed:
        return gk3_epsg(cm) if cm in _GK3_CMS else None
    zone = int(gk.false_easting // 1_000_000)
    if cm in _GK3_CMS and zone == cm // 3:
        return gk3_epsg(cm, zone_prefix=True)
    if cm in _GK6_CMS and zone == (cm + 3) // 6:
        return gk6_epsg(cm, zone_prefix=True)
    return None


def crs_text(crs: CRS) -> str:
    """``EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E)``, or the name without a code."""
    code = crs.to_epsg()
    return f"EPSG:{code} ({crs.name})" if code else crs.name


def vouch(assumed: CRS, *, refused: str, datum: str | None, path: str | Path | None = None) -> None:
    """Accept ``assumed`` (``--assume-crs``) for coordinates whose declared CRS was ``refused``.

    Warns (:class:`~fzgeo.errors.CRSAssumptionWarning`, FZ108) that the coordinates are taken as
    ``assumed`` with no datum transformation. When the refusal was for an old Chinese ``datum``
    (Xian 1980, Beijing 1954), ``assumed`` must be a CGCS2000 CRS; anything else is FZ108.

    Parameters
    ----------
    assumed
        The CRS the user vouches for.
    refused
        What was refused, e.g. ``"sites declares EPSG:2384 (Xian 1980 / ...)"``.
    datum
        The old datum that was refused, or None (a local or other unsupported system).
    path
        The file, for messages.
    """
    if legacy_datum(assumed) is not None or (datum is not None and not is_cgcs2000(assumed)):
        msg = (
            f"{refused}; --assume-crs {crs_text(assumed)} is not a CGCS2000 CRS, so it cannot "
            "vouch for the coordinates"
        )
        hint = "pass --assume-crs with the CGCS2000 CRS the coordinates are in (e.g. EPSG:4548)"
        raise CRSError(msg, code="FZ108", path=path, hint=hint)
    warnings.warn(
        f"[FZ108] {path or 'data'}: {refused}; the coordinates are taken as "
        f"{crs_text(assumed)} as --assume-crs vouches, with no datum transformation",
        CRSAssumptionWarning,
        stacklevel=3,
    )


def _legacy_refusal(crs: CRS, datum: str, what: str) -> tuple[str, str]:
    """(refusal text, hint) for data declared in a CRS on an old Chinese datum."""
    refused = f"{what} declares {crs_text(crs)}, on the {datum} datum ({LEGACY_DATUMS[datum]})"
    counterpart = cgcs2000_counterpart(crs)
    vouch_for = (
        f"EPSG:{counterpart} ({CRS.from_epsg(counterpart).name})" if counterpart else "EPSG:XXXX"
    )
    hint = (
        f"convert the file to CGCS2000 with the local transformation parameters (e.g. in QGIS or "
        f"ArcGIS), or, if the coordinates are CGCS2000 after all, pass --assume-crs {vouch_for}"
    )
    return refused, hint


@dataclass(frozen=True)
class GaussKruger:
    """The parameters that matter for a transverse-Mercator (Gauss-Kruger) CRS."""

    central_meridian: float
    false_easting: float

    @property
    def zone_prefixed(self) -> bool:
        """True when the false easting carries a zone number (e.g. 39 500 000)."""
        return self.false_easting > 1_000_000


def gauss_kruger(crs: CRS) -> GaussKruger | None:
    """The Gauss-Kruger parameters of ``crs``, or None if it is not transverse Mercator."""
    op = crs.coordinate_operation
    if not crs.is_projected or op is None or "Transverse Mercator" not in op.method_name:
        return None
    params = {p.name: p.value for p in op.params}
    return GaussKruger(
        central_meridian=float(params.get("Longitude of natural origin", 0.0)),
        false_easting=float(params.get("False easting", 0.0)),
    )


Bounds = tuple[float, float, float, float]


def _inside(bounds: Bounds, box: Bounds) -> bool:
    x0, y0, x1, y1 = bounds
    return box[0] <= x0 and x1 <= box[2] and box[1] <= y0 and y1 <= box[3]


def _fmt(bounds: Bounds) -> str:
    x0, y0, x1, y1 = bounds
    big = max(abs(v) for v in bounds) > 1000
    f = "{:,.0f}" if big else "{:.4f}"
    return f"x {f.format(x0)} to {f.format(x1)}, y {f.format(y0)} to {f.format(y1)}"


def _to_degrees(bounds: Bounds, crs: CRS) -> Bounds:
    from pyproj import Transformer

    t = Transformer.from_crs(crs, STORAGE_CRS, always_xy=True)
    xs, ys = t.transform([bounds[0], bounds[2]], [bounds[1], bounds[3]])
    return (float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys)))


def _gk_candidates(bounds: Bounds, fits: Callable[[Bounds], bool] | None = None) -> list[int]:
    """EPSG codes of CGCS2000 Gauss-Kruger CRSs that put ``bounds`` where ``fits`` accepts.

    ``fits`` takes the bounds in EPSG:4490 degrees; by default they must lie inside Jiangxi.
    """
    fits = fits or (lambda deg: _inside(deg, JIANGXI_BOUNDS))
    x0 = bounds[0]
    found = []
    if x0 > 1_000_000:  # a zone prefix says which zone
        zone = int(x0 // 1_000_000)
        codes = []
        if 25 <= zone <= 45:
            codes.append(4513 + zone - 25)
        if 13 <= zone <= 23:
            codes.append(4491 + zone - 13)
    else:
        codes = [gk3_epsg(cm) for cm in _GK3_CMS] + [gk6_epsg(cm) for cm in _GK6_CMS]
    seen: set[tuple[float, float]] = set()
    for code in codes:
        crs = CRS.from_epsg(code)
        gk = gauss_kruger(crs)
        key = (gk.central_meridian, gk.false_easting) if gk else (0.0, 0.0)
        if key in seen:  # e.g. 3-degree and 6-degree CM 117E: the same projection
            continue
        deg = _to_degrees(bounds, crs)
        if all(np.isfinite(deg)) and fits(deg):
            found.append(code)
            seen.add(key)
    return found


def describe(bounds: Bounds) -> tuple[str, list[int]]:
    """Say what coordinates with these bounds look like, and which CRSs would fit them.

    Returns
    -------
    tuple
        A human description and the EPSG codes that would place the data in Jiangxi. Exactly one
        code means the evidence is unambiguous.
    """
    x0, y0, x1, y1 = bounds
    if _inside(bounds, CHINA_BOUNDS):
        return f"longitude/latitude degrees in China ({_fmt(bounds)})", [STORAGE_EPSG]
    if _inside((y0, x0, y1, x1), CHINA_BOUNDS):
        return f"latitude/longitude degrees with the axes swapped ({_fmt(bounds)})", []
    if x0 > 1_000_000 and x1 < 100_000_000 and y0 >= 2_000_000 and y1 <= 6_000_000:
        codes = _gk_candidates(bounds)
        zone = int(x0 // 1_000_000)
        return f"Gauss-Kruger metres with zone prefix {zone} ({_fmt(bounds)})", codes
    if x0 >= 100_000 and x1 <= 900_000 and y0 >= 2_000_000 and y1 <= 6_000_000:
        codes = _gk_candidates(bounds)
        return f"Gauss-Kruger metres without a zone prefix ({_fmt(bounds)})", codes
    if x0 >= 2_000_000 and x1 <= 6_000_000 and y0 >= 100_000 and y1 < 100_000_000:
        return f"Gauss-Kruger metres with X (northing) and Y (easting) swapped ({_fmt(bounds)})", []
    return f"coordinates of no recognised system in China ({_fmt(bounds)})", []


def _epsg_text(codes: list[int]) -> str:
    return " or ".join(f"EPSG:{c} ({CRS.from_epsg(c).name})" for c in codes[:4])


def check_coordinates(
    bounds: Bounds, crs: CRS, *, path: str | Path | None = None, what: str = "data"
) -> None:
    """Raise :class:`CRSError` when coordinates contradict their declared CRS.

    The checks: degrees outside China or with swapped axes, metres labelled as degrees, degrees
    labelled as metres, zone-prefixed eastings under a CRS without prefix (and the reverse), and a
    Gauss-Kruger central meridian that puts the data outside Jiangxi. When the coordinates look
    like one or more CRSs, the hint names ``--assume-crs`` with the first (it replaces a declared
    CRS the coordinates contradict, see :func:`resolve_crs`).
    """
    if not all(np.isfinite(bounds)):
        raise CRSError(f"{what} has non-finite coordinates", code="FZ103", path=path)
    looks_like, codes = describe(bounds)
    likely = f"; they look like {looks_like}" + (f", likely {_epsg_text(codes)}" if codes else "")
    hint = (
        f"if the coordinates are in EPSG:{codes[0]}, pass --assume-crs EPSG:{codes[0]}"
        if codes
        else None
    )
    if crs.is_geographic:
        if not _inside(bounds, CHINA_BOUNDS):
            msg = f"{what} is declared {crs.name} (degrees) but its coordinates are not degrees in China{likely}"
            raise CRSError(msg, path=path, hint=hint)
        return
    gk = gauss_kruger(crs)
    if gk is None:
        deg = _to_degrees(bounds, crs)
        if not (all(np.isfinite(deg)) and _inside(deg, CHINA_BOUNDS)):
            msg = f"{what} in {crs.name} does not fall in China{likely}"
            raise CRSError(msg, path=path, code="FZ103", hint=hint)
        return
    if _inside(bounds, (-180.0, -90.0, 180.0, 90.0)):
        msg = (
            f"{what} is declared {crs.name} (metres) but its coordinates look like degrees{likely}"
        )
        raise CRSError(msg, path=path, hint=hint)
    has_prefix = bounds[0] > 1_000_000
    if has_prefix != gk.zone_prefixed:
        state = "carry" if has_prefix else "lack"
        msg = f"{what} is declared {crs.name} but its eastings {state} a zone prefix{likely}"
        raise CRSError(msg, path=path, hint=hint)
    deg = _to_degrees(bounds, crs)
    if not (all(np.isfinite(deg)) and _inside(deg, JIANGXI_BOUNDS)):
        msg = (
            f"{what} in {crs.name} (central meridian {gk.central_meridian:g} E) falls at "
            f"{_fmt(deg)}, outside Jiangxi{likely}"
        )
        raise CRSError(msg, path=path, hint=hint)


def total_bounds(gdf: GeoDataFrame | GeoSeries) -> Bounds:
    """Bounds of the non-empty geometries (NaN when there are none)."""
    geoms = gdf.geometry
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    b = geoms.total_bounds
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def resolve_crs(
    gdf: GeoDataFrame,
    *,
    assume: object | None = None,
    path: str | Path | None = None,
    what: str = "data",
    labels: Callable[[Sequence[int]], list[str]] | None = None,
) -> GeoDataFrame:
    """Return ``gdf`` with a CRS that its coordinates agree with, or raise.

    The rules, the same for every reader:

    * a CRS on an old Chinese datum (Xian 1980, Beijing 1954, New Beijing), declared or assumed,
      is FZ108 naming the datum, unless ``assume`` is a CGCS2000 CRS: the coordinates are then
      taken as that CRS, with a warning that no datum transformation was applied;
    * no declared CRS: ``assume``, else unambiguous evidence (a
      :class:`~fzgeo.errors.CRSAssumptionWarning`), else FZ100;
    * a declared CRS the coordinates contradict (FZ101): ``assume`` replaces it when the
      coordinates agree with ``assume`` (a warning says so; GDAL labels a GeoJSON without a
      ``crs`` member WGS84 whatever its coordinates); a declared CRS the coordinates agree with
      stays, ``assume`` unused;
    * when only some features contradict the CRS (a typing error in one site), the error names
      them (FZ103).

    Parameters
    ----------
    gdf
        The data as read; its CRS may be missing.
    assume
        A CRS the user vouches for (``--assume-crs``).
    path
        The file the data came from, for messages.
    what
        What the data is, for messages ("sites", "red line", ...).
    labels
        Names of features by 0-based position (e.g. ``feature 3 (编号=A-17)``), for messages;
        by default ``feature N``.
    """
    assumed = None if assume is None else parse_crs(assume, what="--assume-crs")
    if assumed is not None and (datum := legacy_datum(assumed)) is not None:
        refused = (
            f"--assume-crs {crs_text(assumed)} is on the {datum} datum ({LEGACY_DATUMS[datum]})"
        )
        vouch(assumed, refused=refused, datum=datum, path=path)  # raises: not CGCS2000
    declared = None if gdf.crs is None else CRS.from_user_input(gdf.crs)
    if declared is not None and (datum := legacy_datum(declared)) is not None:
        refused, hint = _legacy_refusal(declared, datum, what)
        if assumed is None:
            msg = f"{refused}; reaching CGCS2000 from it needs local transformation parameters, which fzgeo does not apply"
            raise CRSError(msg, code="FZ108", path=path, hint=hint)
        vouch(assumed, refused=refused, datum=datum, path=path)
        gdf, declared = gdf.set_crs(assumed, allow_override=True), assumed
    bounds = total_bounds(gdf)
    if not all(np.isfinite(bounds)):
        return gdf if declared is not None or assumed is None else gdf.set_crs(assumed)
    if declared is None:
        if assumed is not None:
            return _checked(gdf.set_crs(assumed), bounds, path, what, labels)
        looks_like, codes = describe(bounds)
        if len(codes) != 1:
            hint = (
                f"if it is {_epsg_text(codes)}, pass --assume-crs EPSG:{codes[0]}"
                if codes
                else "pass --assume-crs with the CRS the data is in"
            )
            candidates = f" ({len(codes)} candidate CRSs)" if codes else ""
            msg = f"{what} declares no CRS; the coordinates look like {looks_like}{candidates}"
            raise CRSError(msg, code="FZ100", path=path, hint=hint)
        crs = CRS.from_epsg(codes[0])
        warnings.warn(
            f"{path or what}: no CRS declared; the coordinates are {looks_like}, "
            f"taken as EPSG:{codes[0]} ({crs.name})",
            CRSAssumptionWarning,
            stacklevel=2,
        )
        return _checked(gdf.set_crs(crs), bounds, path, what, labels)
    if assumed is None or assumed.equals(declared):
        return _checked(gdf, bounds, path, what, labels)
    try:
        check_coordinates(bounds, declared, path=path, what=what)
    except CRSError as declared_wrong:
        try:
            check_coordinates(bounds, assumed, path=path, what=what)
        except CRSError:
            raise declared_wrong from None
        warnings.warn(
            f"[FZ101] {path or what}: declared {crs_text(declared)}, but the coordinates are "
            f"{describe(bounds)[0]}; taken as {crs_text(assumed)} as --assume-crs says",
            CRSAssumptionWarning,
            stacklevel=2,
        )
        return gdf.set_crs(assumed, allow_override=True)
    log.info(
        "%s: --assume-crs %s not used: the file declares %s and the coordinates agree with it",
        path or what,
        crs_text(assumed),
        crs_text(declared),
    )
    return gdf


def _fits(boxes: np.ndarray, crs: CRS) -> np.ndarray:
    """Per feature box (n x 4, in ``crs``): True when it lies in China once in degrees."""
    if crs.is_geographic:
        deg = boxes
    else:
        from pyproj import Transformer

        t = Transformer.from_crs(crs, STORAGE_CRS, always_xy=True)
        with np.errstate(all="ignore"):
            x0, y0 = t.transform(boxes[:, 0], boxes[:, 1], errcheck=False)
            x1, y1 = t.transform(boxes[:, 2], boxes[:, 3], errcheck=False)
        deg = np.column_stack([x0, y0, x1, y1])
    w, s, e, n = CHINA_BOUNDS
    with np.errstate(invalid="ignore"):
        inside = (deg[:, 0] >= w) & (deg[:, 2] <= e) & (deg[:, 1] >= s) & (deg[:, 3] <= n)
    return np.asarray(inside & np.isfinite(deg).all(axis=1))


def _checked(
    gdf: GeoDataFrame,
    bounds: Bounds,
    path: str | Path | None,
    what: str,
    labels: Callable[[Sequence[int]], list[str]] | None,
) -> GeoDataFrame:
    """``gdf`` when its coordinates agree with its CRS; the features that do not, named, if few."""
    crs = CRS.from_user_input(gdf.crs)
    try:
        check_coordinates(bounds, crs, path=path, what=what)
    except CRSError as wrong:
        import shapely

        geoms = np.asarray(gdf.geometry.values, dtype=object)
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        boxes = shapely.bounds(geoms)
        fits = _fits(boxes, crs) & present
        odd = np.flatnonzero(present & ~fits)
        if not fits.any() or not len(odd):
            raise
        inner = boxes[fits]
        rest = (
            float(inner[:, 0].min()),
            float(inner[:, 1].min()),
            float(inner[:, 2].max()),
            float(inner[:, 3].max()),
        )
        try:
            check_coordinates(rest, crs, path=path, what=what)
        except CRSError:
            raise wrong from None
        names = (
            labels(odd[:_LISTED].tolist())
            if labels
            else [f"feature {i + 1}" for i in odd[:_LISTED]]
        )
        more = f" and {len(odd) - _LISTED} more" if len(odd) > _LISTED else ""
        msg = (
            f"{len(odd)} of {int(present.sum())} feature(s) lie outside China in "
            f"{crs_text(crs)}, while the others fit it: {', '.join(names)}{more} "
            f"(e.g. {_fmt(tuple(float(v) for v in boxes[odd[0]]))})"  # type: ignore[arg-type]
        )
        hint = "fix or delete the coordinates of those features (a typing error or a placeholder)"
        raise CRSError(msg, code="FZ103", path=path, where=names[0], hint=hint) from None
    return gdf


def require_crs(gdf: GeoDataFrame | GeoSeries, *, what: str = "data") -> CRS:
    """Return the CRS of ``gdf`` or raise if it has none."""
    if gdf.crs is None:
        raise CRSError(f"{what} has no CRS", code="FZ100")
    return CRS.from_user_input(gdf.crs)


def require_same_crs(*frames: GeoDataFrame | GeoSeries, names: tuple[str, ...] = ()) -> CRS:
    """Return the CRS all ``frames`` share, or raise :class:`CRSMismatchError`.

    geopandas only warns when frames of different CRSs meet; a silent mismatch can turn a real
    red-line conflict into "no conflict", so fzgeo refuses.
    """
    labels = list(names) + [f"layer {i + 1}" for i in range(len(names), len(frames))]
    crss = [require_crs(f, what=label) for f, label in zip(frames, labels, strict=True)]
    first = crss[0]
    for label, crs in zip(labels[1:], crss[1:], strict=True):
        if not first.equals(crs):
            msg = (
                f"{labels[0]} is in {first.name} but {label} is in {crs.name}; "
                "reproject one explicitly (fzgeo.crs.to_storage or to_work)"
            )
            raise CRSMismatchError(msg)
    return first


def to_crs_checked(gdf: GeoDataFrame, crs: object, *, what: str = "data") -> GeoDataFrame:
    """Reproject ``gdf`` and raise if any coordinate comes out infinite or NaN."""
    target = parse_crs(crs)
    source = require_crs(gdf, what=what)
    if source.equals(target):
        return gdf
    out = gdf.to_crs(target)
    geoms = out.geometry[~(out.geometry.isna() | out.geometry.is_empty)]
    if len(geoms):
        import shapely

        coords = shapely.get_coordinates(np.asarray(geoms.values))
        bad = ~np.isfinite(coords).all(axis=1)
        if bad.any():
            msg = (
                f"{what}: reprojecting from {source.name} to {target.name} produced "
                f"{int(bad.sum())} non-finite coordinate(s)"
            )
            raise CRSError(msg, code="FZ104", hint="check the declared CRS of the input")
    return out


def to_work(gdf: GeoDataFrame, *, what: str = "data") -> GeoDataFrame:
    """Reproject to the metric work CRS (EPSG:4548) for areas and distances."""
    out = to_crs_checked(gdf, WORK_CRS, what=what)
    if not out.crs.is_projected:  # pragma: no cover - WORK_CRS is projected
        raise CRSError("work CRS must be projected", code="FZ105")
    return out


def to_storage(gdf: GeoDataFrame, *, what: str = "data") -> GeoDataFrame:
    """Reproject to the storage CRS (EPSG:4490)."""
    return to_crs_checked(gdf, STORAGE_CRS, what=what)


def _boxes_meet(a: Bounds, b: Bounds) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def storage_bounds(bounds: Bounds, source: object) -> Bounds:
    """The box in EPSG:4490 degrees around a box (x0, y0, x1, y1) given in the ``source`` CRS.

    The box's edges are densified before they are transformed, so the result holds the whole
    box even where the projection bends its edges. Non-finite bounds stay as they are.
    """
    src = parse_crs(source)
    if not all(np.isfinite(bounds)) or src.equals(STORAGE_CRS):
        return bounds
    from pyproj import Transformer

    t = Transformer.from_crs(src, STORAGE_CRS, always_xy=True)
    x0, y0, x1, y1 = t.transform_bounds(*bounds, densify_pts=21)
    return (float(x0), float(y0), float(x1), float(y1))


def _frame_bounds(gdf: GeoDataFrame | GeoSeries, what: str) -> Bounds:
    """The extent of a layer (any CRS) in EPSG:4490 degrees."""
    return storage_bounds(total_bounds(gdf), require_crs(gdf, what=what))


def _likely_crs(bounds: Bounds, declared: CRS, fits: Callable[[Bounds], bool]) -> list[int]:
    """EPSG codes, other than ``declared``, that would put raw ``bounds`` where ``fits`` accepts.

    Degrees in China suggest EPSG:4490; Gauss-Kruger metres the CGCS2000 zones (one zone when
    the eastings carry its prefix). ``fits`` takes bounds in EPSG:4490 degrees.
    """
    if _inside(bounds, CHINA_BOUNDS):
        codes = [STORAGE_EPSG] if fits(bounds) else []
    elif bounds[0] >= 100_000 and bounds[1] >= 2_000_000 and bounds[3] <= 6_000_000:
        codes = _gk_candidates(bounds, fits)
    else:
        codes = []
    projection = gauss_kruger(declared)

    def other(code: int) -> bool:
        crs = CRS.from_epsg(code)
        return not crs.equals(declared) and (projection is None or gauss_kruger(crs) != projection)

    return [c for c in codes if other(c)]


def warn_if_disjoint(
    a: GeoDataFrame | GeoSeries,
    b: GeoDataFrame | GeoSeries | Mapping[str, Bounds],
    *,
    names: tuple[str, str] = ("sites", "red line"),
    stacklevel: int = 2,
) -> bool:
    """Warn (:class:`~fzgeo.errors.ExtentWarning`, FZ106) when ``a`` shares no extent with ``b``.

    Sites that lie nowhere near the red line usually mean one file is in the wrong CRS (or was
    converted twice); a check would then report "no conflict" for the wrong reason.
    :func:`fzgeo.check.run` calls this for every engine (:mod:`fzgeo.check.guard`). Bounding
    boxes are compared in EPSG:4490. When ``a``'s coordinates would meet ``b`` under another CRS,
    the warning names it: e.g. CM 117E Gauss-Kruger coordinates declared CM 114E (EPSG:4547)
    land about 300 km west of 抚州, and EPSG:4548 is named.

    Parameters
    ----------
    a
        The layer that should meet ``b`` (the sites), any CRS.
    b
        One layer (any CRS), or several extents by name as (x0, y0, x1, y1) in EPSG:4490 degrees
        (the city and each constraint layer of a check); ``a`` has to meet one of them.
    names
        What ``a`` and (for one layer) ``b`` are, for the message.
    stacklevel
        As for :func:`warnings.warn`: 2 blames the caller.

    Returns
    -------
    bool
        True when the extents meet, or when an extent is unknown (no geometry); False after
        warning.
    """
    box = _frame_bounds(a, names[0])
    extents = dict(b) if isinstance(b, Mapping) else {names[1]: _frame_bounds(b, names[1])}
    known = {k: v for k, v in extents.items() if all(np.isfinite(v))}
    if not all(np.isfinite(box)) or not known or any(_boxes_meet(box, v) for v in known.values()):
        return True
    listed = ", ".join(f"{k} ({_fmt(v)})" for k, v in known.items())
    if len(known) == 1:
        where, them = f"and {listed} share no common extent", next(iter(known))
    else:
        where, them = f"share no common extent with any of {listed}", "one of them"
    declared = require_crs(a, what=names[0])
    codes = _likely_crs(
        total_bounds(a), declared, lambda deg: any(_boxes_meet(deg, v) for v in known.values())
    )
    if codes:
        why = (
            f"; as {_epsg_text(codes)} instead of the declared {crs_text(declared)}, the "
            f"coordinates of {names[0]} would meet {them}: the declared CRS is likely wrong"
        )
    else:
        why = "; check that the files are in the CRS they declare"
    warnings.warn(
        f"[FZ106] {names[0]} ({_fmt(box)}) {where}{why} (a check would report 无冲突 for the "
        "wrong reason)",
        ExtentWarning,
        stacklevel=stacklevel,
    )
    return False
