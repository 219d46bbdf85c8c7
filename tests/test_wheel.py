"""The built wheel carries layers/, styles/ and maps/ and runs the demo outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (found,) = dist.glob("fzgeo-*.whl")
    return found


def test_wheel_contains_the_data_folders(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "fzgeo/_layers/admin_boundaries.geojson" in names
    assert "fzgeo/_layers/kinds/admin_boundaries.yaml" in names
    assert "fzgeo/_styles/admin_boundaries.yaml" in names
    assert any(n.startswith("fzgeo/_maps/") for n in names)
    # the QGIS plugin sources travel as package data, for `fzgeo qgis plugin`
    assert {"fzgeo/qgis/plugin/metadata.txt", "fzgeo/qgis/plugin/__init__.py"} <= set(names)
    assert not any("/tests/" in n or n.startswith("tests/") for n in names)


@pytest.mark.slow
def test_demo_runs_from_a_clean_venv_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = venv / "bin" / "pip"
    install = subprocess.run(
        [str(pip), "install", "-q", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [str(venv / "bin" / "fzgeo"), "demo", "--out", "demo-out"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert (elsewhere / "demo-out" / "fuzhou_plan.gpkg").is_file()
    assert "admin_boundaries" in result.stdout
    # the installed package, not the checkout, served the data
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import fzgeo._layers as m; print(m.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(venv) in where.stdout
