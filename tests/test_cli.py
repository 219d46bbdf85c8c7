"""The command line: layers, build, export, data; user errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fzgeo import io
from fzgeo.cli import main


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fzgeo.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_layers_lists_admin_boundaries(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["layers", "admin_boundaries"]) == 0
    out = capsys.readouterr().out
    assert "admin_boundaries" in out
    assert "行政区划" in out
    assert "EPSG:4490" in out
    assert "surveyed 12" in out


def test_layers_features_reports_county_areas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["layers", "admin_boundaries", "--features"]) == 0
    out = capsys.readouterr().out
    assert "area_km2" in out
    assert "广昌县" in out
    assert "18801.2" in out


def test_build_writes_a_geopackage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.gpkg"
    assert main(["build", "--out", str(out), "admin_boundaries"]) == 0
    assert io.list_layers(out) == ["admin_boundaries"]
    assert "wrote 1 layers" in capsys.readouterr().out


def test_export_packaged_layer_and_file(tmp_path: Path) -> None:
    gj = tmp_path / "admin.geojson"
    assert main(["export", "admin_boundaries", "--out", str(gj)]) == 0
    fgb = tmp_path / "admin.fgb"
    assert main(["export", str(gj), "--out", str(fgb)]) == 0
    assert len(io.read(fgb)) == 12


def test_a_file_named_like_a_packaged_layer_is_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`export` and `export --qgis` share one rule: a name is a packaged layer unless a file has it."""
    monkeypatch.chdir(tmp_path)
    assert main(["export", "admin_boundaries", "--qgis", "a.gpkg"]) == 0
    Path("admin_boundaries").write_text("not a layer", encoding="utf-8")
    assert main(["export", "admin_boundaries", "--out", "b.geojson"]) == 2
    assert "admin_boundaries: unsupported file type" in capsys.readouterr().err  # the file was read
    assert main(["export", "admin_boundaries", "--qgis", "c.gpkg"]) == 2
    assert "is not one" in capsys.readouterr().err


def test_raster_terrain_writes_attributes_then_slope(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd
    from dem import RES, X0, Y0, cell_centres, write_dem

    from geopandas import GeoDataFrame
    from shapely.geometry import box

    x, _ = cell_centres()
    dem = write_dem(tmp_path / "dem.tif", (x - X0) * np.tan(np.radians(10.0)))  # 10° everywhere
    sites = GeoDataFrame(
        {"name": ["甲", "乙"]},
        geometry=[box(X0 + 60 * RES, Y0 - 100 * RES, X0 + 100 * RES, Y0 - 60 * RES)] * 2,
        crs=4548,
    )
    path = io.write(sites.to_crs(4490), tmp_path / "sites.geojson")
    out = tmp_path / "slope.csv"
    assert main(["raster", "terrain", str(dem), str(path), "--out", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns[:2]) == ["name", "平均坡度（度）"]
    assert list(table["name"]) == ["甲", "乙"]
    assert table["平均坡度（度）"].tolist() == pytest.approx([10.0, 10.0], abs=0.5)


def test_user_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    csv = tmp_path / "sites.csv"
    csv.write_text("id,wkt\n1,POINT (640000 3050000)\n2,POINT (645000 3055000)\n", encoding="utf-8")
    result = run("export", str(csv), "--out", str(tmp_path / "x.gpkg"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "[FZ100]" in result.stderr
    assert "sites.csv" in result.stderr
    assert not (tmp_path / "x.gpkg").exists()


def test_assume_crs_flag(tmp_path: Path) -> None:
    csv = tmp_path / "sites.csv"
    csv.write_text("id,wkt\n1,POINT (640000 3050000)\n", encoding="utf-8")
    out = tmp_path / "x.gpkg"
    result = run("export", str(csv), "--assume-crs", "EPSG:4547", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert io.read(out).crs.to_epsg() == 4490


def test_warnings_are_printed_as_lines(tmp_path: Path) -> None:
    csv = tmp_path / "sites.csv"
    csv.write_text("id,wkt\n1,POINT (39435000 3092000)\n", encoding="utf-8")
    result = run("export", str(csv), "--out", str(tmp_path / "x.geojson"))
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr
    assert "EPSG:4527" in result.stderr


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("demo", "layers", "build", "export", "data"):
        assert command in result.stdout


def test_data_admin_from_folder(shared_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "admin.geojson"
    code = main(
        [
            "data",
            "admin",
            "--from-dir",
            str(shared_dir / "data/admin_amap_gcj02"),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert len(io.read(out)) == 12
