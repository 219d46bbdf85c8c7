"""``fzgeo check`` on input that would give a clean-looking wrong answer (issue 17).

An empty site layer, duplicated sites, sites in the wrong place, sites without geometry: each
is an error, or a warning naming the sites, never a silent 无冲突.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import shapely
from geopandas import GeoDataFrame
from shapely.geometry import box

from fzgeo.cli import main

X, Y = 500_000.0, 3_100_000.0  # EPSG:4548, inside 抚州市
ONE_RULE = """\
version: 1
rules:
  - {id: eco_redline, name_zh: 生态保护红线, layer: eco_redline, kind: veto}
"""


@pytest.fixture
def layers(tmp_path: Path) -> dict[str, Path]:
    """A red line (GeoPackage, one 100 m square) and a one-rule rules file."""
    red = GeoDataFrame({"BSM": ["H1"]}, geometry=[box(X, Y, X + 100, Y + 100)], crs=4548)
    paths = {"red": tmp_path / "red.gpkg", "rules": tmp_path / "rules.yaml"}
    red.to_file(paths["red"])
    paths["rules"].write_text(ONE_RULE, encoding="utf-8")
    return paths


def check(sites: Path, layers: dict[str, Path], out: Path, *extra: str) -> int:
    return main(
        [
            "check", str(sites), "--against", f"eco_redline={layers['red']}",
            "--rules", str(layers["rules"]), "--out", str(out), "--site-maps", "none", *extra,
        ]
    )  # fmt: skip


def test_empty_site_layer_is_an_error_naming_the_file(layers, tmp_path, capsys):
    path = tmp_path / "空图层.gpkg"
    GeoDataFrame({"编号": pd.Series([], dtype=str)}, geometry=[], crs=4548).to_file(path)
    out = tmp_path / "out"
    assert check(path, layers, out) == 2
    err = capsys.readouterr().err
    assert f"[FZ302] {path}: the site layer has no features" in err
    assert "an empty batch is not a clean one" in err
    assert not (out / "report.csv").exists()


def test_duplicated_sites_are_warned_by_id_and_counted_once(layers, tmp_path, capsys):
    """A QGIS copy-paste: site A-1 twice (and B-2 three times, one ring started elsewhere)."""
    inside = box(X + 10, Y + 10, X + 60, Y + 60)
    outside = box(X + 500, Y, X + 600, Y + 100)
    rotated = shapely.Polygon(
        list(outside.exterior.coords)[2:-1] + list(outside.exterior.coords)[:3]
    )
    sites = GeoDataFrame(
        {"编号": ["A-1", "B-2", "A-1", "C-3", "B-2", "B-2"]},
        geometry=[inside, outside, inside, box(X + 900, Y, X + 950, Y + 50), outside, rotated],
        crs=4548,
    )
    path = tmp_path / "sites.gpkg"
    sites.to_file(path)
    out = tmp_path / "out"
    assert check(path, layers, out) == 1
    captured = capsys.readouterr()
    assert "[FZ414] sites: 3 site(s) repeat the geometry of an earlier one" in captured.err
    assert "feature 1 (编号=A-1) = feature 3 (编号=A-1)" in captured.err
    assert "feature 2 (编号=B-2) = feature 5 (编号=B-2) = feature 6 (编号=B-2)" in captured.err
    assert "3 sites: 1 冲突 (conflict), 0 邻近 (review), 2 无冲突" in captured.out
    assert "3 duplicated site(s) counted once" in captured.out
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["sites"] == 3 and summary["site_rows"] == 6
    assert summary["verdicts"] == {"冲突": 1, "邻近": 0, "无冲突": 2, "无法检查": 0}
    assert summary["rules"][0]["conflicts"] == 1
    assert summary["sites_with_conflict"] == [1, 3]  # every row keeps its own verdict
    groups = [g["rows"] for g in summary["duplicate_sites"]]
    assert groups == [[1, 3], [2, 5, 6]]
    assert summary["audit"]["duplicate_sites"] == summary["duplicate_sites"]
    assert summary["duplicate_sites"][0]["sites"] == [
        "feature 1 (编号=A-1)",
        "feature 3 (编号=A-1)",
    ]
    report = pd.read_csv(out / "report.csv", encoding="utf-8-sig")
    assert len(report) == 6  # per-site rows stay
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<b>3</b><span>项目数</span>" in html
    assert "<b>1</b><span>冲突</span>" in html
    assert "<b>3</b><span>重复项目（只计一次）</span>" in html


def test_sites_that_differ_are_not_duplicates(layers, tmp_path, capsys):
    sites = GeoDataFrame(
        {"编号": ["A", "B"]},
        geometry=[box(X + 10, Y + 10, X + 60, Y + 60), box(X + 10, Y + 10, X + 60, Y + 60.01)],
        crs=4548,
    )
    path = tmp_path / "sites.gpkg"
    sites.to_file(path)
    out = tmp_path / "out"
    assert check(path, layers, out) == 1
    assert "FZ414" not in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["sites"] == summary["site_rows"] == 2
    assert summary["duplicate_sites"] == []


def test_sites_without_usable_geometry_are_reported_unchecked(layers, tmp_path, capsys):
    """Null, empty and an empty collection: rows 无法检查 with the reason; the rest checked."""
    sites = GeoDataFrame(
        {"编号": ["A-1", "B-2", "C-3", "D-4", "E-5"]},
        geometry=[
            box(X + 10, Y + 10, X + 60, Y + 60),
            None,
            shapely.Polygon(),
            shapely.GeometryCollection(),
            box(X + 500, Y, X + 600, Y + 100),
        ],
        crs=4548,
    )
    path = tmp_path / "sites.geojson"
    sites.to_crs(4490).to_file(path)
    out = tmp_path / "out"
    assert check(path, layers, out) == 1
    captured = capsys.readouterr()
    assert "3 site(s) without usable geometry are reported 无法检查" in captured.err
    everything = tmp_path / "all"  # every site mapped: but nothing to draw for the unchecked
    assert check(path, layers, everything, "--site-maps", "all") == 1
    capsys.readouterr()
    assert sorted(p.name for p in (everything / "maps").glob("*.svg")) == [
        "site_00001.svg",
        "site_00005.svg",
    ]
    assert "feature 2 (编号=B-2): 没有几何" in captured.err
    assert "2 sites: 1 冲突" not in captured.out
    assert "5 sites: 1 冲突 (conflict), 0 邻近 (review), 1 无冲突, 3 无法检查" in captured.out
    report = pd.read_csv(out / "report.csv", encoding="utf-8-sig")
    assert report["序号"].tolist() == [1, 2, 3, 4, 5]
    assert report["综合结论"].tolist() == ["冲突", "无法检查", "无法检查", "无法检查", "无冲突"]
    assert report["问题"].fillna("").str.len().gt(0).tolist() == [False, True, True, True, False]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdicts"]["无法检查"] == 3
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<b>3</b><span>无法检查（无几何）</span>" in html


def test_unchecked_sites_on_the_library_path(layers):
    """check.run: every row kept in order, numbers only for the sites measured."""
    from fzgeo import check, io
    from fzgeo.check import rules as rules_mod
    from fzgeo.errors import GeometryError, UnusableGeometryWarning

    red = io.read(layers["red"])
    rule_set = rules_mod.load(layers["rules"])
    sites = GeoDataFrame(
        {"编号": ["A", "B", "C"]},
        geometry=[None, box(X + 50, Y, X + 150, Y + 100), shapely.Polygon()],
        crs=4548,
    )
    with pytest.warns(UnusableGeometryWarning, match=r"\[FZ411, FZ412\] sites: 2 site"):
        result = check.run(sites, {"eco_redline": red}, rule_set)
    assert result.sites["verdict"].tolist() == ["无法检查", "冲突", "无法检查"]
    assert result.sites["eco_redline__overlap_m2"].iloc[1] == pytest.approx(5_000.0)
    assert result.sites["eco_redline__overlap_m2"].iloc[[0, 2]].isna().all()
    assert result.details["site"].tolist() == [0, 1, 2]
    assert len(result.parts) == 1 and result.parts["site"].tolist() == [1]
    with pytest.raises(GeometryError, match=r"\[FZ400\] sites: no site has usable geometry"):
        check.run(sites.iloc[[0, 2]], {"eco_redline": red}, rule_set)


def test_the_callers_sites_are_left_as_given(layers):
    from fzgeo import check, io
    from fzgeo.check import rules as rules_mod

    sites = GeoDataFrame(geometry=[shapely.Polygon(), box(X, Y, X + 10, Y + 10)], crs=4548)
    with pytest.warns(UserWarning, match="without usable geometry"):
        check.run(sites, {"eco_redline": io.read(layers["red"])}, rules_mod.load(layers["rules"]))
    assert sites.geometry.iloc[0] is not None and sites.geometry.iloc[0].is_empty


def _two_dataset_zip(tmp_path: Path) -> Path:
    """A zip of two Shapefiles, 红线 (the 100 m square) and 其他 (far away), GBK names."""
    from input_fixtures import shapefile, shapefile_bytes, zip_entries

    red = GeoDataFrame({"BSM": ["H1"]}, geometry=[box(X, Y, X + 100, Y + 100)], crs=4548)
    other = GeoDataFrame({"BSM": ["Q1"]}, geometry=[box(X + 5000, Y, X + 5100, Y + 100)], crs=4548)
    entries = {
        **shapefile_bytes(shapefile(tmp_path / "a", red, name="红线")),
        **shapefile_bytes(shapefile(tmp_path / "b", other, name="其他")),
    }
    return zip_entries(tmp_path / "三区三线.zip", entries, gbk_names=True)


@pytest.fixture
def inside_site(tmp_path: Path) -> Path:
    path = tmp_path / "sites.gpkg"
    GeoDataFrame(
        {"编号": ["A-1"]}, geometry=[box(X + 10, Y + 10, X + 60, Y + 60)], crs=4548
    ).to_file(path)
    return path


def test_against_a_zip_of_two_datasets_names_them_and_takes_file_colon_layer(
    layers, inside_site, tmp_path, capsys
):
    archive = _two_dataset_zip(tmp_path)
    out = tmp_path / "out"
    assert check(inside_site, {**layers, "red": archive}, out) == 2
    err = capsys.readouterr().err
    assert "[FZ303]" in err and "红线" in err and "其他" in err
    assert f"--against eco_redline={archive}:LAYER" in err
    assert "--layer chooses the sites' layer" in err
    assert not out.exists()
    assert check(inside_site, {**layers, "red": Path(f"{archive}:红线")}, out) == 1
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdicts"]["冲突"] == 1
    assert summary["audit"]["layers"]["eco_redline"]["features"] == 1
    capsys.readouterr()
    assert check(inside_site, {**layers, "red": Path(f"{archive}:其他")}, tmp_path / "o2") == 0
    assert check(inside_site, {**layers, "red": Path(f"{archive}:没有")}, tmp_path / "o3") == 2
    err = capsys.readouterr().err
    assert "[FZ201]" in err and "no layer '没有' in the archive; it holds: " in err


def test_against_a_zip_holding_a_dataset_called_name_takes_it(layers, inside_site, tmp_path):
    from input_fixtures import shapefile, shapefile_bytes, zip_entries

    red = GeoDataFrame({"BSM": ["H1"]}, geometry=[box(X, Y, X + 100, Y + 100)], crs=4548)
    far = red.set_geometry([box(X + 5000, Y, X + 5100, Y + 100)])
    entries = {
        **shapefile_bytes(shapefile(tmp_path / "a", red, name="eco_redline")),
        **shapefile_bytes(shapefile(tmp_path / "b", far, name="basic_farmland")),
    }
    archive = zip_entries(tmp_path / "sanqu.zip", entries)
    assert check(inside_site, {**layers, "red": archive}, tmp_path / "out") == 1


def test_a_bare_against_name_is_a_file_when_one_exists_as_in_export(
    layers, inside_site, tmp_path, monkeypatch, capsys
):
    """`fzgeo export NAME` reads the file NAME when it exists; `check --against NAME` too."""
    monkeypatch.chdir(tmp_path)
    args = ["check", str(inside_site), "--rules", str(layers["rules"]), "--site-maps", "none"]
    assert main([*args, "--against", "eco_redline", "--out", "packaged"]) in (0, 1, 3)
    Path("eco_redline").write_text("not a layer", encoding="utf-8")
    assert main([*args, "--against", "eco_redline", "--out", "file"]) == 2
    assert "eco_redline: unsupported file type (none)" in capsys.readouterr().err


def test_the_issues_column_says_per_site_what_was_done_to_its_input(layers, tmp_path, capsys):
    """问题 in report.csv, report.xlsx and report.html: repairs, copies, the CRS assumed."""
    bow_tie = shapely.Polygon(
        [(X + 10, Y + 10), (X + 60, Y + 60), (X + 60, Y + 10), (X + 10, Y + 60)]
    )
    other = box(X + 500, Y, X + 600, Y + 100)
    sites = GeoDataFrame(
        {"编号": ["A-1", "B-2", "C-3", "D-4", "E-5"]},
        geometry=[bow_tie, other, other, None, box(X + 900, Y, X + 950, Y + 50)],
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    with warnings.catch_warnings():  # GDAL: "'crs' was not provided", as wanted here
        warnings.simplefilter("ignore", UserWarning)
        sites.to_file(folder / "sites.shp", encoding="UTF-8")  # no CRS: no .prj
    assert not (folder / "sites.prj").exists()
    out = tmp_path / "out"
    assert check(folder / "sites.shp", layers, out, "--assume-crs", "EPSG:4548") == 1
    capsys.readouterr()
    crs = "文件未声明坐标系，按 --assume-crs 取 EPSG:4548"
    wanted = [
        f"几何已修复：自相交；{crs}",
        f"第 3 行与其几何相同（重复，合计只计一次）；{crs}",
        f"与第 2 行几何相同（重复，合计只计一次）；{crs}",
        f"没有几何（null geometry）；{crs}",
        crs,
    ]
    report = pd.read_csv(out / "report.csv", encoding="utf-8-sig")
    assert report["问题"].tolist() == wanted
    xlsx = pd.read_excel(out / "report.xlsx", sheet_name="汇总")
    assert xlsx["问题"].tolist() == wanted
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<th>问题</th>" in html
    for text in wanted:
        assert f">{text}</td>" in html


def test_no_issue_no_text(layers, tmp_path, capsys):
    path = tmp_path / "sites.gpkg"
    GeoDataFrame({"编号": ["A"]}, geometry=[box(X + 10, Y + 10, X + 20, Y + 20)], crs=4548).to_file(
        path
    )
    out = tmp_path / "out"
    assert check(path, layers, out) == 1
    capsys.readouterr()
    report = pd.read_csv(out / "report.csv", encoding="utf-8-sig", keep_default_na=False)
    assert report["问题"].tolist() == [""]
    assert "<th>问题</th>" not in (out / "report.html").read_text(encoding="utf-8")
