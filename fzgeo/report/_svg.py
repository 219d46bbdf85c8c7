"""SVG drawing primitives for the per-site maps: a map frame, geometry paths and map furniture.

Maps are built as text, straight from shapely coordinates: no plotting library, no font files.
Chinese text is drawn by the viewer's fonts (browser, office suite or printer driver), so it
renders wherever Chinese can be read at all. Coordinates are in the work CRS EPSG:4548 (metres,
x east, y north); :class:`Frame` turns them into SVG units (y down), one decimal kept.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

import shapely
from shapely.geometry.base import BaseGeometry

from fzgeo.textsafe import escape_html

#: Fonts asked for, in order; the viewer uses the first it has (Windows, macOS, Linux names).
FONT_FAMILY = (
    "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Microsoft YaHei',"
    "'PingFang SC','WenQuanYi Micro Hei','SimHei',sans-serif"
)
_POLYGON_IDS = (3, 6)  # shapely type ids: Polygon, MultiPolygon
_LINE_IDS = (1, 2, 5)  # LineString, LinearRing, MultiLineString
_POINT_IDS = (0, 4)  # Point, MultiPoint
_FILL = re.compile(r'fill="[^"]*"( fill-opacity="[^"]*")?')


def esc(value: object) -> str:
    """Text or attribute value safe inside SVG (XML-escaped, control characters removed)."""
    return escape_html(value)


@dataclass(frozen=True)
class Frame:
    """A square piece of the work CRS drawn into a square of the SVG.

    ``x0, y0, x1, y1`` are the frame's corners in metres (EPSG:4548); ``left, top, size`` the
    square it is drawn into, in SVG units.
    """

    x0: float
    y0: float
    x1: float
    y1: float
    left: float
    top: float
    size: float

    @classmethod
    def around(
        cls,
        bounds: tuple[float, float, float, float],
        *,
        at: tuple[float, float, float],
        grow: float = 1.3,
        pad: float = 600.0,
        minimum: float = 1200.0,
    ) -> Frame:
        """The square frame centred on ``bounds`` (x0, y0, x1, y1 in metres).

        Its side is ``grow`` times the larger side of ``bounds`` plus ``pad`` metres, at least
        ``minimum`` metres, rounded up to a whole 10 m: a small site keeps its surroundings, a
        long line fills most of the frame. ``at`` is (left, top, size) in SVG units.
        """
        bx0, by0, bx1, by1 = bounds
        side = max(max(bx1 - bx0, by1 - by0) * grow + pad, minimum)
        side = math.ceil(side / 10.0) * 10.0
        cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
        x0, y0 = round(cx - side / 2), round(cy - side / 2)
        return cls(x0, y0, x0 + side, y0 + side, *at)

    @property
    def scale(self) -> float:
        """SVG units per metre."""
        return self.size / (self.x1 - self.x0)

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The frame in metres (x0, y0, x1, y1)."""
        return (self.x0, self.y0, self.x1, self.y1)

    def outer(self, metres: float) -> tuple[float, float, float, float]:
        """The frame grown by ``metres`` on every side (clipping there hides the cut edges)."""
        return (self.x0 - metres, self.y0 - metres, self.x1 + metres, self.y1 + metres)

    def xy(self, coords: np.ndarray) -> np.ndarray:
        """Work-CRS coordinates (n x 2) as SVG coordinates."""
        out = np.empty_like(coords, dtype=float)
        out[:, 0] = self.left + (coords[:, 0] - self.x0) * self.scale
        out[:, 1] = self.top + (self.y1 - coords[:, 1]) * self.scale
        return out


def _run(xy: np.ndarray, close: bool) -> str:
    if close and len(xy) > 1 and np.array_equal(xy[0], xy[-1]):
        xy = xy[:-1]
    if not len(xy):
        return ""
    flat = tuple(np.round(xy, 1).ravel().tolist())
    text = ("L%g %g" * len(xy)) % flat
    return "M" + text[1:] + ("Z" if close else "")


def path_data(geom: BaseGeometry | None, frame: Frame) -> tuple[str, str]:
    """The SVG path data of a geometry and its kind (``polygon``, ``line``, ``point`` or "").

    Polygons give one closed run per ring (draw them with ``fill-rule="evenodd"`` so holes
    stay open); lines one open run per part; points an empty path (see :func:`point_marks`).
    """
    if geom is None or geom.is_empty:
        return "", ""
    parts = shapely.get_parts(geom)
    kinds = shapely.get_type_id(parts)
    runs: list[str] = []
    kind = ""
    for part, tid in zip(parts, kinds, strict=True):
        if tid in _POLYGON_IDS:
            kind = "polygon"
            for ring in shapely.get_rings(part):
                runs.append(_run(frame.xy(shapely.get_coordinates(ring)), True))
        elif tid in _LINE_IDS:
            kind = kind or "line"
            runs.append(_run(frame.xy(shapely.get_coordinates(part)), False))
        elif tid in _POINT_IDS:
            kind = kind or "point"
        else:  # a collection from clipping: its members
            sub, sub_kind = path_data(part, frame)
            runs.append(sub)
            kind = kind or sub_kind
    return "".join(runs), kind


def point_marks(geom: BaseGeometry | None, frame: Frame, radius: float, style: str) -> str:
    """A circle of ``radius`` SVG units at every point of ``geom``."""
    if geom is None or geom.is_empty:
        return ""
    points = shapely.get_parts(geom)
    points = points[np.isin(shapely.get_type_id(points), _POINT_IDS)]
    if not len(points):
        return ""
    xy = frame.xy(shapely.get_coordinates(points))
    return "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:g}" {style}/>' for x, y in xy)


def nice_length(metres: float) -> float:
    """The largest of 1, 2, 5 x 10^k metres not above ``metres``."""
    power = 10.0 ** math.floor(math.log10(metres))
    return max(s * power for s in (1, 2, 5) if s * power <= metres)


def length_text(metres: float) -> str:
    """A length for a scale bar: ``500 米`` or ``2 公里``."""
    return f"{metres / 1000:g} 公里" if metres >= 1000 else f"{metres:g} 米"


def scale_bar(frame: Frame, *, x: float, y: float) -> str:
    """A two-segment scale bar of a round length about a quarter of the frame, at (x, y)."""
    metres = nice_length((frame.x1 - frame.x0) / 4)
    w = metres * frame.scale
    half = w / 2
    return (
        f'<g class="scale-bar"><rect x="{x - 6:.1f}" y="{y - 18:.1f}" width="{w + 40:.1f}" '
        'height="30" fill="#ffffff" fill-opacity="0.8"/>'
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{half:.1f}" height="5" fill="#222"/>'
        f'<rect x="{x + half:.1f}" y="{y:.1f}" width="{half:.1f}" height="5" fill="#fff" '
        'stroke="#222" stroke-width="0.8"/>'
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="5" fill="none" stroke="#222" '
        'stroke-width="0.8"/>'
        f'<text x="{x:.1f}" y="{y - 4:.1f}" font-size="10" text-anchor="middle">0</text>'
        f'<text x="{x + w:.1f}" y="{y - 4:.1f}" font-size="10" text-anchor="middle">'
        f"{esc(length_text(metres))}</text></g>"
    )


def north_arrow(*, x: float, y: float) -> str:
    """A north arrow (grid north of EPSG:4548) centred on x, its tip at y."""
    return (
        f'<g class="north-arrow"><circle cx="{x:.1f}" cy="{y + 20:.1f}" r="17" fill="#ffffff" '
        'fill-opacity="0.8"/>'
        f'<path d="M{x:.1f} {y:.1f}L{x + 8:.1f} {y + 28:.1f}L{x:.1f} {y + 22:.1f}Z" fill="#222"/>'
        f'<path d="M{x:.1f} {y:.1f}L{x - 8:.1f} {y + 28:.1f}L{x:.1f} {y + 22:.1f}Z" fill="#fff" '
        'stroke="#222" stroke-width="0.8"/>'
        f'<text x="{x:.1f}" y="{y + 44:.1f}" font-size="12" font-weight="bold" '
        'text-anchor="middle">北</text></g>'
    )


def unfilled(paint: str) -> str:
    """SVG presentation attributes ``paint`` with the fill taken away (for lines)."""
    return _FILL.sub('fill="none"', paint)


def swatch(kind: str, paint: str, *, x: float, y: float) -> str:
    """A legend symbol 22 x 12 units at (x, y): a box, a line or a dot in the layer's paint."""
    if kind == "line":
        return f'<path d="M{x:.1f} {y + 6:.1f}h22" {unfilled(paint)}/>'
    if kind == "point":
        return f'<circle cx="{x + 11:.1f}" cy="{y + 6:.1f}" r="4" {paint}/>'
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="22" height="12" {paint}/>'
