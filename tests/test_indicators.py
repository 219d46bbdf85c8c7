"""``fzgeo indicators``: the plan's spatial targets measured against the layers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import shapely
from geopandas import GeoDataFrame

from fzgeo.crs import WORK_CRS, to_storage, to_work
from fzgeo.errors import ConfigError
from fzgeo.plan import indicators, layers


@pytest.fixture(scope="module")
def table() -> object:
    return indicators.evaluate(indicators.load_targets())


def test_packaged_targets_cite_their_plan_line(plan_lines: list[str]) -> None:
    targets = indicators.load_targets()
    assert {"rail_length_500km", "expressway_239km"} <= {t.id for t in targets}
    for t in targets:
        assert t.term in plan_lines[t.line - 1], t.id


def test_railway_mileage_is_the_in_city_length(table: object) -> None:
    rail = to_work(layers.load("railways"))
    rows = table.loc[table["id"] == "rail_length_500km"].set_index("口径")
    existing = rail.loc[rail["status"] == "existing"].length.sum() / 1000
    assert rows.loc["现状线路", "量测值"] == pytest.approx(existing, abs=0.05)
    assert rows.loc["现状及全部规划线路", "量测值"] == pytest.approx(
        rail.length.sum() / 1000, abs=0.05
    )
    assert rows.loc["现状线路", "主口径"] and not rows.loc["现状及全部规划线路", "主口径"]
    assert rows.loc["现状线路", "精度"] == "示意位置（长度近似）"
    km = rows.loc["现状线路", "量测值"]
    assert rows.loc["现状线路", "读数"] == f"约 {km:,.0f} km"
    assert "短于实际线路" in rows.loc["现状线路", "说明"]


def test_expressway_target_counts_new_and_rebuilt_only(table: object) -> None:
    hw = to_work(layers.load("highways"))
    chosen = hw.loc[(hw["road_class"] == "高速公路") & hw["stage"].isin(["新建", "改扩建"])]
    row = table.loc[(table["id"] == "expressway_239km") & table["主口径"]].iloc[0]
    assert row["量测值"] == pytest.approx(chosen.length.sum() / 1000, abs=0.05)
    assert row["要素数"] == 5
    assert row["结论"] == ("达到" if row["量测值"] >= 239 else "未达到")


def test_unmeasurable_targets_are_listed_with_their_reason(table: object) -> None:
    row = table.loc[table["id"] == "tourism_road_908km"].iloc[0]
    assert row["结论"] == "无法量测" and row["说明"]
    assert row["量测值"] is None or row["量测值"] != row["量测值"]


def _fake(lengths_km: list[float], status: str = "existing") -> GeoDataFrame:
    """Lines of the given lengths, exact in EPSG:4548, stored in EPSG:4490."""
    lines = [
        shapely.LineString(
            [(450_000, 3_090_000 + 100 * i), (450_000 + 1000 * km, 3_090_000 + 100 * i)]
        )
        for i, km in enumerate(lengths_km)
    ]
    work = GeoDataFrame(
        {"status": [status] * len(lines), "precision": ["surveyed"] * len(lines)},
        geometry=lines,
        crs=WORK_CRS,
    )
    return to_storage(work)


def _targets(tmp_path: Path, body: str) -> list[indicators.Target]:
    path = tmp_path / "t.yaml"
    path.write_text(body, encoding="utf-8")
    return indicators.load_targets(path)


_ONE = """targets:
  - id: t
    name_zh: 测试
    line: 1
    term: x
    year: 2025
    target: 100
    unit: km
    comparison: "{cmp}"
    measures: [{{label: 全部, layer: fake, quantity: length_km, where: {{status: existing}}}}]
"""


@pytest.mark.parametrize(
    ("cmp", "km", "verdict"),
    [(">", 99.9, "未达到"), (">=", 99.9, "未达到"), (">=", 100.1, "达到"), (">", 100.1, "达到")],
)
def test_verdict_follows_the_comparison(tmp_path: Path, cmp: str, km: float, verdict: str) -> None:
    targets = _targets(tmp_path, _ONE.format(cmp=cmp))
    frame = indicators.evaluate(targets, loader=lambda _: _fake([km / 2, km / 2]))
    row = frame.iloc[0]
    assert row["结论"] == verdict and row["精度"] == "实测" and row["要素数"] == 2
    assert row["量测值"] == pytest.approx(km, rel=0.01)


@pytest.mark.parametrize(
    ("precisions", "label"),
    [
        (["surveyed", "surveyed"], "实测"),
        (["surveyed", "schematic"], "示意位置（长度近似）"),
        (["schematic", "illustrative"], "示意（长度近似）"),
    ],
)
def test_lengths_of_schematic_lines_read_approximate(
    tmp_path: Path, precisions: list[str], label: str
) -> None:
    """A length measured on schematic or illustrative lines reads 约 … km and says so."""
    targets = _targets(tmp_path, _ONE.format(cmp=">="))
    fake = _fake([60.04, 63.2])
    fake["precision"] = precisions
    row = indicators.evaluate(targets, loader=lambda _: fake).iloc[0]
    assert row["精度"] == label
    assert row["读数"] == ("123.2 km" if label == "实测" else "约 123 km")


def test_every_packaged_length_on_schematic_lines_is_marked_approximate(table: object) -> None:
    """Each measured length of the packaged targets comes from schematic lines: 约, 近似, 示意."""
    lengths = table.loc[(table["单位"] == "km") & table["量测值"].notna()]
    assert len(lengths) >= 5
    for _, row in lengths.iterrows():
        assert row["读数"].startswith("约 "), row["id"]
        assert row["精度"].endswith("（长度近似）"), row["id"]
        assert ("示意" in row["说明"] and "近似" in row["说明"]) or "短于实际线路" in row["说明"]


def test_filter_excludes_other_statuses(tmp_path: Path) -> None:
    targets = _targets(tmp_path, _ONE.format(cmp=">="))
    frame = indicators.evaluate(targets, loader=lambda _: _fake([300], status="planned"))
    assert frame.iloc[0]["量测值"] == 0 and frame.iloc[0]["结论"] == "未达到"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("targets: []", "non-empty list"),
        (
            "targets: [{id: a, name_zh: a, line: 1, term: x, year: 1, target: 1, unit: km}]",
            "give measures, or a reason",
        ),
        (
            "targets: [{id: a, name_zh: a, line: 1, term: x, year: 1, target: 1, unit: km, "
            "measures: [{label: l, layer: x, quantity: volume}]}]",
            "quantity must be one of",
        ),
        (
            "targets: [{id: a, name_zh: a, line: 1, term: x, year: 1, target: 1, unit: km, reason: r},"
            " {id: a, name_zh: a, line: 1, term: x, year: 1, target: 1, unit: km, reason: r}]",
            "defined twice",
        ),
        ("targets: [{id: a, line: 1}]", "target 'a': missing"),
        ("targets: [", "not valid YAML"),
    ],
)
def test_bad_targets_files_name_the_problem(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        _targets(tmp_path, body)
    assert "t.yaml" in str(info.value)


def test_unknown_filter_column_is_an_error(tmp_path: Path) -> None:
    targets = _targets(tmp_path, _ONE.format(cmp=">=").replace("status: existing", "kind: x"))
    with pytest.raises(ConfigError, match="no column 'kind'"):
        indicators.evaluate(targets, loader=lambda _: _fake([1]))


def test_cli_prints_table_json_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fzgeo.cli import main

    out = tmp_path / "ind.csv"
    assert main(["indicators", "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "境内铁路总里程" in text and "近似" in text
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["indicators", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in records} >= {"rail_length_500km", "trunk_road_729km"}


def test_demo_step_writes_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fzgeo.demo import DemoContext, steps
    from fzgeo.demo import _indicators as step

    assert step in steps()
    ctx = DemoContext(out=tmp_path)
    ctx.results["layers"] = {"railways": layers.load("railways")}
    step.run(tmp_path, ctx)
    assert (tmp_path / "indicators.csv") in ctx.written
    assert "境内铁路总里程" in capsys.readouterr().out
    assert set(ctx.results["indicators"]["id"]) >= {"rail_length_500km"}


def test_missing_targets_file_and_unknown_layer(tmp_path: Path) -> None:
    from fzgeo.cli import main
    from fzgeo.errors import DataNotFoundError, UnknownLayerError

    with pytest.raises(DataNotFoundError, match="no such targets file"):
        indicators.load_targets(tmp_path / "none.yaml")
    assert main(["indicators", "--targets", str(tmp_path / "none.yaml")]) == 2
    targets = _targets(tmp_path, _ONE.format(cmp=">=").replace("layer: fake", "layer: nope"))
    with pytest.raises(UnknownLayerError, match="nope"):
        indicators.evaluate(targets)


@pytest.mark.parametrize("lengths", [[300.0], [20.0]])
def test_a_measure_of_another_scope_shows_its_figure_without_a_verdict(
    tmp_path: Path, lengths: list[float]
) -> None:
    """comparable: false: neither 达到 nor 未达到, whichever side of the target the figure is."""
    body = _ONE.format(cmp=">=").replace("where: {status: existing}}", "comparable: false}")
    frame = indicators.evaluate(_targets(tmp_path, body), loader=lambda _: _fake(lengths))
    row = frame.iloc[0]
    assert row["结论"] == indicators.NOT_COMPARABLE == "口径不同，不作判定"
    assert row["量测值"] == pytest.approx(lengths[0], rel=1e-6)


def test_the_packaged_trunk_road_figure_draws_no_verdict(table: object) -> None:
    """Whole in-city roads are not the 729 km of road rebuilt (line 1025)."""
    row = table.set_index("id").loc["trunk_road_729km"]
    assert row["结论"] == "口径不同，不作判定" and "口径不同" in row["说明"]


def test_comparable_must_be_a_boolean(tmp_path: Path) -> None:
    body = _ONE.format(cmp=">=").replace("where: {status: existing}}", "comparable: maybe}")
    with pytest.raises(ConfigError, match="comparable must be true or false"):
        _targets(tmp_path, body)
