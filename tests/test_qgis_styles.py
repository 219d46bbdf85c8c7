"""QML/SLD generation, the GeoPackage tables QGIS reads, the .qgz writer and the CLI (no QGIS).

What QGIS makes of the output is checked in real QGIS by ``tests/test_qgis.py``.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

import pyogrio
import shapely
from geopandas import GeoDataFrame

from fzgeo import io, styles
from fzgeo.cli import main
from fzgeo.errors import ConfigError, DataNotFoundError, InputError, UnknownLayerError
from fzgeo.plan import layers
from fzgeo.plan.schema import LayerKind
from fzgeo.qgis import gpkg_styles, project, qml, sld
from fzgeo.qgis.export import geometry_kinds, write_qgis
from fzgeo.qgis.layerinfo import DataSummary, abstract_text, from_aliases, style_for_kind

LAYER_STYLES_COLUMNS = [
    "id",
    "f_table_catalog",
    "f_table_schema",
    "f_table_name",
    "f_geometry_column",
    "styleName",
    "styleQML",
    "styleSLD",
    "useAsDefault",
    "description",
    "owner",
    "ui",
    "update_time",
]
SE = "{http://www.opengis.net/se}"


@pytest.fixture(scope="module")
def admin_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("styled") / "plan.gpkg"
    write_qgis(layers.build_all(["admin_boundaries"]), path)
    return path


def _sql(path: Path, query: str, *args: object) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as con:
        return con.execute(query, args).fetchall()


def test_colours_and_units() -> None:
    assert qml.colour("#ff8000", 0.5) == "255,128,0,128"
    assert qml.colour("#000000") == "0,0,0,255"
    assert qml.colour(None) == "0,0,0,0"
    assert float(qml.mm(96 / 25.4)) == pytest.approx(1.0)
    assert qml.category_value(True) == "true"
    assert qml.category_value(3) == "3"


@pytest.mark.parametrize("key", styles.available())
def test_every_style_renders_qml_and_sld(key: str) -> None:
    style = styles.style(key)
    info = from_aliases(key, {"name": "名称"}, style, DataSummary(features=1))
    fields = ["fid", "name", style.label, style.category_field or "name"]
    root = ET.fromstring(qml.qml(info, fields))
    renderer = root.find("renderer-v2")
    assert renderer is not None
    symbols = renderer.findall("symbols/symbol")
    if style.categories:
        assert renderer.get("type") == "categorizedSymbol"
        assert renderer.get("attr") == style.category_field
        values = [c.get("value") for c in renderer.findall("categories/category")]
        assert values == [qml.category_value(c.value) for c in style.categories] + [""]
        assert len(symbols) == len(values)
    else:
        assert renderer.get("type") == "singleSymbol"
        assert len(symbols) == 1
    assert {s.get("type") for s in symbols} == {qml.SYMBOL_TYPE[style.geometry]}
    assert root.find("labeling/settings/text-style").get("fieldName") == style.label
    assert root.find("layerGeometryType").text == qml.GEOMETRY_TYPE[style.geometry]
    doc = ET.fromstring(sld.sld(info))
    rules = doc.findall(f".//{SE}Rule")
    assert len(rules) == (len(style.categories) + 1 if style.categories else 1) + 1  # + labels
    colours = {p.text for p in doc.iter(f"{SE}SvgParameter") if p.get("name") == "stroke"}
    assert style.symbol.stroke in colours or style.symbol.stroke is None


def test_dashed_polygon_outline_is_a_line_layer() -> None:
    style = styles.style("admin_boundaries")
    node = qml.symbol(style.symbol, "polygon", "0")
    classes = [layer.get("class") for layer in node.findall("layer")]
    assert classes == ["SimpleFill", "SimpleLine"]
    options = {o.get("name"): o.get("value") for o in node.findall("layer")[1].iter("Option")}
    assert options["use_custom_dash"] == "1"
    assert options["customdash"] == ";".join(qml.mm(d) for d in style.symbol.dash)
    assert options["line_color"] == qml.colour(style.symbol.stroke, style.symbol.opacity)


def test_scale_visibility_from_min_zoom() -> None:
    style = styles.style("admin_boundaries")
    info = from_aliases("x", {}, style, DataSummary())
    assert qml.layer_attributes(info, ["name"])["hasScaleBasedVisibilityFlag"] == "0"
    zoomed = from_aliases("x", {}, type(style)(**{**style.__dict__, "min_zoom": 10}), DataSummary())
    attrs = qml.layer_attributes(zoomed, ["name"])
    assert attrs["hasScaleBasedVisibilityFlag"] == "1"
    assert float(attrs["minScale"]) == pytest.approx(qml.ZOOM0_SCALE / 1024)
    assert qml.layer_attributes(info, ["fid"])["labelsEnabled"] == "0"  # no label field


def test_abstract_names_passage_lines_and_precision() -> None:
    summary = DataSummary(
        features=3,
        precision={"schematic": 2, "surveyed": 1},
        sources=["第八篇 第一章 第1234行"],
        lines=[1234, 1240],
    )
    text = abstract_text("生态保护红线", "eco_redline", "the red line", summary)
    assert "第八篇 第一章 第1234行" in text
    assert "1234, 1240" in text
    assert "示意位置 schematic 2" in text and "实测 surveyed 1" in text
    assert "不是法定边界" in text
    plain = abstract_text("行政区划", "a", "", DataSummary(precision={"surveyed": 1}))
    assert "不是法定边界" not in plain
    assert "官方数据" not in plain
    official = abstract_text("生态保护红线", "a", "", DataSummary(precision={"official": 3}))
    assert "本图层要素均为官方数据" in official and "官方 official 3" in official


def test_layer_styles_table_as_qgis_expects(admin_gpkg: Path) -> None:
    columns = [r[1] for r in _sql(admin_gpkg, "PRAGMA table_info(layer_styles)")]
    assert columns == LAYER_STYLES_COLUMNS
    rows = _sql(
        admin_gpkg,
        "SELECT f_table_name, f_geometry_column, styleName, useAsDefault, styleQML, styleSLD "
        "FROM layer_styles",
    )
    assert len(rows) == 1
    table, geom, name, default, qml_text, sld_text = rows[0]
    assert (table, geom, name, default) == ("admin_boundaries", "geom", "admin_boundaries", 1)
    assert ET.fromstring(str(qml_text)).tag == "qgis"
    assert ET.fromstring(str(sld_text)).tag.endswith("StyledLayerDescriptor")
    contents = _sql(
        admin_gpkg, "SELECT data_type FROM gpkg_contents WHERE table_name='layer_styles'"
    )
    assert contents == [("attributes",)]
    assert _sql(admin_gpkg, "PRAGMA user_version") == [(10200,)]  # GeoPackage 1.2


def test_aliases_constraints_and_metadata_tables(admin_gpkg: Path) -> None:
    kind = layers.kind("admin_boundaries")
    rows = dict(
        _sql(
            admin_gpkg,
            "SELECT column_name, name FROM gpkg_data_columns WHERE table_name=?",
            kind.name,
        )
    )
    assert rows == kind.aliases_zh
    enum = _sql(
        admin_gpkg,
        "SELECT value, description FROM gpkg_data_column_constraints "
        "WHERE constraint_name='fzgeo_precision'",
    )
    assert ("schematic", "示意位置") in enum
    extensions = {
        r[0]: r[1]
        for r in _sql(admin_gpkg, "SELECT table_name, extension_name FROM gpkg_extensions")
    }
    assert extensions["gpkg_data_columns"] == "gpkg_schema"
    assert extensions["gpkg_metadata"] == "gpkg_metadata"
    (description,) = _sql(
        admin_gpkg, "SELECT description FROM gpkg_contents WHERE table_name=?", kind.name
    )[0]
    assert kind.name_zh in str(description) and "实测 surveyed 12" in str(description)
    (md,) = _sql(
        admin_gpkg,
        "SELECT metadata FROM gpkg_metadata JOIN gpkg_metadata_reference ON id = md_file_id "
        "WHERE table_name=? AND md_standard_uri=?",
        kind.name,
        gpkg_styles.QGIS_METADATA_URI,
    )[0]
    assert ET.fromstring(str(md)).findtext("abstract") == description
    info = pyogrio.read_info(admin_gpkg, layer=kind.name)
    assert info["layer_metadata"]["DESCRIPTION"] == description


def _points(path: Path, geometry_name: str = "shape") -> Path:
    gdf = GeoDataFrame(
        {"名称": ["甲", "乙"], "kind": ["a", "b"]},
        geometry=[shapely.Point(116.3, 27.9), shapely.Point(116.4, 28.0)],
        crs=4490,
    )
    pyogrio.write_dataframe(
        gdf,
        path,
        layer="pts",
        driver="GPKG",
        dataset_options={"VERSION": "1.2"},
        layer_options={"GEOMETRY_NAME": geometry_name},
    )
    return path


def test_geometry_column_is_read_and_restyling_replaces(tmp_path: Path) -> None:
    path = _points(tmp_path / "pts.gpkg")
    style = styles.style("admin_boundaries")
    point_style = type(style)(key="pts", name_zh="点", geometry="point", symbol=style.symbol)
    aliases = {"名称": "名称", "kind": "类型"}
    for _ in range(2):
        gpkg_styles.style_geopackage(path, {"pts": (aliases, point_style)})
    rows = _sql(path, "SELECT f_geometry_column, useAsDefault FROM layer_styles")
    assert rows == [("shape", 1)]
    with closing(sqlite3.connect(path)) as con:
        assert gpkg_styles.fields(con, "pts") == ["fid", "名称", "kind"]
    assert len(_sql(path, "SELECT * FROM gpkg_data_columns")) == 2
    assert len(_sql(path, "SELECT * FROM gpkg_metadata")) == 1
    assert io.list_layers(path) == ["pts"]


def test_duplicate_aliases_stay_unique(tmp_path: Path) -> None:
    path = _points(tmp_path / "pts.gpkg")
    style = type(styles.style("admin_boundaries"))(
        key="pts", name_zh="点", geometry="point", symbol=styles.style("admin_boundaries").symbol
    )
    gpkg_styles.style_geopackage(path, {"pts": ({"名称": "名称", "kind": "名称"}, style)})
    names = sorted(r[0] for r in _sql(path, "SELECT name FROM gpkg_data_columns"))
    assert names == ["名称", "名称（kind）"]


def test_errors_name_the_problem(tmp_path: Path) -> None:
    text = tmp_path / "not.gpkg"
    text.write_text("hello", encoding="utf-8")
    style = styles.style("admin_boundaries")
    with pytest.raises(InputError, match="not a GeoPackage"):
        gpkg_styles.style_geopackage(text, {"x": ({}, style)})
    path = _points(tmp_path / "pts.gpkg")
    with pytest.raises(UnknownLayerError, match=r"\['nope'\] not in the GeoPackage.*pts"):
        gpkg_styles.style_geopackage(path, {"nope": ({}, style)})
    second = GeoDataFrame({"b": [1]}, geometry=[shapely.Point(116, 28)], crs=4490)
    pyogrio.write_dataframe(second, path, layer="pts2", driver="GPKG", append=True)
    with pytest.raises(ConfigError, match="'pts2': a Style is required"):
        gpkg_styles.style_geopackage(path, {"pts": ({"名称": "名称"}, style), "pts2": ({}, None)})
    tables = {r[0] for r in _sql(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert "layer_styles" not in tables  # rolled back, DDL included
    with pytest.raises(DataNotFoundError, match="GeoPackage not found"):
        gpkg_styles.style_geopackage(tmp_path / "missing.gpkg", {"pts": ({}, style)})
    kind = LayerKind("ghost", "幽灵", "Point", style="no_such_style")
    with pytest.raises(ConfigError, match="no style 'no_such_style'"):
        style_for_kind(kind)


def test_failed_styling_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.gpkg"
    _points(target)
    before = target.read_bytes()
    built = layers.build_all(["admin_boundaries"])
    style = styles.style("admin_boundaries")
    with pytest.raises(UnknownLayerError):
        write_qgis(built, target, specs={"missing": ({}, style)})
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]


def test_project_uses_relative_paths(admin_gpkg: Path) -> None:
    qgz = admin_gpkg.with_suffix(".qgz")
    with zipfile.ZipFile(qgz) as archive:
        assert archive.namelist() == ["plan.qgs"]
        text = archive.read("plan.qgs").decode("utf-8")
    assert "./plan.gpkg|layername=admin_boundaries" in text
    assert str(admin_gpkg.parent) not in text
    root = ET.fromstring(text)
    assert root.find("projectCrs/spatialrefsys/authid").text == "EPSG:4490"
    assert root.find("properties/Paths/Absolute").text == "false"
    groups = [g.get("name") for g in root.findall("layer-tree-group/layer-tree-group")]
    assert groups == ["基础"]
    with pytest.raises(ValueError, match="beside its GeoPackage"):
        project.write_project(
            [], admin_gpkg, out=admin_gpkg.parent / "sub" / "x.qgz", extent=(0, 0, 1, 1)
        )


def test_cli_export_qgis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "one.gpkg"
    assert main(["export", "admin_boundaries", "--qgis", str(out)]) == 0
    assert (tmp_path / "one.qgz").is_file()
    assert _sql(out, "SELECT f_table_name FROM layer_styles") == [("admin_boundaries",)]
    assert "QGIS project" in capsys.readouterr().out
    sites = _points(tmp_path / "sites.gpkg")
    assert main(["export", str(sites), "--qgis", str(tmp_path / "x.gpkg")]) == 2
    err = capsys.readouterr().err
    assert "--qgis exports packaged layers" in err and "--out" in err
    assert main(["export", "--out", str(tmp_path / "y.gpkg")]) == 2
    assert "name the file or packaged layer" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "admin_boundaries"])  # neither --out nor --qgis


def test_cli_build_without_project(tmp_path: Path) -> None:
    out = tmp_path / "b.gpkg"
    assert main(["build", "--out", str(out), "--no-project", "admin_boundaries"]) == 0
    assert not (tmp_path / "b.qgz").exists()
    assert len(_sql(out, "SELECT * FROM layer_styles")) == 1


def test_mixed_tables_split_into_one_project_layer_per_geometry() -> None:
    style = styles.style("admin_boundaries")
    info = from_aliases("sites", {}, style, DataSummary())
    same = project.split_mixed([info], {"sites": {"polygon"}})
    assert same == [info]
    parts = project.split_mixed([info], {"sites": {"line", "polygon"}})
    assert [(p.style.geometry, p.geometry_filter) for p in parts] == [
        ("line", "LineString"),
        ("polygon", "Polygon"),
    ]
    assert [p.title for p in parts] == [f"{info.title}（线）", f"{info.title}（面）"]
    assert len({project.layer_id(p) for p in [info, *parts]}) == 3
    assert {p.style.symbol for p in parts} == {style.symbol}
    gdf = GeoDataFrame(
        geometry=[shapely.Point(0, 0), shapely.MultiLineString([[(0, 0), (1, 1)]])], crs=4490
    )
    assert geometry_kinds(gdf) == {"point", "line"}


def test_multi_stroke_line_is_one_simple_line_per_stroke_in_passes() -> None:
    style = styles.style("railways")
    root = qml.renderer(style)
    assert root.get("symbollevels") == "1"
    symbols = {s.get("name"): s for s in root.findall("symbols/symbol")}
    existing = symbols["0"]  # 高速铁路（现状）
    layers_ = existing.findall("layer")
    assert [(layer.get("class"), layer.get("pass")) for layer in layers_] == [
        ("SimpleLine", "0"),
        ("SimpleLine", "1"),
    ]
    casing, centre = (
        {o.get("name"): o.get("value") for o in layer.iter("Option")} for layer in layers_
    )
    assert casing["line_color"] == "0,0,0,255" and casing["use_custom_dash"] == "0"
    assert centre["line_color"] == "255,255,255,255" and centre["use_custom_dash"] == "1"
    assert centre["customdash"] == f"{qml.mm(14)};{qml.mm(14)}"
    assert casing["line_width"] == qml.mm(5) and centre["line_width"] == qml.mm(3)
    other = symbols[str(len(style.categories))].findall("layer")  # catch-all: the top pass
    assert [layer.get("pass") for layer in other] == ["1"]
    single = qml.renderer(styles.style("energy_lines"))
    assert single.get("symbollevels") == "0"
    assert {layer.get("pass") for layer in single.iter("layer")} == {"0"}
    info = from_aliases("railways", {"name": "名称"}, style, DataSummary(features=1))
    doc = ET.fromstring(sld.sld(info))
    rule = doc.findall(f".//{SE}Rule")[0]
    lines = rule.findall(f"{SE}LineSymbolizer")
    assert len(lines) == 2
    params = [{p.get("name"): p.text for p in line.iter(f"{SE}SvgParameter")} for line in lines]
    assert (params[0]["stroke"], params[0]["stroke-width"]) == ("#000000", "5")
    assert "stroke-dasharray" not in params[0]
    assert (params[1]["stroke"], params[1]["stroke-dasharray"]) == ("#ffffff", "14 14")
