"""Install the fzgeo QGIS plugin from its zip into a fresh profile and run every algorithm.

Run with Debian's ``/usr/bin/python3`` (python3-qgis 3.22) and ``QT_QPA_PLATFORM=offscreen``::

    plugin_driver.py SPEC.json

SPEC names the zip, the profile folder, the fzgeo command, the input files and an output folder.
The driver prints one line ``DRIVER-JSON {...}`` with what QGIS saw: the provider and its
algorithms, each run's results, Processing log and the result layers' attributes, the layer tree,
the cancel and missing-fzgeo cases, and writes the screenshots. Not a test module:
``tests/test_qgis_plugin.py`` runs it and compares with ``fzgeo`` run directly.
"""

import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import zipfile
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsProcessingAlgRunnerTask,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)

SPEC = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
OUT = {"errors": []}


class Feedback(QgsProcessingFeedback):
    """Keeps every message the algorithm sends to the Processing log, by kind."""

    def __init__(self):
        super().__init__()
        self.log = []

    def pushInfo(self, info):  # noqa: N802
        self.log.append(["info", info])
        super().pushInfo(info)

    def pushWarning(self, warning):  # noqa: N802
        self.log.append(["warning", warning])
        super().pushWarning(warning)

    def reportError(self, error, fatalError=False):  # noqa: N802, N803
        self.log.append(["error", error])
        super().reportError(error, fatalError)

    def pushCommandInfo(self, info):  # noqa: N802
        self.log.append(["command", info])
        super().pushCommandInfo(info)

    def pushConsoleInfo(self, info):  # noqa: N802
        self.log.append(["console", info])
        super().pushConsoleInfo(info)

    def pushDebugInfo(self, info):  # noqa: N802
        self.log.append(["debug", info])
        super().pushDebugInfo(info)


def value(v):
    """A QVariant attribute as JSON (NULL as None)."""
    if v is None or (hasattr(v, "isNull") and v.isNull()):
        return None
    if isinstance(v, (int, float, str, bool)):
        return v
    return str(v)


def features(source):
    layer = QgsVectorLayer(source, "result", "ogr")
    names = [f.name() for f in layer.fields()]
    rows = [
        {n: value(feat[n]) for n in names} | {"_wkb": feat.geometry().wkbType()}
        for feat in layer.getFeatures()
    ]
    return {"valid": layer.isValid(), "crs": layer.crs().authid(), "rows": rows}


def tree(group):
    out = []
    for child in group.children():
        if isinstance(child, QgsLayerTreeGroup):
            out.append({"group": child.name(), "children": tree(child)})
        elif isinstance(child, QgsLayerTreeLayer):
            layer = child.layer()
            renderer = layer.renderer() if layer else None
            out.append(
                {
                    "layer": child.name(),
                    "valid": bool(layer and layer.isValid()),
                    "count": layer.featureCount() if layer else None,
                    "checked": child.itemVisibilityChecked(),
                    "renderer": renderer.type() if renderer else None,
                    "field": renderer.classAttribute()
                    if renderer and renderer.type() == "categorizedSymbol"
                    else None,
                    "categories": [c.label() for c in renderer.categories()]
                    if renderer and renderer.type() == "categorizedSymbol"
                    else None,
                }
            )
    return out


def run(name, alg, params, feedback=None):
    """processing.run on the main thread; the result or the error, and the log."""
    import processing

    feedback = feedback or Feedback()
    started = time.monotonic()
    entry = {"params": {k: str(v) for k, v in params.items()}}
    try:
        entry["results"] = {
            k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v))
            for k, v in processing.run(alg, params, feedback=feedback).items()
        }
    except QgsProcessingException as exc:
        entry["exception"] = str(exc)
    entry["seconds"] = round(time.monotonic() - started, 2)
    entry["log"] = feedback.log
    entry["progress"] = feedback.progress()
    OUT[name] = entry
    return entry


def run_task(name, alg_id, params):
    """Run like the dialog does: a QgsProcessingAlgRunnerTask on QGIS's task manager."""
    registry = QgsApplication.processingRegistry()
    alg = registry.createAlgorithmById(alg_id)
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = Feedback()
    task = QgsProcessingAlgRunnerTask(alg, params, context, feedback)
    done = {}
    task.executed.connect(lambda ok, results: done.update(ok=ok, results=results))
    thread_ids = {"main": threading.get_ident()}
    QgsApplication.taskManager().addTask(task)
    deadline = time.monotonic() + 600
    while "ok" not in done and time.monotonic() < deadline:
        QgsApplication.processEvents()
        time.sleep(0.05)
    # the layers to load are the context's: the dialog's task adds them when it completes
    OUT[name] = {
        "ok": done.get("ok"),
        "results": {k: str(v) for k, v in (done.get("results") or {}).items()},
        "log": feedback.log,
        "progress": feedback.progress(),
        "main_thread": thread_ids["main"],
    }
    return OUT[name]


def install(zip_path, profile):
    """What Plugins ▸ Install from ZIP does: unzip into the profile's plugins folder, start it."""
    import qgis.utils

    plugins = Path(QgsApplication.qgisSettingsDirPath()) / "python" / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    # the plugin manager's own steps (pyplugin_installer.installer.installFromZipFile): the
    # plugin is the folder of the shortest metadata.txt, unzipped with its unzip into the
    # profile's plugins folder, then loaded and started
    with zipfile.ZipFile(zip_path) as zf:
        name = Path(sorted(f for f in zf.namelist() if f.endswith("metadata.txt"))[0]).parent.name
    sys.path.append("/usr/share/qgis/python")
    from pyplugin_installer.unzip import unzip

    unzip(zip_path, str(plugins))
    sys.path.insert(0, str(plugins))
    qgis.utils.home_plugin_path = str(plugins)
    qgis.utils.plugin_paths = [str(plugins)]
    qgis.utils.updateAvailablePlugins()
    loaded = qgis.utils.loadPlugin(name)
    started = qgis.utils.startPlugin(name)
    meta = {
        k: qgis.utils.pluginMetadata("fzgeo_qgis", k)
        for k in ("name", "qgisMinimumVersion", "version", "icon", "hasProcessingProvider")
    }
    return {
        "name": name,
        "plugins_dir": str(plugins),
        "settings_dir": QgsApplication.qgisSettingsDirPath(),
        "profile": profile,
        "loaded": loaded,
        "started": started,
        "metadata": meta,
        "fzgeo_importable_in_qgis": importlib.util.find_spec("fzgeo") is not None,
        "fzgeo_imported": "fzgeo" in sys.modules,
    }


def provider_info():
    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("fzgeo")
    if provider is None:
        return None
    algs = {}
    for alg in provider.algorithms():
        algs[alg.id()] = {
            "display": alg.displayName(),
            "params": [p.name() for p in alg.parameterDefinitions()],
            "outputs": [o.name() for o in alg.outputDefinitions()],
            "help": alg.shortHelpString(),
        }
    return {"name": provider.name(), "icon": not provider.icon().isNull(), "algorithms": algs}


def set_command(command):
    from processing.core.ProcessingConfig import ProcessingConfig

    ProcessingConfig.setSettingValue("FZGEO_COMMAND", command)


def group_members(groups):
    """Live (not zombie) processes whose process group is one of ``groups``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp in groups and state not in ("Z", "X"):
            found.append(int(stat.parent.name))
    return found


def cancel_case(sites_layer, folder):
    """Cancel a running check: the algorithm stops at once and the fzgeo process is gone."""
    feedback = Feedback()
    timer = threading.Timer(SPEC["cancel_after"], feedback.cancel)
    timer.start()
    entry = run(
        "cancel",
        "fzgeo:check",
        {"INPUT": sites_layer, "OUTPUT": str(folder / "cancelled"), "SITE_MAPS": 1},
        feedback,
    )
    timer.cancel()
    pids = [int(m.split()[-1]) for kind, m in feedback.log if m.startswith("fzgeo 进程 PID")]
    time.sleep(0.5)
    alive = [p for p in group_members(pids) if p]
    entry["pids"] = pids
    entry["alive"] = alive


class Iface:
    """The few parts of QGIS's interface the Processing dialog reaches for, as in the app."""

    def __init__(self):
        from qgis.gui import QgsMapCanvas, QgsMessageBar

        self.canvas = QgsMapCanvas()
        self.canvas.resize(800, 600)
        self.bar = QgsMessageBar()

    def mapCanvas(self):  # noqa: N802
        return self.canvas

    def messageBar(self):  # noqa: N802
        return self.bar

    def __getattr__(self, name):
        return lambda *_args, **_kwargs: None


def legend(painter, layer):
    """A legend box of the verdict classes, drawn as the layer's own symbols, bottom left."""
    from qgis.PyQt.QtCore import QRectF, QSize, Qt
    from qgis.PyQt.QtGui import QColor, QFont, QPen

    if layer is None or layer.renderer().type() != "categorizedSymbol":
        return
    items = [c for c in layer.renderer().categories() if str(c.value()) != ""]
    font = QFont("Noto Sans CJK SC", 11)
    painter.setFont(font)
    height = 28 * (len(items) + 1) + 12
    box = QRectF(16, 760 - height - 16, 240, height)
    painter.setPen(QPen(QColor("#666666"), 1))
    painter.setBrush(QColor("#ffffff"))
    painter.drawRect(box)
    painter.setPen(QColor("#000000"))
    painter.drawText(QRectF(box.x() + 10, box.y() + 6, 220, 24), Qt.AlignLeft, "综合结论（选址）")
    for i, category in enumerate(items):
        y = box.y() + 8 + 28 * (i + 1)
        image = category.symbol().asImage(QSize(22, 18), None)
        painter.drawImage(int(box.x() + 10), int(y), image)
        painter.drawText(QRectF(box.x() + 42, y - 2, 190, 24), Qt.AlignLeft, category.label())


def banner(painter):
    """The 示意 notice across the top: the packaged 三区三线 layers are stand-ins."""
    from qgis.PyQt.QtCore import QRectF, Qt
    from qgis.PyQt.QtGui import QColor, QFont

    painter.setPen(Qt.NoPen)
    painter.setBrush(QColor(255, 243, 205, 240))
    painter.drawRect(QRectF(0, 0, 1000, 34))
    painter.setPen(QColor("#7a5a00"))
    painter.setFont(QFont("Noto Sans CJK SC", 11))
    painter.drawText(
        QRectF(12, 6, 976, 24),
        Qt.AlignLeft,
        "示意：三区三线为 fzgeo 内置示意图层，并非官方数据，结果仅供参考",
    )


def screenshots(folder, check_ids):
    """The algorithm dialog and the check result on a map, rendered offscreen."""
    from qgis.core import QgsMapRendererCustomPainterJob, QgsMapSettings, QgsRectangle
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor, QImage, QPainter

    shots = {}
    try:
        import qgis.utils
        from processing.gui.AlgorithmDialog import AlgorithmDialog

        qgis.utils.iface = Iface()
        alg = QgsApplication.processingRegistry().createAlgorithmById("fzgeo:check")
        dialog = AlgorithmDialog(alg, False, None)
        dialog.resize(1000, 760)
        sites = [
            lyr
            for lyr in QgsProject.instance().mapLayers().values()
            if lyr.name().startswith("选址")
        ]
        if sites:
            dialog.mainWidget().setParameters({"INPUT": sites[0].id()})
        dialog.show()
        for _ in range(20):
            QgsApplication.processEvents()
        path = folder / "dialog.png"
        dialog.grab().save(str(path))
        shots["dialog"] = str(path)
        dialog.close()
    except Exception:
        OUT["errors"].append("dialog: " + traceback.format_exc())
    project = QgsProject.instance()
    layers = [project.mapLayer(i) for i in check_ids]
    layers = [layer for layer in layers if layer is not None]
    order = [n.layer() for n in project.layerTreeRoot().findLayers() if n.layer() in layers]
    visible = [
        n.layer()
        for n in project.layerTreeRoot().findLayers()
        if n.layer() in layers and n.isVisible()
    ]
    sites = [layer for layer in order if "项目选址" in layer.name()]
    polygons = [layer for layer in sites if layer.name().endswith("（面）")]
    extent = QgsRectangle()
    conflict = None
    for layer in polygons:  # the conflict site with the largest overlap, and its surroundings
        for feature in layer.getFeatures():
            if feature["综合结论"] == "冲突" and (
                conflict is None or feature.geometry().area() > conflict.geometry().area()
            ):
                conflict = feature
    if conflict is not None:
        extent = conflict.geometry().boundingBox()
        extent.scale(5.0)
    else:
        for layer in sites:
            extent.combineExtentWith(layer.extent())
    shots["focus"] = conflict["name"] if conflict is not None else None
    settings = QgsMapSettings()
    settings.setLayers(visible)
    settings.setDestinationCrs(sites[0].crs() if sites else project.crs())
    settings.setExtent(extent)
    settings.setOutputSize(QSize(1000, 760))
    settings.setBackgroundColor(QColor("#ffffff"))
    image = QImage(QSize(1000, 760), QImage.Format_ARGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    job = QgsMapRendererCustomPainterJob(settings, painter)
    job.start()
    job.waitForFinished()
    legend(painter, polygons[0] if polygons else None)
    banner(painter)
    painter.end()
    path = folder / "canvas.png"
    image.save(str(path))
    shots["canvas"] = str(path)
    white = sum(
        1
        for y in range(0, image.height(), 4)
        for x in range(0, image.width(), 4)
        if QColor(image.pixel(x, y)).name() == "#ffffff"
    )
    shots["painted_share"] = 1 - white / ((image.height() // 4) * (image.width() // 4))
    shots["drawn_layers"] = [layer.name() for layer in visible]
    return shots


def main():
    folder = Path(SPEC["out"])
    app = QgsApplication([], False, SPEC["profile"])
    app.initQgis()
    from qgis.core import QgsSettings

    # Processing's temporary outputs inside the test folder, not a stray /tmp/processing_*
    QgsSettings().setValue("Processing/Configuration/TEMP_PATH2", str(folder / "processing_tmp"))
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    OUT["qgis"] = Qgis.version()
    OUT["install"] = install(SPEC["zip"], SPEC["profile"])
    OUT["provider"] = provider_info()
    project = QgsProject.instance()

    sites = QgsVectorLayer(SPEC["sites"], "选址（EPSG:4548）", "ogr")
    project.addMapLayer(sites)
    OUT["sites_layer"] = {"valid": sites.isValid(), "crs": sites.crs().authid()}

    # fzgeo missing, then too old: the algorithm says what to install
    set_command(SPEC["missing_command"])
    run("missing", "fzgeo:check", {"INPUT": sites, "OUTPUT": str(folder / "missing")})
    set_command(SPEC["old_command"])
    run("old", "fzgeo:check", {"INPUT": sites, "OUTPUT": str(folder / "old")})
    set_command(SPEC["command"])

    # A: the packaged constraint layers, result layers added to the project
    entry = run(
        "check",
        "fzgeo:check",
        {"INPUT": sites, "OUTPUT": str(folder / "check"), "ELLIPSOIDAL": True},
    )
    if "results" in entry:
        entry["sites"] = features(entry["results"]["SITES"])
    OUT["tree_after_check"] = tree(project.layerTreeRoot())
    check_ids = entry.get("results", {}).get("LAYER_IDS", "").split(";")

    # B: constraint layers from the project, selected sites only, as a background task
    eco = QgsVectorLayer(f"{SPEC['plan_gpkg']}|layername=eco_redline", "红线（项目图层）", "ogr")
    farm = QgsVectorLayer(
        f"{SPEC['plan_gpkg']}|layername=basic_farmland", "基本农田（项目图层）", "ogr"
    )
    project.addMapLayers([eco, farm])
    sites.selectByIds([f.id() for f in sites.getFeatures()][: SPEC["selected"]])
    task = run_task(
        "task",
        "fzgeo:check",
        {
            "INPUT": QgsProcessingFeatureSourceDefinition(sites.id(), True),
            "ECO_REDLINE": eco,
            "BASIC_FARMLAND": farm,
            "SITE_MAPS": 2,
            "OUTPUT": "TEMPORARY_OUTPUT",  # the dialog default
        },
    )
    if task["results"].get("SITES"):
        task["sites"] = features(task["results"]["SITES"])

    # an empty memory layer: fzgeo's coded error (FZ302) fails the algorithm and is in the log
    empty = QgsVectorLayer("Polygon?crs=EPSG:4490&field=名称:string", "空图层", "memory")
    project.addMapLayer(empty)
    run("empty", "fzgeo:check", {"INPUT": empty, "OUTPUT": str(folder / "empty")})

    # C: cancel
    cancel_case(sites, folder)

    # D: validate a layer's file and a plain file
    bad = QgsVectorLayer(SPEC["bad"], "bad", "ogr")
    project.addMapLayer(bad)
    run("validate", "fzgeo:validate", {"INPUT": bad, "OUTPUT": str(folder / "validate.json")})
    set_command("")  # no setting: fzgeo found on PATH
    run(
        "validate_file",
        "fzgeo:validate",
        {"INPUT_FILE": SPEC["sites"], "OUTPUT": str(folder / "validate_file.json")},
    )
    set_command(SPEC["command"])

    # E: official 三区三线 through the gb profile
    entry = run(
        "sanqu",
        "fzgeo:sanqu_load",
        {"INPUT_FOLDER": SPEC["gdb"], "OUTPUT": str(folder / "official.gpkg")},
    )
    OUT["tree_after_sanqu"] = tree(project.layerTreeRoot())

    # F: plan layers
    run(
        "plan",
        "fzgeo:plan_layers",
        {"LAYERS": SPEC["plan_indexes"], "OUTPUT": str(folder / "plan" / "plan.gpkg")},
    )
    OUT["tree_after_plan"] = tree(project.layerTreeRoot())

    OUT["screenshots"] = screenshots(folder, check_ids)
    (folder / "driver.json").write_text(json.dumps(OUT, ensure_ascii=False, indent=1, default=repr))
    print("DRIVER-JSON " + json.dumps(OUT, ensure_ascii=False, default=repr), flush=True)
    sys.stderr.flush()
    os._exit(0)  # QGIS's Python bindings may crash while tearing down; the result is printed


if __name__ == "__main__":
    try:
        main()
    except Exception:
        OUT["errors"].append(traceback.format_exc())
        print("DRIVER-JSON " + json.dumps(OUT, ensure_ascii=False, default=repr), flush=True)
        os._exit(1)
