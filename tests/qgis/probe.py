"""Open fzgeo's QGIS output in real QGIS and print what QGIS sees, as JSON (one run).

Run with Debian's ``/usr/bin/python3`` (python3-qgis) and ``QT_QPA_PLATFORM=offscreen``::

    probe.py SPEC.json      # [{"gpkg": PATH, "qgz": PATH, "layers": [NAME, ...]}, ...]

Not a test module: ``tests/test_qgis.py`` runs it in a subprocess and checks the JSON.
"""

import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsExpressionContextUtils,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsProject,
    QgsRenderContext,
    QgsSymbolLayerUtils,
    QgsVectorLayer,
)

LOG = []


def _collect(message, tag, level):
    LOG.append({"tag": tag, "level": int(level), "message": message})


def colours(symbol):
    """Fill and stroke colours of every symbol layer, as #rrggbb and alpha 0-255."""
    out = []
    for i in range(symbol.symbolLayerCount()):
        sl = symbol.symbolLayer(i)
        item = {"class": sl.layerType(), "pass": sl.renderingPass()}
        props = sl.properties()
        fill = sl.color()
        item["color"] = [fill.name(), fill.alpha()]
        stroke = sl.strokeColor()
        item["stroke"] = [stroke.name(), stroke.alpha()]
        for key in ("style", "outline_style", "line_style", "use_custom_dash", "customdash"):
            if key in props:
                item[key] = props[key]
        for key in ("line_width", "outline_width", "size"):
            if key in props:
                item[key] = float(props[key])
        out.append(item)
    return out


def renderer_info(layer):
    r = layer.renderer()
    info = {"type": r.type(), "symbol_levels": r.usingSymbolLevels()}
    if r.type() == "categorizedSymbol":
        info["field"] = r.classAttribute()
        info["categories"] = [
            {"value": str(c.value()), "label": c.label(), "symbol": colours(c.symbol())}
            for c in r.categories()
        ]
    elif r.type() == "RuleRenderer":
        info["rules"] = [
            {
                "label": rule.label(),
                "filter": rule.filterExpression(),
                "else": rule.isElse(),
                "symbol": colours(rule.symbol()) if rule.symbol() else [],
            }
            for rule in r.rootRule().children()
        ]
    elif r.type() == "singleSymbol":
        info["symbol"] = colours(r.symbol())
    return info


def other(renderer, symbol):
    """'' when ``symbol`` is the catch-all category's symbol, else '<unknown>'."""
    props = QgsSymbolLayerUtils.symbolProperties(symbol)
    for cat in renderer.categories():
        if str(cat.value()) == "" and QgsSymbolLayerUtils.symbolProperties(cat.symbol()) == props:
            return ""
    return "<unknown>"


def category_counts(layer):
    """How many features the categorized renderer draws with each category (by value)."""
    renderer = layer.renderer().clone()
    if renderer.type() != "categorizedSymbol":
        return None
    keys = {
        item.ruleKey(): str(cat.value())
        for item, cat in zip(renderer.legendSymbolItems(), renderer.categories(), strict=True)
    }
    context = QgsRenderContext()
    context.expressionContext().appendScope(QgsExpressionContextUtils.layerScope(layer))
    renderer.startRender(context, layer.fields())
    counts = {}
    for feature in layer.getFeatures():
        context.expressionContext().setFeature(feature)
        found = [keys[key] for key in renderer.legendKeysForFeature(feature, context)]
        if not found:  # the legend knows no key for the "all other values" class
            symbol = renderer.symbolForFeature(feature, context)
            found = ["<none>"] if symbol is None else [other(renderer, symbol)]
        for value in found:
            counts[value] = counts.get(value, 0) + 1
    renderer.stopRender(context)
    return counts


def layer_info(layer):
    fields = layer.fields()
    info = {
        "valid": layer.isValid(),
        "name": layer.name(),
        "count": layer.featureCount(),
        "crs": layer.crs().authid(),
        "renderer": renderer_info(layer) if layer.isValid() else None,
        "drawn": category_counts(layer) if layer.isValid() else None,
        "aliases": {f.name(): f.alias() for f in fields},
        "widgets": {f.name(): layer.editorWidgetSetup(i).type() for i, f in enumerate(fields)},
        "labels": layer.labelsEnabled(),
        "label_field": layer.labeling().settings().fieldName if layer.labeling() else None,
        "abstract": layer.metadata().abstract(),
        "title": layer.metadata().title(),
        "scale_visibility": layer.hasScaleBasedVisibility(),
        "min_scale": layer.minimumScale(),
    }
    return info


def sld_info(gpkg, name):
    with sqlite3.connect(gpkg) as con:
        row = con.execute(
            "SELECT styleSLD FROM layer_styles WHERE f_table_name=? AND useAsDefault=1", (name,)
        ).fetchone()
    layer = QgsVectorLayer(f"{gpkg}|layername={name}", name + "_sld", "ogr")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.sld"
        path.write_text(row[0], encoding="utf-8")
        message, ok = layer.loadSldStyle(str(path))
    return {"ok": bool(ok), "message": message, "renderer": renderer_info(layer)}


def tree(group):
    out = []
    for child in group.children():
        if isinstance(child, QgsLayerTreeGroup):
            out.append(
                {
                    "group": child.name(),
                    "checked": child.itemVisibilityChecked(),
                    "children": tree(child),
                }
            )
        elif isinstance(child, QgsLayerTreeLayer):
            layer = child.layer()
            out.append(
                {
                    "layer": child.name(),
                    "valid": bool(layer and layer.isValid()),
                    "checked": child.itemVisibilityChecked(),
                    "source": layer.source() if layer else None,
                    "count": layer.featureCount() if layer else None,
                    "renderer": renderer_info(layer) if layer and layer.isValid() else None,
                    "aliases": {f.name(): f.alias() for f in layer.fields()} if layer else {},
                    "abstract": layer.metadata().abstract() if layer else "",
                }
            )
    return out


def gdal_check(gpkg, names):
    """Open with Debian's GDAL (older than the wheel's) and read every feature; collect messages."""
    from osgeo import gdal, ogr

    messages = []
    gdal.PushErrorHandler(lambda cls, no, msg: messages.append(f"{cls}:{no}:{msg}"))
    try:
        ds = gdal.OpenEx(gpkg, gdal.OF_VECTOR)
        counts = {}
        for name in names:
            layer = ds.GetLayerByName(name)
            counts[name] = sum(1 for _ in layer)
        styles = ds.GetLayerByName("layer_styles")
        counts["layer_styles"] = sum(1 for _ in styles) if styles else None
        ds = None
    finally:
        gdal.PopErrorHandler()
    return {
        "gdal": gdal.__version__,
        "ogr_ok": ogr is not None,
        "counts": counts,
        "messages": messages,
    }


def project_info(qgz):
    project = QgsProject.instance()
    project.clear()
    info = {"read": bool(project.read(qgz))}
    root = project.layerTreeRoot()
    extent = project.viewSettings().defaultViewExtent()
    info.update(
        crs=project.crs().authid(),
        title=project.title(),
        absolute_paths=project.readBoolEntry("Paths", "/Absolute", True)[0],
        tree=tree(root),
        layer_count=len(project.mapLayers()),
        extent=[extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()],
        custom_order=root.hasCustomLayerOrder(),
        rendering_order=[layer.name() for layer in root.customLayerOrder()],
    )
    return info


def render(colours, folder):
    """Render the open project at its initial extent; count pixels of each ``#rrggbb``."""
    from qgis.core import QgsMapRendererSequentialJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    project = QgsProject.instance()
    settings = QgsMapSettings()
    settings.setLayers(project.layerTreeRoot().layerOrder())
    settings.setDestinationCrs(project.crs())
    settings.setExtent(project.viewSettings().defaultViewExtent())
    settings.setOutputSize(QSize(800, 800))
    settings.setBackgroundColor(QColor("#ffffff"))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(str(Path(folder) / "project.png"))
    wanted = {c: QColor(c) for c in colours}
    counts = dict.fromkeys(colours, 0)
    painted = 0
    for y in range(0, image.height()):
        for x in range(0, image.width()):
            pixel = QColor(image.pixel(x, y))
            painted += pixel.name() != "#ffffff"
            for name, colour in wanted.items():  # within antialiasing distance
                if (
                    max(
                        abs(pixel.red() - colour.red()),
                        abs(pixel.green() - colour.green()),
                        abs(pixel.blue() - colour.blue()),
                    )
                    <= 24
                ):
                    counts[name] += 1
    return {"painted": painted, "pixels": image.width() * image.height(), "colours": counts}


def probe(target):
    gpkg, names = target["gpkg"], target["layers"]
    out = {"layers": {}, "sld": {}}
    for name in names:
        layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
        out["layers"][name] = layer_info(layer)
        if target.get("qgz"):
            out["sld"][name] = sld_info(gpkg, name)
    out["project"] = project_info(target["qgz"]) if target.get("qgz") else None
    if target.get("render"):
        out["render"] = render(target["render"], Path(target["qgz"]).parent)
    out["gdal"] = gdal_check(gpkg, names)
    return out


def main():
    targets = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    app = QgsApplication([], False)
    app.initQgis()
    QgsApplication.messageLog().messageReceived.connect(_collect)
    result = {"qgis": Qgis.version(), "targets": [probe(t) for t in targets]}
    QgsApplication.processEvents()
    result["log"] = LOG
    print("PROBE-JSON " + json.dumps(result, ensure_ascii=False, default=repr), flush=True)
    QgsProject.instance().clear()
    app.exitQgis()
    sys.stderr.flush()
    os._exit(0)  # QGIS's Python bindings may crash while tearing down; the result is printed


if __name__ == "__main__":
    main()
