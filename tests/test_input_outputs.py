"""Outputs under stress: killed writers, concurrent writers, read-only and full folders."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from input_fixtures import run_cli, sites

from fzgeo import io
from fzgeo.io import validate

# a child that writes `n` points to `target` through fzgeo.io.write
WRITER = """
import sys
import numpy as np
import shapely
from geopandas import GeoDataFrame
from fzgeo import io
n, target = int(sys.argv[1]), sys.argv[2]
xs = 116.0 + np.arange(n) * 1e-6
gdf = GeoDataFrame({"n": np.full(n, n), "name": ["甲" * 20] * n}, geometry=shapely.points(xs, 27.9), crs=4490)
print("ready", flush=True)
io.write(gdf, target)
"""


def _writer(n: int, target: Path, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-c", WRITER, str(n), str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".") and ".tmp" in p.name]


def test_kill_mid_write_leaves_the_old_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "out.gpkg"
    io.write(sites(), target)
    before = target.read_bytes()
    child = _writer(400_000, target)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 60
    while not _temps(tmp_path) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert child.poll() is None, "the writer finished before it could be killed"
    time.sleep(0.2)  # let it write a good part of the temporary file
    child.send_signal(signal.SIGKILL)
    child.communicate()  # reap it and close the pipes
    assert child.returncode == -signal.SIGKILL
    assert target.read_bytes() == before
    assert len(io.read(target)) == 3


@pytest.mark.parametrize("suffix", [".fgb", ".shp"])
def test_concurrent_writers_end_with_one_complete_file(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"out{suffix}"
    sizes = [8_000, 8_001, 8_002, 8_003]
    children = [_writer(n, target) for n in sizes]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    back = io.read(target)
    assert len(back) in sizes
    assert back["n"].nunique() == 1
    assert int(back["n"].iloc[0]) == len(back)  # the .shp and .dbf come from the same run
    assert _temps(tmp_path) == []


def _unprivileged() -> list[str]:
    """A command prefix under which chmod is honoured (root keeps no DAC override)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def test_read_only_output_folder_is_a_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "in.geojson"
    io.write(sites(), src)
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = subprocess.run(
            [
                *_unprivileged(),
                sys.executable,
                "-m",
                "fzgeo.cli",
                "export",
                str(src),
                "--out",
                str(folder / "x.gpkg"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert "[FZ308]" in result.stderr
    assert "not writable" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(folder.iterdir()) == []


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_full_disk_is_a_clear_error_and_keeps_the_old_file(tmp_path: Path, suffix: str) -> None:
    src = tmp_path / "big.fgb"
    with _writer(10_000, src) as child:
        child.communicate(timeout=120)
    out = tmp_path / f"out{suffix}"
    io.write(sites(), out)
    before = out.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "fzgeo.cli", "export", str(src), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_limit_file_size,
    )
    assert result.returncode == 2, result.stderr
    assert "[FZ308]" in result.stderr
    assert "Traceback" not in result.stderr
    assert out.read_bytes() == before
    assert _temps(tmp_path) == []


def test_same_input_gives_the_same_report(tmp_path: Path) -> None:
    path = tmp_path / "sites.gpkg"
    io.write(sites(5), path)
    first = validate.validate_file(path).as_dict()
    assert validate.validate_file(path).as_dict() == first
    a = run_cli("validate", "--json", str(path))
    b = run_cli("validate", "--json", str(path))
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout
    assert json.loads(a.stdout)[0]["features_out"] == 5


def test_a_long_geopackage_layer_written_in_blocks_reads_back_as_written_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of GPKG_BLOCK features appended: same rows, order, types and geometry type."""
    import numpy as np

    import pyogrio
    import shapely
    from geopandas import GeoDataFrame

    from fzgeo.io import writer

    n = 250
    squares = [shapely.box(116 + i * 1e-3, 27.9, 116 + i * 1e-3 + 5e-4, 27.9005) for i in range(n)]
    geoms = [shapely.MultiPolygon([g]) if i >= 180 else g for i, g in enumerate(squares)]
    geoms[7] = None
    gdf = GeoDataFrame(
        {
            "编号": [f"A-{i}" for i in range(n)],
            "n": np.arange(n),
            "x": np.where(np.arange(n) % 3, np.arange(n) * 0.5, np.nan),
            "late": [None] * 150 + ["文字"] * 100,  # a text column empty in the first block
        },
        geometry=geoms,
        crs=4490,
    )
    whole = io.write(gdf, tmp_path / "whole.gpkg")
    monkeypatch.setattr(writer, "GPKG_BLOCK", 100)
    blocks = io.write(gdf, tmp_path / "blocks.gpkg")
    a, b = io.load(whole)[0], io.load(blocks)[0]
    assert len(b) == n and b["n"].tolist() == list(range(n))
    pd_testing = pytest.importorskip("pandas.testing")
    pd_testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert a.geometry.equals(b.geometry)
    assert pyogrio.read_info(whole)["geometry_type"] == pyogrio.read_info(blocks)["geometry_type"]
