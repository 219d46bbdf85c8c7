"""The legend and title boxes of a web map, as escaped HTML, and style specs as Leaflet options.

Every text that reaches the HTML (layer names, category labels, titles) goes through
:func:`fzgeo.textsafe.escape_html`; colours are checked by :mod:`fzgeo.styles` and escaped too.
Each legend row carries ``data-fz-layer`` so the map runtime shows the rows of visible layers only.
"""

from __future__ import annotations

from collections.abc import Sequence

from fzgeo.maps.compose import MapLayer
from fzgeo.maps.simplify import DisplayReport
from fzgeo.styles import Stroke, Style, Symbol
from fzgeo.textsafe import escape_html as esc

#: How illustrative (示意) features are drawn on top of their style: dashed, half the fill.
ILLUSTRATIVE_DASH = "4 4"
#: The widest stroke of a multi-stroke legend swatch, in pixels (14 px high).
SWATCH_MAX_WIDTH = 6.0
#: Dashes of a multi-stroke swatch at this scale, so a 24 px swatch shows the alternation.
SWATCH_DASH_SCALE = 0.5


def _dash_array(dash: Sequence[float]) -> str | None:
    return " ".join(f"{v:g}" for v in dash) if dash else None


def stroke_options(stroke: Stroke) -> dict[str, object]:
    """Leaflet options of one stroke of a multi-stroke line (``dashArray`` null: solid)."""
    return {
        "color": stroke.stroke,
        "weight": stroke.width,
        "opacity": stroke.opacity,
        "dashArray": _dash_array(stroke.dash),
    }


def leaflet_options(symbol: Symbol, geometry: str) -> dict[str, object]:
    """Leaflet path options (``color``, ``weight``, ``dashArray``, ``fillColor``...) of a symbol.

    A multi-stroke line symbol also carries ``strokes``: the options of each stroke, bottom
    first, which the runtime draws one pass each.
    """
    opts: dict[str, object] = {
        "stroke": symbol.stroke is not None,
        "color": symbol.stroke or "#000000",
        "weight": symbol.width,
        "opacity": symbol.opacity,
    }
    if symbol.dash:
        opts["dashArray"] = _dash_array(symbol.dash)
    if geometry == "line":
        opts["fill"] = False
    else:
        opts["fill"] = symbol.fill is not None
        opts["fillColor"] = symbol.fill or symbol.stroke or "#000000"
        opts["fillOpacity"] = symbol.fill_opacity if symbol.fill else 0.0
    if geometry == "point":
        opts["radius"] = symbol.radius
    if geometry == "line" and symbol.strokes:
        opts["strokes"] = [stroke_options(s) for s in symbol.strokes]
    return opts


def style_config(style: Style) -> dict[str, object]:
    """The style as the runtime reads it: base options, options per category value, passes."""
    return {
        "passes": style.passes if style.geometry == "line" else 1,
        "base": leaflet_options(style.symbol, style.geometry),
        "field": style.category_field,
        "cats": {str(c.value): leaflet_options(c.symbol, style.geometry) for c in style.categories},
    }


def illustrative_override(style: Style) -> dict[str, object]:
    """What changes for a feature of precision ``illustrative``."""
    return {"dashArray": ILLUSTRATIVE_DASH, "fillOpacity": round(style.symbol.fill_opacity / 2, 3)}


def _stroke_lines(strokes: Sequence[Stroke]) -> str:
    """SVG lines of a multi-stroke symbol, bottom first, widths scaled to fit the swatch."""
    scale = min(1.0, SWATCH_MAX_WIDTH / max(s.width for s in strokes))
    lines = []
    for s in strokes:
        dash = _dash_array([d * SWATCH_DASH_SCALE for d in s.dash])
        dash_svg = f' stroke-dasharray="{esc(dash)}"' if dash else ""
        lines.append(
            f'<line x1="1" y1="7" x2="23" y2="7" stroke="{esc(s.stroke)}" '
            f'stroke-width="{s.width * scale:g}" stroke-opacity="{s.opacity:g}"{dash_svg}/>'
        )
    return "".join(lines)


def swatch(symbol: Symbol, geometry: str, *, dash: str | None = None) -> str:
    """A small inline SVG showing ``symbol`` (every stroke of a multi-stroke line)."""
    if geometry == "line" and symbol.strokes and dash is None:
        return (
            f'<svg width="24" height="14" aria-hidden="true" data-fz-strokes='
            f'"{len(symbol.strokes)}">{_stroke_lines(symbol.strokes)}</svg>'
        )
    stroke = esc(symbol.stroke or "none")
    width = min(symbol.width, 3.0)
    dash_attr = dash or _dash_array(symbol.dash) or ""
    dash_svg = f' stroke-dasharray="{esc(dash_attr)}"' if dash_attr else ""
    if geometry == "line":
        shape = f'<line x1="1" y1="7" x2="23" y2="7" stroke="{stroke}" stroke-width="{width:g}"{dash_svg}/>'
    else:
        fill = esc(symbol.fill or "none")
        paint = f'fill="{fill}" fill-opacity="{symbol.fill_opacity:g}" stroke="{stroke}" stroke-width="{width:g}"{dash_svg}'
        if geometry == "point":
            shape = f'<circle cx="12" cy="7" r="{min(symbol.radius, 6):g}" {paint}/>'
        else:
            shape = f'<rect x="1.5" y="1.5" width="21" height="11" {paint}/>'
    return f'<svg width="24" height="14" aria-hidden="true">{shape}</svg>'


def _layer_rows(ml: MapLayer, report: DisplayReport | None) -> list[str]:
    notes = []
    if ml.style.min_zoom:
        notes.append(f"{ml.style.min_zoom}级以上显示")
    if report and report.left_out:
        notes.append(f"{report.left_out}个过小要素未显示")
    note = f' <span class="fz-note">（{esc("；".join(notes))}）</span>' if notes else ""
    attr = f'data-fz-layer="{esc(ml.id)}"'
    rows = [
        f'<div class="fz-row" {attr}>{swatch(ml.style.symbol, ml.style.geometry)}'
        f"<span>{esc(ml.kind.name_zh)}</span>{note}</div>"
    ]
    for cat in ml.style.categories:
        rows.append(
            f'<div class="fz-row fz-sub" {attr}>{swatch(cat.symbol, ml.style.geometry)}'
            f"<span>{esc(cat.label_zh)}</span></div>"
        )
    return rows


def legend_html(
    map_layers: Sequence[MapLayer],
    groups: Sequence[str],
    reports: dict[str, DisplayReport],
) -> str:
    """The legend: one block per group, one row per layer and per category, and the 示意 key."""
    parts = ['<details class="fz-legend-box" open><summary><h4>图例</h4></summary>']
    for group in groups:
        members = [ml for ml in map_layers if ml.group == group]
        if not members:
            continue
        parts.append(f"<h5>{esc(group)}</h5>")
        for ml in members:
            parts.extend(_layer_rows(ml, reports.get(ml.id)))
    if any(_has_illustrative(ml) for ml in map_layers):
        sample = Symbol(stroke="#555555", width=1.5, fill="#999999", fill_opacity=0.15)
        parts.append(
            f'<div class="fz-row fz-illustrative-key">{swatch(sample, "polygon", dash=ILLUSTRATIVE_DASH)}'
            "<span>虚线、浅色：示意要素（位置与范围仅为示意，非实测或法定数据）</span></div>"
        )
    parts.append("</details>")
    return "".join(parts)


def _has_illustrative(ml: MapLayer) -> bool:
    return "precision" in ml.gdf.columns and bool((ml.gdf["precision"] == "illustrative").any())


def title_html(title: str, subtitle: str) -> str:
    """The title box."""
    return f'<div class="fz-main">{esc(title)}</div><div class="fz-sub">{esc(subtitle)}</div>'
