"""Check and repair the geometries of a layer, accounting for every feature.

:func:`coordinate_problems` finds what no repair can fix (NaN or infinite coordinates, vertices
beyond any CRS's range such as 1e15, features at (0, 0), rings with fewer than 4 points).
:func:`repair` then gives every input feature a status:

========== ======================================================================= ========
status     meaning                                                                 usable
========== ======================================================================= ========
ok         valid as read                                                           yes
repaired   invalid; ``make_valid`` (structure method), polygonal part kept         yes
dissolved  a multipolygon whose parts overlap; the parts were unioned               yes
duplicate  the same geometry as an earlier feature (kept, reported)                yes
null       no geometry at all                                                      no
empty      an empty geometry                                                       no
non-polygonal a point or line in a polygon layer                                   no
unrepairable invalid, and nothing polygonal is left after the repair               no
========== ======================================================================= ========

so that ``len(statuses) == len(input)`` and ``statuses.usable.sum() == len(repaired frame)``.
A repair that changes the area by more than ``area_tolerance`` (default 1 %) is flagged: a bow-tie
drawn by mistake is better redrawn than trusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame

from fzgeo.errors import FzgeoError, GeometryError
from fzgeo.geom import POLYGON_TYPES, make_valid, polygonal
from fzgeo.io.columns import find_column
from fzgeo.textsafe import CONTROL_CHARS as _CONTROL

#: column names taken as a feature's own identifier in messages, the most specific first: the
#: file's own numbering (项目编号, 编号, BSM, ...) before a GeoJSON ``id`` or a database key
ID_NAMES = (
    "项目编号",
    "地块编号",
    "宗地编号",
    "宗地号",
    "编号",
    "项目代码",
    "bsm",
    "标识码",
    "code",
    "site_id",
    "objectid",
    "id",
    "fid",
)
NEAR_ORIGIN = 1.0  #: a vertex this close to (0, 0), in the layer's units, is a placeholder
#: no coordinate of any CRS used in China comes near this (zone-prefixed eastings stay below
#: 46 000 000): a vertex beyond it is a typing error or a placeholder such as 1e15
FAR_LIMIT = 1e8
AREA_TOLERANCE = 0.01
_LIST = 5  # features named in a message
_ID_CHARS = 40  # characters of an id value shown in messages


def id_column(gdf: GeoDataFrame) -> str | None:
    """The column that identifies features (:data:`ID_NAMES`, as :func:`find_column` matches), or None."""
    return find_column((c for c in gdf.columns if c != gdf.geometry.name), ID_NAMES)


def _id_text(value: object) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an integer column with nulls comes back as floats
    text = _CONTROL.sub("", str(value)).strip()
    return "" if text.lower() in ("nan", "none", "<na>", "nat") else text[:_ID_CHARS]


def labels(gdf: GeoDataFrame, positions: Sequence[int] | None = None) -> list[str]:
    """``feature 3 (编号=A-17)`` for each row, or for the 0-based ``positions`` given.

    The number is the 1-based row, as a report's 序号 counts; the id is the row's value in the
    file's own id column (:func:`id_column`), left out where the row has none.
    """
    rows = range(len(gdf)) if positions is None else [int(i) for i in positions]
    col = id_column(gdf)
    if col is None:
        return [f"feature {i + 1}" for i in rows]
    values = gdf[col].to_numpy(dtype=object)
    out = []
    for i in rows:
        text = _id_text(values[i])
        out.append(f"feature {i + 1} ({col}={text})" if text else f"feature {i + 1}")
    return out


def _listing(names: list[str], positions: np.ndarray) -> str:
    shown = [names[i] for i in positions[:_LIST]]
    more = f" and {len(positions) - _LIST} more" if len(positions) > _LIST else ""
    return ", ".join(shown) + more


def coordinate_problems(gdf: GeoDataFrame, *, path: str | None = None) -> list[FzgeoError]:
    """Errors for what no repair fixes, each naming the features.

    NaN or infinite coordinates (FZ401), vertices beyond :data:`FAR_LIMIT` (FZ103), vertices at
    (0, 0) (FZ402), polygon rings with fewer than 4 points (FZ403).
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    names = labels(gdf)
    problems: list[FzgeoError] = []
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    finite = np.isfinite(coords).all(axis=1)
    bad = np.unique(idx[~finite])
    if len(bad):
        msg = f"{len(bad)} feature(s) have NaN or infinite coordinates: {_listing(names, bad)}"
        problems.append(GeometryError(msg, path=path, where=names[bad[0]], code="FZ401"))
    far = finite & (np.abs(coords) > FAR_LIMIT).any(axis=1)
    bad = np.unique(idx[far])
    if len(bad):
        worst = float(np.abs(coords[far]).max())
        msg = (
            f"{len(bad)} feature(s) have vertices beyond {FAR_LIMIT:,.0f} (up to {worst:.6g}), "
            f"no position in any CRS: {_listing(names, bad)}"
        )
        hint = "fix or delete the feature (a typing error or a placeholder value)"
        problems.append(GeometryError(msg, path=path, where=names[bad[0]], code="FZ103", hint=hint))
    near = finite & (np.hypot(coords[:, 0], coords[:, 1]) < NEAR_ORIGIN)
    bad = np.unique(idx[near])
    if len(bad):
        msg = f"{len(bad)} feature(s) have vertices at (0, 0), a placeholder rather than a place: {_listing(names, bad)}"
        problems.append(GeometryError(msg, path=path, where=names[bad[0]], code="FZ402"))
    rings, ridx = shapely.get_rings(geoms, return_index=True)
    counts = shapely.get_num_coordinates(rings)
    short = (counts < 4) & ~shapely.is_empty(rings)
    bad = np.unique(ridx[short])
    if len(bad):
        fewest = int(counts[short].min())
        msg = f"{len(bad)} feature(s) have a polygon ring with fewer than 4 points (fewest {fewest}): {_listing(names, bad)}"
        problems.append(GeometryError(msg, path=path, where=names[bad[0]], code="FZ403"))
    return problems


@dataclass
class Repair:
    """The outcome of :func:`repair`."""

    frame: GeoDataFrame  #: usable features, repaired, in input order (input index kept)
    statuses: pd.DataFrame  #: one row per input feature: label, status, detail, usable, areas
    findings: list[FzgeoError] = field(
        default_factory=list
    )  #: one per kind of problem, with counts

    def counts(self) -> dict[str, int]:
        """Number of features per status."""
        return {
            str(k): int(v) for k, v in self.statuses["status"].value_counts().sort_index().items()
        }


def _overlapping_parts(geom: object) -> bool:
    if shapely.get_type_id(geom) != shapely.GeometryType.MULTIPOLYGON:
        return False
    parts = shapely.get_parts(geom)
    if not shapely.is_valid(parts).all():
        return False
    total = float(shapely.area(parts).sum())
    return total - float(shapely.area(shapely.union_all(parts))) > 1e-12 * max(total, 1.0)


def _fix_one(geom: object) -> tuple[str, object, str]:
    """(status, repaired geometry, detail) for one invalid geometry."""
    if _overlapping_parts(geom):
        fixed = shapely.union_all(shapely.get_parts(geom))
        return "dissolved", fixed, f"{shapely.get_num_geometries(geom)} overlapping parts unioned"
    reason = shapely.is_valid_reason(geom)
    fixed = polygonal(make_valid(geom))
    if fixed.is_empty:  # no polygonal part: the feature is left out
        return "unrepairable", None, f"{reason}; nothing polygonal left after repair"
    return "repaired", fixed, reason


def _classify(geoms: np.ndarray, polygon_layer: bool) -> tuple[list[str], list[object], list[str]]:
    """Vectorised triage; only the few problem geometries are handled one by one."""
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    valid = shapely.is_valid(geoms)
    status = np.full(len(geoms), "ok", dtype=object)
    detail = np.full(len(geoms), "", dtype=object)
    out = geoms.copy()
    status[missing], status[empty] = "null", "empty"
    out[missing | empty] = None
    usable = ~missing & ~empty
    if polygon_layer:
        collection = usable & (types == shapely.GeometryType.GEOMETRYCOLLECTION)
        other = usable & ~collection & ~np.isin(types, POLYGON_TYPES)
        status[other], out[other] = "non-polygonal", None
        detail[other] = [g.geom_type for g in geoms[other]]
        for i in np.flatnonzero(collection):
            fixed = polygonal(make_valid(geoms[i]))
            # no polygonal part: the collection is left out, as a point or line would be
            status[i], out[i] = ("non-polygonal", None) if fixed.is_empty else ("repaired", fixed)
            detail[i] = "polygonal part of a GeometryCollection kept"
        usable &= np.isin(types, POLYGON_TYPES)
    for i in np.flatnonzero(usable & ~valid):
        status[i], out[i], detail[i] = _fix_one(geoms[i])
    return status.tolist(), list(out), detail.tolist()


def is_polygon_layer(gdf: GeoDataFrame) -> bool:
    """True when any feature is a polygon or multipolygon."""
    types = shapely.get_type_id(np.asarray(gdf.geometry.values, dtype=object))
    return bool(np.isin(types, POLYGON_TYPES).any())


def _duplicates(out: list[object], status: list[str], detail: list[str], names: list[str]) -> None:
    arr = np.asarray(out, dtype=object)
    present = np.flatnonzero(~shapely.is_missing(arr))
    if len(present) < 2:
        return
    keys = shapely.to_wkb(shapely.normalize(arr[present]), output_dimension=2)
    codes, _ = pd.factorize(pd.Series(keys))
    _, first_of_code = np.unique(codes, return_index=True)
    first = first_of_code[codes]
    dup = first != np.arange(len(codes))
    if not dup.any():
        return
    for j in np.flatnonzero(dup):
        i = int(present[j])
        status[i] = "duplicate"
        detail[i] = f"same geometry as {names[int(present[int(first[j])])]}"


_FINDING = {
    "repaired": ("FZ410", "invalid geometries repaired with make_valid (polygonal part kept)"),
    "dissolved": ("FZ416", "multipolygons with overlapping parts dissolved before measuring"),
    "duplicate": ("FZ414", "duplicate geometries (kept; a check counts a duplicated site once)"),
    "null": ("FZ412", "null geometries, no geometry at all (left out)"),
    "empty": ("FZ411", "empty geometries (left out)"),
    "non-polygonal": ("FZ413", "points or lines in a polygon layer (left out)"),
    "unrepairable": ("FZ400", "invalid geometries with nothing polygonal left (left out)"),
}
UNUSABLE = ("null", "empty", "non-polygonal", "unrepairable")


def repair(
    gdf: GeoDataFrame,
    *,
    path: str | None = None,
    polygon_layer: bool | None = None,
    area_tolerance: float = AREA_TOLERANCE,
) -> Repair:
    """Validate every feature, repair what can be repaired, and account for all of them.

    Parameters
    ----------
    gdf
        The layer as read.
    path
        The file, for messages.
    polygon_layer
        Whether points and lines are out of place; by default, when any feature is polygonal.
    area_tolerance
        Relative area change above which a repair is flagged (FZ415).
    """
    if polygon_layer is None:
        polygon_layer = is_polygon_layer(gdf)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    names = labels(gdf)
    status, out, detail = _classify(geoms, polygon_layer)
    _duplicates(out, status, detail, names)
    before = np.nan_to_num(np.abs(shapely.area(geoms)))
    after = np.nan_to_num(np.abs(shapely.area(np.asarray(out, dtype=object))))
    statuses = pd.DataFrame(
        {
            "feature": names,
            "status": status,
            "detail": detail,
            "area_before": before,
            "area_after": after,
        },
        index=gdf.index,
    )
    statuses["usable"] = ~statuses["status"].isin(UNUSABLE)
    changed = _area_changed(statuses, area_tolerance)
    statuses["area_changed"] = changed
    keep = statuses["usable"].to_numpy()
    frame = gdf.loc[keep].copy()
    frame[frame.geometry.name] = [g for g, k in zip(out, keep, strict=True) if k]
    findings = _findings(statuses, path)
    if changed.any():
        pos = np.flatnonzero(changed.to_numpy())
        worst = float(
            (
                statuses["area_after"] / statuses["area_before"].where(statuses["area_before"] > 0)
                - 1
            )
            .abs()
            .max()
        )
        msg = (
            f"{len(pos)} repair(s) changed the area by more than {area_tolerance:.0%}"
            + (f" (up to {worst:.0%})" if np.isfinite(worst) else " (from zero area)")
            + f": {_listing(names, pos)}"
        )
        findings.append(GeometryError(msg, path=path, where=names[pos[0]], code="FZ415"))
    return Repair(frame, statuses, findings)


def _area_changed(statuses: pd.DataFrame, tolerance: float) -> pd.Series:
    fixed = statuses["status"].isin(("repaired",))
    before, after = statuses["area_before"], statuses["area_after"]
    rel = (after - before).abs() / before.where(before > 0)
    return fixed & (rel.isna() | (rel > tolerance))


def _findings(statuses: pd.DataFrame, path: str | None) -> list[FzgeoError]:
    found: list[FzgeoError] = []
    names = statuses["feature"].tolist()
    for status, (code, title) in _FINDING.items():
        pos = np.flatnonzero((statuses["status"] == status).to_numpy())
        if len(pos):
            msg = f"{len(pos)} {title}: {_listing(names, pos)}"
            found.append(GeometryError(msg, path=path, where=names[pos[0]], code=code, hint=None))
    return found
