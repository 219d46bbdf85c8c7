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
    label: name                    # field used for labels and tooltips
    min_zoom: 0                    # hide below this web-map zoom
    reference: "..."               # the convention followed, cited

Categories' symbols inherit every key they do not set from the default symbol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from fzgeo import _resources
from fzgeo.errors import ConfigError, UnknownLayerError

GEOMETRIES = ("point", "line", "polygon")
_HEX = set("0123456789abcdefABCDEF")


def _check_colour(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    if not (
        isinstance(value, str) and len(value) == 7 and value[0] == "#" and set(value[1:]) <= _HEX
    ):
        raise ConfigError(f"{where}: colour must be '#rrggbb', got {value!r}")
    return value.lower()


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

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, base: Symbol | None = None, where: str
    ) -> Symbol:
        """Build a symbol from YAML, inheriting unset keys from ``base``."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ConfigError(
                f"{where}: unknown symbol keys {sorted(unknown)}; known: {sorted(known)}"
            )
        values = dict(data)
        for key in ("stroke", "fill"):
            if key in values:
                values[key] = _check_colour(values[key], f"{where}.{key}")
        if "dash" in values:
            values["dash"] = tuple(float(v) for v in values["dash"] or ())
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
                        c.get("symbol") or {}, base=base, where=f"{where}.categories"
                    ),
                )
                for c in cats_doc.get("values") or []
            )
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
