"""``fzgeo check`` on input that would give a clean-looking wrong answer (issue 17).

An empty site layer, duplicated sites, sites in the wrong place, sites without geometry: each
is an error, or a warning naming the sites, never a silent 无冲突.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

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
