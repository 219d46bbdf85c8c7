"""Style specs: one per layer kind, in ``styles/<key>.yaml``, rendered to Folium and to QGIS.

A spec is renderer-neutral. Web maps (:mod:`fzgeo.maps`) and QGIS exports (QML/SLD) read the
same :class:`Style`, so a colour is defined once. Format::

    key: eco_redline
    name_zh: 生态保护红线          # legend title
    geometry: polygon              # point | line | polygon
    symbol:                        # the default symbol
      stroke: "#2e7d32"            # outline / line colour
      width: 1.5                   # line width in pixels (points: outline)
      dash: [6, 3]                 # optional dash pattern in pixels
      fill: "#66bb6a"              # polygon / marker fill (omit for none)
      fill_opacity: 0.35
      opacity: 1.0
      radius: 5                    # point marker radius in pixels
    categories:                    # optional: by the value of one field
      field: status
      values:
        - {value: planned, label_zh: 规划, symbol: {dash: [8, 4]}}   # overrides the default
        - value: existing          # lines only: several strokes, drawn bottom to top
          symbol:
            strokes:
              - {stroke: "#000000", width: 5}                      # casing
              - {stroke: "#ffffff", width: 3, dash: [10, 10]}      # dashed centre
    label: name                    # field used for labels and tooltips
    min_zoom: 0                    # hide below this web-map zoom
    reference: "..."               # the convention followed, cited

Categories' symbols inherit every key they do not set from the default symbol.

**Multi-stroke lines.** ``strokes`` (line styles only) draws a line as two or more strokes on top
of each other, the first at the bottom: a wide casing under a narrower, dashed centre gives the
black-and-white railway line (黑白相间) of Chinese plan maps. Each stroke takes ``stroke`` (colour)
and ``width`` (both required), ``dash`` (an even number of positive lengths; omitted: solid) and
``opacity`` (0-1, default 1). A symbol sets either ``strokes`` or the single-stroke keys
(``stroke``, ``width``, ``dash``, ``opacity``), not both; with ``strokes`` those four read as the
first (bottom) stroke's, for renderers that draw one line (thumbnails). A category inherits the
default's strokes whole; ``strokes: []`` in a category goes back to a single stroke. Web maps draw
one pass per stroke, and QGIS one ``SimpleLine`` symbol layer per stroke with symbol levels, so
casings of crossing lines sit under every centre; a symbol with fewer strokes than another of the
same style draws in the top passes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from fzgeo import _resources
from fzgeo.errors import ConfigError, UnknownLayerError

GEOMETRIES = ("point", "line", "polygon")
_HEX = set("0123456789abcdefABCDEF")
#: The symbol keys a multi-stroke symbol takes from its strokes instead.
SINGLE_STROKE_KEYS = ("stroke", "width", "dash", "opacity")


def _check_colour(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    if not (
        isinstance(value, str) and len(value) == 7 and value[0] == "#" and set(value[1:]) <= _HEX
    ):
        raise ConfigError(f"{where}: colour must be '#rrggbb', got {value!r}")
    return value.lower()


def _number(value: Any, where: str, *, positive: bool = False, at_most: float = math.inf) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and (value > 0 if positive else value >= 0) and value <= at_most:
        return float(value)
    if positive:
        wanted = "a positive number"
    elif at_most < math.inf:
        wanted = f"a number from 0 to {at_most:g}"
    else:
        wanted = "a number >= 0"
    raise ConfigError(f"{where}: must be {wanted}, got {value!r}")


def _dash(value: Any, where: str) -> tuple[float, ...]:
    if value is None or value == []:
        return ()
    if not isinstance(value, (list, tuple)) or len(value) % 2:
        raise ConfigError(
            f"{where}: a dash pattern is an even number of lengths (dash, gap, ...), got {value!r}"
        )
    return tuple(_number(v, where, positive=True) for v in value)


def _check_keys(data: Any, cls: type, what: str, shape: str, where: str) -> None:
    """A YAML mapping with only the fields of dataclass ``cls``, or a ConfigError at ``where``."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: a {what} is {shape}")
    known = set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{where}: unknown {what} keys {sorted(unknown)}; known: {sorted(known)}")


@dataclass(frozen=True)
class Stroke:
    """One stroke of a multi-stroke line symbol (see ``strokes`` in the module doc)."""

    stroke: str
    width: float
    dash: tuple[float, ...] = ()
    opacity: float = 1.0

    @classmethod
    def from_mapping(cls, data: Any, *, where: str) -> Stroke:
        """Parse one entry of ``strokes``."""
        _check_keys(data, cls, "stroke", "a mapping {stroke, width, dash, opacity}", where)
        for key in ("stroke", "width"):
            if data.get(key) is None:
                raise ConfigError(f"{where}: missing key {key!r} (every stroke sets its own)")
        return cls(
            stroke=str(_check_colour(data["stroke"], f"{where}.stroke")),
            width=_number(data["width"], f"{where}.width", positive=True),
            dash=_dash(data.get("dash"), f"{where}.dash"),
            opacity=_number(data.get("opacity", 1.0), f"{where}.opacity", at_most=1.0),
        )


def _strokes(value: Any, where: str) -> tuple[Stroke, ...]:
    if value is None or value == []:
        return ()
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{where}: 'strokes' must be a list of strokes, bottom first")
    if len(value) < 2:
        raise ConfigError(
            f"{where}: 'strokes' needs two or more strokes; a single stroke is written with "
            "the keys stroke/width/dash/opacity"
        )
    return tuple(Stroke.from_mapping(v, where=f"{where}[{i}]") for i, v in enumerate(value))


@dataclass(frozen=True)
class Symbol:
    """How one class of features is drawn."""

    stroke: str | None = "#333333"
    width: float = 1.0
    dash: tuple[float, ...] = ()
    fill: str | None = None
    fill_opacity: float = 0.3
    opacity: float = 1.0
    radius: float = 5.0
    strokes: tuple[Stroke, ...] = ()  #: lines: two or more strokes, bottom first

    @property
    def all_strokes(self) -> tuple[Stroke, ...]:
        """The strokes drawn, bottom first: ``strokes``, or the single stroke (none if unset)."""
        if self.strokes:
            return self.strokes
        if self.stroke is None:
            return ()
        return (Stroke(self.stroke, self.width, self.dash, self.opacity),)

    def stroke_in_pass(self, index: int, passes: int) -> Stroke | None:
        """The stroke drawn in pass ``index`` of ``passes`` (the top ones are used), or None."""
        strokes = self.all_strokes
        k = index - (passes - len(strokes))
        return strokes[k] if 0 <= k < len(strokes) else None

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, base: Symbol | None = None, where: str
    ) -> Symbol:
        """Build a symbol from YAML, inheriting unset keys from ``base``."""
        _check_keys(data, cls, "symbol", f"a mapping of symbol keys, got {data!r}", where)
        values = dict(data)
        for key in ("stroke", "fill"):
            if key in values:
                values[key] = _check_colour(values[key], f"{where}.{key}")
        if "dash" in values:
            values["dash"] = tuple(float(v) for v in values["dash"] or ())
        single = sorted(k for k in SINGLE_STROKE_KEYS if k in data)
        if "strokes" in values:
            values["strokes"] = _strokes(values["strokes"], f"{where}.strokes")
            if values["strokes"] and single:
                raise ConfigError(
                    f"{where}: sets both 'strokes' and {single}; a multi-stroke symbol takes "
                    "colour, width, dash and opacity from each stroke"
                )
        elif base is not None and base.strokes and single:
            raise ConfigError(
                f"{where}: sets {single} but inherits 'strokes' from the default symbol; "
                "give this category its own 'strokes', or 'strokes: []' for a single stroke"
            )
        if values.get("strokes"):
            bottom = values["strokes"][0]
            values.update(
                stroke=bottom.stroke, width=bottom.width, dash=bottom.dash, opacity=bottom.opacity
            )
        return replace(base or cls(), **values)


@dataclass(frozen=True)
class Category:
    """Features whose ``field`` equals ``value`` get ``symbol``."""

    value: Any
    label_zh: str
    symbol: Symbol


@dataclass(frozen=True)
class Style:
    """The style of one layer kind."""

    key: str
    name_zh: str
    geometry: str
    symbol: Symbol
    category_field: str | None = None
    categories: tuple[Category, ...] = ()
    label: str = "name"
    min_zoom: int = 0
    reference: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passes(self) -> int:
        """How many stroke passes draw the style: its most strokes in one symbol (at least 1).

        A symbol of ``k`` strokes draws in the top ``k`` passes, so every feature's top stroke is
        in the last pass (the interactive one on web maps).
        """
        symbols = [self.symbol, *(c.symbol for c in self.categories)]
        return max(1, *(len(s.strokes) for s in symbols))

    def symbol_for(self, value: Any) -> Symbol:
        """The symbol of a feature whose category field has ``value``."""
        for cat in self.categories:
            if cat.value == value:
                return cat.symbol
        return self.symbol

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str) -> Style:
        """Parse a style spec."""
        try:
            geometry = data["geometry"]
            if geometry not in GEOMETRIES:
                raise ConfigError(
                    f"{where}: geometry must be one of {GEOMETRIES}, got {geometry!r}"
                )
            base = Symbol.from_mapping(data.get("symbol") or {}, where=f"{where}.symbol")
            cats_doc = data.get("categories") or {}
            cats = tuple(
                Category(
                    value=c["value"],
                    label_zh=str(c.get("label_zh", c["value"])),
                    symbol=Symbol.from_mapping(
                        c.get("symbol") or {},
                        base=base,
                        where=f"{where}.categories.values[{i}].symbol",
                    ),
                )
                for i, c in enumerate(cats_doc.get("values") or [])
            )
            _lines_only(geometry, base, cats, where)
            return cls(
                key=data["key"],
                name_zh=data["name_zh"],
                geometry=geometry,
                symbol=base,
                category_field=cats_doc.get("field"),
                categories=cats,
                label=data.get("label", "name"),
                min_zoom=int(data.get("min_zoom", 0)),
                reference=data.get("reference", ""),
                extra={k: v for k, v in data.items() if k not in _KNOWN_KEYS},
            )
        except KeyError as exc:
            raise ConfigError(f"{where}: missing key {exc}") from exc


def _lines_only(geometry: str, base: Symbol, cats: tuple[Category, ...], where: str) -> None:
    if geometry == "line":
        return
    found = [("symbol", base)] + [
        (f"categories.values[{i}].symbol", c.symbol) for i, c in enumerate(cats)
    ]
    for key, sym in found:
        if sym.strokes:
            raise ConfigError(
                f"{where}.{key}.strokes: multi-stroke symbols are for line styles, "
                f"this style's geometry is {geometry!r}"
            )


_KNOWN_KEYS = {
    "key",
    "name_zh",
    "geometry",
    "symbol",
    "categories",
    "label",
    "min_zoom",
    "reference",
}


@cache
def _styles() -> dict[str, Style]:
    return _resources.keyed_yaml("styles", Style.from_mapping)


def available() -> list[str]:
    """Every style key."""
    return sorted(_styles())


def style(key: str) -> Style:
    """The style called ``key``."""
    styles = _styles()
    if key not in styles:
        raise UnknownLayerError(f"no style {key!r}; available: {', '.join(available())}")
    return styles[key]
