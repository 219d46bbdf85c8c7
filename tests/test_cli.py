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
    code = main(["data", "admin", "--from-dir", str(shared_dir / "data/admin_amap_gcj02"), "--out", str(out)])
    assert code == 0
    assert len(io.read(out)) == 12
