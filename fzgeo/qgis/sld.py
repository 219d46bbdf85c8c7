"""Render a style spec to OGC SLD 1.1 / Symbology Encoding (for GeoServer and QGIS alike).

Stored beside the QML in the GeoPackage's ``layer_styles`` table (``styleSLD``). One rule per
category (an ``ogc:PropertyIsEqualTo`` filter on the category field) plus a catch-all rule with
the default symbol whose filter is ``ogc:Not`` of the listed values (not ``se:ElseFilter``, which
QGIS 3.22 imports as a rule matching every feature); a spec without categories has one rule. Sizes are in pixels, the
SE default unit and the spec's own. Labels are a ``se:TextSymbolizer`` on the ``label`` field.
A multi-stroke line is one ``se:LineSymbolizer`` per stroke in its rule, bottom first (SE has no
rendering passes across features, so where lines cross a casing may cover another line's centre).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fzgeo.qgis.layerinfo import LayerInfo
from fzgeo.qgis.qml import category_value
from fzgeo.styles import Stroke, Style, Symbol

SLD = "http://www.opengis.net/sld"
SE = "http://www.opengis.net/se"
OGC = "http://www.opengis.net/ogc"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XLINK = "http://www.w3.org/1999/xlink"
SCHEMA = "http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"

for _prefix, _uri in (("", SLD), ("se", SE), ("ogc", OGC), ("xsi", XSI), ("xlink", XLINK)):
    ET.register_namespace(_prefix, _uri)


def _se(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{SE}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def _param(parent: ET.Element, name: str, value: str) -> None:
    _se(parent, "SvgParameter", value, name=name)


def _num(value: float) -> str:
    return f"{value:g}"


def _stroke(parent: ET.Element, sym: Symbol | Stroke) -> None:
    if sym.stroke is None:
        return
    stroke = _se(parent, "Stroke")
    _param(stroke, "stroke", sym.stroke)
    _param(stroke, "stroke-opacity", _num(sym.opacity))
    _param(stroke, "stroke-width", _num(sym.width))
    _param(stroke, "stroke-linejoin", "round")
    _param(stroke, "stroke-linecap", "butt" if sym.dash else "round")
    if sym.dash:
        _param(stroke, "stroke-dasharray", " ".join(_num(d) for d in sym.dash))


def _fill(parent: ET.Element, sym: Symbol) -> None:
    if sym.fill is None:
        return
    fill = _se(parent, "Fill")
    _param(fill, "fill", sym.fill)
    _param(fill, "fill-opacity", _num(sym.fill_opacity))


def symbolizer(parent: ET.Element, sym: Symbol, geometry: str) -> None:
    """Append the symbolizer of ``sym`` for ``geometry`` (point, line or polygon)."""
    if geometry == "polygon":
        node = _se(parent, "PolygonSymbolizer")
        _fill(node, sym)
        _stroke(node, sym)
    elif geometry == "line":
        for stroke in sym.strokes or (sym,):  # a multi-stroke line: one per stroke, bottom first
            _stroke(_se(parent, "LineSymbolizer"), stroke)
    else:
        graphic = _se(_se(parent, "PointSymbolizer"), "Graphic")
        mark = _se(graphic, "Mark")
        _se(mark, "WellKnownName", "circle")
        _fill(mark, sym)
        _stroke(mark, sym)
        _se(graphic, "Size", _num(2 * sym.radius))


def _rule(fts: ET.Element, name: str, title: str) -> ET.Element:
    rule = _se(fts, "Rule")
    _se(rule, "Name", name)
    _se(_se(rule, "Description"), "Title", title)
    return rule


def _rules(fts: ET.Element, style: Style) -> None:
    if not style.categories or not style.category_field:
        rule = _rule(fts, style.key, style.name_zh)
        symbolizer(rule, style.symbol, style.geometry)
        return
    values = [category_value(cat.value) for cat in style.categories]
    for cat, value in zip(style.categories, values, strict=True):
        rule = _rule(fts, value, cat.label_zh)
        _equal(ET.SubElement(rule, f"{{{OGC}}}Filter"), style.category_field, value)
        symbolizer(rule, cat.symbol, style.geometry)
    # the catch-all as an explicit filter: QGIS 3.22 reads se:ElseFilter as "always"
    rule = _rule(fts, "other", "其他")
    negation = ET.SubElement(ET.SubElement(rule, f"{{{OGC}}}Filter"), f"{{{OGC}}}Not")
    parent = ET.SubElement(negation, f"{{{OGC}}}Or") if len(values) > 1 else negation
    for value in values:
        _equal(parent, style.category_field, value)
    symbolizer(rule, style.symbol, style.geometry)


def _equal(parent: ET.Element, field: str, value: str) -> None:
    equal = ET.SubElement(parent, f"{{{OGC}}}PropertyIsEqualTo")
    ET.SubElement(equal, f"{{{OGC}}}PropertyName").text = field
    ET.SubElement(equal, f"{{{OGC}}}Literal").text = value


def _labels(fts: ET.Element, style: Style) -> None:
    rule = _se(fts, "Rule")
    _se(rule, "Name", "labels")
    text = _se(rule, "TextSymbolizer")
    label = _se(text, "Label")
    ET.SubElement(label, f"{{{OGC}}}PropertyName").text = style.label
    font = _se(text, "Font")
    _param(font, "font-family", "Noto Sans CJK SC")
    _param(font, "font-size", "12")
    halo = _se(text, "Halo")
    _se(halo, "Radius", "1.5")
    _param(_se(halo, "Fill"), "fill", "#ffffff")
    _param(_se(text, "Fill"), "fill", "#282828")


def sld(info: LayerInfo, *, with_labels: bool = True) -> str:
    """The SLD 1.1 document of ``info``'s style (labels only if the layer has the field)."""
    root = ET.Element(
        f"{{{SLD}}}StyledLayerDescriptor", {"version": "1.1.0", f"{{{XSI}}}schemaLocation": SCHEMA}
    )
    layer = ET.SubElement(root, f"{{{SLD}}}NamedLayer")
    _se(layer, "Name", info.name)
    user = ET.SubElement(layer, f"{{{SLD}}}UserStyle")
    _se(user, "Name", info.name)
    description = _se(user, "Description")
    _se(description, "Title", info.title)
    _se(description, "Abstract", info.abstract)
    fts = _se(user, "FeatureTypeStyle")
    _rules(fts, info.style)
    if with_labels:
        _labels(fts, info.style)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
