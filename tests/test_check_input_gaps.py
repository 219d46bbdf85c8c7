"""``fzgeo check`` on input that would give a clean-looking wrong answer (issue 17).

An empty site layer, duplicated sites, sites in the wrong place, sites without geometry: each
is an error, or a warning naming the sites, never a silent 无冲突.
"""

from __future__ import annotations

import json
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


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FZGEO_CACHE_DIR", str(tmp_path / "cache"))


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
    assert summary["verdicts"] == {"冲突": 1, "邻近": 0, "无冲突": 2}
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
