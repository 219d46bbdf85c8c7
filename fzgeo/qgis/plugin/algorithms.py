"""The fzgeo Processing algorithms: siting check, 三区三线 loading, input validation, plan layers.

Each algorithm exports what QGIS holds (layers in any CRS, with their selection and filters) to
temporary GeoPackages, runs the configured fzgeo in its own process (``runner``), relays every
line it prints to the Processing log, and, on the main thread afterwards, adds the styled
layers fzgeo wrote to the project (``loading``). Nothing here imports fzgeo.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsCoordinateTransformContext,
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputFile,
    QgsProcessingOutputHtml,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsProviderRegistry,
    QgsVectorFileWriter,
    QgsWkbTypes,
)

from . import runner
from .loading import add_project

HERE = Path(__file__).resolve().parent
#: the packaged constraint layers the default rules name, and their Chinese names
PACKAGED = (
    ("ECO_REDLINE", "eco_redline", "生态保护红线"),
    ("BASIC_FARMLAND", "basic_farmland", "永久基本农田"),
    ("URBAN_BOUNDARY", "urban_boundary", "城镇开发边界"),
)
PACKAGED_EXTRA = ("rivers",)  # the 抚河 main stem of the default proximity rule
SITE_MAPS = ("review", "all", "none")
INPUT_COORDS = ("", "wgs84", "gcj02", "bd09")
SAFE_NAME = re.compile(r"[^0-9A-Za-z_]+")


def configured_command() -> str:
    """The fzgeo command from the Processing options ('' when not set: auto-detect)."""
    try:
        from processing.core.ProcessingConfig import ProcessingConfig

        value = ProcessingConfig.getSetting(runner.SETTING_COMMAND)
    except Exception:  # Processing not initialised (a bare QgsApplication): read QgsSettings
        from qgis.core import QgsSettings

        value = QgsSettings().value(f"Processing/Configuration/{runner.SETTING_COMMAND}", "")
    return str(value or "")


def layer_file(source: str, provider: str = "ogr") -> tuple[str, str | None]:
    """A layer's file and layer name from its data source (``path|layername=x``)."""
    parts = QgsProviderRegistry.instance().decodeUri(provider, source)
    path = parts.get("path") or source.split("|")[0]
    return path, parts.get("layerName") or None


class FzgeoAlgorithm(QgsProcessingAlgorithm):
    """What every fzgeo algorithm shares: finding fzgeo, running it, exporting layers."""

    help_zh = ""
    help_en = ""

    def __init__(self) -> None:
        super().__init__()
        self.results: dict[str, Any] = {}
        self.workdir = ""

    def createInstance(self) -> FzgeoAlgorithm:  # noqa: N802 (Qt API)
        return type(self)()

    def group(self) -> str:
        return ""

    def groupId(self) -> str:  # noqa: N802 (Qt API)
        return ""

    def shortHelpString(self) -> str:  # noqa: N802 (Qt API)
        return (
            f"{self.help_zh}\n\n{self.help_en}\n\n"
            "本工具在单独的进程中运行 fzgeo（在“处理 ▸ 选项 ▸ 服务提供者 ▸ fzgeo”中设置）。"
            " / Runs fzgeo in its own process (set under Processing > Options > Providers > fzgeo)."
        )

    # -- running fzgeo ----------------------------------------------------------------------
    def fzgeo(self, feedback: Any) -> runner.Found:
        """The fzgeo to run, or a Processing error that says what to install."""
        try:
            found = runner.locate(configured_command())
        except runner.FzgeoUnavailableError as exc:
            raise QgsProcessingException(str(exc)) from None
        feedback.pushInfo(
            f"fzgeo {runner.version_text(found.version)}（{found.how}）：{' '.join(found.command)}"
        )
        return found

    def run_fzgeo(
        self,
        found: runner.Found,
        args: list[str],
        feedback: Any,
        start: float,
        end: float,
        steps: int = 1,
        ok: tuple = (0,),
    ) -> runner.Outcome:
        """Run ``fzgeo args``; progress moves from ``start`` to ``end`` over ``steps`` outputs."""
        done = [0]

        def progress(line: str) -> None:
            if line.startswith("wrote "):
                done[0] += 1
                feedback.setProgress(start + (end - start) * min(done[0], steps) / steps)

        feedback.setProgress(start)
        outcome = runner.run(found.command, args, runner.Relay(feedback, progress), self.workdir)
        self.results["PID"] = outcome.pid
        if outcome.cancelled or feedback.isCanceled():
            raise QgsProcessingException(
                "已取消，fzgeo 进程已结束 / cancelled, fzgeo process ended"
            )
        if outcome.status not in ok:
            if outcome.errors:
                raise QgsProcessingException("\n".join(outcome.errors))
            tail = "\n".join((outcome.stderr or outcome.stdout)[-15:])
            raise QgsProcessingException(
                f"[{runner.FZ_FAILED}] fzgeo 运行失败（退出状态 {outcome.status}）/ fzgeo failed "
                f"(exit status {outcome.status}):\n{tail}"
            )
        feedback.setProgress(end)
        return outcome

    def make_workdir(self) -> str:
        """A temporary folder for the exported layers, removed by :meth:`cleanup`."""
        self.workdir = tempfile.mkdtemp(prefix="fzgeo_qgis_")
        return self.workdir

    def cleanup(self) -> None:
        """Remove the temporary folder (exported constraint layers can be large)."""
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def export(self, source: Any, name: str, context: Any, feedback: Any, folder: str = "") -> str:
        """Write a feature source (any CRS, selection and filters applied) to a GeoPackage."""
        path = str(Path(folder or self.workdir) / f"{name}.gpkg")
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        options.layerName = name
        options.fileEncoding = "UTF-8"
        transform = context.transformContext() if context else QgsCoordinateTransformContext()
        # a generic geometry column: QGIS gives a layer one type, the file may mix them
        writer = QgsVectorFileWriter.create(
            path, source.fields(), QgsWkbTypes.Unknown, source.sourceCrs(), transform, options
        )
        if writer.hasError() != QgsVectorFileWriter.NoError:
            raise QgsProcessingException(f"无法写出临时文件 {path}：{writer.errorMessage()}")
        count = 0
        request = QgsFeatureRequest()
        for feature in source.getFeatures(request):
            if feedback.isCanceled():
                del writer
                raise QgsProcessingException("已取消 / cancelled")
            if not writer.addFeature(feature):
                raise QgsProcessingException(
                    f"无法写出要素 {feature.id()}：{writer.errorMessage()}"
                )
            count += 1
        del writer
        feedback.pushInfo(
            f"“{source.sourceName()}”：已导出 {count} 个要素"
            f"（{source.sourceCrs().authid() or '无坐标系'}）→ {path}"
        )
        return path

    def processAlgorithm(self, parameters: Any, context: Any, feedback: Any) -> dict[str, Any]:  # noqa: N802
        try:
            return self.process(parameters, context, feedback)
        finally:
            self.cleanup()  # also when fzgeo failed or the run was cancelled

    def process(self, parameters: Any, context: Any, feedback: Any) -> dict[str, Any]:
        """The algorithm's work, on the task's thread; the temporary folder is removed after."""
        raise NotImplementedError

    def add_layers(self, qgz: str, gpkg: str, context: Any, group: str) -> list[str]:
        """Add fzgeo's styled layers to the project (main thread); their layer ids."""
        project = context.project()
        if project is None:
            return []
        return [layer.id() for layer in add_project(qgz, project, group, gpkg)]

    def postProcessAlgorithm(self, context: Any, feedback: Any) -> dict[str, Any]:  # noqa: N802, ARG002
        return dict(self.results)


class CheckAlgorithm(FzgeoAlgorithm):
    """建设项目选址冲突检查: ``fzgeo check`` on a QGIS layer."""

    help_zh = (
        "检查项目选址与生态保护红线、永久基本农田、城镇开发边界及抚河干流 1 公里范围的冲突，"
        "按规则计算重叠面积（平方米、公顷、亩）并给出结论（冲突 / 邻近 / 无冲突）。"
        "输入可以是项目中任意坐标系的矢量图层（只检查选中的要素时请勾选“仅选中要素 / Selected features only”）。"
        "管控图层可以取自当前项目，未指定的使用 fzgeo 内置图层（三区三线为示意数据，仅供参考）。"
        "结果（按结论着色的项目选址图层、冲突部分图层、所用管控图层）加入当前项目，"
        "报告文件夹中有 report.xlsx、report.html、report.csv、summary.json。"
    )
    help_en = (
        "Siting check (fzgeo check) of a layer in any CRS against 生态保护红线, 永久基本农田, "
        "城镇开发边界 and the 抚河 1 km band: overlap in m², 公顷 and 亩 and a verdict per site "
        "and rule, the same as the command line to the cent. Constraint layers come from the "
        "project or, when not given, from fzgeo's packaged set (illustrative 三区三线). The "
        "per-site layer (styled by verdict), the conflict parts and the constraint layers used "
        "are added to the project; the report folder holds XLSX, HTML, CSV and JSON."
    )

    def name(self) -> str:
        return "check"

    def displayName(self) -> str:  # noqa: N802
        return "建设项目选址冲突检查"

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802, ARG002
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "INPUT", "项目选址图层 / Project sites", [QgsProcessing.TypeVectorAnyGeometry]
            )
        )
        for key, _name, label in PACKAGED:
            self.addParameter(
                QgsProcessingParameterFeatureSource(
                    key,
                    f"{label}图层（留空则用内置图层）/ {key.lower()} layer",
                    [QgsProcessing.TypeVectorPolygon],
                    optional=True,
                )
            )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                "OTHER_LAYERS",
                "其他管控图层（以数据源图层名对应规则的 layer）/ other constraint layers",
                QgsProcessing.TypeVectorAnyGeometry,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                "USE_PACKAGED",
                "未指定的管控图层使用 fzgeo 内置图层（示意）/ packaged layers for the rest",
                defaultValue=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "RULES",
                "规则文件（YAML，留空用内置规则）/ rules file",
                optional=True,
                fileFilter="YAML (*.yaml *.yml)",
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                "DEM", "高程（DEM，用于坡度规则）/ elevation for slope rules", optional=True
            )
        )
        radius = QgsProcessingParameterNumber(
            "POINT_RADIUS",
            "点状选址的半径（米）/ radius of point sites (m)",
            QgsProcessingParameterNumber.Double,
            optional=True,
            minValue=0.0,
        )
        self.addParameter(radius)
        self.addParameter(
            QgsProcessingParameterEnum(
                "SITE_MAPS",
                "报告中的选址图 / site maps in report.html",
                options=["冲突与邻近的选址 (review)", "全部选址 (all)", "不绘制 (none)"],
                defaultValue=0,
            )
        )
        advanced = [
            QgsProcessingParameterBoolean(
                "ELLIPSOIDAL",
                "同时报告 CGCS2000 椭球面积 / also ellipsoidal areas",
                defaultValue=False,
            ),
            QgsProcessingParameterEnum(
                "INPUT_COORDS",
                "经纬度来源（高德/腾讯为 gcj02，百度为 bd09）/ lon/lat picked on",
                options=["不转换（默认）", "WGS84 (wgs84)", "高德/腾讯 (gcj02)", "百度 (bd09)"],
                defaultValue=0,
            ),
            QgsProcessingParameterBoolean(
                "ALLOW_OUTSIDE",
                "选址在抚州市外时仍然检查 / check sites outside 抚州市",
                defaultValue=False,
            ),
            QgsProcessingParameterBoolean(
                "NO_CACHE", "不使用切分缓存 / no cache of cut pieces", defaultValue=False
            ),
            QgsProcessingParameterBoolean(
                "ADD_TO_PROJECT", "结果加入当前项目 / add results to the project", defaultValue=True
            ),
        ]
        for param in advanced:
            param.setFlags(param.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(param)
        self.addParameter(
            QgsProcessingParameterFolderDestination("OUTPUT", "检查报告文件夹 / report folder")
        )
        self.addOutput(QgsProcessingOutputString("SITES", "项目选址（检查结果）/ per-site layer"))
        self.addOutput(QgsProcessingOutputString("PARTS", "冲突部分 / conflict parts layer"))
        self.addOutput(QgsProcessingOutputHtml("REPORT_HTML", "报告（HTML）"))
        self.addOutput(QgsProcessingOutputFile("REPORT_XLSX", "报告（XLSX）"))
        self.addOutput(QgsProcessingOutputFile("SUMMARY", "summary.json"))
        for key, label in (
            ("CONFLICTS", "冲突选址数"),
            ("REVIEW", "邻近选址数"),
            ("CLEAR", "无冲突选址数"),
            ("UNCHECKED", "无法检查选址数"),
            ("EXIT_STATUS", "fzgeo 退出状态"),
        ):
            self.addOutput(QgsProcessingOutputNumber(key, label))
        self.addOutput(QgsProcessingOutputString("LAYER_IDS", "加入项目的图层"))

    def against(self, parameters: Any, context: Any, feedback: Any) -> list[str]:
        """``--against`` arguments: project layers exported, packaged names for the rest."""
        args: list[str] = []
        given = set()
        for key, name, label in PACKAGED:
            source = self.parameterAsSource(parameters, key, context)
            if source is None:
                continue
            path = self.export(source, name, context, feedback)
            args += ["--against", f"{name}={path}"]
            given.add(name)
            feedback.pushInfo(f"{label}：取自当前项目")
        for layer in self.parameterAsLayerList(parameters, "OTHER_LAYERS", context) or []:
            _path, sub = layer_file(layer.source())
            name = SAFE_NAME.sub("_", sub or layer.name()).strip("_") or "layer"
            if name in given:
                raise QgsProcessingException(f"管控图层 {name} 给了两次 / layer {name} given twice")
            path = self.export(layer, name, context, feedback)
            args += ["--against", f"{name}={path}"]
            given.add(name)
        if given and self.parameterAsBoolean(parameters, "USE_PACKAGED", context):
            for name in [n for _k, n, _l in PACKAGED] + list(PACKAGED_EXTRA):
                if name not in given:
                    args += ["--against", name]
        if not given and not self.parameterAsBoolean(parameters, "USE_PACKAGED", context):
            raise QgsProcessingException(
                "没有管控图层：请指定图层或勾选“使用 fzgeo 内置图层” / no constraint layer given"
            )
        return args

    def process(self, parameters: Any, context: Any, feedback: Any) -> dict[str, Any]:
        found = self.fzgeo(feedback)
        self.make_workdir()
        sites = self.parameterAsSource(parameters, "INPUT", context)
        if sites is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, "INPUT"))
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        inputs = Path(out) / "inputs"  # the sites as checked, to re-run from a terminal
        inputs.mkdir(parents=True, exist_ok=True)
        feedback.setProgress(2)
        sites_path = self.export(sites, "sites", context, feedback, str(inputs))
        args = ["check", sites_path, "--no-progress"]
        args += self.against(parameters, context, feedback)
        feedback.setProgress(10)
        rules = self.parameterAsFile(parameters, "RULES", context)
        if rules:
            args += ["--rules", rules]
        dem = self.parameterAsRasterLayer(parameters, "DEM", context)
        if dem is not None:
            path = layer_file(dem.source(), dem.providerType())[0]
            if dem.providerType() != "gdal" or not Path(path).is_file():
                raise QgsProcessingException(
                    f"高程图层 {dem.name()} 不是栅格文件，请先导出为 GeoTIFF / the DEM must be a file"
                )
            args += ["--dem", path]
        if parameters.get("POINT_RADIUS") not in (None, ""):
            args += [
                "--point-radius",
                repr(self.parameterAsDouble(parameters, "POINT_RADIUS", context)),
            ]
        args += ["--site-maps", SITE_MAPS[self.parameterAsEnum(parameters, "SITE_MAPS", context)]]
        coords = INPUT_COORDS[self.parameterAsEnum(parameters, "INPUT_COORDS", context)]
        if coords:
            args += ["--input-coords", coords]
        for key, flag in (
            ("ELLIPSOIDAL", "--ellipsoidal"),
            ("ALLOW_OUTSIDE", "--allow-outside"),
            ("NO_CACHE", "--no-cache"),
        ):
            if self.parameterAsBoolean(parameters, key, context):
                args.append(flag)
        args += ["--out", out]
        outcome = self.run_fzgeo(found, args, feedback, 10, 90, steps=7, ok=(0, 1, 3, 4))
        if outcome.status == 4:
            raise QgsProcessingException(
                "\n".join(ln for ln in outcome.stderr if "FZ106" in ln)
                + "\n选址位于抚州市及所有管控图层之外，多半是坐标系不对；确属市外请勾选“选址在抚州市外时"
                "仍然检查” / the sites lie outside 抚州市 and every layer: likely a wrong CRS."
            )
        if outcome.status == 3:
            feedback.pushWarning("有规则未检查（跳过），检查不完整 / some rule was skipped")
        folder = Path(out)
        gpkg = str(folder / "conflicts.gpkg")
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        verdicts = summary.get("verdicts", {})
        if summary.get("illustrative"):
            feedback.pushWarning(summary.get("notice", "示意数据"))
        self.results.update(
            OUTPUT=out,
            SITES=f"{gpkg}|layername=sites",
            PARTS=f"{gpkg}|layername=conflict_parts",
            REPORT_HTML=str(folder / "report.html"),
            REPORT_XLSX=str(folder / "report.xlsx"),
            SUMMARY=str(folder / "summary.json"),
            CONFLICTS=verdicts.get("冲突", 0),
            REVIEW=verdicts.get("邻近", 0),
            CLEAR=verdicts.get("无冲突", 0),
            UNCHECKED=verdicts.get("无法检查", 0),
            EXIT_STATUS=outcome.status,
        )
        self.add = self.parameterAsBoolean(parameters, "ADD_TO_PROJECT", context)
        return dict(self.results)

    def postProcessAlgorithm(self, context: Any, feedback: Any) -> dict[str, Any]:  # noqa: N802
        if getattr(self, "add", False):
            out = Path(self.results["OUTPUT"])
            ids = self.add_layers(
                str(out / "conflicts.qgz"),
                str(out / "conflicts.gpkg"),
                context,
                f"选址冲突检查 {out.name}",
            )
            self.results["LAYER_IDS"] = ";".join(ids)
            feedback.pushInfo(f"已加入项目 {len(ids)} 个图层")
        feedback.setProgress(100)
        return dict(self.results)


class SanquAlgorithm(FzgeoAlgorithm):
    """加载三区三线数据: ``fzgeo sanqu load`` through a field-mapping profile."""

    help_zh = (
        "把官方三区三线成果（File GDB、GeoPackage、Shapefile 或 Shapefile 文件夹）按字段映射配置"
        "（默认 gb：国土空间规划数据库标准 STBHHX、YJJBNTBHTB、CZKFBJ）载入为 fzgeo 的图层"
        "（eco_redline、basic_farmland、urban_boundary、spatial_zones），写成带样式的 GeoPackage "
        "并加入当前项目。不丢弃任何要素；未能映射的字段、取值和图层写在日志和映射报告中。"
        "载入的图层可直接作为“建设项目选址冲突检查”的管控图层。"
    )
    help_en = (
        "Loads official 三区三线 data through a YAML field-mapping profile (default gb) onto the "
        "layer kinds eco_redline, basic_farmland, urban_boundary and spatial_zones, writes a "
        "styled GeoPackage and adds it to the project. Give a file or a folder (.gdb)."
    )

    def name(self) -> str:
        return "sanqu_load"

    def displayName(self) -> str:  # noqa: N802
        return "加载三区三线数据"

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802, ARG002
        self.addParameter(
            QgsProcessingParameterFile(
                "INPUT", "三区三线数据文件（.gpkg、.shp 等）/ data file", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "INPUT_FOLDER",
                "或数据文件夹（.gdb 或 Shapefile 文件夹）/ or folder",
                behavior=QgsProcessingParameterFile.Folder,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                "PROFILE",
                "字段映射配置（名称或 .yaml 路径）/ profile",
                defaultValue="gb",
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                "KIND",
                "图层类别（图层名无法判断时）/ layer kind",
                options=[
                    "自动（按图层名）",
                    "eco_redline",
                    "basic_farmland",
                    "urban_boundary",
                    "spatial_zones",
                ],
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterString("LAYER", "只读取此图层 / only this layer", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterCrs(
                "ASSUME_CRS", "数据未声明坐标系时采用 / CRS when none declared", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                "ENCODING", "Shapefile 属性编码（如 gbk）/ encoding", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT", "输出 GeoPackage", fileFilter="GeoPackage (*.gpkg)"
            )
        )
        self.addOutput(QgsProcessingOutputFile("REPORT", "映射报告（JSON）"))
        self.addOutput(QgsProcessingOutputString("LAYER_IDS", "加入项目的图层"))

    def process(self, parameters: Any, context: Any, feedback: Any) -> dict[str, Any]:
        source = self.parameterAsFile(parameters, "INPUT", context) or self.parameterAsFile(
            parameters, "INPUT_FOLDER", context
        )
        if not source:
            raise QgsProcessingException("请选择三区三线数据文件或文件夹 / choose a file or folder")
        if Path(source).parent.suffix.lower() == ".gdb":  # a file picked inside a File GDB
            source = str(Path(source).parent)
        found = self.fzgeo(feedback)
        self.make_workdir()
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        if not out.lower().endswith(".gpkg"):
            out += ".gpkg"
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        report = str(Path(out).with_suffix("")) + "_mapping.json"
        args = ["sanqu", "load", source, "--out", out, "--report", report]
        args += ["--profile", self.parameterAsString(parameters, "PROFILE", context) or "gb"]
        kind = self.parameterAsEnum(parameters, "KIND", context)
        if kind:
            args += [
                "--kind",
                ["", "eco_redline", "basic_farmland", "urban_boundary", "spatial_zones"][kind],
            ]
        layer = self.parameterAsString(parameters, "LAYER", context)
        if layer:
            args += ["--layer", layer]
        crs = self.parameterAsCrs(parameters, "ASSUME_CRS", context)
        if crs.isValid():
            args += ["--assume-crs", crs.authid()]
        encoding = self.parameterAsString(parameters, "ENCODING", context)
        if encoding:
            args += ["--encoding", encoding]
        self.run_fzgeo(found, args, feedback, 5, 90, steps=2)
        self.results.update(OUTPUT=out, REPORT=report)
        return dict(self.results)

    def postProcessAlgorithm(self, context: Any, feedback: Any) -> dict[str, Any]:  # noqa: N802
        out = self.results["OUTPUT"]
        ids = self.add_layers(
            str(Path(out).with_suffix(".qgz")), out, context, f"三区三线（{Path(out).name}）"
        )
        self.results["LAYER_IDS"] = ";".join(ids)
        feedback.pushInfo(f"已加入项目 {len(ids)} 个图层")
        feedback.setProgress(100)
        return dict(self.results)


class ValidateAlgorithm(FzgeoAlgorithm):
    """输入数据检查: ``fzgeo validate`` on a layer's file as fzgeo would read it."""

    help_zh = (
        "按 fzgeo 读取数据的方式检查输入文件（坐标系、编码、几何、多部件、重复要素等），"
        "每个问题给出稳定的编号（FZxxx）、所在要素和修改建议，写入处理日志和 JSON 报告。"
        "检查的是图层的数据源文件本身（而不是 QGIS 中显示的样子），"
        "也可以直接选择 CSV、XLSX 界址点坐标表或报部格式 TXT 文件。"
    )
    help_en = (
        "fzgeo validate on a layer's source file (as fzgeo reads it, not as QGIS shows it) or on "
        "any file fzgeo reads (CSV, 界址点坐标表 XLSX, 报部格式 TXT): every problem with its code, "
        "feature and hint in the Processing log and a JSON report."
    )

    def name(self) -> str:
        return "validate"

    def displayName(self) -> str:  # noqa: N802
        return "输入数据检查"

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802, ARG002
        self.addParameter(QgsProcessingParameterVectorLayer("INPUT", "图层 / layer", optional=True))
        self.addParameter(
            QgsProcessingParameterFile("INPUT_FILE", "或文件 / or file", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterCrs(
                "ASSUME_CRS", "数据未声明坐标系时采用 / CRS when none declared", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterString("ENCODING", "属性编码（如 gbk）/ encoding", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT", "检查报告（JSON）/ report", fileFilter="JSON (*.json)"
            )
        )
        self.addOutput(QgsProcessingOutputNumber("ERRORS", "错误数"))
        self.addOutput(QgsProcessingOutputNumber("WARNINGS", "警告数"))
        self.addOutput(QgsProcessingOutputNumber("FEATURES", "要素数"))

    def process(self, parameters: Any, context: Any, feedback: Any) -> dict[str, Any]:
        layer = self.parameterAsVectorLayer(parameters, "INPUT", context)
        path = self.parameterAsFile(parameters, "INPUT_FILE", context)
        sub = None
        if not path and layer is not None:
            if layer.providerType() != "ogr":
                raise QgsProcessingException(
                    f"图层 {layer.name()} 不是文件图层（{layer.providerType()}），无法按文件检查；"
                    "请先导出为 GeoPackage / not a file layer"
                )
            path, sub = layer_file(layer.source())
        if not path:
            raise QgsProcessingException("请选择图层或文件 / choose a layer or a file")
        found = self.fzgeo(feedback)
        self.make_workdir()
        args = ["validate", path, "--json"]
        if sub:
            args += ["--layer", sub]
        crs = self.parameterAsCrs(parameters, "ASSUME_CRS", context)
        if crs.isValid():
            args += ["--assume-crs", crs.authid()]
        encoding = self.parameterAsString(parameters, "ENCODING", context)
        if encoding:
            args += ["--encoding", encoding]
        quiet = runner.Relay(feedback, log_stdout=False)  # the JSON is parsed, not logged
        feedback.setProgress(5)
        outcome = runner.run(found.command, args, quiet, self.workdir)
        if outcome.cancelled:
            raise QgsProcessingException("已取消 / cancelled")
        if outcome.status not in (0, 1):
            for line in outcome.stderr:
                feedback.reportError(line, False)
            raise QgsProcessingException(
                "\n".join(outcome.errors)
                or f"[{runner.FZ_FAILED}] fzgeo validate 失败（退出状态 {outcome.status}）"
            )
        reports = json.loads("\n".join(outcome.stdout))
        errors = warnings = features = 0
        for report in reports:
            feedback.pushInfo(
                f"{report.get('path')}：{report.get('format')}，图层 {report.get('layer')}，"
                f"{report.get('crs')}，{report.get('features_in')} 个要素"
            )
            features += int(report.get("features_in") or 0)
            for finding in report.get("findings", []):
                where = f" {finding['where']}" if finding.get("where") else ""
                text = f"{finding['severity']} {finding['code']}{where}：{finding['message']}" + (
                    f"（建议：{finding['hint']}）" if finding.get("hint") else ""
                )
                if finding["severity"] == "error":
                    errors += 1
                    feedback.reportError(text, False)
                elif finding["severity"] == "warning":
                    warnings += 1
                    feedback.pushWarning(text)
                else:
                    feedback.pushInfo(text)
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        Path(out).write_text(json.dumps(reports, ensure_ascii=False, indent=2), encoding="utf-8")
        feedback.pushInfo(
            f"错误 {errors} 个，警告 {warnings} 个 / {errors} errors, {warnings} warnings"
        )
        feedback.setProgress(100)
        self.results.update(OUTPUT=out, ERRORS=errors, WARNINGS=warnings, FEATURES=features)
        return dict(self.results)


def plan_kinds() -> list[dict[str, str]]:
    """The plan layer kinds listed in the zip (``kinds.json``, written by ``fzgeo qgis plugin``)."""
    path = HERE / "kinds.json"
    if not path.is_file():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")))


class PlanLayersAlgorithm(FzgeoAlgorithm):
    """添加规划图层: ``fzgeo build`` and the styled, grouped layers in the project."""

    help_zh = (
        "把抚州市“十四五”规划的空间内容（三区三线示意图层、交通、产业、城市结构、基础设施、"
        "安全、文旅、生态）写成带样式、中文字段名和来源说明的 GeoPackage，并按分组加入当前项目。"
        "不选图层则加入全部图层。"
    )
    help_en = (
        "Writes the plan layers (fzgeo build: styled, Chinese aliases, abstracts) into a "
        "GeoPackage and adds them to the project in fzgeo's groups. No layer chosen: all."
    )

    def name(self) -> str:
        return "plan_layers"

    def displayName(self) -> str:  # noqa: N802
        return "添加规划图层"

    def initAlgorithm(self, config: Any = None) -> None:  # noqa: N802, ARG002
        kinds = plan_kinds()
        if kinds:
            self.addParameter(
                QgsProcessingParameterEnum(
                    "LAYERS",
                    "图层（不选则全部）/ layers (none: all)",
                    options=[f"{k['group']}：{k['name_zh']}（{k['name']}）" for k in kinds],
                    allowMultiple=True,
                    optional=True,
                )
            )
        else:
            self.addParameter(
                QgsProcessingParameterString(
                    "LAYERS", "图层名，逗号分隔（留空则全部）/ layer names", optional=True
                )
            )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "OUTPUT", "输出 GeoPackage", fileFilter="GeoPackage (*.gpkg)"
            )
        )
        self.addOutput(QgsProcessingOutputString("LAYER_IDS", "加入项目的图层"))

    def process(self, parameters: Any, context: Any, feedback: Any) -> dict[str, Any]:
        kinds = plan_kinds()
        if kinds:
            chosen = self.parameterAsEnums(parameters, "LAYERS", context)
            names = [kinds[i]["name"] for i in chosen]
        else:
            text = self.parameterAsString(parameters, "LAYERS", context)
            names = [n.strip() for n in text.replace("，", ",").split(",") if n.strip()]
        found = self.fzgeo(feedback)
        self.make_workdir()
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        if not out.lower().endswith(".gpkg"):
            out += ".gpkg"
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        self.run_fzgeo(found, ["build", "--out", out, *names], feedback, 5, 90, steps=2)
        self.results.update(OUTPUT=out)
        return dict(self.results)

    def postProcessAlgorithm(self, context: Any, feedback: Any) -> dict[str, Any]:  # noqa: N802
        out = self.results["OUTPUT"]
        ids = self.add_layers(
            str(Path(out).with_suffix(".qgz")), out, context, "抚州市“十四五”规划图层"
        )
        self.results["LAYER_IDS"] = ";".join(ids)
        feedback.pushInfo(f"已加入项目 {len(ids)} 个图层")
        feedback.setProgress(100)
        return dict(self.results)


ALGORITHMS = (CheckAlgorithm, SanquAlgorithm, ValidateAlgorithm, PlanLayersAlgorithm)
