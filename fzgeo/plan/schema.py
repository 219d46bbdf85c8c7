"""The typed layer model: a layer kind's schema, and validation against it.

A :class:`LayerKind` names a layer (``name``, Chinese ``name_zh``), its geometry type, its columns
with dtypes and allowed values, its style key and its map group. Every kind carries the
provenance columns of :data:`PROVENANCE`: where each feature comes from (``source``, and for
plan-derived features ``source_line`` and the ``plan_term`` that line uses), how precise its
geometry is (``precision``) and its ``status``.

:func:`validate` gathers every problem of a GeoDataFrame against a kind and raises one
:class:`~fzgeo.errors.SchemaError` that lists them all, naming the column and the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame

from fzgeo.crs import STORAGE_CRS
from fzgeo.errors import SchemaError
from fzgeo.geom import TYPES_OF

#: How precise a geometry is. ``official``: legal vectors from the authority (user-supplied);
#: ``surveyed``: mapped geometry from a real dataset; ``schematic``: placed from the plan's words
#: and real reference points; ``illustrative``: a stand-in for data that is not public (示意).
PRECISIONS = ("official", "surveyed", "schematic", "illustrative")
PRECISION_ZH = {
    "official": "官方",
    "surveyed": "实测",
    "schematic": "示意位置",
    "illustrative": "示意",
}
STATUSES = ("existing", "planned", "under_construction", "n/a")
STATUS_ZH = {"existing": "现状", "planned": "规划", "under_construction": "在建", "n/a": "不适用"}
GEOMETRY_TYPES = ("Point", "LineString", "Polygon")
DTYPES = ("str", "int", "float", "bool")

_PANDAS_DTYPE = {"str": "object", "int": "Int64", "float": "float64", "bool": "boolean"}


@dataclass(frozen=True)
class Column:
    """One attribute column of a layer kind."""

    name: str
    dtype: str = "str"
    alias_zh: str = ""
    required: bool = True  #: False allows nulls
    allowed: tuple[Any, ...] | None = None
    description: str = ""

    def __post_init__(self) -> None:
        """Reject unknown dtypes early."""
        if self.dtype not in DTYPES:
            msg = f"column {self.name!r}: dtype must be one of {DTYPES}, got {self.dtype!r}"
            raise ValueError(msg)


#: Columns every feature of every kind carries.
PROVENANCE: tuple[Column, ...] = (
    Column(
        "name", "str", "名称", description="the feature's name, as the plan or dataset gives it"
    ),
    Column("precision", "str", "几何精度", allowed=PRECISIONS, description="see PRECISIONS"),
    Column("status", "str", "状态", allowed=STATUSES, description="existing, planned, ..."),
    Column("source", "str", "来源", description="plan passage and line, or the dataset"),
    Column("source_line", "int", "规划文本行号", required=False, description="line in the plan"),
    Column("plan_term", "str", "规划用语", required=False, description="the words on that line"),
    Column("note", "str", "备注", required=False, description="how the geometry was placed"),
    Column(
        "inventory_id",
        "str",
        "清单编号",
        required=False,
        description="id of the entry in shared/plan/inventory.yaml this feature represents",
    ),
)


@dataclass(frozen=True)
class LayerKind:
    """The schema of one layer: name, Chinese name, geometry type, columns, style and group."""

    name: str
    name_zh: str
    geometry_type: str
    columns: tuple[Column, ...] = ()
    style: str = ""
    group: str = ""
    description: str = ""
    build: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Reject unknown geometry types and duplicate column names."""
        if self.geometry_type not in GEOMETRY_TYPES:
            msg = (
                f"layer kind {self.name!r}: geometry_type must be one of {GEOMETRY_TYPES}, "
                f"got {self.geometry_type!r}"
            )
            raise ValueError(msg)
        names = [c.name for c in self.all_columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            msg = f"layer kind {self.name!r}: columns defined twice: {dupes}"
            raise ValueError(msg)

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """Provenance columns first, then the kind's own."""
        return PROVENANCE + tuple(self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for col in self.all_columns:
            if col.name == name:
                return col
        msg = f"layer kind {self.name!r} has no column {name!r}"
        raise KeyError(msg)

    @property
    def aliases_zh(self) -> dict[str, str]:
        """Column name to Chinese alias, for QGIS and popups."""
        return {c.name: c.alias_zh or c.name for c in self.all_columns}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> LayerKind:
        """Build a kind from its YAML form (see ``layers/README.md``)."""
        cols = tuple(
            Column(
                name=name,
                dtype=spec.get("dtype", "str"),
                alias_zh=spec.get("alias_zh", ""),
                required=bool(spec.get("required", True)),
                allowed=tuple(spec["allowed"]) if spec.get("allowed") is not None else None,
                description=spec.get("description", ""),
            )
            for name, spec in (data.get("columns") or {}).items()
        )
        return cls(
            name=data["name"],
            name_zh=data["name_zh"],
            geometry_type=data["geometry_type"],
            columns=cols,
            style=data.get("style", data["name"]),
            group=data.get("group", ""),
            description=data.get("description", ""),
            build=data.get("build") or {},
        )


def _rows(mask: pd.Series, limit: int = 5) -> str:
    idx = list(mask[mask].index[:limit])
    more = int(mask.sum()) - len(idx)
    return ", ".join(map(str, idx)) + (f" and {more} more" if more > 0 else "")


def _coerce(series: pd.Series, col: Column, problems: list[str]) -> pd.Series:
    if col.dtype == "str":
        out = series.astype(object).where(series.notna(), None)
        bad = out.notna() & ~out.map(lambda v: isinstance(v, str))
        if bad.any():
            out = out.map(lambda v: v if v is None or isinstance(v, str) else str(v))
        return out
    try:
        if col.dtype == "int":
            values = pd.to_numeric(series, errors="raise")
            frac = values.notna() & (values % 1 != 0)
            if frac.any():
                problems.append(f"column {col.name!r}: non-integer values in rows {_rows(frac)}")
                return series
            return values.astype("Int64")
        if col.dtype == "float":
            return pd.to_numeric(series, errors="raise").astype("float64")
        return series.astype("boolean")
    except (ValueError, TypeError):
        problems.append(f"column {col.name!r}: values that are not {col.dtype}")
        return series


def validate(
    gdf: GeoDataFrame,
    kind: LayerKind,
    *,
    path: str | Path | None = None,
    extra: str = "keep",
) -> GeoDataFrame:
    """Check ``gdf`` against ``kind`` and return it with canonical dtypes and column order.

    Parameters
    ----------
    gdf
        The candidate layer.
    kind
        The layer kind it must satisfy.
    path
        The file it came from, for the message.
    extra
        What to do with columns the kind does not define: ``"keep"`` (after the kind's columns)
        or ``"error"``.

    Raises
    ------
    SchemaError
        Listing every problem found: missing columns, wrong dtypes, nulls in required columns,
        values outside the allowed set, missing or wrong CRS, wrong geometry type, null, empty or
        invalid geometries.
    """
    problems: list[str] = []
    if not isinstance(gdf, GeoDataFrame):
        raise SchemaError([f"expected a GeoDataFrame, got {type(gdf).__name__}"], kind=kind.name)
    if gdf.crs is None:
        problems.append("no CRS (expected EPSG:4490)")
    elif not STORAGE_CRS.equals(gdf.crs):
        problems.append(f"CRS is {gdf.crs.to_string()}, expected EPSG:4490 (CGCS2000)")
    out = gdf.copy()
    for col in kind.all_columns:
        if col.name not in out.columns:
            if col.required:
                problems.append(f"missing column {col.name!r}")
                continue
            out[col.name] = None
        out[col.name] = _coerce(out[col.name], col, problems)
        values = out[col.name]
        if col.required:
            nulls = values.isna()
            if nulls.any():
                problems.append(f"column {col.name!r}: null in rows {_rows(nulls)}")
        if col.allowed is not None:
            bad = values.notna() & ~values.isin(col.allowed)
            if bad.any():
                shown = sorted({str(v) for v in values[bad]})[:5]
                problems.append(
                    f"column {col.name!r}: values {shown} in rows {_rows(bad)} "
                    f"not in {list(col.allowed)}"
                )
    problems.extend(_geometry_problems(out, kind))
    own = [c.name for c in kind.all_columns]
    others = [c for c in out.columns if c not in own and c != out.geometry.name]
    if others and extra == "error":
        problems.append(f"columns not in the kind: {others}")
    if problems:
        raise SchemaError(problems, kind=kind.name, path=path)
    return GeoDataFrame(out[[*own, *others, out.geometry.name]], crs=out.crs)


def _geometry_problems(gdf: GeoDataFrame, kind: LayerKind) -> Iterable[str]:
    geoms = np.asarray(gdf.geometry.values)
    null = pd.Series(shapely.is_missing(geoms), index=gdf.index)
    if null.any():
        yield f"null geometry in rows {_rows(null)}"
    empty = pd.Series(shapely.is_empty(geoms) & ~null.to_numpy(), index=gdf.index)
    if empty.any():
        yield f"empty geometry in rows {_rows(empty)}"
    present = ~(null | empty)
    types = pd.Series(shapely.get_type_id(geoms), index=gdf.index)
    wrong = present & ~types.isin(TYPES_OF[kind.geometry_type])
    if wrong.any():
        yield f"geometry not {kind.geometry_type} (or Multi-) in rows {_rows(wrong)}"
    invalid = present & ~pd.Series(shapely.is_valid(geoms), index=gdf.index)
    if invalid.any():
        yield f"invalid geometry in rows {_rows(invalid)}"


def empty_layer(kind: LayerKind) -> GeoDataFrame:
    """An empty, typed GeoDataFrame of ``kind`` in the storage CRS."""
    data = {c.name: pd.Series([], dtype=_PANDAS_DTYPE[c.dtype]) for c in kind.all_columns}
    return GeoDataFrame(data, geometry=[], crs=STORAGE_CRS)
