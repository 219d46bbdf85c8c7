"""``fzgeo check --out DIR`` writes its outputs as one set (issue 17).

A run killed at any moment leaves the previous run's set or its own, never a mix; concurrent runs
end with one run's complete set; what killed runs leave behind is removed by the next run, with a
warning; a full disk or a forbidden folder is a clear error naming the folder; files in the
folder that are not outputs of a check are kept.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from geopandas import GeoDataFrame
from shapely.geometry import box

from fzgeo.cli import main
from fzgeo.errors import OutputError
from fzgeo.report._folder import OUTPUTS

X, Y = 500_000.0, 3_100_000.0  # EPSG:4548, inside 抚州市
RULES = """\
version: 1
rules:
  - {id: eco_redline, name_zh: 生态保护红线, layer: eco_redline, kind: veto}
"""


def _sites(path: Path, n: int) -> Path:
    """``n`` 40 m squares on a grid, every fifth a small box inside the red line, all different."""
    geoms = [
        box(X - 2000 + (i % 50) * 80, Y - 2000 + (i // 50) * 80, X - 1960 + (i % 50) * 80, Y - 1960 + (i // 50) * 80)
        if i % 5
        else box(X + (i // 5) % 90, Y + 10, X + (i // 5) % 90 + 5, Y + 15 + (i // 5) // 90)
        for i in range(n)
    ]  # fmt: skip
    GeoDataFrame({"编号": [f"S-{i + 1}" for i in range(n)]}, geometry=geoms, crs=4548).to_file(path)
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    red = GeoDataFrame({"BSM": ["H1"]}, geometry=[box(X, Y, X + 100, Y + 100)], crs=4548)
    paths = {"red": tmp_path / "red.gpkg", "rules": tmp_path / "rules.yaml"}
    red.to_file(paths["red"])
    paths["rules"].write_text(RULES, encoding="utf-8")
    paths["small"] = _sites(tmp_path / "small.gpkg", 3)
    paths["large"] = _sites(tmp_path / "large.gpkg", 2500)
    return paths


def _args(inputs: dict[str, Path], sites: Path, out: Path) -> list[str]:
    return [
        "check", str(sites), "--against", f"eco_redline={inputs['red']}",
        "--rules", str(inputs["rules"]), "--out", str(out), "--no-progress",
    ]  # fmt: skip


def _cli(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fzgeo.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, to clean up after a failed test
    )


def _reap(child: subprocess.Popen[str]) -> None:
    """Wait for the killed run: its site-map workers end with it (or the test fails)."""
    try:
        child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        pytest.fail("a worker of the killed run outlived it, holding its pipes open")


def _one_set(out: Path) -> int:
    """Assert the folder holds the complete outputs of one run; its number of sites."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rows = summary["site_rows"]
    assert len(pd.read_csv(out / "report.csv", encoding="utf-8-sig")) == rows
    assert len(pd.read_csv(out / "details.csv", encoding="utf-8-sig")) == rows
    assert len(pd.read_excel(out / "report.xlsx", sheet_name="汇总", header=0)) == rows
    import pyogrio

    assert pyogrio.read_info(out / "conflicts.gpkg", layer="sites")["features"] == rows
    assert f"<b>{rows:,}</b><span>项目数</span>" in (out / "report.html").read_text(
        encoding="utf-8"
    )
    on_disk = sorted(p.name for p in out.iterdir() if p.is_file() and p.name in OUTPUTS)
    assert sorted([*summary["outputs"], "summary.json"]) == on_disk
    maps = sorted(p.name for p in (out / "maps").glob("*.svg")) if (out / "maps").exists() else []
    assert len(maps) == min(summary["verdicts"]["冲突"] + summary["verdicts"]["邻近"], 200)
    return int(rows)


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if ".fzgeo-" in p.name)


def test_a_run_killed_at_any_moment_leaves_one_whole_set(inputs, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(_args(inputs, inputs["small"], out)) == 1
    capsys.readouterr()
    assert _one_set(out) == 3
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    cut = 0
    for delay in (0.0, 0.4, 0.8, 1.6):
        child = _cli(_args(inputs, inputs["large"], out))
        deadline = time.monotonic() + 120
        while not _temporaries(out) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        _reap(child)
        rows = _one_set(out)  # the old set or the new one, whole
        if rows == 3:
            assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
            assert _temporaries(out)  # what the killed run left (the next run removes it)
            cut += 1
    assert cut >= 1, "no run was killed before it swapped its outputs in"
    left = bool(_temporaries(out))
    assert main(_args(inputs, inputs["large"], out)) == 1
    err = capsys.readouterr().err
    stale = "temporary file(s) or folder(s) left by an earlier run that was stopped"
    assert (stale in err) == left, err
    assert _temporaries(out) == []
    assert _one_set(out) == 2500


def test_concurrent_runs_on_one_folder_end_with_one_whole_set(inputs, tmp_path):
    out = tmp_path / "out"
    children = [
        _cli(_args(inputs, inputs[name], out)) for name in ("small", "large", "small", "large")
    ]
    for child in children:
        _, err = child.communicate(timeout=300)
        assert child.returncode == 1, err
    assert _one_set(out) in (3, 2500)
    assert _temporaries(out) == []


def test_the_users_files_stay_and_an_earlier_checks_files_go(inputs, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([*_args(inputs, inputs["large"], out), "--site-maps", "all"]) == 1
    assert len(list((out / "maps").glob("site_*.svg"))) == 200
    (out / "说明.txt").write_text("my notes", encoding="utf-8")
    (out / "maps" / "legend.png").write_bytes(b"png")
    (out / "input").mkdir()
    sites_inside = _sites(out / "input" / "sites.gpkg", 3)
    (out / ".report.abc123.tmp.csv").write_text("half a file", encoding="utf-8")
    capsys.readouterr()
    assert main(_args(inputs, sites_inside, out)) == 1
    captured = capsys.readouterr()
    assert "removed 1 temporary file(s) or folder(s)" in captured.err
    assert ".report.abc123.tmp.csv" in captured.err
    assert (out / "说明.txt").read_text(encoding="utf-8") == "my notes"
    assert (out / "maps" / "legend.png").read_bytes() == b"png"
    assert (out / "input" / "sites.gpkg").is_file()
    assert sorted(p.name for p in (out / "maps").glob("site_*.svg")) == ["site_00001.svg"]
    assert f"replaced the outputs of an earlier check in {out}" in captured.out
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["site_rows"] == 3
    assert summary["inputs"][0]["path"] == str((out / "input" / "sites.gpkg").resolve())


def test_a_full_disk_is_a_plain_error_and_the_old_set_stays(inputs, tmp_path, monkeypatch):
    from fzgeo import report

    out = tmp_path / "out"
    assert main(_args(inputs, inputs["small"], out)) == 1
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def full(*_args: object, **_kwargs: object) -> Path:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(report, "write_xlsx", full)
    result = _result(inputs)
    with pytest.raises(OutputError) as caught:
        report.write_report(result, out, inputs=[inputs["small"]])
    err = caught.value
    assert err.code == "FZ308" and err.path == str(out.resolve())
    assert "the disk is full" in err.message and "MB free" in err.message
    assert "free some space" in err.hint
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert _temporaries(out) == []


def _result(inputs: dict[str, Path]):  # type: ignore[no-untyped-def]
    from fzgeo import check, io
    from fzgeo.check import rules

    return check.run(
        io.read(inputs["small"]),
        {"eco_redline": io.read(inputs["red"])},
        rules.load(inputs["rules"]),
    )


@pytest.fixture
def tiny_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 600 KB tmpfs, where this machine lets the tests mount one (root)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_really_full_disk_is_a_plain_error(inputs, tiny_disk, capsys):
    out = tiny_disk / "out"
    status = main(_args(inputs, inputs["large"], out))
    err = capsys.readouterr().err
    assert status == 2, err
    assert f"[FZ308] {out}: the disk is full" in err
    assert "Traceback" not in err and "SQLite" not in err and "sqlite" not in err
    assert sorted(p.name for p in tiny_disk.iterdir()) == []


def test_the_current_folder_is_written_in_place(inputs, tmp_path, monkeypatch, capsys):
    """`--out .` cannot be swapped (the shell sits in it): staged inside, moved in at the end."""
    out = tmp_path / "here"
    out.mkdir()
    (out / "说明.txt").write_text("my notes", encoding="utf-8")
    monkeypatch.chdir(out)
    assert main([*_args(inputs, inputs["large"], Path()), "--site-maps", "all"]) == 1
    assert Path.cwd() == out and out.is_dir()
    assert _one_set(out) == 2500
    assert main(_args(inputs, inputs["small"], Path())) == 1
    assert _one_set(out) == 3  # the earlier run's 200 maps gone but those of this run
    assert (out / "说明.txt").read_text(encoding="utf-8") == "my notes"
    assert not [p for p in out.iterdir() if p.name.startswith(".fzgeo-tmp")]
    assert _temporaries(out) == []
    capsys.readouterr()
