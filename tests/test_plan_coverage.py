"""Plan coverage (fzgeo.plan.coverage, ``fzgeo plan coverage``) and the layers of issue 10."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import shapely
from geopandas import GeoDataFrame

from fzgeo import check
from fzgeo.check import rules
from fzgeo.cli import main
from fzgeo.crs import STORAGE_CRS, WORK_CRS
from fzgeo.errors import ConfigError, DataNotFoundError, InputError, ProjectTypeWarning
from fzgeo.plan import coverage, layers, placement

ROOT = Path(__file__).resolve().parents[1]

#: The layer kinds of issue 10 ("the rest of the plan on the map").
ISSUE10_KINDS = (
    "energy_facilities",
    "energy_lines",
    "infrastructure_reserves",
    "water_projects",
    "water_works_lines",
    "water_areas",
    "protected_areas",
    "airports",
    "data_centres",
    "heritage_sites",
    "tourism_sites",
    "hazard_zones",
    "emergency_facilities",
    "agriculture_bases",
    "public_facilities",
    "economic_platforms",
    "county_designations",
    "waterways",
    "ports",
    "river_controls",
    "cooperation_zones",
)
#: Polygon layers meant as constraint candidates for `fzgeo check` rules.
CONSTRAINT_KINDS = ("infrastructure_reserves", "water_areas", "protected_areas", "hazard_zones")


@pytest.fixture(scope="module")
def inventory(shared_dir: Path) -> list[coverage.Entry]:
    return coverage.load_inventory(shared_dir / "plan" / "inventory.yaml")


@pytest.fixture(scope="module")
def result(inventory: list[coverage.Entry]) -> coverage.Coverage:
    return coverage.coverage(inventory, layers.build_all(), coverage.load_reasons())


def test_figure_is_computed_over_locatable_entries(result: coverage.Coverage) -> None:
    table = result.table
    locatable = table["geometry"].isin(coverage.LOCATABLE)
    assert result.locatable == int(locatable.sum())
    hits = int((locatable & table["represented"]).sum())
    assert result.represented_locatable == hits
    assert result.percent == pytest.approx(100 * hits / int(locatable.sum()))
    assert f"({result.percent:.1f}%)" in result.summary()
    first, cats, rest = result.summary().splitlines()
    assert first == (
        f"{result.represented_locatable} of {result.locatable} locatable entries represented "
        f"({result.percent:.1f}%)"
    )
    by_cat = result.by_category()
    assert cats.startswith("by category (represented/locatable): ")
    for row in by_cat.itertuples():
        assert f"{row.category} {row.represented}/{row.locatable}" in cats
    assert by_cat["locatable"].sum() == result.locatable
    assert "entries the plan text places" in rest
    hit, total = result.placeable
    assert result.represented_locatable <= hit <= total <= result.locatable


def test_every_entry_is_represented_or_has_a_reason(result: coverage.Coverage) -> None:
    assert result.problems == []
    missing = result.table[~result.table["represented"]]
    assert (missing["reason"].isin(list(coverage.REASONS))).all()


def test_reasons_refer_to_real_ids(inventory: list[coverage.Entry]) -> None:
    ids = {e.id for e in inventory}
    reasons = coverage.load_reasons()
    assert set(reasons) <= ids
    assert all(r.of in ids for r in reasons.values() if r.of)
    targets = {e.id for e in inventory if not e.locatable}
    assert all(r.code != "target" or i in targets for i, r in reasons.items())


def test_issue10_features_carry_real_inventory_ids(inventory: list[coverage.Entry]) -> None:
    ids = {e.id for e in inventory}
    for name in ISSUE10_KINDS:
        gdf = layers.load(name)
        assert gdf["inventory_id"].notna().all(), name
        assert set(gdf["inventory_id"]) <= ids, name


def test_problems_are_found() -> None:
    entries = [
        coverage.Entry("a", "甲", "x", "point", 1),
        coverage.Entry("b", "乙", "x", "polygon", 2),
        coverage.Entry("c", "丙", "x", "target", 3),
    ]
    feats = GeoDataFrame(
        {"name": ["甲", "外"], "inventory_id": ["a", "zz"]},
        geometry=[shapely.Point(116.3, 27.9)] * 2,
        crs=STORAGE_CRS,
    )
    reasons = coverage.load_reasons(
        "a: {reason: not_locatable}\nc: {reason: target}\nd: {reason: duplicate, of: q}\n"
    )
    got = coverage.coverage(entries, {"demo": feats}, reasons)
    text = " | ".join(got.problems)
    assert "'zz' is not in the inventory" in text
    assert "'d', which is not in the inventory" in text
    assert "'q', which is not an entry" in text
    assert "'b' (乙) is neither represented nor given a reason" in text
    assert got.stale == ["a"]
    assert got.locatable == 2
    assert got.represented_locatable == 1
    assert got.percent == pytest.approx(50.0)
    assert got.placeable == (1, 2)  # b is MISSING, so it still counts as placeable
    cats = got.by_category()
    assert cats.to_dict("records") == [
        {"category": "x", "locatable": 2, "represented": 1, "percent": 50.0}
    ]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a: {reason: because}", "reason must be one of"),
        ("a: {reason: duplicate}", "`of` is required"),
        ("a: {reason: target, of: b}", "`of` is required"),
        ("- a", "expected a mapping"),
    ],
)
def test_bad_reasons_are_refused(text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        coverage.load_reasons(text)


def test_bad_inventory_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "inv.yaml"
    bad.write_text("- {id: a, geometry: point}\n- {id: a, geometry: line}\n- {name: x}\n")
    with pytest.raises(InputError, match=r"id 'a' repeated.*entry 2: needs `id`"):
        coverage.load_inventory(bad)
    bad.write_text("{a: 1}")
    with pytest.raises(InputError, match="expected a list"):
        coverage.load_inventory(bad)


def test_missing_inventory_names_the_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(DataNotFoundError, match=r"nope\.yaml"):
        coverage.find_inventory(tmp_path / "nope.yaml")
    monkeypatch.setenv(coverage.INVENTORY_ENV, str(tmp_path / "env.yaml"))
    assert tmp_path / "env.yaml" in coverage.inventory_candidates(tmp_path)
    status = main(["plan", "coverage", "--inventory", str(tmp_path / "nope.yaml")])
    assert status == 2
    err = capsys.readouterr().err
    assert "[FZ300]" in err
    assert "--inventory" in err


def test_cli_table_and_csv(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "coverage.csv"
    inv = shared_dir / "plan" / "inventory.yaml"
    status = main(["plan", "coverage", "--inventory", str(inv), "--csv", str(out), "--show", "all"])
    printed = capsys.readouterr().out
    assert status == 0
    assert "locatable entries represented" in printed
    summary = printed.splitlines()[-3:]  # the figure leads, the categories follow
    assert summary[0].endswith("%)") and "locatable entries represented" in summary[0]
    assert summary[1].startswith("by category (represented/locatable): ")
    assert "datang_fuzhou_power_plant_phase2" in printed
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(coverage.load_inventory(inv))
    row = next(r for r in rows if r["id"] == "chongren_500kv_switching_station")
    assert row["layers"] == "energy_facilities"
    assert row["features"] == "崇仁500千伏开关站"
    status = main(["plan", "coverage", "--inventory", str(inv), "--fail-under", "100"])
    assert status == 1
    capsys.readouterr()
    assert main(["plan", "coverage", "--inventory", str(inv), "--show", "categories"]) == 0
    printed = capsys.readouterr().out
    assert "energy" in printed
    assert "percent" in printed


@pytest.mark.parametrize("name", ISSUE10_KINDS)
def test_issue10_layer_is_valid_and_inside_the_city(name: str) -> None:
    gdf = layers.load(name)
    assert len(gdf) > 0
    assert STORAGE_CRS.equals(gdf.crs)
    assert gdf.geometry.is_valid.all()
    assert not gdf.geometry.is_empty.any()
    units = layers.load("admin_boundaries")
    city = units.loc[units["level"] == "city"].geometry.iloc[0]
    # 1e-4 degrees (about 10 m) absorbs the round trip through EPSG:4548 of county outlines
    outside = gdf[~gdf.geometry.within(city.buffer(1e-4))]
    assert outside.empty, list(outside["name"])
    assert set(gdf["precision"]) <= {"surveyed", "schematic", "illustrative"}
    stand_ins = gdf[gdf["precision"] == "illustrative"]
    assert stand_ins["note"].notna().all(), "an illustrative feature must say how it was placed"


@pytest.mark.parametrize("name", ISSUE10_KINDS)
def test_issue10_sources_name_the_feature(name: str, plan_lines: list[str]) -> None:
    gdf = layers.load(name)
    for row in gdf.itertuples():
        where = f"{name}/{row.name}"
        assert row.source_line is not None, where
        assert str(row.plan_term) in plan_lines[int(row.source_line) - 1], where
        assert f"第{row.source_line}行" in row.source, where


@pytest.mark.parametrize("name", CONSTRAINT_KINDS)
def test_constraint_candidates_are_polygons_with_area(name: str) -> None:
    kind = layers.kind(name)
    assert kind.geometry_type == "Polygon"
    gdf = layers.load(name)
    assert (gdf["area_km2"] > 0).all()


def test_placement_multipoints_and_counties() -> None:
    pts = placement.build_geometry({"points": ["南城县", "南丰县", [116.3, 27.9]]})
    assert pts.geom_type == "MultiPoint"
    assert len(pts.geoms) == 3
    units = layers.load("admin_boundaries").set_index("name")
    both = placement.build_geometry({"counties": ["南城县", "黎川县"]}, layers.load)
    expected = units.loc[["南城县", "黎川县"], "area_km2"].sum()
    assert both.area / 1e6 == pytest.approx(expected, rel=1e-3)
    with pytest.raises(ConfigError, match=r"unknown counties \['南城'\]"):
        placement.build_geometry({"counties": ["南城"]}, layers.load)


def test_placement_along_the_river() -> None:
    river = layers.load("rivers").to_crs(WORK_CRS).geometry.iloc[0]
    reach = placement.build_geometry(
        {"reach": "抚河", "from": "南城县", "to": "抚州市"}, layers.load
    )
    assert reach.geom_type == "LineString"
    assert 30_000 < reach.length < river.length
    assert river.distance(shapely.Point(reach.coords[0])) < 1.0
    assert river.distance(shapely.Point(reach.coords[-1])) < 1.0
    point = placement.build_geometry({"on_river": "抚河", "at": "抚州市"}, layers.load)
    assert river.distance(point) < 1.0
    with pytest.raises(ConfigError, match="is empty"):
        placement.build_geometry({"reach": "抚河", "from": "南城县", "to": "南城县"}, layers.load)
    with pytest.raises(ConfigError, match="no river named '信江'"):
        placement.build_geometry({"on_river": "信江", "at": "抚州市"}, layers.load)


def test_plan_constraint_rules_run_on_the_issue10_layers() -> None:
    rule_set = rules.load(ROOT / "docs" / "plan_constraint_rules.yaml")
    built = {name: layers.load(name) for name in rule_set.layers()}
    for rule in rule_set.rules:  # every `where` keeps some feature, so no rule is skipped
        gdf = built[rule.layer]
        kept = gdf
        for col, value in rule.where.items():
            kept = kept[kept[col] == value]
        assert len(kept) > 0, rule.id
    water, hazard = built["water_areas"], built["hazard_zones"]
    reservoir = water.loc[water["area_type"] == "水库淹没区"].geometry.iloc[0].centroid
    mine = hazard.loc[hazard["hazard_type"] == "矿山与尾矿库"].geometry.iloc[0].centroid
    sites = GeoDataFrame(
        {"name": ["水库内", "矿区内", "远处"], "radius_m": [100.0] * 3},
        geometry=[reservoir, mine, shapely.Point(116.9, 26.9)],
        crs=STORAGE_CRS,
    )
    with pytest.warns(ProjectTypeWarning, match=r"\[FZ601\] .* no project type column"):
        result = check.run(sites, built, rule_set, use_cache=False)  # the sites have no type
    verdicts = result.sites.set_index("name")
    assert verdicts.loc["水库内", "reservoir_inundation__verdict"] == "邻近"
    assert verdicts.loc["矿区内", "hazard_buffer__verdict"] == "邻近"
    assert verdicts.loc["远处", "verdict"] == "无冲突"
    assert "冲突" not in set(result.details["verdict"])  # stand-in geometry never gives 冲突
    assert not result.skipped


def test_placeable_follows_duplicate_chains() -> None:
    entries = [
        coverage.Entry(i, i, "x", "point", n)
        for n, i in enumerate(["drawn", "dup", "dupdup", "vague", "dupvague"], 1)
    ]
    feats = GeoDataFrame(
        {"name": ["甲"], "inventory_id": ["drawn"]},
        geometry=[shapely.Point(116.3, 27.9)],
        crs=STORAGE_CRS,
    )
    reasons = coverage.load_reasons(
        "dup: {reason: duplicate, of: drawn}\n"
        "dupdup: {reason: duplicate, of: dup}\n"
        "vague: {reason: not_locatable}\n"
        "dupvague: {reason: duplicate, of: vague}\n"
    )
    got = coverage.coverage(entries, {"demo": feats}, reasons)
    assert not got.problems
    # a duplicate of a duplicate of a drawn entry is on the map; one of a vague entry is not placed
    assert got.placeable == (3, 3)
    assert got.represented_locatable == 1


def test_the_coverage_doc_states_the_figures_the_command_prints(
    result: coverage.Coverage,
) -> None:
    """docs/plan_coverage.md leads with represented/locatable and its figures are the output's."""
    import re

    doc = (ROOT / "docs" / "plan_coverage.md").read_text(encoding="utf-8")
    table = doc[doc.index("| figure | value |") :]
    rows = table.splitlines()[2:6]
    assert rows[0].startswith("| locatable entries represented |")
    head = re.search(r"\*\*(\d+) of (\d+) \(([\d.]+)%\)\*\*", rows[0])
    assert head, rows[0]
    assert (int(head[1]), int(head[2])) == (result.represented_locatable, result.locatable)
    assert head[3] == f"{result.percent:.1f}"
    by_cat = result.by_category().set_index("category")
    cats = re.findall(r"(\w+) (\d+)/(\d+)", rows[1])
    sizes = [int(total) for _, _, total in cats]
    assert sizes == sorted(sizes, reverse=True)  # largest first
    assert min(sizes) >= by_cat.drop(index=[c for c, _, _ in cats])["locatable"].max()
    for cat, hit, total in cats:
        assert (int(hit), int(total)) == tuple(by_cat.loc[cat, ["represented", "locatable"]])
    placed = re.search(r"(\d+) of (\d+) \(100%", rows[2])
    assert placed and (int(placed[1]), int(placed[2])) == result.placeable
    counts = result.table["reason"].value_counts()
    for code in ("not_locatable", "duplicate", "outside_city"):
        stated = re.search(rf"(\d+) `{code}`", rows[3])
        assert stated and int(stated[1]) == counts.get(code, 0), code
    targets = re.search(r"\+ (\d+) pure targets", rows[3])
    assert targets and int(targets[1]) == counts.get("target", 0)
    ceiling = re.search(r"Counting the (\d+) duplicates whose element is on the map, (\d+) of", doc)
    assert ceiling and int(ceiling[2]) == result.placeable[0]
    assert int(ceiling[1]) == result.placeable[0] - result.represented_locatable
