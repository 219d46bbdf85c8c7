"""``fzgeo check`` end to end: exit status, every output written and readable, the demo step."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

import pyogrio
from geopandas import GeoDataFrame
from shapely.geometry import LineString, box

from fzgeo.cli import main

X, Y = 500_000.0, 3_100_000.0
ONE_RULE = """\
version: 1
rules:
  - {id: eco_redline, name_zh: 生态保护红线, layer: eco_redline, kind: veto}
"""


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FZGEO_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Sites (GeoJSON, EPSG:4490), a red line (GeoPackage) and a one-rule rules file."""
    sites = GeoDataFrame(
        {
            "name": ["<script>alert(1)</script>", "=1+1", "道路"],
            "project_type": ["工业", "住宅", "线性基础设施"],
        },
        geometry=[
            box(X + 50, Y, X + 150, Y + 100),
            box(X + 1000, Y, X + 1100, Y + 100),
            LineString([(X - 50, Y + 50), (X + 150, Y + 50)]),
        ],
        crs=4548,
    ).to_crs(4490)
    red = GeoDataFrame({"name": ["红线甲"]}, geometry=[box(X, Y, X + 100, Y + 100)], crs=4548)
    paths = {
        "sites": tmp_path / "sites.geojson",
        "red": tmp_path / "red.gpkg",
        "rules": tmp_path / "rules.yaml",
        "clean": tmp_path / "clean.geojson",
    }
    sites.to_file(paths["sites"])
    sites.iloc[[1]].to_file(paths["clean"])
    red.to_file(paths["red"])
    paths["rules"].write_text(ONE_RULE, encoding="utf-8")
    return paths


def run(*args: object) -> int:
    return main(["check", *map(str, args), "--no-progress"])


def test_conflict_exits_1_and_writes_every_output(files, tmp_path, capsys):
    out = tmp_path / "out"
    status = run(files["sites"], "--against", f"eco_redline={files['red']}", "--out", out)
    assert status == 1
    printed = capsys.readouterr().out
    assert "skipped rule basic_farmland" in printed
    names = {"report.csv", "details.csv", "report.xlsx", "conflicts.gpkg", "report.html"}
    assert names | {"summary.json", "maps"} <= {p.name for p in out.iterdir()}
    assert len(list((out / "maps").glob("*.png"))) == 2  # the square and the road

    csv = pd.read_csv(out / "report.csv", encoding="utf-8-sig")
    assert list(csv["序号"]) == [1, 2, 3]
    assert list(csv["综合结论"]) == ["冲突", "无冲突", "邻近"]  # the road type is exempt
    assert csv.loc[0, "生态保护红线·重叠面积（公顷）"] == pytest.approx(0.5, abs=1e-4)
    assert csv.loc[0, "生态保护红线·重叠面积（亩）"] == pytest.approx(7.5, abs=1e-3)
    assert csv.loc[1, "name"] == "'=1+1"  # neutralised formula

    from openpyxl import load_workbook

    wb = load_workbook(out / "report.xlsx", read_only=True)
    assert wb.sheetnames == ["汇总", "明细", "规则"]
    header = [c.value for c in next(wb["汇总"].iter_rows(max_row=1))]
    assert {"序号", "综合结论", "生态保护红线·结论", "永久基本农田·结论"} <= set(header)
    rules_rows = list(wb["规则"].iter_rows(values_only=True))
    assert any(str(r[9]).startswith("跳过") for r in rules_rows[1:])

    layers = dict(pyogrio.list_layers(out / "conflicts.gpkg"))
    assert {"conflict_parts", "sites"} <= set(layers)
    parts = pyogrio.read_dataframe(out / "conflicts.gpkg", layer="conflict_parts")
    assert sorted(parts["项目序号"]) == [1, 3]

    html = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdicts"] == {"冲突": 1, "邻近": 1, "无冲突": 1}
    digest = hashlib.sha256(files["sites"].read_bytes()).hexdigest()
    by_name = {rec["name"]: rec for rec in summary["inputs"]}
    assert by_name["sites.geojson"]["sha256"] == digest
    assert by_name["sites.geojson"]["bytes"] == files["sites"].stat().st_size
    assert by_name["red.gpkg"]["sha256"] == hashlib.sha256(files["red"].read_bytes()).hexdigest()
    assert by_name["sites.geojson"]["read_as"]["crs"].startswith("EPSG:4490 ")
    assert by_name["red.gpkg"]["read_as"]["crs"].startswith("EPSG:4548 ")
    assert all("read_as" not in r for r in summary["inputs"] if r["name"].endswith(".yaml"))
    skipped = [r["id"] for r in summary["rules"] if r["status"] == "skipped"]
    assert skipped == ["basic_farmland", "urban_boundary", "fuhe_1km"]


def test_clean_with_every_rule_checked_exits_0(files, tmp_path):
    out = tmp_path / "out"
    status = run(
        files["clean"],
        "--against",
        f"eco_redline={files['red']}",
        "--rules",
        files["rules"],
        "--out",
        out,
    )
    assert status == 0
    assert not list((out / "maps").glob("*.png")) if (out / "maps").exists() else True


def test_sites_in_the_wrong_zone_show_the_extent_warning(files, tmp_path, capsys):
    """CM 117E sites declared CM 114E pass the reader (still in Jiangxi) but not the guard."""
    sites = GeoDataFrame(geometry=[box(X, Y - 50_000, X + 100, Y - 49_900)], crs=4548)
    wrong = tmp_path / "wrong_zone.gpkg"
    sites.set_crs(4547, allow_override=True).to_file(wrong)  # 114.0 E: west of 抚州市
    out = tmp_path / "out"
    status = run(
        wrong, "--against", f"eco_redline={files['red']}", "--rules", files["rules"], "--out", out
    )
    assert status == 0  # 无冲突, for the wrong reason, which the warning says
    err = capsys.readouterr().err
    assert "warning: [FZ106] sites (x 114.0" in err
    assert "share no common extent with any of 抚州市" in err
    assert "as EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E) instead of the declared EPSG:4547" in err  # fmt: skip
    assert (out / "report.csv").exists()


def test_clean_but_rules_skipped_exits_3(files, tmp_path):
    status = run(
        files["clean"], "--against", f"eco_redline={files['red']}", "--out", tmp_path / "o"
    )
    assert status == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.geojson"], "file not found"),
        (["{sites}", "--against", "nowhere={red}"], "no rule uses a layer called 'nowhere'"),
        (["{sites}", "--rules", "{bad}"], "unknown keys"),
    ],
)
def test_user_errors_exit_2(files, tmp_path, capsys, args, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {id: a, layer: x, kind: veto, colour: red}\n", encoding="utf-8")
    values = {"sites": files["sites"], "red": files["red"], "bad": bad}
    argv = [a.format(**values) for a in args]
    assert run(*argv, "--out", tmp_path / "o") == 2
    assert message in capsys.readouterr().err


def test_demo_step_shows_conflict_and_clean_site(tmp_path):
    from fzgeo.demo import DemoContext
    from fzgeo.demo import _check as step

    ctx = DemoContext(out=tmp_path)
    step.run(tmp_path, ctx)
    result = ctx.results["check"]
    verdicts = set(result.sites["verdict"])
    assert {"冲突", "无冲突"} <= verdicts
    assert not result.skipped
    names = {p.name for p in (tmp_path / "check").iterdir()}
    assert {"report.csv", "report.xlsx", "conflicts.gpkg", "report.html", "summary.json"} <= names
    assert len(result.sites) == len(step.sample_sites())


def test_summary_records_the_encoding_a_shapefile_was_read_with(files, tmp_path):
    """A GBK Shapefile from a design institute: summary.json says how its text was decoded."""
    shp = tmp_path / "项目红线.shp"
    sites = pyogrio.read_dataframe(files["sites"]).to_crs(4527).iloc[:2]  # the polygons
    sites["name"] = ["道路", "厂区"]
    pyogrio.write_dataframe(sites[["name", "geometry"]], shp, encoding="GBK")
    (tmp_path / "项目红线.cpg").write_text("GBK", encoding="ascii")
    out = tmp_path / "out"
    run(shp, "--against", f"eco_redline={files['red']}", "--rules", files["rules"], "--out", out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    record = next(r for r in summary["inputs"] if r["name"] == "项目红线.shp")
    assert record["read_as"]["encoding"] == "gb18030 (declared in .cpg (GBK))"  # GBK superset
    assert record["read_as"]["crs"].startswith("EPSG:4527 ")
    assert record["read_as"]["format"]
    sidecars = {r["name"] for r in summary["inputs"]}
    assert {"项目红线.dbf", "项目红线.cpg"} <= sidecars
    report = pd.read_csv(out / "report.csv", encoding="utf-8-sig")
    assert {"道路", "厂区"} <= set(report.astype(str).stack())  # the GBK text came through


def test_constraint_layers_gathered_by_rule_layer_name(files, tmp_path):
    """One library function reads --against for the CLI and the packaged layers for the demo."""
    from fzgeo.check import constraints, rules
    from fzgeo.errors import ConfigError

    rule_set = rules.load()
    packaged = constraints.gather(rule_set)
    assert list(packaged.layers) == rule_set.layers() and not packaged.files
    assert all(v is not None for v in packaged.layers.values())  # the demo skips no rule
    assert set(packaged.titled(rule_set)) == {rule_set.layer_title(n) for n in rule_set.layers()}

    both = tmp_path / "sanqu.gpkg"  # as `fzgeo sanqu load` writes: one layer per rule layer name
    red = pyogrio.read_dataframe(files["red"])
    pyogrio.write_dataframe(red, both, layer="eco_redline")
    pyogrio.write_dataframe(red.assign(name="农田"), both, layer="basic_farmland")
    stem = tmp_path / "urban_boundary.geojson"
    pyogrio.write_dataframe(red.assign(name="城镇"), stem)
    given = constraints.gather(
        rule_set, [f"eco_redline={both}", f"basic_farmland={both}", str(stem), "rivers"]
    )
    assert set(given.layers) == {"eco_redline", "basic_farmland", "urban_boundary", "rivers"}
    assert list(given.layers["basic_farmland"]["name"]) == ["农田"]  # the layer called NAME
    assert list(given.layers["urban_boundary"]["name"]) == ["城镇"]  # the file's stem
    assert given.files == [both, both, stem]
    with pytest.raises(ConfigError, match="no rule uses a layer called 'nowhere'"):
        constraints.gather(rule_set, [f"nowhere={files['red']}"])
