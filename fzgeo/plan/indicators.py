"""Spatial targets of the plan, measured against what the layers show.

The targets table (packaged ``layers/targets.yaml``; see its header for the format) lists each
quantity the plan sets that a map can show: railway mileage above 500 km by 2025 (line 1019),
239 km of new or rebuilt expressway (line 1025), and so on. Each target has one or more
*measures*: a layer, a quantity (``length_km``, ``count`` or ``area_km2``) and a filter on its
columns. :func:`evaluate` measures each on the built layers and compares the first measure with
the target.

Honesty rules: lengths and areas are measured in EPSG:4548 on the stored (in-city) geometry,
and a figure measured on ``schematic`` or ``illustrative`` geometry is flagged approximate: the
``读数`` column reads ``约 323 km`` and ``精度`` names the weakest precision of the features
measured and that the figure is approximate (``示意位置（长度近似）``: straight legs between
stations and seats run shorter than real alignments). Targets no layer can show are listed with
their ``reason`` and the verdict 无法量测, never dropped. A measure marked ``comparable: false``
reads another quantity than the target counts (whole roads against the kilometres rebuilt): its
figure is shown with the verdict 口径不同，不作判定, never 达到 or 未达到.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from geopandas import GeoDataFrame

from fzgeo import _resources
from fzgeo.crs import to_work
from fzgeo.errors import ConfigError, DataNotFoundError, InputError
from fzgeo.plan.schema import PRECISION_ZH, PRECISIONS

TARGETS_FILE = "targets.yaml"
QUANTITIES = ("length_km", "count", "area_km2")
COMPARISONS = (">", ">=")
APPROXIMATE = ("schematic", "illustrative")
VERDICTS = ("达到", "未达到", "无法量测")


@dataclass(frozen=True)
class Measure:
    """How one figure is read from a layer."""

    label: str
    layer: str
    quantity: str
    where: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    #: False when the layer measures another quantity than the target counts (e.g. whole roads
    #: against the kilometres of road rebuilt): the figure is shown, no verdict is drawn from it
    comparable: bool = True


@dataclass(frozen=True)
class Target:
    """One spatial target of the plan."""

    id: str
    name_zh: str
    line: int
    term: str
    year: int
    target: float
    unit: str
    comparison: str
    measures: tuple[Measure, ...] = ()
    reason: str = ""
    caveat: str = ""
    inventory_id: str | None = None


def _measure(doc: Mapping[str, Any], where: str) -> Measure:
    for key in ("label", "layer", "quantity"):
        if key not in doc:
            raise ConfigError(f"{where}: measure without {key!r}")
    if doc["quantity"] not in QUANTITIES:
        raise ConfigError(f"{where}: quantity must be one of {QUANTITIES}, got {doc['quantity']!r}")
    filters = {
        str(col): tuple(v) if isinstance(v, list) else (v,)
        for col, v in (doc.get("where") or {}).items()
    }
    comparable = doc.get("comparable", True)
    if not isinstance(comparable, bool):
        raise ConfigError(f"{where}: comparable must be true or false, got {comparable!r}")
    return Measure(
        str(doc["label"]), str(doc["layer"]), str(doc["quantity"]), filters, comparable
    )


def _target(doc: Mapping[str, Any], path: str) -> Target:
    tid = doc.get("id", "?")
    where = f"{path}: target {tid!r}"
    missing = [
        k for k in ("id", "name_zh", "line", "term", "year", "target", "unit") if k not in doc
    ]
    if missing:
        raise ConfigError(f"{where}: missing {missing}")
    comparison = doc.get("comparison", ">=")
    if comparison not in COMPARISONS:
        raise ConfigError(f"{where}: comparison must be one of {COMPARISONS}")
    measures = tuple(_measure(m, where) for m in doc.get("measures") or [])
    if not measures and not doc.get("reason"):
        raise ConfigError(f"{where}: give measures, or a reason why the layers cannot show it")
    return Target(
        id=str(doc["id"]),
        name_zh=str(doc["name_zh"]),
        line=int(doc["line"]),
        term=str(doc["term"]),
        year=int(doc["year"]),
        target=float(doc["target"]),
        unit=str(doc["unit"]),
        comparison=comparison,
        measures=measures,
        reason=str(doc.get("reason") or ""),
        caveat=str(doc.get("caveat") or ""),
        inventory_id=doc.get("inventory_id"),
    )


def load_targets(path: Path | None = None) -> list[Target]:
    """The targets table: the packaged ``layers/targets.yaml``, or the YAML file at ``path``."""
    if path is None:
        text, shown = _resources.read_text("layers", TARGETS_FILE), f"layers/{TARGETS_FILE}"
    else:
        shown = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise DataNotFoundError("no such targets file", path=shown) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the targets file ({exc})", path=shown) from exc
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({exc})", path=shown) from exc
    items = doc.get("targets") if isinstance(doc, Mapping) else None
    if not isinstance(items, list) or not items:
        raise ConfigError("expected a non-empty list under 'targets:'", path=shown)
    targets = [_target(t, shown) for t in items]
    ids = [t.id for t in targets]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"target ids defined twice: {dupes}", path=shown)
    return targets


def select(gdf: GeoDataFrame, measure: Measure) -> GeoDataFrame:
    """The features of ``gdf`` that pass the measure's filter."""
    mask = pd.Series(True, index=gdf.index)
    for col, values in measure.where.items():
        if col not in gdf.columns:
            raise ConfigError(
                f"measure {measure.label!r}: layer {measure.layer} has no column {col!r}"
            )
        mask &= gdf[col].isin(list(values))
    return gdf.loc[mask]


def quantity(gdf: GeoDataFrame, name: str) -> float:
    """``length_km``, ``count`` or ``area_km2`` of the features (metric in EPSG:4548)."""
    if name == "count":
        return float(len(gdf))
    if gdf.empty:
        return 0.0
    work = to_work(gdf)
    if name == "length_km":
        return float(work.length.sum() / 1000.0)
    return float(work.area.sum() / 1e6)


#: the verdict of a figure measured with another 口径 (scope) than the target's
NOT_COMPARABLE = "口径不同，不作判定"


def _verdict(value: float, target: Target) -> str:
    ok = value > target.target if target.comparison == ">" else value >= target.target
    return "达到" if ok else "未达到"


#: what an approximate figure is approximate of, by quantity
_APPROX_OF = {"length_km": "长度近似", "area_km2": "面积近似"}


def _weakest(precisions: pd.Series) -> str | None:
    ranks = [PRECISIONS.index(p) for p in precisions if p in PRECISIONS]
    return PRECISIONS[max(ranks)] if ranks else None


def _precision_label(measure: Measure, weakest: str | None) -> str:
    """``计数``, ``实测``, or the weakest precision and that the figure is approximate."""
    if measure.quantity == "count":
        return "计数"
    if weakest in APPROXIMATE:
        return f"{PRECISION_ZH[weakest]}（{_APPROX_OF[measure.quantity]}）"
    return "实测"


def reading(value: float | None, unit: str, approximate: bool) -> str:
    """The figure as shown to a reader: ``约 323 km`` when approximate, ``12 个``, or ``—``."""
    if value is None:
        return "—"
    if approximate:
        return f"约 {value:,.0f} {unit}"
    return f"{round(value, 1):g} {unit}"


def _row(target: Target, measure: Measure | None, loader: Callable[[str], GeoDataFrame]) -> dict:
    row: dict[str, Any] = {
        "id": target.id,
        "指标": target.name_zh,
        "目标": f"{target.comparison} {target.target:g} {target.unit}（{target.year}年）",
        "口径": measure.label if measure else "",
        "量测值": None,
        "读数": reading(None, target.unit, False),
        "单位": target.unit,
        "完成度%": None,
        "结论": "无法量测",
        "精度": "",
        "要素数": 0,
        "规划原文": f"第{target.line}行：{target.term}",
        "说明": target.reason if measure is None else target.caveat,
    }
    if measure is None:
        return row
    chosen = select(loader(measure.layer), measure)
    value = quantity(chosen, measure.quantity)
    weakest = _weakest(chosen["precision"]) if "precision" in chosen.columns else None
    approximate = measure.quantity != "count" and weakest in APPROXIMATE
    row.update(
        {
            "量测值": round(value, 1),
            "读数": reading(value, target.unit, approximate),
            "完成度%": round(100.0 * value / target.target, 1) if target.target else None,
            "结论": _verdict(value, target) if measure.comparable else NOT_COMPARABLE,
            "精度": _precision_label(measure, weakest),
            "要素数": len(chosen),
        }
    )
    return row


def evaluate(
    targets: list[Target], loader: Callable[[str], GeoDataFrame] | None = None
) -> pd.DataFrame:
    """One row per target and measure: the measured figure, the verdict and its precision.

    The first measure of a target decides its verdict; further rows show other readings
    (e.g. existing lines only, then with every planned line). ``loader`` returns a built layer
    by name (default :func:`fzgeo.plan.layers.load`).
    """
    if loader is None:
        from fzgeo.plan import layers

        loader = layers.load
    rows = []
    for target in targets:
        if not target.measures:
            rows.append(_row(target, None, loader))
        for i, measure in enumerate(target.measures):
            row = _row(target, measure, loader)
            row["主口径"] = i == 0
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame["主口径"] = frame["主口径"].fillna(True).astype(bool)
    return frame
