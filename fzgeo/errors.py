"""Errors and warnings raised by fzgeo.

Every error a user can cause is a subclass of :class:`FzgeoError` and of the builtin it
resembles, so callers may catch either. Each carries a stable ``code`` (``FZ`` plus three
digits, listed in :data:`CATALOGUE`), the file and the feature or row concerned, and a hint
how to fix it. The command line prints ``str(err)`` and exits with status 2, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Severities of a catalogue entry, most serious first: the input cannot be used as it is; it can
#: be used with care (fzgeo repaired or assumed something); a remark.
ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class ErrorCode:
    """One entry of the error catalogue.

    Attributes
    ----------
    code
        The stable code, ``FZ`` plus three digits; the hundreds name the subject (see
        :data:`CATALOGUE`).
    title
        What went wrong, in a few words.
    hint
        How to fix it, unless the error gives a more precise hint.
    severity
        One of :data:`SEVERITIES`: how ``fzgeo validate`` reports a finding with this code.
    """

    code: str
    title: str
    hint: str = ""
    severity: str = ERROR

    def __post_init__(self) -> None:
        """Refuse a severity outside :data:`SEVERITIES`."""
        if self.severity not in SEVERITIES:
            msg = f"{self.code}: severity {self.severity!r} is not one of {SEVERITIES}"
            raise ValueError(msg)


#: The stable error codes, in code order, by subject: 0xx internal, 1xx coordinate reference
#: systems, 2xx layer kinds and schema, 3xx files read and written, 4xx coordinates and
#: geometries, 5xx packaged data, 6xx rules and configuration, 7xx database and distributed
#: execution, 8xx web service. Codes are never reused or renumbered; a new code takes the next free number of
#: its subject.
CATALOGUE: dict[str, ErrorCode] = {
    e.code: e
    for e in (
        # 0xx internal
        ErrorCode(
            "FZ000",
            "internal or unclassified error",
            "please report it with the command and the file that caused it",
        ),
        # 1xx coordinate reference systems
        ErrorCode("FZ100", "CRS missing", "declare the CRS with --assume-crs EPSG:XXXX"),
        ErrorCode(
            "FZ101", "CRS contradicts the coordinates", "pass the CRS the coordinates are in"
        ),
        ErrorCode("FZ102", "CRS mismatch between layers", "reproject explicitly before combining"),
        ErrorCode("FZ103", "coordinates outside the plausible range"),
        ErrorCode(
            "FZ104",
            "transformation produced non-finite coordinates",
            "check the CRS the data declare (or --assume-crs): the coordinates lie outside it",
        ),
        ErrorCode(
            "FZ105",
            "CRS is not projected where metres are required",
            "reproject to a CRS in metres first, e.g. EPSG:4548 (CGCS2000 / 3-degree GK CM 117E)",
        ),
        ErrorCode(
            "FZ106",
            "layers share no common extent",
            "check both files are in the right CRS",
            severity=WARNING,
        ),
        ErrorCode(
            "FZ107",
            "lon/lat named as GCJ-02/BD-09 (Amap/Tencent/Baidu) coordinates, not converted",
            "pass --input-coords gcj02 (Amap/Tencent) or bd09 (Baidu) to convert them, or "
            "--input-coords wgs84 if they are not shifted",
        ),
        ErrorCode(
            "FZ108",
            "coordinate system not supported for conversion (西安80, 北京54, local)",
            "convert the coordinates to CGCS2000 with local transformation parameters first, or "
            "pass --assume-crs with the CGCS2000 CRS they are in to vouch for them",
        ),
        # 2xx layer kinds and schema
        ErrorCode("FZ200", "schema violation"),
        ErrorCode("FZ201", "unknown layer kind"),
        # 3xx files read and written: format, parts, archives, text encoding, outputs
        ErrorCode("FZ300", "file not found", "check the path and the folder the command runs in"),
        ErrorCode("FZ301", "unsupported or unrecognised file format"),
        ErrorCode("FZ302", "file is empty or truncated"),
        ErrorCode("FZ303", "several layers; choose one", "pass --layer NAME"),
        ErrorCode("FZ304", "cannot decode text", "pass --encoding (e.g. gbk, utf-8)"),
        ErrorCode("FZ305", "missing companion file"),
        ErrorCode(
            "FZ306",
            "unsafe or oversized archive",
            "unpack it with care and zip only the data files (plain names, no links)",
        ),
        ErrorCode(
            "FZ307",
            "no geometry columns found",
            "name the columns lon/lat (经度/纬度) or wkt; a 界址点坐标表 needs 点号, X and Y",
        ),
        ErrorCode(
            "FZ308",
            "output cannot be written",
            "check the output folder exists, may be written and has free space",
        ),
        ErrorCode(
            "FZ309",
            "content does not match the file extension",
            "rename the file to the suffix of its real format",
        ),
        ErrorCode(
            "FZ310",
            "shapefile parts disagree",
            "re-export the layer; the .shp, .shx and .dbf must come from one save",
        ),
        ErrorCode(
            "FZ311",
            "Parquet without geo metadata or a WKB geometry column",
            "name the WKB column geometry, write it with geopandas.to_parquet or ogr2ogr, or send "
            "a GeoPackage",
        ),
        ErrorCode(
            "FZ312",
            "text encoding guessed (GB18030/GBK, or line by line), not declared",
            "check the text as read; pass --encoding to state it (for a Shapefile, add a .cpg)",
            severity=WARNING,
        ),
        ErrorCode(
            "FZ313",
            "text looks like GBK read as Latin-1 (mojibake)",
            "pass --encoding gbk",
            severity=WARNING,
        ),
        # 4xx coordinates and geometries: refusals (40x), then findings of the repair (41x)
        ErrorCode("FZ400", "invalid geometry that cannot be repaired"),
        ErrorCode("FZ401", "non-finite (NaN or infinite) coordinates", "fix or delete the feature"),
        ErrorCode(
            "FZ402",
            "coordinates at or near (0, 0)",
            "the feature has no real position; fix or delete it",
        ),
        ErrorCode(
            "FZ403",
            "polygon ring with too few points",
            "a ring needs at least 4 points (3 corners and the closing point)",
        ),
        ErrorCode(
            "FZ404",
            "boundary-point table (界址点坐标表) cannot be read",
            "the table needs columns 点号, X (northing) and Y (easting); see docs/input.md",
        ),
        ErrorCode(
            "FZ405",
            "coordinate file (报部格式 TXT) cannot be read",
            "see docs/input.md for the [属性描述]/[地块坐标] layout",
        ),
        ErrorCode(
            "FZ406",
            "constraint layer of lines or points under an area rule",
            "close the boundary lines into polygons in GIS first (QGIS: Polygonize, 线转面), or "
            "give the polygon layer",
        ),
        ErrorCode(
            "FZ410",
            "invalid geometry repaired",
            "check the repaired feature in QGIS",
            severity=WARNING,
        ),
        ErrorCode("FZ411", "empty geometry", "redraw the feature or delete it", severity=WARNING),
        ErrorCode(
            "FZ412",
            "null geometry (no geometry at all)",
            "draw the feature or delete it",
            severity=WARNING,
        ),
        ErrorCode(
            "FZ413",
            "non-polygonal geometry in a polygon layer",
            "move the feature to a layer of its own geometry type, or delete it",
            severity=WARNING,
        ),
        ErrorCode(
            "FZ414",
            "duplicate geometry",
            "delete the copy so it is not counted twice",
            severity=WARNING,
        ),
        ErrorCode(
            "FZ415",
            "repair changed the area materially",
            "redraw the feature; do not trust the repair",
            severity=WARNING,
        ),
        ErrorCode(
            "FZ416",
            "overlapping parts of a multipolygon dissolved",
            "check the feature in GIS: its overlapping parts now count once",
            severity=WARNING,
        ),
        ErrorCode("FZ417", "mixed geometry types in one layer", severity=WARNING),
        ErrorCode(
            "FZ418",
            "Z or M values present (ignored in 2-D measures)",
            "nothing to do unless heights matter: areas and overlaps are measured in x/y",
            severity=WARNING,
        ),
        ErrorCode(
            "FZ419",
            "attribute text that needs neutralising (HTML, formulas, control characters)",
            "nothing to do if the values are meant: outputs show them as inert text",
            severity=INFO,
        ),
        ErrorCode(
            "FZ420",
            "declared area differs from the computed area",
            "check the parcel's points and its declared 地块面积",
            severity=WARNING,
        ),
        # 5xx packaged data
        ErrorCode(
            "FZ500",
            "packaged data not found",
            "reinstall fzgeo: pip install --force-reinstall fzgeo",
        ),
        # 6xx rules and configuration
        ErrorCode("FZ600", "invalid rules or configuration"),
        ErrorCode(
            "FZ601",
            "site project types the rules' exemptions cannot use",
            "name the sites' type column with type_column, or list the types in project_types",
            severity=WARNING,
        ),
        # 7xx database (70x) and distributed execution (71x)
        ErrorCode("FZ700", "cannot connect to the database", "check --dsn, the server and access"),
        ErrorCode("FZ701", "database connection lost or operation failed; nothing was written"),
        ErrorCode("FZ702", "PostGIS is not installed in the database", "CREATE EXTENSION postgis;"),
        ErrorCode("FZ703", "table or layer not found in the database", "run `fzgeo db push` first"),
        ErrorCode("FZ704", "name not usable as a database table", "rename the layer"),
        ErrorCode(
            "FZ705",
            "Z or M values dropped: database layers are stored in 2-D",
            "x/y are kept; keep the 3-D source file if heights matter",
            severity=WARNING,
        ),
        ErrorCode(
            "FZ706",
            "QGIS styles not stored in the database (no layer_styles table, cannot create one)",
            "let the database owner run `fzgeo db push` once, or grant CREATE on schema public",
            severity=WARNING,
        ),
        ErrorCode(
            "FZ707",
            "the PostGIS engine was chosen but no database given",
            "give --dsn postgresql://... or set FZGEO_DSN",
        ),
        ErrorCode("FZ710", "distributed scheduler unreachable or failed", "check --scheduler"),
        # 8xx web service (fzgeo serve)
        ErrorCode(
            "FZ800",
            "upload larger than the server accepts",
            "send a smaller file, or start the server with a larger --max-upload-mb",
        ),
        ErrorCode(
            "FZ801",
            "uploaded file name not usable",
            "send the file under its plain name with the suffix of its format (.zip, .gpkg, "
            ".geojson, .csv, .xlsx, .txt)",
        ),
        ErrorCode(
            "FZ802",
            "check job not found or expired",
            "upload the file again; results are kept for a limited time",
        ),
        ErrorCode(
            "FZ803",
            "listening beyond this machine needs an access token",
            "pass --token (or set FZGEO_TOKEN), or keep the default --host 127.0.0.1",
        ),
        ErrorCode(
            "FZ804",
            "access token missing or wrong",
            "open the address with ?token=... as the server's operator gave it",
        ),
        ErrorCode(
            "FZ805",
            "the server is busy with as many checks as it accepts",
            "wait for a running check to finish and upload again",
        ),
        # 86x QGIS plugin
        ErrorCode(
            "FZ860",
            "the QGIS plugin zip must be written to a .zip file",
            "give --out a path ending in .zip, e.g. fzgeo_qgis.zip",
        ),
        ErrorCode(
            "FZ861",
            "the QGIS plugin found no fzgeo to run",
            "install fzgeo (pip install fzgeo) and set its command under Processing ▸ Options ▸ "
            "Providers ▸ fzgeo (fzgeo command), e.g. C:\\fzgeo\\Scripts\\fzgeo.exe",
        ),
        ErrorCode(
            "FZ862",
            "the fzgeo the QGIS plugin runs is older than the plugin needs",
            "upgrade it (pip install --upgrade fzgeo) or point the plugin at a newer fzgeo",
        ),
        ErrorCode(
            "FZ863",
            "the fzgeo process the QGIS plugin ran failed without a coded message",
            "see the Processing log for its output; run the command printed there in a terminal",
        ),
    )
}


class FzgeoError(Exception):
    """Base class of every error fzgeo raises on purpose.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    code
        A key of :data:`CATALOGUE`.
    path
        The file concerned, if any.
    where
        The feature, row, column or layer concerned, e.g. ``"row 12"`` or ``"feature id=7"``.
    hint
        How to fix it; defaults to the catalogue's hint for ``code``.
    """

    default_code = "FZ000"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        path: str | Path | None = None,
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.code = code or self.default_code
        if self.code not in CATALOGUE:
            msg = f"unknown error code {self.code!r}"
            raise ValueError(msg)
        self.message = message
        self.path = None if path is None else str(path)
        self.where = where
        self.hint = CATALOGUE[self.code].hint if hint is None else hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        """``[FZ101] file.shp, row 3: message (hint: ...)``."""
        head = ", ".join(p for p in (self.path, self.where) if p)
        text = f"[{self.code}] {head + ': ' if head else ''}{self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, str | None]:
        """Machine-readable form, for JSON reports."""
        return {
            "code": self.code,
            "title": CATALOGUE[self.code].title,
            "message": self.message,
            "path": self.path,
            "where": self.where,
            "hint": self.hint,
        }


class CRSError(FzgeoError, ValueError):
    """A coordinate reference system is missing, wrong or implausible."""

    default_code = "FZ101"


class CRSMismatchError(CRSError):
    """Two layers meet in different CRSs."""

    default_code = "FZ102"


class SchemaError(FzgeoError, ValueError):
    """A GeoDataFrame does not match its layer kind; the message lists every problem."""

    default_code = "FZ200"

    def __init__(self, problems: list[str], *, kind: str, path: str | Path | None = None) -> None:
        self.problems = list(problems)
        listing = "; ".join(self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) for layer kind {kind!r}: {listing}",
            path=path,
            where=f"layer {kind}",
            hint="",
        )


class UnknownLayerError(FzgeoError, KeyError):
    """A layer kind or a layer in a file that does not exist."""

    default_code = "FZ201"

    def __str__(self) -> str:
        """Plain message (KeyError would otherwise quote it)."""
        return FzgeoError.__str__(self)


class DataNotFoundError(FzgeoError, FileNotFoundError):
    """A file the user named, or a packaged data file, does not exist."""

    default_code = "FZ300"


class InputError(FzgeoError, ValueError):
    """A file the user handed in cannot be read as it is."""

    default_code = "FZ301"


class GeometryError(FzgeoError, ValueError):
    """A geometry is broken beyond repair."""

    default_code = "FZ400"


class OutputError(FzgeoError, OSError):
    """An output cannot be written (read-only folder, disk full, ...)."""

    default_code = "FZ308"


class ConfigError(FzgeoError, ValueError):
    """A rules file, field mapping or map composition is invalid."""

    default_code = "FZ600"


class DatabaseError(FzgeoError, ConnectionError):
    """The database cannot be reached, lost the connection, or lacks PostGIS or a table."""

    default_code = "FZ701"


class DistributedError(FzgeoError, ConnectionError):
    """The dask scheduler cannot be reached or a worker failed."""

    default_code = "FZ710"


class FzgeoWarning(UserWarning):
    """Base class of fzgeo's warnings: repairs made, assumptions taken."""


class CRSAssumptionWarning(FzgeoWarning):
    """fzgeo took a CRS from unambiguous evidence rather than from the file."""


class RepairWarning(FzgeoWarning):
    """Features were repaired; the message gives the count."""


class TextEncodingWarning(FzgeoWarning):
    """Attribute text was decoded by a guess (GB18030, line by line) or looks wrongly decoded."""


class DuplicateWarning(FzgeoWarning):
    """Sites repeat the geometry of an earlier site (FZ414); the batch totals count them once."""


class UnusableGeometryWarning(FzgeoWarning):
    """Features without usable geometry, or without area where an area is needed.

    Sites without usable geometry are reported 无法检查 and not checked (FZ411, FZ412, FZ400);
    features without area in an area rule's constraint layer count for nothing (FZ413).
    """


class ExtentWarning(FzgeoWarning):
    """Two layers that should meet (sites and a red line) share no common extent."""


class DeclaredAreaWarning(FzgeoWarning):
    """A parcel's declared area (e.g. 地块面积 in a 报部格式 TXT) differs from its computed area."""


class ProjectTypeWarning(FzgeoWarning):
    """The rules exempt project types, but sites have no type or a type no rule knows (FZ601)."""
