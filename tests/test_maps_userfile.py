"""``fzgeo map FILE``: a user's own file on a web map, styled, with every attribute (issue 16)."""

from __future__ import annotations

import json
import re

import pytest

import shapely
from geopandas import GeoDataFrame

from fzgeo.cli import main
from fzgeo.errors import ConfigError, RepairWarning
from fzgeo.maps import userfile

XSS = '<img src=x onerror="window.__xss=1">'


def _config(html: str) -> dict:
    return json.loads(re.search(r"FZ\.init\(\w+, (\{.*?\}), \[", html).group(1))


def _sites(crs: int = 4490) -> GeoDataFrame:
    gdf = GeoDataFrame(
        {
            "项目名称": [f"临川区厂房{XSS}", "东乡区学校"],
            "用地面积（公顷）": [12.345678, 3.2],
            "是否重点": [True, False],
        },
        geometry=[
            shapely.box(116.30, 27.95, 116.33, 27.97),
            shapely.box(116.55, 28.20, 116.58, 28.23),
        ],
        crs=4490,
    )
    return gdf.to_crs(crs)


@pytest.mark.parametrize("suffix", ["geojson", "gpkg", "fgb"])
def test_map_of_a_file_in_any_format_keeps_chinese_and_every_column(suffix, tmp_path, capsys):
    src = tmp_path / f"我的项目.{suffix}"
    _sites(4548 if suffix == "fgb" else 4490).to_file(src)
    out = tmp_path / "map.html"
    assert main(["map", str(src), "--out", str(out), "--offline"]) == 0
    html = out.read_text(encoding="utf-8")
    config = _config(html)
    (layer,) = config["layers"]
    assert layer["name"] == "我的项目" and layer["group"] == userfile.GROUP
    assert layer["label"] == "项目名称" and layer["geometry"] == "polygon"
    fields = [f[0] for f in layer["fields"]]
    assert fields[0] == "项目名称" and len(fields) == 3
    assert "东乡区学校" in html  # Chinese kept as text, not \\u escapes
    assert XSS not in html and "\\u003cimg" in html  # inert inside the script
    assert "我的项目" in capsys.readouterr().out


def test_kind_styles_the_file_and_names_its_columns(tmp_path):
    src = tmp_path / "红线.geojson"
    _sites().assign(county=["临川区", "东乡区"]).to_file(src)
    out = tmp_path / "map.html"
    assert main(["map", str(src), "--kind", "eco_redline", "--out", str(out), "--offline"]) == 0
    (layer,) = _config(out.read_text(encoding="utf-8"))["layers"]
    from fzgeo import styles
    from fzgeo.plan import layers

    packaged = styles.style(layers.kind("eco_redline").style)
    assert layer["style"]["base"]["color"] == packaged.symbol.stroke
    assert {f[0]: f[1] for f in layer["fields"]}["county"] == "所在县（区）"
    assert layer["group"] == layers.kind("eco_redline").group


def test_neutral_style_by_geometry_type():
    points = GeoDataFrame(
        {"名称": ["甲", "乙"]},
        geometry=[shapely.Point(116.3, 27.9), shapely.Point(116.4, 28)],
        crs=4490,
    )
    layer = userfile.file_layer(points, path="点.csv")
    assert layer.style.geometry == "point" and layer.style.label == "名称"
    lines = GeoDataFrame(
        {"x": [1]}, geometry=[shapely.LineString([(116.3, 27.9), (116.4, 28)])], crs=4490
    )
    assert userfile.file_layer(lines, path="l.geojson").style.geometry == "line"


def test_unknown_kind_and_missing_file_are_clear_errors(tmp_path, capsys):
    src = tmp_path / "a.geojson"
    _sites().to_file(src)
    with pytest.raises(ConfigError, match="no layer kind"):
        userfile.file_layer(_sites(), path=src, kind="nope")
    assert main(["map", str(src), "--kind", "nope", "--out", str(tmp_path / "m.html")]) == 2
    assert "nope" in capsys.readouterr().err
    # a name that is no file, map or layer kind: the FZ600 message lists the kinds
    assert main(["map", str(tmp_path / "missing.gpkg"), "--out", str(tmp_path / "m.html")]) == 2


def test_features_without_geometry_are_counted_and_invalid_ones_repaired():
    bow = shapely.Polygon([(116.3, 27.9), (116.4, 28.0), (116.4, 27.9), (116.3, 28.0)])
    gdf = GeoDataFrame(
        {"名称": ["空", "蝴蝶", "好"]}, geometry=[None, bow, bow.buffer(0)], crs=4490
    )
    with pytest.warns(RepairWarning) as caught:
        layer = userfile.file_layer(gdf, path="x.gpkg")
    texts = [str(w.message) for w in caught]
    assert any("1 feature(s) without geometry" in t and "rows [1]" in t for t in texts)
    assert any("1 invalid geometry repaired" in t for t in texts)
    assert list(layer.gdf["名称"]) == ["蝴蝶", "好"] and layer.gdf.is_valid.all()
