"""Render a style spec to QML, QGIS's own style XML (as QGIS 3.22 LTR reads it).

A spec without categories becomes a single-symbol renderer; one with categories becomes a
categorized renderer on the category field, plus a catch-all class (empty value) drawn with the
default symbol, as the web map does for values the spec does not list. Symbol layers are the
simple ones: ``SimpleFill`` (with a ``SimpleLine`` outline layer when the outline is dashed,
since a simple fill has no custom dash), ``SimpleLine`` and ``SimpleMarker`` (a circle). A
multi-stroke line (``strokes``) is one ``SimpleLine`` per stroke, bottom first, each in its own
rendering pass with symbol levels on, so the casings of all features are drawn before any centre
(clean crossings, as on the web map); a symbol of fewer strokes draws in the top passes.

Units: the spec's widths, dashes and radii are screen pixels (the web map's unit). QGIS gets them
in millimetres at 96 dpi (1 px = 0.2646 mm), so the layer looks the same on screen and scales
properly in a print layout. Colours are ``r,g,b,a``; ``fill_opacity`` goes into the fill
colour's alpha and ``opacity`` into the stroke's. Labels use the spec's ``label`` field (when
the layer has it); ``min_zoom`` becomes scale-based visibility. Field aliases, Chinese value
labels for ``precision``/``status`` (a ValueMap widget) travel with the style; :func:`metadata`
renders the layer abstract as QGIS layer metadata.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from fzgeo.qgis.layerinfo import LayerInfo
from fzgeo.styles import Stroke, Style, Symbol

#: The QGIS version whose format is written (Debian's LTR); newer versions read it.
QGIS_VERSION = "3.22.16-Białowieża"
DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
MM_PER_PX = 25.4 / 96
#: Web-map scale denominator at zoom 0 (OGC WMTS, 0.28 mm pixels).
ZOOM0_SCALE = 559082264.028
GEOMETRY_TYPE = {"point": "0", "line": "1", "polygon": "2"}
SYMBOL_TYPE = {"point": "marker", "line": "line", "polygon": "fill"}
LABEL_PLACEMENT = {"point": "0", "line": "2", "polygon": "1"}  # around point, parallel, over point
LABEL_FONT = "Noto Sans CJK SC"


def colour(hex_colour: str | None, alpha: float = 1.0) -> str:
    """``#rrggbb`` and an opacity as QGIS's ``r,g,b,a`` (``None`` is fully transparent)."""
    if hex_colour is None:
        return "0,0,0,0"
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    a = round(max(0.0, min(1.0, alpha)) * 255)
    return f"{r},{g},{b},{a}"


def mm(px: float) -> str:
    """Pixels (96 dpi) as millimetres, as QGIS writes numbers."""
    return f"{px * MM_PER_PX:.4g}"


def _options(values: Mapping[str, Any]) -> ET.Element:
    node = ET.Element("Option", type="Map")
    for key, value in values.items():
        ET.SubElement(node, "Option", type="QString", name=key, value=str(value))
    return node


def _layer(cls: str, values: Mapping[str, Any], rendering_pass: int = 0) -> ET.Element:
    attrs = {"class": cls, "pass": str(rendering_pass), "enabled": "1", "locked": "0"}
    node = ET.Element("layer", attrs)
    node.append(_options(values))
    return node


def _line_values(sym: Symbol | Stroke) -> dict[str, Any]:
    values = {
        "line_color": colour(sym.stroke, sym.opacity),
        "line_style": "no" if sym.stroke is None else "solid",
        "line_width": mm(sym.width),
        "line_width_unit": "MM",
        "capstyle": "round" if not sym.dash else "flat",
        "joinstyle": "round",
        "offset": "0,0",
        "offset_unit": "MM",
        "use_custom_dash": "1" if sym.dash else "0",
        "customdash": ";".join(mm(d) for d in sym.dash) if sym.dash else "5;2",
        "customdash_unit": "MM",
        "draw_inside_polygon": "0",
        "ring_filter": "0",
    }
    return values


def _fill_layers(sym: Symbol) -> list[ET.Element]:
    dashed_outline = bool(sym.dash) and sym.stroke is not None
    fill = {
        "color": colour(sym.fill, sym.fill_opacity),
        "style": "no" if sym.fill is None else "solid",
        "outline_color": colour(sym.stroke, sym.opacity),
        "outline_style": "no" if sym.stroke is None or dashed_outline else "solid",
        "outline_width": mm(sym.width),
        "outline_width_unit": "MM",
        "joinstyle": "round",
        "offset": "0,0",
        "offset_unit": "MM",
    }
    layers = [_layer("SimpleFill", fill)]
    if dashed_outline:
        layers.append(_layer("SimpleLine", _line_values(sym)))
    return layers


def _marker_layer(sym: Symbol) -> ET.Element:
    return _layer(
        "SimpleMarker",
        {
            "name": "circle",
            "color": colour(sym.fill, sym.fill_opacity),
            "outline_color": colour(sym.stroke, sym.opacity),
            "outline_style": "no" if sym.stroke is None else "solid",
            "outline_width": mm(sym.width),
            "outline_width_unit": "MM",
            "size": mm(2 * sym.radius),
            "size_unit": "MM",
            "scale_method": "diameter",
            "angle": "0",
            "joinstyle": "round",
            "offset": "0,0",
            "offset_unit": "MM",
        },
    )


def _line_layers(sym: Symbol, passes: int) -> list[ET.Element]:
    # no stroke at all: one invisible line, as before
    strokes: tuple[Symbol | Stroke, ...] = sym.all_strokes or (sym,)
    first = passes - len(strokes)
    return [_layer("SimpleLine", _line_values(s), first + i) for i, s in enumerate(strokes)]


def symbol(sym: Symbol, geometry: str, name: str, *, passes: int = 1) -> ET.Element:
    """One ``<symbol>`` element for a spec symbol on ``geometry`` (point, line or polygon).

    ``passes`` is the style's number of stroke passes (:attr:`fzgeo.styles.Style.passes`): a
    line symbol's strokes take the top rendering passes.
    """
    node = ET.Element(
        "symbol",
        {
            "type": SYMBOL_TYPE[geometry],
            "name": name,
            "alpha": "1",
            "clip_to_extent": "1",
            "force_rhr": "0",
        },
    )
    if geometry == "polygon":
        node.extend(_fill_layers(sym))
    elif geometry == "line":
        node.extend(_line_layers(sym, passes))
    else:
        node.append(_marker_layer(sym))
    return node


def category_value(value: Any) -> str:
    """A category value as QGIS compares it (``QVariant.toString()``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def renderer(style: Style) -> ET.Element:
    """The ``<renderer-v2>`` element: single symbol, or categorized with a catch-all class.

    Symbol levels are on when a line style has multi-stroke symbols (more than one pass).
    """
    passes = style.passes if style.geometry == "line" else 1
    common = {"symbollevels": "1" if passes > 1 else "0", "forceraster": "0"}
    common.update(enableorderby="0", referencescale="-1")

    def sym(s: Symbol, name: str) -> ET.Element:
        return symbol(s, style.geometry, name, passes=passes)

    if not style.categories or not style.category_field:
        node = ET.Element("renderer-v2", {"type": "singleSymbol", **common})
        ET.SubElement(node, "symbols").append(sym(style.symbol, "0"))
        return node
    node = ET.Element(
        "renderer-v2", {"type": "categorizedSymbol", "attr": style.category_field, **common}
    )
    cats = ET.SubElement(node, "categories")
    syms = ET.SubElement(node, "symbols")
    for i, cat in enumerate(style.categories):
        value = category_value(cat.value)
        ET.SubElement(
            cats, "category", render="true", symbol=str(i), value=value, label=cat.label_zh
        )
        syms.append(sym(cat.symbol, str(i)))
    other = str(len(style.categories))
    ET.SubElement(cats, "category", render="true", symbol=other, value="", label="其他")
    syms.append(sym(style.symbol, other))
    ET.SubElement(node, "source-symbol").append(sym(style.symbol, "0"))
    return node


def labeling(style: Style) -> ET.Element:
    """Simple labeling from the spec's ``label`` field, white halo, CJK font."""
    node = ET.Element("labeling", type="simple")
    settings = ET.SubElement(node, "settings", calloutType="simple")
    text = ET.SubElement(
        settings,
        "text-style",
        fieldName=style.label,
        isExpression="0",
        fontFamily=LABEL_FONT,
        namedStyle="Regular",
        fontSize="9",
        fontSizeUnit="Point",
        fontWeight="50",
        textColor="40,40,40,255",
        textOpacity="1",
        multilineHeight="1",
    )
    ET.SubElement(
        text,
        "text-buffer",
        bufferDraw="1",
        bufferSize="0.8",
        bufferSizeUnits="MM",
        bufferColor="255,255,255,255",
        bufferOpacity="0.85",
        bufferJoinStyle="128",
    )
    ET.SubElement(settings, "text-format", wrapChar="", autoWrapLength="12")
    placement = {"placement": LABEL_PLACEMENT[style.geometry], "dist": "1", "distUnits": "MM"}
    placement["placementFlags"] = "10"
    ET.SubElement(settings, "placement", placement)
    ET.SubElement(
        settings,
        "rendering",
        obstacle="1" if style.geometry == "point" else "0",
        displayAll="0",
        upsidedownLabels="0",
        labelPerPart="0",
        mergeLines="1" if style.geometry == "line" else "0",
        scaleVisibility="0",
        fontLimitPixelSize="0",
    )
    return node


def aliases(info: LayerInfo, fields: Sequence[str]) -> ET.Element:
    """``<aliases>``: each field of the layer with its Chinese alias (the name when none)."""
    node = ET.Element("aliases")
    for i, name in enumerate(fields):
        ET.SubElement(node, "alias", field=name, index=str(i), name=info.aliases.get(name, ""))
    return node


def field_configuration(info: LayerInfo, fields: Sequence[str]) -> ET.Element:
    """``<fieldConfiguration>``: ValueMap widgets showing Chinese labels for coded columns."""
    node = ET.Element("fieldConfiguration")
    for name in fields:
        labels = info.value_labels.get(name)
        field = ET.SubElement(node, "field", name=name, configurationFlags="None")
        widget = ET.SubElement(field, "editWidget", type="ValueMap" if labels else "TextEdit")
        config = ET.SubElement(widget, "config")
        options = ET.SubElement(config, "Option", type="Map")
        if labels:
            items = ET.SubElement(options, "Option", type="List", name="map")
            for value, label in labels.items():
                pair = ET.SubElement(items, "Option", type="Map")
                ET.SubElement(pair, "Option", type="QString", name=label, value=value)
        else:
            ET.SubElement(options, "Option", type="bool", name="IsMultiline", value="false")
            ET.SubElement(options, "Option", type="bool", name="UseHtml", value="false")
    return node


def layer_attributes(info: LayerInfo, fields: Sequence[str]) -> dict[str, str]:
    """Attributes of the QML root / project ``<maplayer>``: labels and scale visibility."""
    attrs = {"labelsEnabled": "1" if info.style.label in fields else "0"}
    if info.style.min_zoom > 0:
        attrs["hasScaleBasedVisibilityFlag"] = "1"
        attrs["minScale"] = f"{ZOOM0_SCALE / 2**info.style.min_zoom:.0f}"
        attrs["maxScale"] = "0"
    else:
        attrs.update(hasScaleBasedVisibilityFlag="0", minScale="100000000", maxScale="0")
    return attrs


def body(info: LayerInfo, fields: Sequence[str]) -> list[ET.Element]:
    """The style elements shared by a QML file and a project's ``<maplayer>``."""
    nodes = [renderer(info.style)]
    if info.style.label in fields:
        nodes.append(labeling(info.style))
    nodes += [field_configuration(info, fields), aliases(info, fields)]
    geometry = ET.Element("layerGeometryType")
    geometry.text = GEOMETRY_TYPE[info.style.geometry]
    nodes.append(geometry)
    return nodes


def metadata(info: LayerInfo, tag: str = "qgis") -> ET.Element:
    """QGIS layer metadata (title, abstract, keywords): a ``.qmd`` root or ``<resourceMetadata>``."""
    root = ET.Element(tag, version=QGIS_VERSION) if tag == "qgis" else ET.Element(tag)
    for name, text in (
        ("identifier", info.name),
        ("parentidentifier", ""),
        ("language", "zh"),
        ("type", "dataset"),
        ("title", info.title),
        ("abstract", info.abstract),
    ):
        ET.SubElement(root, name).text = text
    keywords = ET.SubElement(root, "keywords", vocabulary="fzgeo")
    for word in filter(None, (info.group, info.style.name_zh, "抚州市十四五规划")):
        ET.SubElement(keywords, "keyword").text = word
    for name in ("links", "fees", "encoding"):
        ET.SubElement(root, name)
    return root


def to_string(root: ET.Element) -> str:
    """Serialise with QGIS's DOCTYPE, indented."""
    ET.indent(root, space="  ")
    return DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def qml(info: LayerInfo, fields: Sequence[str]) -> str:
    """The QML document for a layer whose attribute fields are ``fields`` (``fid`` first)."""
    attrs = {
        "version": QGIS_VERSION,
        "styleCategories": "Symbology|Labeling|Fields|Forms|Rendering",
    }
    root = ET.Element("qgis", {**attrs, **layer_attributes(info, fields)})
    root.extend(body(info, fields))
    return to_string(root)
