"""Terrain screening as siting rules: slope rules in the same YAML as the vector rules."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from dem import RES, X0, Y0, cell_centres, write_dem

from geopandas import GeoDataFrame
from shapely.geometry import box

from fzgeo import check
from fzgeo.check import rules
from fzgeo.errors import ConfigError

KINK = 200 * RES  # the surface is 10 degrees west of the kink, 30 degrees east of it


#: the sites repeat one square with another project type, on purpose (the exemption)
pytestmark = pytest.mark.filterwarnings("ignore::fzgeo.errors.DuplicateWarning")


@pytest.fixture
def dem(tmp_path: Path) -> Path:
    x, _ = cell_centres()
    d = x - X0
    t10, t30 = math.tan(math.radians(10)), math.tan(math.radians(30))
    z = np.where(d < KINK, d * t10, KINK * t10 + (d - KINK) * t30)
    return write_dem(tmp_path / "dem.tif", z)


def site(x0: float, x1: float) -> box:
    return box(X0 + x0, Y0 - 4000, X0 + x1, Y0 - 1000)


@pytest.fixture
def sites() -> GeoDataFrame:
    return GeoDataFrame(
        {
            "name": ["flat", "steep", "half", "steep exempt"],
            "project_type": ["", "", "", "线性基础设施"],
        },
        geometry=[
            site(1000, 4000),
            site(KINK + 500, KINK + 3000),
            site(KINK - 2000, KINK + 2000),
            site(KINK + 500, KINK + 3000),
        ],
        crs=4548,
    )


def terrain_rules() -> rules.RuleSet:
    doc = {
        "rules": [
            {"id": "slope_25", "layer": "dem", "kind": "slope", "max_slope_deg": 25, "max_share": 0.05,
             "exempt_types": ["线性基础设施"]},
            {"id": "slope_15", "layer": "dem", "kind": "slope", "max_slope_deg": 15, "max_share": 0.6,
             "hit_verdict": "邻近"},
        ]
    }  # fmt: skip
    return rules.from_mapping(doc)


def test_slope_verdicts_and_figures(dem: Path, sites: GeoDataFrame) -> None:
    result = check.run(sites, {}, terrain_rules(), rasters={"dem": dem}, progress=False)
    out = result.sites
    assert list(out["slope_25__verdict"]) == ["无冲突", "冲突", "冲突", "邻近"]
    assert list(out["slope_25__exempt"]) == [False, False, False, True]
    # 15 degrees: only a site more than 60 % steeper than that is 邻近; "half" is at 50 %
    assert list(out["slope_15__verdict"]) == ["无冲突", "邻近", "无冲突", "邻近"]
    assert out.loc[0, "slope_25__slope_mean_deg"] == pytest.approx(10, abs=0.5)
    assert out.loc[1, "slope_25__slope_max_deg"] == pytest.approx(30, abs=0.5)
    assert out.loc[2, "slope_25__steep_share"] == pytest.approx(0.5, abs=0.02)
    assert list(out["verdict"]) == ["无冲突", "冲突", "冲突", "邻近"]


def test_missing_dem_skips_the_rule_never_passes_it(sites: GeoDataFrame) -> None:
    result = check.run(sites, {}, terrain_rules(), progress=False)
    assert set(result.skipped) == {"slope_25", "slope_15"}
    assert "--dem" in result.skipped["slope_25"]
    assert set(result.sites["slope_25__verdict"]) == {"跳过"}


def test_slope_rules_beside_vector_rules(dem: Path, sites: GeoDataFrame) -> None:
    red = GeoDataFrame({"name": ["红线"]}, geometry=[site(1500, 2500)], crs=4548)
    vector = rules.from_mapping({"rules": [{"id": "red", "layer": "eco_redline", "kind": "veto"}]})
    both = rules.with_terrain(vector)
    assert [r.id for r in both.rules] == ["red", "slope_25", "slope_15"]
    result = check.run(sites, {"eco_redline": red}, both, rasters={"dem": dem}, progress=False)
    assert list(result.sites["red__verdict"]) == ["冲突", "无冲突", "无冲突", "无冲突"]
    assert result.sites.loc[0, "red__overlap_m2"] == pytest.approx(3_000_000)
    assert list(result.sites["slope_25__verdict"]) == ["无冲突", "冲突", "冲突", "邻近"]


def test_packaged_terrain_rules_are_added_once() -> None:
    base = rules.load()
    once = rules.with_terrain(base)
    assert [r.kind for r in once.rules].count("slope") == 2
    assert rules.with_terrain(once) is once


def test_bad_slope_rules_are_refused() -> None:
    with pytest.raises(ConfigError, match="max_slope_deg"):
        rules.from_mapping({"rules": [{"id": "s", "layer": "dem", "kind": "slope"}]})
    with pytest.raises(ConfigError, match="max_share"):
        rules.from_mapping(
            {
                "rules": [
                    {
                        "id": "s",
                        "layer": "dem",
                        "kind": "slope",
                        "max_slope_deg": 25,
                        "max_share": 1.5,
                    }
                ]
            }
        )


def test_cli_dem_adds_the_packaged_terrain_rules(
    dem: Path, sites: GeoDataFrame, tmp_path: Path
) -> None:
    import json

    import pandas as pd

    from fzgeo import io
    from fzgeo.cli import main

    site_file = tmp_path / "sites.gpkg"
    io.write(sites.to_crs(4490), site_file)
    rules_file = tmp_path / "only_terrain.yaml"
    rules_file.write_text(
        "rules:\n  - {id: red, layer: eco_redline, kind: veto}\n", encoding="utf-8"
    )
    red = tmp_path / "red.geojson"
    io.write(
        GeoDataFrame({"name": ["红线"]}, geometry=[site(1500, 2500)], crs=4548).to_crs(4490), red
    )
    out = tmp_path / "out"
    code = main([
        "check", str(site_file), "--rules", str(rules_file), "--against", f"eco_redline={red}",
        "--dem", str(dem), "--out", str(out), "--no-progress", "--no-cache",
    ])  # fmt: skip
    assert code == 1  # conflicts found
    table = pd.read_csv(out / "report.csv", encoding="utf-8-sig")
    assert len(table) == 4
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert "dem.tif" in json.dumps(summary, ensure_ascii=False)
    details = pd.read_csv(out / "details.csv", encoding="utf-8-sig")
    assert {"slope_25", "slope_15"} <= set(details.iloc[:, 1]) | set(details.get("rule", []))
