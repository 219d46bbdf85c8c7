"""The fzgeo QGIS plugin in real QGIS 3.22 (Debian python3-qgis, offscreen), in one run.

``fzgeo qgis plugin`` writes the zip; ``tests/qgis/plugin_driver.py`` installs it into a fresh
QGIS profile as Plugins ▸ Install from ZIP does, in a QGIS whose Python cannot import fzgeo, and
runs every algorithm through ``processing.run`` (one as a background task, one cancelled) on
real layers. Each result is compared with ``fzgeo`` run directly on the same data: the per-site
verdicts and areas of the check to the cent, the findings of validate, the layers of sanqu load
and build.
"""

from __future__ import annotations

import ast
import json
import math
import os
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

import geopandas as gpd
import pyogrio
from pyproj import Transformer
from shapely.geometry import Polygon, box

from fzgeo import __version__, io
from fzgeo.cli import main
from fzgeo.demo._check import sample_sites
from fzgeo.errors import CATALOGUE
from fzgeo.qgis import plugin_zip
from fzgeo.qgis.plugin import runner

slow = pytest.mark.slow  # the tests that drive QGIS

QGIS_PYTHON = "/usr/bin/python3"
DRIVER = Path(__file__).parent / "qgis" / "plugin_driver.py"
ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "fzgeo" / "qgis" / "plugin"
PLAN_LAYERS = ["eco_redline", "railways", "admin_boundaries"]
SELECTED = 3  # sites selected in QGIS for the background-task run
TO_4527 = Transformer.from_crs(4490, 4527, always_xy=True)


def _gk_square(lon: float, lat: float, size: float) -> Polygon:
    corners = [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)]
    return Polygon([TO_4527.transform(x, y) for x, y in corners])


def _official_gdb(folder: Path, near: tuple[float, float]) -> Path:
    """A File GDB laid out like a national-standard delivery (GB codes, zone-prefixed GK)."""
    lon, lat = near
    path = folder / "抚州市三区三线.gdb"
    redline = gpd.GeoDataFrame(
        {
            "BSM": ["36100220210001", "36100220210002"],
            "YSDM": ["2090020100"] * 2,
            "XZQDM": ["361002"] * 2,
            "XZQMC": ["临川区"] * 2,
            "HXMC": ["测试生态保护红线甲", "测试生态保护红线乙"],
        },
        geometry=[_gk_square(lon - 0.004, lat - 0.004, 0.008), _gk_square(116.9, 27.5, 0.02)],
        crs=4527,
    )
    farmland = gpd.GeoDataFrame(
        {
            "BSM": ["36100220200101"],
            "YSDM": ["2001010100"],
            "XZQDM": ["361002"],
            "BHTBBH": ["B0101"],
            "DLBM": ["0101"],
        },
        geometry=[_gk_square(116.6, 27.5, 0.01)],
        crs=4527,
    )
    pyogrio.write_dataframe(redline, path, layer="STBHHX", driver="OpenFileGDB")
    pyogrio.write_dataframe(farmland, path, layer="YJJBNTBHTB", driver="OpenFileGDB")
    return path


def _contradicting_shapefile(folder: Path) -> Path:
    """Metres labelled as degrees (an error) with a self-crossing polygon (a repair warning)."""
    folder.mkdir(parents=True, exist_ok=True)
    bowtie = Polygon([(431000, 3087000), (432000, 3088000), (432000, 3087000), (431000, 3088000)])
    gdf = gpd.GeoDataFrame(
        {"编号": [1, 2], "名称": ["甲地块", "乙地块"]},
        geometry=[box(430000, 3086000, 430500, 3086500), bowtie],
        crs=4490,
    )
    path = folder / "metres_as_degrees.shp"
    gdf.to_file(path, encoding="UTF-8")
    return path


def _fake_old_fzgeo(folder: Path) -> Path:
    path = folder / "old-fzgeo"
    path.write_text("#!/bin/sh\necho 'fzgeo 0.0.9'\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _run_driver(spec: dict[str, Any], folder: Path) -> dict[str, Any]:
    path = folder / "spec.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    runtime = folder / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": str(runtime),
        "FZGEO_CACHE_DIR": str(folder / "cache"),
        "TMPDIR": str(folder / "tmp"),  # where the plugin's temporary exports go
        # the environment fzgeo is installed in comes first on PATH, as after activating it
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    (folder / "tmp").mkdir()
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [QGIS_PYTHON, str(DRIVER), str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=900,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("DRIVER-JSON ")]
    assert lines, f"QGIS driver failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
    out = json.loads(lines[0].removeprefix("DRIVER-JSON "))
    assert proc.returncode == 0 and not out["errors"], "\n".join(out["errors"]) + proc.stderr
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Build the zip and the inputs, drive QGIS once, and run fzgeo directly for reference."""
    base = tmp_path_factory.mktemp("qgis_plugin")
    os.environ.setdefault("FZGEO_CACHE_DIR", str(base / "cache"))
    zip_path = base / "fzgeo_qgis.zip"
    assert main(["qgis", "plugin", "--out", str(zip_path)]) == 0
    sites = sample_sites()
    sites_4490 = io.write(sites, base / "sites_4490.geojson")
    sites_4548 = io.write(sites.to_crs(4548), base / "sites_4548.gpkg")
    subset = io.write(sites.iloc[:SELECTED], base / "sites_subset.geojson")
    plan_gpkg = base / "plan_src" / "plan.gpkg"
    assert main(["build", "--out", str(plan_gpkg), "eco_redline", "basic_farmland"]) == 0
    first = sites.geometry.iloc[0].representative_point()
    gdb = _official_gdb(base, (first.x, first.y))
    bad = _contradicting_shapefile(base / "bad")
    kinds = json.loads(zipfile.ZipFile(zip_path).read("fzgeo_qgis/kinds.json"))
    index = {k["name"]: i for i, k in enumerate(kinds)}
    out = base / "qgis"
    out.mkdir()
    spec = {
        "zip": str(zip_path),
        "profile": str(base / "profile"),
        "command": f"{sys.executable} -m fzgeo",
        "missing_command": str(base / "no-such-fzgeo"),
        "old_command": str(_fake_old_fzgeo(base)),
        "sites": str(sites_4548),
        "plan_gpkg": str(plan_gpkg),
        "selected": SELECTED,
        "bad": str(bad),
        "gdb": str(gdb),
        "plan_indexes": [index[n] for n in PLAN_LAYERS],
        "cancel_after": 1.5,
        "out": str(out),
    }
    driven = _run_driver(spec, out)
    # the same jobs with fzgeo directly, on the original files (EPSG:4490, not QGIS's copies)
    ref = base / "ref"
    main(["check", str(sites_4490), "--out", str(ref / "check"), "--ellipsoidal"])
    against = [f"eco_redline={plan_gpkg}", f"basic_farmland={plan_gpkg}", "urban_boundary"]
    argv = ["check", str(subset), "--out", str(ref / "task"), "--site-maps", "none"]
    for layer in [*against, "rivers"]:
        argv += ["--against", layer]
    main(argv)
    main(["sanqu", "load", str(gdb), "--out", str(ref / "official.gpkg")])
    return {"driven": driven, "ref": ref, "base": base, "zip": zip_path, "bad": bad}


def _site_rows(path: Path) -> list[dict[str, Any]]:
    frame = io.read(path / "conflicts.gpkg", layer="sites")
    return [
        {
            k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v)
            for k, v in r.items()
        }
        for r in frame.drop(columns="geometry").to_dict("records")
    ]


def _same_to_the_cent(plugin: list[dict[str, Any]], cli: list[dict[str, Any]]) -> int:
    """Every column of every site equal; numbers to 0.005 (the cent). Returns numbers compared."""
    assert len(plugin) == len(cli)
    compared = 0
    for got, want in zip(plugin, cli, strict=True):
        for column, expected in want.items():
            actual = got[column]
            if isinstance(expected, float) or isinstance(actual, float):
                expected = 0.0 if expected is None else expected
                actual = 0.0 if actual is None else actual
                assert abs(float(actual) - float(expected)) < 0.005, (want["序号"], column)
                compared += 1
            else:
                assert (actual or None) == (expected or None), (want["序号"], column)
    return compared


@slow
def test_zip_holds_the_plugin_folder_with_metadata_icon_and_kinds(run: dict[str, Any]) -> None:
    with zipfile.ZipFile(run["zip"]) as zf:
        names = set(zf.namelist())
        metadata = zf.read("fzgeo_qgis/metadata.txt").decode("utf-8")
    sources = {p.name for p in PLUGIN.iterdir() if p.is_file()}
    assert {f"fzgeo_qgis/{n}" for n in sources} | {"fzgeo_qgis/kinds.json"} == names
    assert "qgisMinimumVersion=3.22" in metadata
    assert f"version={__version__}" in metadata
    assert "hasProcessingProvider=yes" in metadata


def test_zip_is_reproducible_and_refuses_other_suffixes(tmp_path: Path) -> None:
    a = plugin_zip.build_plugin_zip(tmp_path / "a.zip").read_bytes()
    b = plugin_zip.build_plugin_zip(tmp_path / "b.zip").read_bytes()
    assert a == b
    with pytest.raises(OSError, match="FZ860"):
        plugin_zip.build_plugin_zip(tmp_path / "plugin.tar")


def test_plugin_never_imports_fzgeo_and_its_codes_are_catalogued() -> None:
    for path in PLUGIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "fzgeo" for a in node.names), path.name
            elif isinstance(node, ast.ImportFrom):
                assert node.level or (node.module or "").split(".")[0] != "fzgeo", path.name
    runner = (PLUGIN / "runner.py").read_text(encoding="utf-8")
    for code in ("FZ861", "FZ862", "FZ863"):
        assert f'"{code}"' in runner and code in CATALOGUE


@slow
def test_installed_from_zip_in_a_qgis_that_cannot_import_fzgeo(run: dict[str, Any]) -> None:
    driven = run["driven"]
    assert driven["qgis"].startswith("3.")
    install = driven["install"]
    assert install["name"] == "fzgeo_qgis" and install["loaded"] and install["started"]
    assert install["plugins_dir"].startswith(str(run["base"] / "profile"))
    assert not install["fzgeo_importable_in_qgis"] and not install["fzgeo_imported"]
    assert install["metadata"]["qgisMinimumVersion"] == "3.22"
    provider = driven["provider"]
    assert provider["icon"]
    displays = {k: v["display"] for k, v in provider["algorithms"].items()}
    assert displays == {
        "fzgeo:check": "建设项目选址冲突检查",
        "fzgeo:sanqu_load": "加载三区三线数据",
        "fzgeo:validate": "输入数据检查",
        "fzgeo:plan_layers": "添加规划图层",
    }


@slow
def test_missing_or_old_fzgeo_says_what_to_install(run: dict[str, Any]) -> None:
    missing = run["driven"]["missing"]["exception"]
    assert "FZ861" in missing and "pip install fzgeo" in missing and "请安装" in missing
    old = run["driven"]["old"]["exception"]
    assert "FZ862" in old and "0.0.9" in old and "0.1.0" in old


@slow
def test_check_result_equals_the_cli_to_the_cent(run: dict[str, Any]) -> None:
    entry = run["driven"]["check"]
    assert "exception" not in entry, entry.get("exception")
    results = entry["results"]
    plugin_rows = entry["sites"]["rows"]
    for row in plugin_rows:
        row.pop("_wkb")
        row.pop("fid", None)
    cli_rows = _site_rows(run["ref"] / "check")
    assert _same_to_the_cent(plugin_rows, cli_rows) > 100
    verdicts = [r["综合结论"] for r in cli_rows]
    assert (results["CONFLICTS"], results["REVIEW"], results["CLEAR"]) == (
        verdicts.count("冲突"),
        verdicts.count("邻近"),
        verdicts.count("无冲突"),
    )
    assert results["CONFLICTS"] > 0 and results["EXIT_STATUS"] == 1
    for key in ("REPORT_HTML", "REPORT_XLSX", "SUMMARY"):
        assert Path(results[key]).is_file()
    assert entry["progress"] == 100


@slow
def test_check_log_relays_fzgeo_and_the_illustrative_notice(run: dict[str, Any]) -> None:
    log = run["driven"]["check"]["log"]
    infos = [m for kind, m in log if kind == "info"]
    assert any(m.startswith("8 sites: ") for m in infos)
    assert any(m.startswith("wrote ") and m.endswith("report.xlsx") for m in infos)
    assert any("EPSG:4548" in m for m in infos)  # the layer went out in its own CRS
    warnings = [m for kind, m in log if kind == "warning"]
    assert any(m.startswith("示意数据") for m in warnings)
    commands = [m for kind, m in log if kind == "command"]
    assert commands and " check " in commands[0] and "--ellipsoidal" in commands[0]


@slow
def test_check_layers_added_styled_by_verdict(run: dict[str, Any]) -> None:
    top = run["driven"]["tree_after_check"][0]
    assert top["group"].startswith("选址冲突检查")
    groups = {g["group"]: g["children"] for g in top["children"]}
    assert set(groups) == {"检查结果", "管控图层（检查所用）"}
    results = {layer["layer"]: layer for layer in groups["检查结果"]}
    polygons = results["项目选址（检查结果）（面）"]
    assert polygons["valid"] and polygons["count"] == 7 and polygons["field"] == "综合结论"
    labels = {label.split("（")[0] for label in polygons["categories"]}
    assert {"冲突", "邻近", "无冲突"} <= labels
    assert results["项目选址（检查结果）（线）"]["count"] == 1
    assert any(name.startswith("冲突部分") for name in results)
    used = {layer["layer"] for layer in groups["管控图层（检查所用）"]}
    assert {"生态保护红线", "永久基本农田", "城镇开发边界"} <= used


@slow
def test_background_task_with_project_layers_and_selection(run: dict[str, Any]) -> None:
    task = run["driven"]["task"]
    assert task["ok"], task["log"][-10:]
    rows = task["sites"]["rows"]
    assert len(rows) == SELECTED
    for row in rows:
        row.pop("_wkb")
        row.pop("fid", None)
    assert _same_to_the_cent(rows, _site_rows(run["ref"] / "task")) > 30
    infos = [m for kind, m in task["log"] if kind == "info"]
    assert any("生态保护红线：取自当前项目" in m for m in infos)
    assert len(task["results"]["LAYER_IDS"].split(";")) >= 4  # added on the main thread
    folder = Path(task["results"]["OUTPUT"])  # Processing's temporary folder, the default
    assert folder.is_absolute() and (folder / "report.xlsx").is_file()
    assert "TEMPORARY_OUTPUT" not in str(folder)
    assert folder.is_relative_to(run["base"] / "qgis" / "processing_tmp")
    assert task["progress"] == 100


@slow
def test_fzgeo_coded_error_fails_the_algorithm_and_is_logged(run: dict[str, Any]) -> None:
    empty = run["driven"]["empty"]
    assert empty["exception"].startswith("fzgeo: error [FZ302]")
    errors = [m for kind, m in empty["log"] if kind == "error"]
    assert any(m.startswith("fzgeo: error [FZ302]") for m in errors)


@slow
def test_temporary_exports_are_removed_after_every_run(run: dict[str, Any]) -> None:
    # every run above, the failed, cancelled and too-old ones included, exported to fzgeo_qgis_*
    tmp = run["base"] / "qgis" / "tmp"
    exported = [
        Path(m.rsplit("→ ", 1)[1])
        for _kind, m in run["driven"]["task"]["log"]
        if "已导出" in m and "eco_redline" in m
    ]
    assert exported and exported[0].is_relative_to(tmp) and not exported[0].exists()
    assert list(tmp.glob("fzgeo_qgis_*")) == []


@slow
def test_cancel_kills_the_fzgeo_process(run: dict[str, Any]) -> None:
    cancel = run["driven"]["cancel"]
    assert "已取消" in cancel["exception"]
    assert cancel["pids"] and cancel["alive"] == []
    assert cancel["seconds"] < 15


@slow
def test_validate_reports_what_fzgeo_validate_reports(run: dict[str, Any]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fzgeo", "validate", str(run["bad"]), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    reports = json.loads(proc.stdout)
    findings = [f for r in reports for f in r["findings"]]
    entry = run["driven"]["validate"]
    results = entry["results"]
    assert results["ERRORS"] == sum(f["severity"] == "error" for f in findings) > 0
    assert results["WARNINGS"] == sum(f["severity"] == "warning" for f in findings)
    errors = [m for kind, m in entry["log"] if kind == "error"]
    for finding in findings:
        if finding["severity"] == "error":
            assert any(finding["code"] in m and finding["message"] in m for m in errors)
    assert json.loads(Path(results["OUTPUT"]).read_text(encoding="utf-8")) == reports
    clean = run["driven"]["validate_file"]["results"]
    assert clean["ERRORS"] == 0 and clean["FEATURES"] == 8
    found = run["driven"]["validate_file"]["log"][0][1]  # no command set: detected on PATH
    assert found.startswith(f"fzgeo {__version__}（PATH）：") and found.endswith("fzgeo")


@slow
def test_sanqu_load_adds_the_official_layers(run: dict[str, Any]) -> None:
    entry = run["driven"]["sanqu"]
    assert "exception" not in entry, entry.get("exception")
    out = Path(entry["results"]["OUTPUT"])
    ref = run["ref"] / "official.gpkg"
    for name in ("eco_redline", "basic_farmland"):
        assert len(io.read(out, layer=name)) == len(io.read(ref, layer=name))
    top = next(
        g for g in run["driven"]["tree_after_sanqu"] if g.get("group", "").startswith("三区三线")
    )

    def layers(node: dict[str, Any]) -> list[dict[str, Any]]:
        if "layer" in node:
            return [node]
        return [leaf for child in node["children"] for leaf in layers(child)]

    found = {leaf["layer"]: leaf for leaf in layers(top)}
    assert found["生态保护红线"]["count"] == 2 and found["生态保护红线"]["valid"]
    assert Path(entry["results"]["REPORT"]).is_file()


@slow
def test_plan_layers_added_styled_and_grouped(run: dict[str, Any]) -> None:
    entry = run["driven"]["plan"]
    assert "exception" not in entry, entry.get("exception")
    top = next(
        g for g in run["driven"]["tree_after_plan"] if g.get("group") == "抚州市“十四五”规划图层"
    )
    groups = {g["group"]: {c["layer"]: c for c in g["children"]} for g in top["children"]}
    assert set(groups) == {"三区三线", "交通", "基础"}
    ids = entry["results"]["LAYER_IDS"].split(";")
    assert len(ids) == len(PLAN_LAYERS)
    gpkg = Path(entry["results"]["OUTPUT"])
    railways = groups["交通"]["铁路（现状与规划）"]
    assert railways["valid"] and railways["count"] == len(io.read(gpkg, layer="railways"))
    assert railways["renderer"] == "categorizedSymbol"


@slow
def test_screenshots_show_the_dialog_and_the_result(run: dict[str, Any]) -> None:
    shots = run["driven"]["screenshots"]
    assert Path(shots["dialog"]).stat().st_size > 20_000
    assert Path(shots["canvas"]).stat().st_size > 20_000
    assert shots["painted_share"] > 0.2
    assert any(name.startswith("项目选址") for name in shots["drawn_layers"])


def test_plugin_parses_as_python_3_9_with_postponed_annotations() -> None:
    # QGIS 3.22 on Windows (OSGeo4W) runs Python 3.9: no newer syntax, annotations never evaluated
    for path in PLUGIN.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), feature_version=(3, 9))
        future = [
            n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"
        ]
        assert any(a.name == "annotations" for n in future for a in n.names), path.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("zip", "isinstance"):
                assert not node.keywords and not any(isinstance(a, ast.BinOp) for a in node.args), (
                    f"{path.name}:{node.lineno}"
                )


def test_runner_finds_a_configured_fzgeo_and_refuses_an_old_one(tmp_path: Path) -> None:
    found = runner.locate(f"{sys.executable} -m fzgeo")
    assert found.version == tuple(int(v) for v in __version__.split("."))
    assert found.command == [sys.executable, "-m", "fzgeo"]
    with pytest.raises(runner.FzgeoUnavailableError, match=r"FZ862.*0\.0\.9"):
        runner.locate(str(_fake_old_fzgeo(tmp_path)))
    with pytest.raises(runner.FzgeoUnavailableError, match="FZ861") as missing:
        runner.locate(str(tmp_path / "nothing here"))
    assert "pip install fzgeo" in str(missing.value) and "请安装" in str(missing.value)


def test_runner_command_setting_keeps_paths_with_spaces(tmp_path: Path) -> None:
    spaced = tmp_path / "Program Files" / "fzgeo"
    spaced.parent.mkdir()
    spaced.write_text("", encoding="utf-8")
    assert runner.split_command(str(spaced)) == [str(spaced)]
    assert runner.split_command('"/opt/my python/bin/python3" -m fzgeo') == [
        "/opt/my python/bin/python3",
        "-m",
        "fzgeo",
    ]
    assert runner.split_command("  ") == []


def test_runner_child_environment_drops_qgis_python_and_gdal_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("PYTHONPATH", "PYTHONHOME", "PROJ_LIB", "GDAL_DATA", "GDAL_DRIVER_PATH"):
        monkeypatch.setenv(name, "/usr/share/qgis-things")
    monkeypatch.setenv("FZGEO_CACHE_DIR", "/tmp/keep-me")
    env = runner.child_environment()
    assert not set(runner.ISOLATED_VARIABLES) & set(env)
    assert env["FZGEO_CACHE_DIR"] == "/tmp/keep-me"
    assert env["PYTHONIOENCODING"] == "utf-8"


class _Feedback:
    """The part of QgsProcessingFeedback the runner uses, recording each call."""

    def __init__(self, cancel_after: float | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.cancel_at = None if cancel_after is None else time.monotonic() + cancel_after

    def __getattr__(self, name: str) -> Any:
        return lambda text, *_: self.calls.append((name, text))

    def isCanceled(self) -> bool:  # noqa: N802 (Qt API)
        return self.cancel_at is not None and time.monotonic() > self.cancel_at


def test_runner_relays_lines_by_kind_and_returns_the_status(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "print('8 sites: 4 冲突')\n"
        "print('warning: [FZ413] 1 points or lines left out', file=sys.stderr)\n"
        "print('fzgeo: error [FZ302] x.gpkg: no feature', file=sys.stderr)\n"
        "sys.exit(2)\n"
    )
    feedback = _Feedback()
    outcome = runner.run([sys.executable, "-c", script], [], runner.Relay(feedback), str(tmp_path))
    assert outcome.status == 2 and not outcome.cancelled
    kinds = {text: kind for kind, text in feedback.calls}
    assert kinds["8 sites: 4 冲突"] == "pushInfo"
    assert kinds["warning: [FZ413] 1 points or lines left out"] == "pushWarning"
    assert kinds["fzgeo: error [FZ302] x.gpkg: no feature"] == "reportError"
    assert outcome.errors == ["fzgeo: error [FZ302] x.gpkg: no feature"]


def test_runner_cancel_kills_the_process_and_its_children(tmp_path: Path) -> None:
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    feedback = _Feedback(cancel_after=1.0)
    started = time.monotonic()
    outcome = runner.run([sys.executable, "-c", script], [], runner.Relay(feedback), str(tmp_path))
    assert outcome.cancelled and time.monotonic() - started < 10
    child = int(outcome.stdout[0])
    deadline = time.monotonic() + 5
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(child)  # the grandchild went with the group


def _running(pid: int) -> bool:
    """Whether ``pid`` is alive (a killed process that init has not reaped yet is not)."""
    status = Path(f"/proc/{pid}/status")
    try:
        state = next(ln for ln in status.read_text().splitlines() if ln.startswith("State:"))
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "zombie" not in state and "dead" not in state
