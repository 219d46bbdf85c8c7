"""``fzgeo check`` end to end: exit status, every output written and readable, the demo step.

And the report's form: the 示意 notice in every output of an illustrative run (and in none of an
official one), units (m², 公顷, 亩, %), the XLSX layout, times in Asia/Shanghai, the responsive and
printable HTML, the audit record, ``--site-maps`` and progress bars.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
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
    assert len(list((out / "maps").glob("site_*.*"))) == 2  # the square and the road (review)

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
    wb.close()
    assert any(str(r[9]).startswith("跳过") for r in rules_rows[1:])

    layers = dict(pyogrio.list_layers(out / "conflicts.gpkg"))
    assert {"conflict_parts", "sites"} <= set(layers)
    parts = pyogrio.read_dataframe(out / "conflicts.gpkg", layer="conflict_parts")
    assert sorted(parts["项目序号"]) == [1, 3]

    html = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdicts"] == {"冲突": 1, "邻近": 1, "无冲突": 1, "无法检查": 0}
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
    assert not list((out / "maps").glob("site_*.*")) if (out / "maps").exists() else True


def test_sites_in_the_wrong_zone_show_the_extent_warning(files, tmp_path, capsys):
    """CM 117E sites declared CM 114E pass the reader (still in Jiangxi) but not the guard."""
    sites = GeoDataFrame(geometry=[box(X, Y - 50_000, X + 100, Y - 49_900)], crs=4548)
    wrong = tmp_path / "wrong_zone.gpkg"
    sites.set_crs(4547, allow_override=True).to_file(wrong)  # 114.0 E: west of 抚州市
    out = tmp_path / "out"
    given = ("--against", f"eco_redline={files['red']}", "--rules", files["rules"], "--out", out)
    assert run(wrong, *given) == 4  # stopped: 无冲突 would be for the wrong reason
    captured = capsys.readouterr()
    err = captured.err
    assert "warning: [FZ106] sites (x 114.0" in err
    assert "share no common extent with any of 抚州市" in err
    assert "as EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E) instead of the declared EPSG:4547" in err  # fmt: skip
    assert "error: [FZ106] the sites lie outside 抚州市 and every constraint layer" in err
    assert "nothing measured, stored or written" in err
    assert "--allow-outside" in err
    assert "无冲突" not in captured.out  # no verdict printed
    assert not out.exists() or not any(out.iterdir())
    # the user says the sites are there on purpose: checked and reported, still warned
    assert run(wrong, *given, "--allow-outside") == 0
    assert "warning: [FZ106] sites (x 114.0" in capsys.readouterr().err
    assert (out / "report.csv").exists()
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["audit"]["sites_outside"]


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
    summary = json.loads((tmp_path / "check" / "summary.json").read_text(encoding="utf-8"))
    assert summary["illustrative"] is True  # the packaged stand-ins
    assert {v["origin"] for v in summary["audit"]["layers"].values()} == {"packaged"}


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


# --- the 示意 notice ---------------------------------------------------------------------------

NOTICE = "示意数据：本次检查使用的"


def _outputs(out: Path) -> dict[str, object]:
    """The places the notice must be: the HTML's top, the XLSX's first rows, summary.json."""
    from openpyxl import load_workbook

    html = (out / "report.html").read_text(encoding="utf-8")
    body = html[html.index("<body>") :]
    wb = load_workbook(out / "report.xlsx", read_only=True)
    first = [c for row in wb["汇总"].iter_rows(max_row=2, values_only=True) for c in row if c]
    wb.close()
    return {
        "html_top": body[: body.index("<h1>")],
        "xlsx_first": " ".join(map(str, first)),
        "summary": json.loads((out / "summary.json").read_text(encoding="utf-8")),
    }


def test_illustrative_run_says_so_in_every_output(files, tmp_path, capsys):
    """The packaged 三区三线 stand-ins: banner, XLSX rows, summary.json and the CLI's last line."""
    out = tmp_path / "out"
    run(files["sites"], "--out", out, "--site-maps", "none")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(NOTICE)
    for name in ("生态保护红线", "永久基本农田", "城镇开发边界"):
        assert name in last
    assert "不具法律效力" in last and "仅供参考" in last
    found = _outputs(out)
    assert 'class="banner"' in found["html_top"] and NOTICE in found["html_top"]
    assert found["xlsx_first"].startswith(NOTICE)
    summary = found["summary"]
    assert summary["illustrative"] is True
    assert summary["notice"] == last
    assert summary["illustrative_layers"] == ["eco_redline", "basic_farmland", "urban_boundary"]
    assert list(summary)[:2] == ["illustrative", "notice"]  # first in the file
    from openpyxl import load_workbook

    ws = load_workbook(out / "report.xlsx")["汇总"]
    assert ws["A3"].value == "序号" and ws.freeze_panes == "B4"  # header below the notice
    assert pd.read_excel(out / "report.xlsx", sheet_name="汇总", header=2)["序号"].tolist() == [
        1,
        2,
        3,
    ]


@pytest.mark.parametrize("precision", ["official", None])
def test_official_layer_has_no_notice(files, tmp_path, capsys, precision):
    """A user's layer marked official, or without a precision column (their own data): no 示意."""
    red = pyogrio.read_dataframe(files["red"])
    if precision:
        red["precision"] = precision
    path = tmp_path / "红线.gpkg"
    pyogrio.write_dataframe(red, path)
    out = tmp_path / "out"
    args = [files["sites"], "--against", f"eco_redline={path}", "--rules", files["rules"]]
    assert run(*args, "--out", out) == 1
    printed = capsys.readouterr().out
    assert "示意" not in printed
    found = _outputs(out)
    assert "banner" not in found["html_top"] and "示意" not in found["html_top"]
    assert "示意" not in found["xlsx_first"]
    summary = found["summary"]
    assert summary["illustrative"] is False and summary["notice"] is None
    layer = summary["audit"]["layers"]["eco_redline"]
    assert layer["precision"] == ([precision] if precision else [])
    assert layer["illustrative"] is False


def test_user_file_marked_illustrative_gets_the_notice(files, tmp_path, capsys):
    """The rule is the data's precision, not where it came from: an exported stand-in is 示意."""
    red = pyogrio.read_dataframe(files["red"])
    red["precision"] = ["illustrative"]
    path = tmp_path / "copy.gpkg"
    pyogrio.write_dataframe(red, path)
    out = tmp_path / "out"
    args = [files["sites"], "--against", f"eco_redline={path}", "--rules", files["rules"]]
    run(*args, "--out", out, "--site-maps", "none")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(NOTICE) and "生态保护红线" in last and "永久基本农田" not in last
    assert _outputs(out)["summary"]["illustrative_layers"] == ["eco_redline"]


# --- units, layout, times ------------------------------------------------------------------


def test_areas_in_three_units_and_shares_in_percent(files, tmp_path):
    out = tmp_path / "out"
    run(files["sites"], "--against", f"eco_redline={files['red']}", "--out", out)
    csv = pd.read_csv(out / "report.csv", encoding="utf-8-sig")
    area = csv.loc[0, "项目面积（平方米）"]
    assert area == pytest.approx(10_000, abs=0.01)
    assert csv.loc[0, "项目面积（公顷）"] == pytest.approx(1.0, abs=1e-4)
    assert csv.loc[0, "项目面积（亩）"] == pytest.approx(15.0, abs=1e-4)
    assert csv.loc[0, "生态保护红线·占项目比例（%）"] == pytest.approx(50.0, abs=1e-3)
    assert "生态保护红线·占项目比例" not in csv.columns  # no fraction column left
    assert not any(c.startswith("生态保护红线·界外面积") for c in csv.columns)  # veto: no 界外
    for unit in ("平方米", "公顷", "亩"):  # the within rule (城镇开发边界) has 界外 in all three
        assert f"城镇开发边界·界外面积（{unit}）" in csv.columns
    details = pd.read_csv(out / "details.csv", encoding="utf-8-sig")
    assert {"界外面积（公顷）", "界外面积（亩）", "占项目比例（%）"} <= set(details.columns)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "项目面积（亩）" in html and "占项目比例（%）" in html
    assert "重叠 5,000.00 平方米 / 0.5000 公顷 / 7.5000 亩" in html


def test_xlsx_fitted_frozen_filtered_formatted(files, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "out"
    run(files["sites"], "--against", f"eco_redline={files['red']}", "--out", out)
    wb = load_workbook(out / "report.xlsx")
    ws = wb["汇总"]
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}4"
    col = {h: ws.cell(1, i + 1).column_letter for i, h in enumerate(header)}
    width = {h: ws.column_dimensions[col[h]].width for h in header}
    assert (
        width["生态保护红线·重叠面积（平方米）"] >= 2 * 15 + 2
    )  # 15 CJK characters, counted double
    assert width["name"] >= len("<script>alert(1)</script>")  # names are not cut off
    assert ws[f"{col['项目面积（平方米）']}2"].number_format == "#,##0.00"
    assert ws[f"{col['项目面积（亩）']}2"].number_format == "#,##0.0000"
    assert ws[f"{col['生态保护红线·占项目比例（%）']}2"].number_format == "0.00"
    assert ws[f"{col['综合结论']}2"].fill.fgColor.rgb == "FFF8D0D0"  # 冲突 shaded
    assert wb["明细"].freeze_panes == "B2" and wb["规则"].freeze_panes == "A2"


def test_times_in_shanghai_with_offset(files, tmp_path):
    out = tmp_path / "out"
    run(files["sites"], "--against", f"eco_redline={files['red']}", "--out", out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00", summary["created"])
    assert "created_utc" not in summary
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"生成时间：{summary['created']}" in html
    assert "UTC" not in html.split("<body>")[1].split("<h2>")[0]


def test_html_responsive_and_printable(files, tmp_path):
    out = tmp_path / "out"
    run(files["sites"], "--against", f"eco_redline={files['red']}", "--out", out)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert ".scroll{overflow-x:auto" in html  # tables scroll in their own box
    assert html.count('<div class="scroll"><table') == html.count("<table")
    assert "@page{size:A4" in html and "break-inside:avoid" in html
    assert "thead{display:table-header-group}" in html  # headers repeat on printed pages
    assert "<th>综合结论</th>" in html and "<th>项目面积（公顷）</th>" in html


# --- audit -------------------------------------------------------------------------------------


def test_summary_audit_records_engine_layers_rules_and_version(files, tmp_path):
    from fzgeo import __version__

    out = tmp_path / "out"
    args = ["--against", f"eco_redline={files['red']}", "--rules", files["rules"]]
    run(files["sites"], *args, "--out", out, "--threads", "1")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    audit = summary["audit"]
    assert audit["engine"]["name"] == "local"
    assert audit["fzgeo_version"] == summary["fzgeo_version"] == __version__
    sha = hashlib.sha256(files["rules"].read_bytes()).hexdigest()
    assert audit["rules_files"] == [{"source": str(files["rules"]), "sha256": sha}]
    red = audit["layers"]["eco_redline"]
    assert red["origin"] == "file" and red["source"] == str(files["red"])
    assert red["features"] == 1 and len(red["sha256"]) == 64 and red["name_zh"] == "生态保护红线"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "管控图层（数据来源）" in html and "用户文件" in html and red["sha256"][:16] in html


def test_packaged_rules_and_layers_are_recorded_as_packaged(files, tmp_path):
    out = tmp_path / "out"
    run(files["sites"], "--out", out, "--site-maps", "none")
    audit = json.loads((out / "summary.json").read_text(encoding="utf-8"))["audit"]
    assert audit["rules_files"][0]["source"] == "layers/rules/default.yaml"
    assert len(audit["rules_files"][0]["sha256"]) == 64
    assert {v["origin"] for v in audit["layers"].values()} == {"packaged"}


def test_dsn_password_reaches_no_output(files, tmp_path, capsys, postgis_dsn):
    """PostGIS engine: the database is recorded, its password nowhere (files, stdout, stderr)."""
    from fzgeo.cli import main as cli

    assert cli(["db", "push", "--dsn", postgis_dsn, "--from", str(files["red"]), "--as", "eco_redline"]) == 0  # fmt: skip
    secret = "s3cret-pw"
    user, rest = postgis_dsn.split("://", 1)[1].split("@", 1)
    dsn = f"postgresql://{user}:{secret}@{rest}"  # trust authentication ignores it
    out = tmp_path / "out"
    run(files["sites"], "--dsn", dsn, "--rules", files["rules"], "--out", out)
    captured = capsys.readouterr()
    assert secret not in captured.out + captured.err
    for path in out.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path.name
    audit = json.loads((out / "summary.json").read_text(encoding="utf-8"))["audit"]
    assert audit["engine"]["name"] == "postgis"
    assert user in json.dumps(audit["engine"])  # the database is named
    assert audit["layers"]["eco_redline"]["origin"] == "database"


def test_without_password_scrubs_uri_and_keyword_forms():
    from fzgeo.cli._engine import without_password

    uri = "postgresql://me:p%40ss@db.example/gis"
    record = {"engine": {"database": uri, "notes": ["p@ss", "p%40ss"]}}
    assert without_password(record, uri) == {
        "engine": {"database": "postgresql://me:***@db.example/gis", "notes": ["***", "***"]}
    }
    words = "host=db password='two words' dbname=gis"
    assert without_password({"d": words}, words) == {"d": "host=db password='***' dbname=gis"}
    assert without_password({"d": "x"}, None) == {"d": "x"}


# --- site maps and progress --------------------------------------------------------------------


@pytest.mark.parametrize(("which", "maps"), [("none", 0), ("review", 2), ("all", 3)])
def test_site_maps_option(files, tmp_path, which, maps):
    out = tmp_path / "out"
    args = [files["sites"], "--against", f"eco_redline={files['red']}", "--rules", files["rules"]]
    run(*args, "--out", out, "--site-maps", which)
    drawn = list((out / "maps").glob("site_*.*")) if (out / "maps").exists() else []
    assert len(drawn) == maps
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('<div class="site">') == maps


def test_site_maps_help_is_true(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--site-maps {review,all,none}" in text
    assert "review = 冲突 and 邻近 sites (default), all = every site, none = no maps" in text
    assert "--no-progress" in text


def _many_sites(tmp_path: Path, n: int) -> Path:
    xs = X + 200.0 * (np.arange(n) % 50)
    ys = Y + 200.0 * (np.arange(n) // 50)
    gdf = GeoDataFrame(
        geometry=[box(x, y, x + 50, y + 50) for x, y in zip(xs, ys, strict=True)], crs=4548
    )
    path = tmp_path / "many.gpkg"
    gdf.to_file(path)
    return path


@pytest.mark.parametrize(
    ("n", "terminal", "flag", "shown"),
    [(1000, True, [], True), (999, True, [], False), (1000, False, [], False), (1000, True, ["--no-progress"], False)],
)  # fmt: skip
def test_progress_bars_on_a_terminal_from_1000_sites(files, tmp_path, capsys, monkeypatch, n, terminal, flag, shown):  # fmt: skip
    from fzgeo import _progress

    monkeypatch.setattr(_progress, "terminal", lambda: terminal)
    sites = _many_sites(tmp_path, n)
    argv = ["check", str(sites), "--against", f"eco_redline={files['red']}", "--rules", str(files["rules"])]  # fmt: skip
    assert main([*argv, "--out", str(tmp_path / "o"), "--site-maps", "none", *flag]) in (0, 1)
    err = capsys.readouterr().err
    for phase in ("读取管控图层", "汇总表", "写出文件"):
        assert (phase in err) is shown, phase


def test_progress_rule():
    from fzgeo import _progress

    assert _progress.wanted(10, True) and not _progress.wanted(10**6, False)
    assert not _progress.wanted(10**6)  # pytest's stderr is no terminal
    silent = _progress.bar("x", 3, show=False)
    silent.update(2)
    silent.close()
    with _progress.phase("x", show=False) as bar:
        bar.update(1)


def test_official_data_loaded_with_sanqu_load_has_no_notice(files, tmp_path, capsys):
    """The way official data arrives: a GB-coded delivery through `fzgeo sanqu load`."""
    red = pyogrio.read_dataframe(files["red"]).to_crs(4527)
    red = red.assign(BSM=["36102820210001"], YSDM=["2090020100"], HXMC=["马头山生态保护红线"])
    delivery = tmp_path / "三区三线.gpkg"
    pyogrio.write_dataframe(red[["BSM", "YSDM", "HXMC", "geometry"]], delivery, layer="STBHHX")
    official = tmp_path / "official.gpkg"
    assert main(["sanqu", "load", str(delivery), "--out", str(official)]) == 0
    assert set(pyogrio.read_dataframe(official, layer="eco_redline")["precision"]) == {"official"}
    capsys.readouterr()
    out = tmp_path / "out"
    args = [files["sites"], "--against", f"eco_redline={official}", "--rules", files["rules"]]
    assert run(*args, "--out", out) == 1
    assert "示意" not in capsys.readouterr().out
    found = _outputs(out)
    assert "示意" not in found["html_top"] and "示意" not in found["xlsx_first"]
    assert found["summary"]["notice"] is None
    assert found["summary"]["audit"]["layers"]["eco_redline"]["precision"] == ["official"]


def test_large_batches_list_flagged_sites_in_the_html(files, tmp_path, monkeypatch):
    """Above MAX_ROWS sites the HTML lists 冲突 and 邻近 only and says where the rest are."""
    from fzgeo.report import _html

    monkeypatch.setattr(_html, "MAX_ROWS", 2)
    out = tmp_path / "out"
    run(
        files["sites"],
        "--against",
        f"eco_redline={files['red']}",
        "--out",
        out,
        "--site-maps",
        "all",
    )
    html = (out / "report.html").read_text(encoding="utf-8")
    assert (
        "共 3 个项目，此处列出冲突与邻近的 2 个；全部项目的结论见 report.xlsx 与 report.csv。"
        in html
    )
    brief = html.split("<h2>逐项目结论</h2>")[1].split("<h2>")[0]
    assert "=1+1" not in brief  # the clear site is not listed
    assert "<h2>各项目图件</h2>" in html and html.count('<div class="site">') == 3
    assert len(pd.read_csv(out / "report.csv", encoding="utf-8-sig")) == 3


def test_progress_bars_start_no_thread(capsys):
    """A bar leaves no thread behind (a monitor thread would stop the forked map workers)."""
    import threading

    from fzgeo import _progress

    before = threading.active_count()
    bar = _progress.bar("写出文件", 3, show=True, unit="个")
    bar.update(3)
    bar.close()
    assert threading.active_count() == before
    assert "写出文件：100%" in capsys.readouterr().err
