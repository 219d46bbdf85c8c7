"""One site map as SVG text: title, map frame, furniture, legend, facts, locator, footer.

:func:`render` lays out a map of 800 SVG units wide (1 unit = 1 px at 100 %): the 示意 banner
when due, the title, the square map frame (500 units) with its corner coordinates, north arrow
and scale bar, the side panel (legend, 检查结论, locator) and the footer (CRS, frame size, maker).
What is drawn comes from a :class:`fzgeo.report._sitescene.Scene`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

import shapely

from fzgeo import __version__
from fzgeo.check.rules import CLEAR, CONFLICT, NEAR
from fzgeo.report import _svg
from fzgeo.report._sitescene import Label, Layer, Scene, Site
from fzgeo.report._svg import Frame, esc

_NEAREST = {"rivers": "最近河流", "highways": "最近公路", "railways": "最近铁路"}
_VERDICT_COLOUR = {CONFLICT: "#c62828", NEAR: "#e65100", CLEAR: "#2e7d32"}
_COLLECTION = 7  #: shapely type id of a GeometryCollection
# Layout in SVG units (1 unit = 1 px at 100 %): the frame left, the panel right.
_W = 800.0
FRAME = 500.0  #: the map frame's side
_PANEL_X = 548.0
_PANEL_W = 236.0
_BANNER_H = 34.0


def _wrap(text: str, em: float) -> list[str]:
    """``text`` in lines of about ``em`` ems (CJK one em, other characters half)."""
    lines, line, width = [], "", 0.0
    for ch in text:
        w = 1.0 if ord(ch) > 0x2E7F else 0.55
        if width + w > em and line:
            lines.append(line)
            line, width = "", 0.0
        line += ch
        width += w
    return [*lines, line] if line else lines


def _text(x: float, y: float, text: str, size: float = 11, **attrs: str) -> str:
    more = "".join(f' {k.rstrip("_").replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}"{more}>{esc(text)}</text>'


def _halo(x: float, y: float, text: str, size: float = 10) -> str:
    return _text(
        x,
        y,
        text,
        size,
        text_anchor="middle",
        fill="#333",
        stroke="#ffffff",
        stroke_width="3",
        paint_order="stroke",
        stroke_linejoin="round",
    )


def _coords(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


_HATCH = (
    '<pattern id="within-hatch" patternUnits="userSpaceOnUse" width="7" height="7" '
    'patternTransform="rotate(45)"><rect width="7" height="7" fill="#ef9a9a" fill-opacity="0.55"/>'
    '<path d="M0 0V7" stroke="#b71c1c" stroke-width="3"/></pattern>'
)
_PART_PAINT = {
    "conflict": 'fill="#d7191c" fill-opacity="0.7" stroke="#7f0000" stroke-width="1.2"',
    "within": 'fill="url(#within-hatch)" stroke="#7f0000" stroke-width="1.2"',
    "near": 'fill="#fb8c00" fill-opacity="0.6" stroke="#e65100" stroke-width="1.2"',
    "clear": 'fill="#9e9e9e" fill-opacity="0.35" stroke="#616161" stroke-width="1"',
}
_PART_LINE = {
    k: f'fill="none" stroke="{c}" stroke-width="14" stroke-linecap="round" stroke-opacity="0.85"'
    for k, c in (
        ("conflict", "#d7191c"),
        ("within", "#b71c1c"),
        ("near", "#fb8c00"),
        ("clear", "#9e9e9e"),
    )
}
_BAND_PAINT = 'fill="none" stroke="#1f6fb2" stroke-width="1.4" stroke-dasharray="7,4"'
_SITE_PAINT = 'fill="none" stroke="#111111" stroke-width="2.6" stroke-linejoin="round"'
_SITE_HALO = 'fill="none" stroke="#ffffff" stroke-width="6.5" stroke-linejoin="round"'
#: A line site (road, pipeline) is drawn heavier, so it reads over roads and rivers.
_LINE_SITE_PAINT = 'fill="none" stroke="#111111" stroke-width="3.6" stroke-linecap="round"'
_LINE_SITE_HALO = 'fill="none" stroke="#ffffff" stroke-width="8" stroke-linecap="round"'


def _geometry(geom: Any, frame: Frame, paint: str, *, kind: str, point_r: float = 4.0) -> str:
    """One geometry as an SVG path (lines unfilled) and circles for its points."""
    d, got = _svg.path_data(geom, frame)
    out = ""
    if d:
        if got == "line" or kind == "line":
            paint = _svg.unfilled(paint)
        out += f'<path d="{d}" fill-rule="evenodd" {paint}/>'
    if got == "point" or shapely.get_type_id(geom) == _COLLECTION:
        out += _svg.point_marks(geom, frame, point_r, paint)
    return out


def _band(layer: Layer, frame: Frame) -> str:
    """The outline of a proximity rule's band (features buffered by its distance), dashed."""
    if layer.band_tree is None or layer.band_geoms is None:
        return ""
    reach = frame.outer(layer.band_m + 10.0)
    near = layer.band_geoms[layer.band_tree.query(shapely.box(*reach))]
    if not len(near):
        return ""
    cut = shapely.clip_by_rect(near, *reach)
    band = shapely.buffer(shapely.union_all(cut), layer.band_m, quad_segs=8)
    band = shapely.clip_by_rect(band, *frame.outer(4.0 / frame.scale))
    d, _ = _svg.path_data(shapely.boundary(band), frame)
    return f'<path d="{d}" {_BAND_PAINT}/>' if d else ""


def _draw_layer(layer: Layer, frame: Frame, site: Site, labels: list[Label]) -> str:
    """A layer's features in the frame (cut to it), and label candidates for its features."""
    outer = frame.outer(4.0 / frame.scale)
    idx = np.sort(layer.tree.query(shapely.box(*outer)))
    cut = shapely.clip_by_rect(layer.geoms[idx], *outer)
    keep = ~shapely.is_empty(cut)
    idx, cut = idx[keep], shapely.simplify(cut[keep], 0.4 / frame.scale, preserve_topology=False)
    out = [_band(layer, frame)] if layer.band_m else []
    for i, geom in zip(idx, cut, strict=True):
        text = str(layer.labels[i])
        if layer.casing:
            out.append(_geometry(geom, frame, layer.casing, kind=layer.kind))
        body = _geometry(geom, frame, layer.paint, kind=layer.kind)
        if text and body.startswith("<path"):
            body = body.replace("/>", f"><title>{esc(layer.title)}：{esc(text)}</title></path>", 1)
        out.append(body)
        if layer.constraint and text:
            inner = shapely.clip_by_rect(geom, *frame.outer(-24.0 / frame.scale))
            free = shapely.difference(inner, shapely.buffer(site.geom, 16.0 / frame.scale))
            spot = free if not free.is_empty else inner
            if not spot.is_empty:
                hit = bool(shapely.intersects(layer.geoms[i], site.geom))
                rank = (layer.title not in site.layers, not hit, -float(inner.area))
                labels.append(Label(rank, spot, text))
    if not any(out):
        return ""
    return f'<g class="layer" data-layer="{esc(layer.title)}">{"".join(out)}</g>'


def _spots(spot: Any) -> np.ndarray:
    """Candidate label points on ``spot``: a point on its surface, then a 5 x 5 grid inside it."""
    x0, y0, x1, y1 = shapely.bounds(spot)
    gx, gy = np.meshgrid(np.linspace(x0, x1, 7)[1:-1], np.linspace(y0, y1, 7)[1:-1])
    grid = shapely.points(gx.ravel(), gy.ravel())
    grid = grid[shapely.contains_xy(spot, gx.ravel(), gy.ravel())]
    points = np.concatenate([[shapely.point_on_surface(spot)], grid])
    return shapely.get_coordinates(points)


def _place(labels: list[Label], frame: Frame, site: Any, *, most: int = 6) -> str:
    """Feature labels, none overlapping another or the site, at most ``most``.

    The features of the site's parts come first, then those the site meets, then the larger.
    Each label takes the first of its candidate points (:func:`_spots`) where it fits, moved
    sideways to stay inside the frame.
    """
    sx0, sy0, sx1, sy1 = shapely.bounds(site)
    (ax, ay), (bx, by) = frame.xy(np.array([[sx0, sy1], [sx1, sy0]]))
    placed = [(ax - 4, ay - 4, bx + 4, by + 4)]
    out = []
    for label in sorted(labels, key=lambda lab: lab.rank):
        half = sum(10.0 if ord(c) > 0x2E7F else 5.5 for c in label.text) / 2 + 3
        for px, py in frame.xy(_spots(label.spot)):
            x = min(max(px, frame.left + half + 2), frame.left + frame.size - half - 2)
            box = (x - half, py - 12, x + half, py + 4)
            if not any(
                b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3] for b in placed
            ):
                placed.append(box)
                out.append(_halo(x, py, label.text))
                break
        if len(out) == most:
            break
    return "".join(out)


def _nearest(layer: Layer, geom: Any) -> str:
    if not len(layer.geoms):
        return ""
    i = int(layer.tree.query_nearest(geom, all_matches=False)[0])
    dist = float(shapely.distance(layer.geoms[i], geom))
    where = _svg.length_text(round(dist, -1) if dist >= 100 else round(dist)) if dist else "相交"
    name = layer.labels[i] or layer.title
    return f"{name} {where}"


def _county(scene: Scene, geom: Any) -> str:
    if scene.counties is None:
        return ""
    geoms, names = scene.counties
    hit = shapely.intersects(geoms, shapely.point_on_surface(geom))
    return "、".join(names[hit]) if hit.any() else "抚州市外"


def _header(scene: Scene, site: Site) -> tuple[str, float]:
    """The 示意 banner (when due) and the title: site number, name, verdict, severity."""
    out = []
    top = 0.0
    if scene.banner:
        names = "、".join(scene.banner)
        text = f"所用管控图层含示意数据（{names}），非官方数据，本图不具法律效力，仅供参考。"
        out.append(
            f'<g class="banner"><rect x="1" y="1" width="{_W - 2:g}" height="{_BANNER_H - 2:g}" '
            'fill="#fff3cd" stroke="#c62828" stroke-width="2"/>'
            + _text(14, 23, "示意", 16, font_weight="bold", fill="#c62828")
            + _text(56, 22, text, 12, fill="#7f0000")
            + "</g>"
        )
        top = _BANNER_H
    colour = _VERDICT_COLOUR.get(site.verdict, "#222")
    severity = site.severity.replace(";", "、")
    out.append(
        f'<text class="title" x="24" y="{top + 30:g}" font-size="19" font-weight="bold">'
        f"{esc(site.position + 1)}. {esc(site.label)}"
        f'<tspan fill="{colour}" dx="14">{esc(site.verdict)}</tspan>'
        + (
            f'<tspan font-size="13" font-weight="normal" dx="6">（{esc(severity)}）</tspan>'
            if severity
            else ""
        )
        + "</text>"
    )
    return "".join(out), top


def _map_body(scene: Scene, site: Site, frame: Frame) -> tuple[str, dict[str, bool]]:
    """Inside the frame: layers, the site's parts, the site, feature labels (clipped)."""
    labels: list[Label] = []
    body = [
        f'<rect x="{frame.left:g}" y="{frame.top:g}" width="{frame.size:g}" '
        f'height="{frame.size:g}" fill="#f6f5f0"/>'
    ]
    present: dict[str, bool] = {}
    for layer in scene.layers:
        drawn = _draw_layer(layer, frame, site, labels)
        present[layer.title] = bool(drawn)
        body.append(drawn)
    for geom, text, kind in site.parts:
        d, got = _svg.path_data(geom, frame)
        paint = _PART_PAINT[kind] if got == "polygon" else _PART_LINE[kind]
        body.append(
            f'<g class="part" data-kind="{kind}"><title>{esc(text)}</title>'
            + (f'<path d="{d}" fill-rule="evenodd" {paint}/>' if d else "")
            + _svg.point_marks(geom, frame, 7, _PART_PAINT[kind])
            + "</g>"
        )
    line = shapely.get_dimensions(site.geom) == 1
    halo, paint = (_LINE_SITE_HALO, _LINE_SITE_PAINT) if line else (_SITE_HALO, _SITE_PAINT)
    body.append(
        '<g class="site">'
        + _geometry(site.geom, frame, halo, kind="polygon", point_r=6)
        + _geometry(site.geom, frame, paint, kind="polygon", point_r=4)
        + "</g>"
    )
    body.append(_place(labels, frame, site.geom))
    return f'<g clip-path="url(#frame)">{"".join(body)}</g>', present


def _furniture(frame: Frame) -> str:
    """Frame line, north arrow, scale bar and the corner coordinates (EPSG:4548, X north)."""
    right, bottom = frame.left + frame.size, frame.top + frame.size
    out = [
        f'<rect x="{frame.left:g}" y="{frame.top:g}" width="{frame.size:g}" '
        f'height="{frame.size:g}" fill="none" stroke="#333" stroke-width="1.2"/>',
        _svg.north_arrow(x=right - 30, y=frame.top + 12),
        _svg.scale_bar(frame, x=frame.left + 16, y=bottom - 16),
    ]
    for left, upper in ((True, True), (False, True), (True, False), (False, False)):
        x = frame.left if left else right
        y = frame.top - 6 if upper else bottom + 14
        north, east = (frame.y1 if upper else frame.y0), (frame.x0 if left else frame.x1)
        text = f"X {_coords(north)}  Y {_coords(east)}"
        anchor = "start" if left else "end"
        out.append(_text(x, y, text, 10, text_anchor=anchor, fill="#444", class_="corner"))
    return "".join(out)


def _footer(scene: Scene, frame: Frame, y: float) -> str:
    """Notes under the map: the CRS and axes, north, frame size, who drew it and when."""
    side = _svg.length_text(frame.x1 - frame.x0)
    lines = (
        "坐标：CGCS2000 / 3 度带高斯-克吕格投影，中央经线 117°E（EPSG:4548），"
        "X 为北坐标、Y 为东坐标，单位米。",
        f"图幅 {side} × {side}；北向为坐标纵线北（与真北相差不到 1°）；"
        "河流、道路、铁路为规划示意位置，仅供定位参考。",
        f"fzgeo {__version__} 制图，{scene.stamp}。",
    )
    return "".join(
        _text(frame.left, y + 15 * k, line, 10, fill="#555") for k, line in enumerate(lines)
    )


def render(scene: Scene, site: Site) -> str:
    """The SVG text of one site's map (see the module for what it shows)."""
    header, top = _header(scene, site)
    frame = Frame.around(shapely.bounds(site.geom), at=(24.0, top + 64, FRAME))
    body, present = _map_body(scene, site, frame)
    panel, panel_bottom = _panel(scene, site, frame, present)
    footer_y = max(frame.top + frame.size, panel_bottom) + 36
    height = footer_y + 52
    return "".join(
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W:g} {height:g}" '
            f'width="{_W:g}" height="{height:g}" font-family="{_svg.FONT_FAMILY}" fill="#222">',
            f"<title>{esc(site.position + 1)}. {esc(site.label)}：{esc(site.verdict)}</title>",
            f'<defs><clipPath id="frame"><rect x="{frame.left:g}" y="{frame.top:g}" '
            f'width="{frame.size:g}" height="{frame.size:g}"/></clipPath>{_HATCH}</defs>',
            f'<rect width="{_W:g}" height="{height:g}" fill="#ffffff"/>',
            header,
            body,
            _furniture(frame),
            panel,
            _footer(scene, frame, footer_y),
            "</svg>",
        )
    )


def _legend(scene: Scene, site: Site, present: Mapping[str, bool]) -> list[tuple[str, str, str]]:
    """Legend entries (swatch kind, text, paint).

    The site, its parts, every checked layer (one with no feature in the frame says so) and
    the context layers that have features in the frame.
    """
    line = shapely.get_dimensions(site.geom) == 1
    entries = [
        ("line", "项目选址", _LINE_SITE_PAINT) if line else ("site", "项目选址", _SITE_PAINT)
    ]
    for _, text, kind in site.parts:
        if all(e[1] != text for e in entries):
            entries.append(("polygon", text, _PART_PAINT[kind]))
    for layer in scene.layers:
        if layer.constraint:
            text = layer.title if present.get(layer.title) else f"{layer.title}（图幅内无）"
            if layer.band_m:
                entries.append(("polygon", text, _BAND_PAINT))
            else:
                entries.append((layer.kind, text, layer.paint))
        elif present.get(layer.title):
            entries.append((layer.kind, layer.title, layer.casing or layer.paint))
    return entries


def _facts(scene: Scene, site: Site) -> list[tuple[str, str]]:
    """The panel's facts: verdicts, size, county, nearest river, road and railway."""
    facts = [("综合结论", site.verdict)]
    if site.severity:
        facts.append(("严重程度", site.severity.replace(";", "、")))
    if site.rules_hit:
        facts.append(("触及规则", site.rules_hit.replace(";", "、")))
    if site.size:
        facts.append(("面积" if "公顷" in site.size else "长度", site.size))
    if county := _county(scene, site.geom):
        facts.append(("所在区县", county))
    for layer in scene.layers:
        if layer.key in _NEAREST and (near := _nearest(layer, site.geom)):
            facts.append((_NEAREST[layer.key], near))
    return facts


def _panel(
    scene: Scene, site: Site, frame: Frame, present: Mapping[str, bool]
) -> tuple[str, float]:
    """The side panel (legend, facts, locator) and where it ends."""
    x, y = _PANEL_X, frame.top + 4
    out = [_text(x, y + 10, "图例", 13, font_weight="bold")]
    y += 22
    for kind, text, paint in _legend(scene, site, present):
        if kind == "site":
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="22" height="12" {paint}/>')
        else:
            out.append(_svg.swatch(kind, paint, x=x, y=y))
        lines = _wrap(text, (_PANEL_W - 30) / 11)
        out.extend(_text(x + 30, y + 10 + 14 * k, line, 11) for k, line in enumerate(lines))
        y += 6 + 14 * max(len(lines), 1)
    out.append(_text(x, y + 20, "检查结论", 13, font_weight="bold"))
    y += 40
    for key, value in _facts(scene, site):
        fill = _VERDICT_COLOUR.get(value, "#222") if key == "综合结论" else "#222"
        for line in _wrap(f"{key}：{value}", (_PANEL_W - 4) / 11):
            out.append(_text(x, y, line, 11, fill=fill))
            y += 15
    if scene.locator and scene.locator_frame is not None:
        lx0, ly1, scale, w, h = scene.locator_frame
        oy = max(y + 4, frame.top + frame.size - h)
        centre = shapely.centroid(site.geom)
        px, py = (centre.x - lx0) * scale, (ly1 - centre.y) * scale
        out.append(
            f'<g class="locator" transform="translate({x + (_PANEL_W - w) / 2:.1f} {oy:.1f})">'
            f'{scene.locator}<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="#c62828" '
            'stroke="#ffffff"/></g>'
        )
        y = oy + h
    return "".join(out), y
