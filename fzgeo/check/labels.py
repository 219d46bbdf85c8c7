"""The features a site meets, named by the layer's own id and name columns.

The reports list, per site and rule, the features met (涉及要素编号 and 涉及要素名称). They come from
the layer's columns:

id (编号)
    the rule's ``id_column``, else the first of :data:`ID_COLUMNS` the layer has with any value:
    BSM (标识码, the national database's feature code), 标识码, HXBH (红线编号), 红线编号, TBBH
    (图斑编号), 图斑编号, DKBH (地块编号), 地块编号, 编号, 要素编号, id;
name (名称)
    the rule's ``name_column``, else the first of :data:`NAME_COLUMNS` with any value: HXMC
    (红线名称), 红线名称, TBMC (图斑名称), 图斑名称, DKMC (地块名称), 地块名称, 名称, 要素名称, MC, name.

Names are compared case-insensitively after NFKC with spaces removed
(:func:`fzgeo.io.columns.find_column`). The column is chosen on the whole layer, before a
rule's ``where``, so every engine chooses the same one. A feature without an id (no id column, or
an empty cell) is named by its position in the whole layer from 1, as ``#7`` (QGIS numbers a
GeoPackage's features the same way); a feature without a name has none. Values are written as
text: a whole number stored as a float (``7.0``) as ``7``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from fzgeo.check.rules import Rule
from fzgeo.errors import ConfigError
from fzgeo.io.columns import find_column

ID_COLUMNS = (
    "BSM",
    "标识码",
    "HXBH",
    "红线编号",
    "TBBH",
    "图斑编号",
    "DKBH",
    "地块编号",
    "编号",
    "要素编号",
    "id",
)
NAME_COLUMNS = (
    "HXMC",
    "红线名称",
    "TBMC",
    "图斑名称",
    "DKMC",
    "地块名称",
    "名称",
    "要素名称",
    "MC",
    "name",
)


def text(values: pd.Series) -> np.ndarray:
    """Cell values as text ("" when missing; a whole float without its ``.0``), object array."""

    def one(v: object) -> str:
        if v is None or (not isinstance(v, str) and bool(pd.isna(v))):  # type: ignore[arg-type]
            return ""
        if isinstance(v, float | np.floating) and math.isfinite(v) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([one(u) for u in uniques] + [""], dtype=object)
    return texts[codes]


def _choose(
    frame: pd.DataFrame, given: str, usual: tuple[str, ...], what: str, rule: Rule
) -> str | None:
    columns = [str(c) for c in frame.columns]
    if given:
        found = find_column(columns, [given])
        if found is None:
            msg = f"layer {rule.layer!r} has no column {given!r} ({what}); columns: {columns}"
            raise ConfigError(msg, where=f"rule {rule.id}")
        return found
    for name in usual:
        col = find_column(columns, [name])
        if col is not None and (text(frame[col]) != "").any():
            return col
    return None


def columns_for(frame: pd.DataFrame, rule: Rule) -> tuple[str | None, str | None]:
    """The id and name columns of a layer's attributes (the whole layer, no geometry) for ``rule``.

    Raises
    ------
    ConfigError
        FZ600 when the rule names an ``id_column`` or ``name_column`` the layer does not have.
    """
    return (
        _choose(frame, rule.id_column, ID_COLUMNS, "id_column", rule),
        _choose(frame, rule.name_column, NAME_COLUMNS, "name_column", rule),
    )


def feature_labels(
    frame: pd.DataFrame, id_column: str | None, name_column: str | None, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ids and names of the features ``keep`` selects (a boolean mask over the whole layer)."""
    n = len(keep)
    fallback = np.array([f"#{i + 1}" for i in range(n)], dtype=object)
    ids = fallback if id_column is None else text(frame[id_column])
    ids = np.where(ids == "", fallback, ids)
    names = np.full(n, "", dtype=object) if name_column is None else text(frame[name_column])
    return ids[keep].astype(object), names[keep].astype(object)
