"""Shared fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from _postgis import postgis_dsn, postgis_server  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PLAN_TEXT = SHARED / "plan" / "fuzhou_14th_five_year_plan.txt"
# benchmarks/synthetic.py: the seeded generator of red lines and sites shared with the benchmarks
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.fixture(autouse=True)
def _own_piece_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test cuts constraint layers into a piece cache of its own (``$FZGEO_CACHE_DIR``).

    No test reads pieces another left, and none writes into the user's ``~/.cache``.
    """
    monkeypatch.setenv("FZGEO_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout (CI lays it there)."""
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}; CI lays it beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def plan_lines(shared_dir: Path) -> list[str]:
    """The plan text, one string per line; ``plan_lines[n - 1]`` is line n."""
    return (
        (shared_dir / "plan" / "fuzhou_14th_five_year_plan.txt")
        .read_text(encoding="utf-8")
        .splitlines()
    )
