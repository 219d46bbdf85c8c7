"""What QGIS is told about one layer: title, style, Chinese aliases, value labels and abstract.

A :class:`LayerInfo` is built from a :class:`~fzgeo.plan.schema.LayerKind` (the packaged layers) or
from a plain alias mapping (other outputs, such as conflict parts), plus a summary of the data:
how many features have each ``precision`` and which plan passages (``source``, ``source_line``)
they come from. The abstract names the plan passage and the precision, so an analyst reading
the layer's properties in QGIS knows what the geometry is worth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fzgeo import styles
from fzgeo.errors import ConfigError, UnknownLayerError
from fzgeo.plan import schema
from fzgeo.plan.schema import LayerKind
from fzgeo.styles import Style

#: Column -> value -> Chinese label, shown in QGIS's attribute table (ValueMap widget).
VALUE_LABELS: dict[str, Mapping[str, str]] = {
    "precision": schema.PRECISION_ZH,
    "status": schema.STATUS_ZH,
}
_MAX_SOURCES = 5
_MAX_LINES = 12


@dataclass(frozen=True)
class DataSummary:
    """What the abstract says about the data: feature count, precision mix, plan passages."""

    features: int = 0
    precision: Mapping[str, int] = field(default_factory=dict)
    sources: Sequence[str] = ()
    lines: Sequence[int] = ()


@dataclass(frozen=True)
class LayerInfo:
    """One layer as QGIS should present it."""

    name: str
    title: str
    style: Style
    aliases: Mapping[str, str]
    abstract: str
    group: str = ""
    value_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: QGIS ``geometrytype=`` filter (``Point``, ``LineString``, ``Polygon``) when a project
    #: shows one geometry type of a mixed table (see :func:`fzgeo.qgis.project.split_mixed`).
    geometry_filter: str = ""


def style_for_kind(kind: LayerKind) -> Style:
    """The kind's style; a kind naming a style that ``styles/`` lacks is a ConfigError."""
    try:
        return styles.style(kind.style)
    except UnknownLayerError as exc:
        msg = f"layer kind {kind.name!r} has no style {kind.style!r} ({exc})"
        raise ConfigError(msg, path=f"layers/kinds/{kind.name}.yaml") from exc


def abstract_text(
    title: str, name: str, description: str, summary: DataSummary, *, kind_name: str = ""
) -> str:
    """The layer abstract: what it is, the plan passage behind it, and its precision."""
    parts = [f"{title}（{name}）。"]
    if description.strip():
        parts.append(" ".join(description.split()))
    if summary.sources:
        shown = list(summary.sources[:_MAX_SOURCES])
        more = len(summary.sources) - len(shown)
        listing = "；".join(shown) + (f"；另 {more} 处" if more > 0 else "")
        parts.append(f"规划出处 (plan passage / source): {listing}")
    if summary.lines:
        lines = sorted(set(summary.lines))
        shown_lines = ", ".join(map(str, lines[:_MAX_LINES]))
        if len(lines) > _MAX_LINES:
            shown_lines += f" … ({len(lines)} lines)"
        parts.append(f"规划文本行号 (plan lines): {shown_lines}")
    if summary.precision:
        mix = ", ".join(
            f"{schema.PRECISION_ZH.get(p, p)} {p} {n}" for p, n in sorted(summary.precision.items())
        )
        parts.append(f"几何精度 (precision, features): {mix}")
        if set(summary.precision) == {"official"}:
            parts.append(
                "本图层要素均为官方数据 (every feature in this file is official data; where the "
                "description above speaks of a stand-in, it concerns the packaged layer)."
            )
        if set(summary.precision) & {"schematic", "illustrative"}:
            parts.append(
                "示意性几何，不是法定边界，不可用于量测或审批 "
                "(schematic/illustrative geometry: not a legal boundary)."
            )
    parts.append(f"要素数 (features): {summary.features}. 坐标系 CGCS2000 (EPSG:4490).")
    if kind_name:
        parts.append(f"fzgeo layer kind: {kind_name}.")
    return "\n".join(parts)


def from_kind(kind: LayerKind, summary: DataSummary, *, name: str | None = None) -> LayerInfo:
    """The QGIS view of a packaged layer kind, stored as table ``name`` (default: the kind's)."""
    table = name or kind.name
    return LayerInfo(
        name=table,
        title=kind.name_zh,
        style=style_for_kind(kind),
        aliases=kind.aliases_zh,
        abstract=abstract_text(kind.name_zh, table, kind.description, summary, kind_name=kind.name),
        group=kind.group,
        value_labels=VALUE_LABELS,
    )


def from_aliases(
    name: str,
    aliases: Mapping[str, str],
    style: Style,
    summary: DataSummary,
    *,
    description: str = "",
    group: str = "",
) -> LayerInfo:
    """The QGIS view of a layer that has no kind (e.g. conflict parts): aliases and a style."""
    return LayerInfo(
        name=name,
        title=style.name_zh,
        style=style,
        aliases=dict(aliases),
        abstract=abstract_text(style.name_zh, name, description, summary),
        group=group,
        value_labels=VALUE_LABELS,
    )
