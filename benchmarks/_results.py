"""Shared helpers of the benchmark scripts: describe the machine, record a RESULTS.md section.

Every ``benchmarks/bench_*.py`` writes its figures between ``<!-- name:start -->`` and
``<!-- name:end -->`` markers of ``benchmarks/RESULTS.md``; :func:`write_section` replaces that one
section atomically (or appends it) and keeps the other benchmarks' sections as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
if str(ROOT) not in sys.path:  # run as ``python benchmarks/bench_x.py`` without an install
    sys.path.insert(0, str(ROOT))

from fzgeo._atomic import write_text  # noqa: E402


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of benchmark ``name``'s section."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def stamp() -> str:
    """The date and time of this run, UTC (``2026-01-31 12:00 UTC``)."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (the platform's machine type if unreadable)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return found.group(1).strip() if found else (platform.processor() or platform.machine())


def memory_gb() -> float | None:
    """Total memory in GB from /proc/meminfo (None if unreadable)."""
    try:
        found = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
    except OSError:
        return None
    return int(found.group(1)) / 1024**2 if found else None


def machine(*extras: str) -> str:
    """``CPU, N cores, M GB RAM; Python x.y.z`` followed by ``extras`` (versions, load), '; '-joined."""
    mem = memory_gb()
    head = f"{cpu_model()}, {os.cpu_count()} cores" + (f", {mem:.1f} GB RAM" if mem else "")
    return "; ".join([head, f"Python {platform.python_version()}", *extras])


def heading(name: str, title: str, *extras: str) -> list[str]:
    """The first lines of benchmark ``name``'s section: marker, title, date and machine."""
    return [markers(name)[0], f"## {title}", "", f"{stamp()}; {machine(*extras)}."]


def gdal() -> str:
    """``GDAL x.y.z``, the GDAL that pyogrio reads and writes with."""
    import pyogrio

    return f"GDAL {pyogrio.__gdal_version_string__}"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, e.g. ``1.2 0.9 0.7``."""
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def write_section(name: str, text: str, path: Path = RESULTS) -> Path:
    """Replace benchmark ``name``'s section of ``path`` with ``text`` atomically (or append it).

    ``text`` must hold the section's own start and end markers; other sections are kept verbatim.
    """
    start, end = markers(name)
    if not (text.lstrip().startswith(start) and text.rstrip().endswith(end)):
        raise ValueError(f"the {name} section must run from {start} to {end}")
    block = text.strip("\n") + "\n"
    old = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmark results\n"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end) + "\n?", re.S)
    if pattern.search(old):
        new = pattern.sub(lambda _m: block, old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + block
    return write_text(path, new)


def parser(doc: str, *, sizes: list[int] | None = None) -> argparse.ArgumentParser:
    """The benchmarks' shared options: ``--no-write``, and ``--sizes`` where ``sizes`` is given."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    if sizes is not None:
        p.add_argument("--sizes", type=int, nargs="+", default=sizes)
    p.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md as it is")
    return p


def record(name: str, text: str, *, write: bool, path: Path = RESULTS) -> None:
    """Print benchmark ``name``'s section and, if ``write``, record it in ``path``."""
    print(text)
    if write:
        print(f"wrote {write_section(name, text, path)}")


def run_child(code: str, *args: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter (``sys.argv[1:]`` = ``args``): its last line, as JSON.

    A fresh process per measurement keeps each one's import time and peak memory its own.
    """
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def mode_row(code: str, path: Path, modes: tuple[str, ...], n: int) -> dict[str, float]:
    """One row of a per-mode benchmark: ``{mode}_s`` and ``{mode}_mb`` for each mode on ``path``.

    ``code`` is run as :func:`run_child` ``(code, path, mode)`` and prints ``n``, ``seconds``
    and ``peak_mb``; every mode must have read all ``n`` features.
    """
    got = {mode: run_child(code, str(path), mode) for mode in modes}
    missing = {mode: g["n"] for mode, g in got.items() if g["n"] != n}
    if missing:
        raise AssertionError(f"features went missing: {missing} of {n}")
    row: dict[str, float] = {"n": n}
    for mode, g in got.items():
        row[f"{mode}_s"], row[f"{mode}_mb"] = g["seconds"], g["peak_mb"]
    print(row, flush=True)
    return row
