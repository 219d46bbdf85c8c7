"""Everything wrong with an input file, gathered into one report (``fzgeo validate``).

:func:`validate_file` reads a file as every fzgeo command does (:func:`fzgeo.io.load`), then runs
each check and keeps going after a failure, so the user sees every problem at once: the file
itself (format, truncation, Shapefile parts, archive, encoding), the coordinates (NaN, (0, 0),
short rings), the CRS (missing, implausible, GCJ-02/BD-09 hints), the geometries (every feature
gets a status from :func:`fzgeo.io.repair.repair`; mixed types, Z/M values) and the attributes
(HTML, formulas, control characters). Each finding carries a stable code from
:data:`fzgeo.errors.CATALOGUE`, a severity (the code's, from the catalogue, unless the finding says
otherwise), the feature or row, and a hint.

The report holds no timestamp: the same file gives the same report.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import shapely
from geopandas import GeoDataFrame

from fzgeo import io, textsafe
from fzgeo.crs import crs_text
from fzgeo.errors import (
    CATALOGUE,
    ERROR,
    INFO,
    WARNING,
    CRSAssumptionWarning,
    FzgeoError,
)
from fzgeo.io import reader, repair

log = logging.getLogger(__name__)

_HTML = re.compile(r"<\s*[a-zA-Z/!]")


@dataclass(frozen=True)
class Finding:
    """One problem: severity, stable code, where, what and how to fix it."""

    severity: str
    code: str
    title: str
    message: str
    where: str | None
    hint: str

    @classmethod
    def new(
        cls,
        code: str,
        message: str,
        where: str | None = None,
        *,
        hint: str | None = None,
        severity: str | None = None,
    ) -> Finding:
        """A finding with ``code``'s title, and its hint and severity unless given.

        Parameters
        ----------
        code
            A key of :data:`fzgeo.errors.CATALOGUE`.
        message
            What is wrong, in one sentence.
        where
            The feature, row or column concerned, if any.
        hint
            How to fix it; the catalogue's hint for ``code`` when None ("" gives none).
        severity
            ``"error"``, ``"warning"`` or ``"info"``; the catalogue's severity for ``code`` when
            None, given only where the situation differs from the code's usual one (an empty
            layer is a warning, an empty file an error).
        """
        entry = CATALOGUE[code]
        return cls(
            severity or entry.severity,
            code,
            entry.title,
            message,
            where,
            entry.hint if hint is None else hint,
        )

    @classmethod
    def of(cls, err: FzgeoError, severity: str | None = None) -> Finding:
        """A finding from an error: its code, message, place and hint (severity as in :meth:`new`)."""
        return cls.new(err.code, err.message, err.where, hint=err.hint or "", severity=severity)


@dataclass
class Report:
    """The validation report of one file."""

    path: str
    format: str | None = None
    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    features_in: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)
    features: list[dict[str, Any]] = field(default_factory=list)  #: every input feature
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        """The findings of severity "error"."""
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def ok(self) -> bool:
        """True when nothing stops the file from being used."""
        return not self.errors

    @property
    def features_out(self) -> int:
        """Features accounted for in the report (equals ``features_in`` once geometry is checked)."""
        return sum(self.status_counts.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        data["ok"] = self.ok
        data["features_out"] = self.features_out
        return data


def _crs_text(gdf: GeoDataFrame) -> str | None:
    return None if gdf.crs is None else crs_text(gdf.crs)


_CODE_PREFIX = re.compile(r"^\[(FZ\d{3})\] ")


def _check_crs(gdf: GeoDataFrame, report: Report, src: io.Source, **options: Any) -> GeoDataFrame:
    """The CRS steps of :func:`fzgeo.io.read` (:func:`fzgeo.io.reader.resolve`), as findings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            gdf = reader.resolve(gdf, src, **options)
        except FzgeoError as err:
            report.findings.append(Finding.of(err))
    for w in caught:
        if issubclass(w.category, CRSAssumptionWarning):
            # an assumption taken or vouched for: usable, with care (a warning, whatever the code)
            text = str(w.message)
            coded = _CODE_PREFIX.match(text)
            code = coded.group(1) if coded else "FZ100"
            text = text[coded.end() :] if coded else text
            hint = "" if coded else "pass --assume-crs to state it"
            report.findings.append(Finding.new(code, text, hint=hint, severity=WARNING))
        else:
            log.info("%s: %s", src.path, w.message)
    report.crs = _crs_text(gdf)
    return gdf


def _geometry_types(gdf: GeoDataFrame, report: Report) -> None:
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    single = {"MultiPolygon": "Polygon", "MultiLineString": "LineString", "MultiPoint": "Point"}
    families = {single.get(t, t) for t in gdf.geometry[present].geom_type}
    if len(families) > 1:
        msg = f"the layer mixes {', '.join(sorted(families))} geometries"
        report.findings.append(Finding.new("FZ417", msg, hint="split the layer by geometry type"))
    z = np.flatnonzero(shapely.has_z(geoms) & present)
    m = (
        np.flatnonzero(shapely.has_m(geoms) & present)
        if hasattr(shapely, "has_m")
        else np.array([], int)
    )
    if len(z) or len(m):
        names = repair.labels(gdf)
        first = names[int((z if len(z) else m)[0])]
        msg = f"{len(z)} feature(s) carry Z and {len(m)} carry M values; areas and overlaps use x/y only"
        report.findings.append(Finding.new("FZ418", msg, first))


def _attribute_cells(gdf: GeoDataFrame) -> Iterable[tuple[str, int, str]]:
    for col in gdf.columns:
        if col == gdf.geometry.name or gdf[col].dtype.kind not in ("O", "T", "U"):
            continue
        for i, v in enumerate(gdf[col].tolist()):
            if isinstance(v, str):
                yield str(col), i, v


def _check_attributes(gdf: GeoDataFrame, report: Report) -> None:
    kinds: dict[str, list[str]] = {
        "HTML or script": [],
        "a spreadsheet formula": [],
        "control characters": [],
        "very long text": [],
    }
    names = repair.labels(gdf)
    for col, i, v in _attribute_cells(gdf):
        where = f"{names[i]} column {col}"
        if _HTML.search(v):
            kinds["HTML or script"].append(where)
        if textsafe.neutralize_cell(v) != textsafe.clean_text(v):
            kinds["a spreadsheet formula"].append(where)
        if textsafe.clean_text(v, limit=len(v) + 1) != v:
            kinds["control characters"].append(where)
        if len(v) > textsafe.MAX_TEXT:
            kinds["very long text"].append(where)
    for kind, wheres in kinds.items():
        if wheres:
            msg = f"{len(wheres)} value(s) hold {kind}; fzgeo shows them as inert text (escaped, neutralised or cut) in maps and reports"
            report.findings.append(Finding.new("FZ419", msg, wheres[0]))


def _check_coordinates(gdf: GeoDataFrame, report: Report) -> bool:
    """Report NaN, (0, 0) and short-ring problems; False when the CRS cannot be judged."""
    problems = repair.coordinate_problems(gdf, path=report.path)
    report.findings.extend(Finding.of(err) for err in problems)
    return not any(err.code in ("FZ401", "FZ402", "FZ103") for err in problems)


def _check_geometry(gdf: GeoDataFrame, report: Report) -> None:
    _geometry_types(gdf, report)
    result = repair.repair(gdf, path=report.path)
    report.findings.extend(Finding.of(err) for err in result.findings)
    report.status_counts = result.counts()
    report.features = [
        {"feature": r.feature, "status": r.status, "detail": r.detail, "usable": bool(r.usable)}
        for r in result.statuses.itertuples()
    ]


def validate_file(
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    assume_crs: object | None = None,
    input_coords: str | None = None,
    what: str = "data",
) -> Report:
    """Check one file and return a :class:`Report` with every problem found.

    Parameters are those of :func:`fzgeo.io.read`. Never raises for a bad file: a file that cannot
    be read at all gives a report with one error finding.
    """
    report = Report(path=str(path))
    try:
        gdf, src = io.load(path, layer=layer, encoding=encoding)
    except FzgeoError as err:
        report.findings.append(Finding.of(err, ERROR))
        return report
    except Exception as exc:  # a reader failure fzgeo does not know yet: still a report
        log.debug("unexpected failure reading %s", path, exc_info=True)
        msg = f"unexpected failure reading the file ({exc.__class__.__name__}: {exc})"
        report.findings.append(Finding.new("FZ000", msg, hint="please report this file"))
        return report
    report.format, report.layer, report.features_in = src.format, src.layer, len(gdf)
    if src.encoding is not None:
        report.encoding = str(src.encoding)  # a guess is FZ312 among the notes
    if src.skipped:
        msg = f"sheets without a 点号/X/Y header were skipped: {', '.join(src.skipped)}"
        # the other sheets were read: a remark, not FZ404's unreadable table
        report.findings.append(Finding.new("FZ404", msg, hint="", severity=INFO))
    report.findings.extend(Finding.of(n) for n in src.notes)
    if len(gdf) == 0:
        msg = "the layer holds no features: there is nothing to use (fzgeo check refuses it)"
        hint = "check that this is the file and layer you meant; an empty batch is not a clean one"
        # an empty layer reads (an empty or truncated file, FZ302's usual case, does not), but a
        # check of it would say nothing: an error, as fzgeo check has it
        report.findings.append(Finding.new("FZ302", msg, hint=hint))
    if _check_coordinates(gdf, report):
        _check_crs(gdf, report, src, assume_crs=assume_crs, input_coords=input_coords, what=what)
    else:
        report.crs = _crs_text(gdf)
    _check_geometry(gdf, report)
    _no_geometry_at_all(gdf, report)
    _check_attributes(gdf, report)
    return report


def _no_geometry_at_all(gdf: GeoDataFrame, report: Report) -> None:
    """FZ400 (an error) when features exist but not one has a geometry (all null or empty).

    Each such feature is a warning (FZ411, FZ412) and the others are used; with none left there
    is nothing to use, and ``fzgeo check`` refuses the file with the same code.
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if not len(geoms) or (~(shapely.is_missing(geoms) | shapely.is_empty(geoms))).any():
        return
    msg = f"none of the {len(geoms)} feature(s) has a geometry (all null or empty): nothing to use"
    hint = "fix the geometries in GIS, or give the file that holds them"
    report.findings.append(Finding.new("FZ400", msg, hint=hint, severity=ERROR))
