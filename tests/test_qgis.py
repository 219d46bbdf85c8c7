"""The QGIS output opened in real QGIS (Debian python3-qgis 3.22 and its GDAL 3.6), in one run.

``fzgeo build`` writes every packaged layer; the folder is then copied elsewhere (as a colleague
would) and the original removed, so the project can only work through its relative paths. A
siting check writes ``conflicts.gpkg``/``conflicts.qgz``. A GeoPackage 1.4 file is the control
that proves the "partially supported" message would be caught. ``tests/qgis/probe.py`` opens
everything in one QGIS subprocess and reports what QGIS sees.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import pyogrio
import shapely
from geopandas import GeoDataFrame

from fzgeo import io, styles
from fzgeo.cli import main
from fzgeo.demo import DemoContext
from fzgeo.demo import _check as demo_check
from fzgeo.errors import RepairWarning
from fzgeo.maps.compose import GROUP_ORDER
from fzgeo.maps.conflict import CONSTRAINT_GROUP, CONSTRAINT_PREFIX
from fzgeo.plan import layers, schema
from fzgeo.qgis import check_output, qml
from fzgeo.qgis.export import geometry_kinds, hidden_layers
from fzgeo.qgis.layerinfo import style_for_kind
from fzgeo.styles import Style, Symbol

pytestmark = pytest.mark.slow

QGIS_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).parent / "qgis" / "probe.py"
CJK = re.compile(r"[\u4e00-\u9fff]")
PARTIAL = "partially supported"
_KIND = {"Point": "point", "LineString": "line", "Polygon": "polygon"}
CITY_STROKE = "#6e3c96"  # admin_boundaries, level=city: the outline drawn in full opacity


def _run_probe(targets: list[dict[str, Any]], folder: Path) -> tuple[dict[str, Any], str]:
    spec = folder / "probe.json"
    spec.write_text(json.dumps(targets), encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(folder)}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [QGIS_PYTHON, str(PROBE), str(spec)],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=300,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE-JSON ")]
    assert proc.returncode == 0 and lines, f"QGIS probe failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(lines[0].removeprefix("PROBE-JSON ")), proc.stderr


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Build, copy, check, write a 1.4 control, then probe everything in one QGIS run."""
    base = tmp_path_factory.mktemp("qgis")
    original = base / "original"
    assert main(["build", "--out", str(original / "fuzhou_plan.gpkg")]) == 0
    copy = base / "colleague"
    shutil.copytree(original, copy)
    shutil.rmtree(original)
    built = layers.build_all()
    ctx = DemoContext(out=base / "demo", results={"layers": built})
    (base / "demo").mkdir()
    with warnings.catch_warnings():  # repairs are the check's business, tested there
        warnings.simplefilter("ignore", RepairWarning)
        demo_check.run(base / "demo", ctx)
    check_folder = base / "demo" / "check"
    control = base / "control_v14.gpkg"
    pyogrio.write_dataframe(
        GeoDataFrame({"a": [1]}, geometry=[shapely.Point(116.3, 27.9)], crs=4490),
        control,
        layer="x",
        driver="GPKG",
        dataset_options={"VERSION": "1.4"},
    )
    gpkg = copy / "fuzhou_plan.gpkg"
    conflicts = check_folder / "conflicts.gpkg"
    used = [n for n in io.list_layers(conflicts) if n.startswith(CONSTRAINT_PREFIX)]
    targets = [
        {
            "gpkg": str(gpkg),
            "qgz": str(copy / "fuzhou_plan.qgz"),
            "layers": list(built),
            "render": [CITY_STROKE],
        },
        {
            "gpkg": str(conflicts),
            "qgz": str(check_folder / "conflicts.qgz"),
            "layers": [check_output.SITES, check_output.PARTS, *used],
        },
        {"gpkg": str(control), "qgz": None, "layers": ["x"]},
    ]
    result, stderr = _run_probe(targets, base)
    frames = {n: io.read(conflicts, layer=n) for n in (check_output.SITES, check_output.PARTS)}
    used_frames = {n: io.read(conflicts, layer=n) for n in used}
    return {
        "plan": result["targets"][0],
        "check": result["targets"][1],
        "control": result["targets"][2],
        "log": result["log"],
        "stderr": stderr,
        "qgis": result["qgis"],
        "built": built,
        "frames": frames,
        "used": used_frames,
        "copy": copy,
        "gpkg": gpkg,
        "conflicts": conflicts,
    }


def _rgba(hex_colour: str | None, alpha: float) -> list[Any]:
    if hex_colour is None:
        return ["#000000", 0]
    return [hex_colour, round(alpha * 255)]


def _dashes(layer: dict[str, Any]) -> list[float]:
    return [float(v) for v in layer["customdash"].split(";")]


def assert_lines(seen: list[dict[str, Any]], sym: Symbol, passes: int, where: str) -> None:
    """One SimpleLine per stroke, bottom first, in the top rendering passes of the style."""
    strokes = sym.all_strokes or (sym,)
    assert [layer["class"] for layer in seen] == ["SimpleLine"] * len(strokes), where
    for i, (line, stroke) in enumerate(zip(seen, strokes, strict=True)):
        assert line["color"] == _rgba(stroke.stroke, stroke.opacity), where
        width = pytest.approx(stroke.width * qml.MM_PER_PX, rel=1e-3)
        assert line["line_width"] == width, where
        assert line["use_custom_dash"] == ("1" if stroke.dash else "0"), where
        if stroke.dash:
            expected = [d * qml.MM_PER_PX for d in stroke.dash]
            assert _dashes(line) == pytest.approx(expected, rel=1e-3), where
        assert line["pass"] == passes - len(strokes) + i, where


def assert_symbol(
    seen: list[dict[str, Any]], sym: Symbol, geometry: str, where: str, passes: int = 1
) -> None:
    """QGIS's symbol layers carry exactly the spec's colours, opacities and widths."""
    width = pytest.approx(sym.width * qml.MM_PER_PX, rel=1e-3)
    if geometry == "polygon":
        fill = seen[0]
        assert fill["class"] == "SimpleFill", where
        if sym.fill is None:
            assert fill["style"] == "no", where
        else:
            assert fill["color"] == _rgba(sym.fill, sym.fill_opacity), where
        if sym.dash and sym.stroke:
            assert fill["outline_style"] == "no", where
            line = seen[1]
            assert line["class"] == "SimpleLine", where
            assert line["color"] == _rgba(sym.stroke, sym.opacity), where
            assert line["use_custom_dash"] == "1", where
            dashes = [float(v) for v in line["customdash"].split(";")]
            assert dashes == pytest.approx([d * qml.MM_PER_PX for d in sym.dash], rel=1e-3)
            assert line["line_width"] == width, where
        elif sym.stroke:
            assert fill["stroke"] == _rgba(sym.stroke, sym.opacity), where
            assert fill["outline_width"] == width, where
        return
    if geometry == "line":
        assert_lines(seen, sym, passes, where)
        return
    (marker,) = seen
    assert marker["class"] == "SimpleMarker", where
    assert marker["color"] == _rgba(sym.fill, sym.fill_opacity), where
    assert marker["stroke"] == _rgba(sym.stroke, sym.opacity), where
    assert marker["size"] == pytest.approx(2 * sym.radius * qml.MM_PER_PX, rel=1e-3), where


def assert_renderer(renderer: dict[str, Any], style: Style, where: str) -> None:
    """The renderer QGIS loaded matches the style spec, category by category."""
    passes = style.passes if style.geometry == "line" else 1
    assert renderer["symbol_levels"] == (passes > 1), where
    if not style.categories:
        assert renderer["type"] == "singleSymbol", where
        assert_symbol(renderer["symbol"], style.symbol, style.geometry, where, passes)
        return
    assert renderer["type"] == "categorizedSymbol", where
    assert renderer["field"] == style.category_field, where
    by_value = {c["value"]: c for c in renderer["categories"]}
    expected = {qml.category_value(c.value): c for c in style.categories}
    assert set(by_value) == {*expected, ""}, where
    for value, cat in expected.items():
        assert by_value[value]["label"] == cat.label_zh, where
        seen = by_value[value]["symbol"]
        assert_symbol(seen, cat.symbol, style.geometry, f"{where}={value}", passes)
    assert_symbol(by_value[""]["symbol"], style.symbol, style.geometry, f"{where} (other)", passes)


def test_runs_the_debian_qgis_lts(output: dict[str, Any]) -> None:
    assert output["qgis"].startswith("3.")


def test_every_layer_is_valid_with_its_feature_count(output: dict[str, Any]) -> None:
    seen = output["plan"]["layers"]
    assert set(seen) == set(output["built"])
    for name, gdf in output["built"].items():
        assert seen[name]["valid"], name
        assert seen[name]["count"] == len(gdf), name
        assert seen[name]["crs"] == "EPSG:4490", name


def test_default_style_loads_with_the_colours_of_styles(output: dict[str, Any]) -> None:
    for name in output["built"]:
        style = style_for_kind(layers.kind(name))
        assert_renderer(output["plan"]["layers"][name]["renderer"], style, name)


def test_categories_draw_the_features_they_name(output: dict[str, Any]) -> None:
    for name, gdf in output["built"].items():
        style = style_for_kind(layers.kind(name))
        drawn = output["plan"]["layers"][name]["drawn"]
        if not style.categories:
            assert drawn is None
            continue
        assert sum(drawn.values()) == len(gdf), name  # every feature drawn exactly once
        listed = {qml.category_value(c.value) for c in style.categories}
        values = gdf[style.category_field].map(qml.category_value)
        expected = values.where(values.isin(listed), "").value_counts().to_dict()
        assert drawn == expected, name


def test_aliases_are_chinese(output: dict[str, Any]) -> None:
    for name in output["built"]:
        kind = layers.kind(name)
        aliases = output["plan"]["layers"][name]["aliases"]
        for field, alias in aliases.items():
            if field == "fid":
                continue
            assert alias == kind.aliases_zh[field], (name, field)
            assert CJK.search(alias), (name, field, alias)


def test_coded_columns_show_chinese_labels_and_labels_use_the_label_field(
    output: dict[str, Any],
) -> None:
    for name in output["built"]:
        seen = output["plan"]["layers"][name]
        assert seen["widgets"]["precision"] == "ValueMap"
        assert seen["widgets"]["status"] == "ValueMap"
        style = style_for_kind(layers.kind(name))
        assert seen["labels"], name
        assert seen["label_field"] == style.label, name


def test_abstract_names_the_plan_passage_and_the_precision(output: dict[str, Any]) -> None:
    for name, gdf in output["built"].items():
        kind = layers.kind(name)
        abstract = output["plan"]["layers"][name]["abstract"]
        assert output["plan"]["layers"][name]["title"] == kind.name_zh
        assert kind.name_zh in abstract
        for precision in gdf["precision"].unique():
            assert f"{schema.PRECISION_ZH[precision]} {precision}" in abstract, name
        first_source = gdf["source"].dropna().iloc[0]
        assert first_source in abstract, name
        lines = gdf["source_line"].dropna()
        if len(lines):
            assert str(int(lines.min())) in abstract, name


def test_sld_loads_in_qgis_with_the_same_colours(output: dict[str, Any]) -> None:
    for name in output["built"]:
        style = style_for_kind(layers.kind(name))
        sld = output["plan"]["sld"][name]
        assert sld["ok"], (name, sld["message"])
        renderer = sld["renderer"]
        if renderer["type"] == "singleSymbol":  # QGIS simplifies a one-rule SLD
            rules = [{"symbol": renderer["symbol"]}]
        else:
            assert renderer["type"] == "RuleRenderer", name
            rules = renderer["rules"]
        symbols = [c.symbol for c in style.categories] + [style.symbol]
        if not style.categories:
            symbols = [style.symbol]
        assert len(rules) == len(symbols), name
        for rule, sym in zip(rules, symbols, strict=True):
            first = rule["symbol"][0]
            if style.geometry == "line":  # one SimpleLine per stroke, bottom first
                strokes = sym.all_strokes or (sym,)
                assert len(rule["symbol"]) == len(strokes), name
                for seen, stroke in zip(rule["symbol"], strokes, strict=True):
                    _same_colour(seen["color"], _rgba(stroke.stroke, stroke.opacity), name)
            elif sym.fill is not None:
                _same_colour(first["color"], _rgba(sym.fill, sym.fill_opacity), name)
                _same_colour(first["stroke"], _rgba(sym.stroke, sym.opacity), name)


def _same_colour(seen: list[Any], expected: list[Any], where: str) -> None:
    """Same colour; the alpha QGIS derives from an SLD opacity may be truncated, not rounded."""
    assert seen[0] == expected[0], where
    assert abs(seen[1] - expected[1]) <= 1, where


def test_railways_are_double_lines_in_qgis(output: dict[str, Any]) -> None:
    """Existing railways: a black casing under a white dashed centre; planned: a dark red casing."""
    seen = output["plan"]["layers"]["railways"]["renderer"]
    assert seen["type"] == "categorizedSymbol" and seen["symbol_levels"] is True
    by_value = {c["value"]: c["symbol"] for c in seen["categories"]}
    casing, centre = by_value["高速铁路（现状）"]  # exactly two symbol layers
    assert (casing["class"], centre["class"]) == ("SimpleLine", "SimpleLine")
    assert casing["color"] == ["#000000", 255] and casing["use_custom_dash"] == "0"
    assert centre["color"] == ["#ffffff", 255] and centre["use_custom_dash"] == "1"
    assert _dashes(centre) == pytest.approx([14 * qml.MM_PER_PX] * 2, rel=1e-3)
    assert casing["line_width"] > centre["line_width"]
    assert (casing["pass"], centre["pass"]) == (0, 1)  # every casing under every centre
    casing, centre = by_value["普速铁路（规划）"]
    assert casing["color"] == ["#a50f15", round(0.85 * 255)]
    assert centre["color"] == ["#ffffff", 255] and centre["use_custom_dash"] == "1"
    (other,) = by_value[""]  # the catch-all: one stroke, drawn with the centres
    assert other["pass"] == 1
    rule = next(
        r for r in output["plan"]["sld"]["railways"]["renderer"]["rules"] if "现状" in r["label"]
    )
    assert [layer["color"][0] for layer in rule["symbol"]] == ["#000000", "#ffffff"]
    assert rule["symbol"][1]["use_custom_dash"] == "1"


def test_project_opens_with_the_web_map_groups(output: dict[str, Any]) -> None:
    project = output["plan"]["project"]
    assert project["read"]
    assert project["crs"] == "EPSG:4490"
    assert project["absolute_paths"] is False
    groups = [item["group"] for item in project["tree"]]
    present = {layers.kind(n).group for n in output["built"]}
    expected = [g for g in GROUP_ORDER if g in present]
    assert groups == expected + sorted(present - set(expected))
    seen = {}
    for item in project["tree"]:
        for child in item["children"]:
            seen[child["layer"]] = child
            assert child["valid"], child["layer"]
            assert child["source"].startswith(str(output["copy"])), child["source"]
            assert CJK.search(child["abstract"])
    assert project["layer_count"] == len(output["built"])
    hidden = {layers.kind(n).name_zh for n in hidden_layers(output["built"])}
    assert hidden  # the overview hides some groups at first; the project follows it
    for item in project["tree"]:
        states = [child["checked"] for child in item["children"]]
        assert states == [child["layer"] not in hidden for child in item["children"]]
        assert item["checked"] == any(states), item["group"]
    for name, gdf in output["built"].items():
        kind = layers.kind(name)
        assert seen[kind.name_zh]["count"] == len(gdf)
        assert_renderer(seen[kind.name_zh]["renderer"], style_for_kind(kind), name)


def test_project_extent_is_the_city_and_points_draw_on_top(output: dict[str, Any]) -> None:
    project = output["plan"]["project"]
    admin = output["built"]["admin_boundaries"]
    xmin, ymin, xmax, ymax = admin[admin["level"] == "city"].total_bounds
    exmin, eymin, exmax, eymax = project["extent"]
    assert exmin < xmin < xmax < exmax and eymin < ymin < ymax < eymax
    assert exmax - exmin < 1.2 * (xmax - xmin)
    assert project["custom_order"]
    rank = {"point": 0, "line": 1, "polygon": 2}
    by_title = {layers.kind(n).name_zh: n for n in output["built"]}
    order = [
        rank[style_for_kind(layers.kind(by_title[t])).geometry] for t in project["rendering_order"]
    ]
    assert order == sorted(order)


def test_no_partially_supported_message_and_the_control_shows_it(output: dict[str, Any]) -> None:
    for target in ("plan", "check"):
        assert output[target]["gdal"]["messages"] == [], target
        assert output[target]["gdal"]["counts"]["layer_styles"] == len(output[target]["layers"])
    assert PARTIAL not in json.dumps(output["log"], ensure_ascii=False)
    assert [m for m in output["log"] if m["level"] >= 1] == []  # no QGIS warning or error
    messages = output["control"]["gdal"]["messages"]
    assert any(PARTIAL in m for m in messages), messages  # the probe would catch it
    ours = [ln for ln in output["stderr"].splitlines() if "control_v14" not in ln]
    assert not [ln for ln in ours if PARTIAL in ln or "Warning" in ln or "ERROR" in ln], ours


def test_pyogrio_reads_everything_without_warnings(
    output: dict[str, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    gpkg = output["gpkg"]
    capfd.readouterr()
    listed = [str(n) for n, _ in pyogrio.list_layers(gpkg)]
    assert "layer_styles" in listed
    assert io.list_layers(gpkg) == [n for n in listed if n != "layer_styles"]
    for name, gdf in output["built"].items():
        back = pyogrio.read_dataframe(gpkg, layer=name)
        assert len(back) == len(gdf)
        info = pyogrio.read_info(gpkg, layer=name)
        assert info["layer_metadata"]["IDENTIFIER"] == layers.kind(name).name_zh
    table = pyogrio.read_dataframe(gpkg, layer="layer_styles")
    assert sorted(table["f_table_name"]) == sorted(output["built"])
    assert (table["useAsDefault"] == 1).all()
    captured = capfd.readouterr()  # GDAL prints its warnings on stderr, not as Python warnings
    assert captured.err == "", captured.err


def test_conflict_output_gets_the_same_treatment(output: dict[str, Any]) -> None:
    check = output["check"]
    frames = output["frames"]
    styles_for_check = check_output.styles_for(frames)
    for name, gdf in frames.items():
        seen = check["layers"][name]
        assert seen["valid"] and seen["count"] == len(gdf), name
        assert_renderer(seen["renderer"], styles_for_check[name], name)
        assert seen["label_field"] == styles_for_check[name].label
        assert CJK.search(seen["abstract"])
        for field, alias in seen["aliases"].items():
            if field != "fid":
                assert CJK.search(alias), (field, alias)
    assert seen["aliases"].get("结论") == "结论"
    project = check["project"]
    assert project["read"] and project["crs"] == "EPSG:4490"
    assert [g["group"] for g in project["tree"]] == ["检查结果", CONSTRAINT_GROUP]
    children = {c["layer"]: c for c in project["tree"][0]["children"]}
    assert all(c["valid"] for c in children.values())
    kinds_zh = {"point": "点", "line": "线", "polygon": "面"}
    shown = 0
    for name, gdf in frames.items():
        kinds = geometry_kinds(gdf)
        assert len(kinds) > 1 or name == check_output.PARTS  # demo sites: polygons and a line
        for kind in kinds:
            title = (
                f"{styles_for_check[name].name_zh}（{kinds_zh[kind]}）"
                if len(kinds) > 1
                else styles_for_check[name].name_zh
            )
            child = children[title]
            expected = int(gdf.geom_type.str.removeprefix("Multi").map(_KIND).eq(kind).sum())
            assert child["count"] == expected, title
            assert_renderer(
                child["renderer"], replace(styles_for_check[name], geometry=kind), title
            )
            shown += expected
    assert shown == sum(len(g) for g in frames.values())  # every feature drawn once


def test_conflict_output_holds_the_constraint_layers_the_check_used(
    output: dict[str, Any],
) -> None:
    """The packaged 三区三线 the demo checked against are in conflicts.gpkg, styled as packaged.

    They sit in their own group under the result; the within part's legend is 界外部分（冲突）.
    """
    check = output["check"]
    used = output["used"]
    assert set(used) == {
        f"{CONSTRAINT_PREFIX}{n}"
        for n in ("eco_redline", "basic_farmland", "urban_boundary", "rivers")
    }
    for name, gdf in used.items():
        seen = check["layers"][name]
        assert seen["valid"] and seen["count"] == len(gdf) > 0, name
        key = name.removeprefix(CONSTRAINT_PREFIX)
        packaged = styles.style(layers.kind(key).style)
        assert seen["renderer"]["type"] == (
            "categorizedSymbol" if packaged.categories else "singleSymbol"
        ), name
    (group,) = [g for g in check["project"]["tree"] if g["group"] == CONSTRAINT_GROUP]
    titles = {c["layer"] for c in group["children"]}
    assert {"生态保护红线", "永久基本农田", "城镇开发边界"} <= titles
    parts = check["layers"][check_output.PARTS]["renderer"]
    labels = {c["value"]: c["label"] for c in parts["categories"]}
    assert labels["界外部分（冲突）"] == "界外部分（冲突）"
    assert "界外部分（冲突）" in set(output["frames"][check_output.PARTS]["部分类别"])


def test_project_renders_with_the_styles(output: dict[str, Any]) -> None:
    city = styles.style("admin_boundaries").categories[0]
    assert (city.value, city.symbol.stroke) == ("city", CITY_STROKE)
    render = output["plan"]["render"]
    assert render["colours"][CITY_STROKE] > 500  # the dashed city boundary, drawn on top
    assert 0.05 < render["painted"] / render["pixels"] < 0.98
