"""Load test of ``fzgeo serve`` on loopback against the command line (one command).

    python benchmarks/bench_serve.py            # 50 checks of 100 sites, 4 at a time
    python benchmarks/bench_serve.py --quick    # 6 checks of 20 sites, not written down

A real server (``fzgeo serve``, uvicorn, its default 2 worker processes) is started on a free
loopback port with a fresh data folder (its one-off build is not timed). Each check uploads a
GeoJSON of seeded square parcels in 抚州 (CGCS2000) as the page does (multipart POST), polls the
status and downloads ``report.xlsx``; latency runs from the upload to the XLSX received. Four
clients run at a time. The obvious alternative, in the same run: the same files through
``fzgeo check FILE --out DIR`` as subprocesses, four at a time (a script driving the command
line; each run pays the interpreter and import start-up). Any failed request fails the run.
"""

from __future__ import annotations

import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import _results
import numpy as np

from geopandas import GeoDataFrame
from shapely.geometry import box

NAME = "bench_serve"


def sites(n: int, seed: int) -> GeoDataFrame:
    """``n`` seeded squares of 50–400 m in the middle of 抚州市."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(116.0, 116.8, n)
    y = rng.uniform(27.4, 28.1, n)
    d = rng.uniform(0.0005, 0.004, n)
    return GeoDataFrame(
        {"编号": range(1, n + 1), "名称": [f"项目{i}" for i in range(1, n + 1)]},
        geometry=[box(a, b, a + s, b + s) for a, b, s in zip(x, y, d, strict=True)],
        crs=4490,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(url: str, path: Path) -> str:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="rules"\r\n\r\ndefault\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="sites"; filename="{path.name}"\r\n'
            "Content-Type: application/geo+json\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    req = urllib.request.Request(
        url + "api/jobs",
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        if resp.status != 202:
            raise RuntimeError(f"upload refused: {resp.status}")
        return str(json.loads(resp.read())["id"])


def web_check(url: str, path: Path) -> float:
    """One check through the server; seconds from upload to the XLSX received."""
    start = time.perf_counter()
    job = _post(url, path)
    while True:
        with urllib.request.urlopen(f"{url}api/jobs/{job}", timeout=60) as resp:
            status = json.loads(resp.read())
        if status.get("state") == "done":
            break
        if status.get("state") == "error":
            raise RuntimeError(f"check failed: {status['error']}")
        time.sleep(0.1)
    with urllib.request.urlopen(f"{url}jobs/{job}/files/report.xlsx", timeout=60) as resp:
        if resp.status != 200 or not resp.read(4).startswith(b"PK"):
            raise RuntimeError("report.xlsx not served")
    return time.perf_counter() - start


def cli_check(path: Path, out: Path) -> float:
    """One ``fzgeo check`` subprocess; seconds."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "fzgeo", "check", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(proc.stderr)
    return time.perf_counter() - start


def run_batch(fn, items: list, parallel: int) -> tuple[list[float], float]:  # type: ignore[no-untyped-def]
    """Latencies of ``fn(*item)`` for every item, ``parallel`` at a time, and the wall time."""
    start = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        latencies = list(pool.map(lambda item: fn(*item), items))
    return latencies, time.perf_counter() - start


def row(what: str, latencies: list[float], wall: float) -> str:
    q = (
        statistics.quantiles(latencies, n=20, method="inclusive")
        if len(latencies) > 1
        else latencies * 19
    )
    return (
        f"| {what} | {len(latencies)} | {wall:.1f} | {60 * len(latencies) / wall:.1f} | "
        f"{statistics.median(latencies):.2f} | {q[18]:.2f} | {max(latencies):.2f} | 0 |"
    )


def main() -> None:
    p = _results.parser(__doc__)
    p.add_argument("--quick", action="store_true", help="a smoke run, not written down")
    args = p.parse_args()
    checks, n, parallel = (6, 20, 4) if args.quick else (50, 100, 4)
    work = Path(tempfile.mkdtemp(prefix="fzgeo-bench-serve-"))
    try:
        files = []
        for i in range(checks):
            path = work / f"sites_{i}.geojson"
            sites(n, seed=i).to_file(path)
            files.append(path)
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fzgeo",
                "serve",
                "--port",
                str(port),
                "--data",
                str(work / "data"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 300
            while True:
                try:
                    with urllib.request.urlopen(url + "healthz", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("fzgeo serve did not start") from None
                    time.sleep(0.5)
            web_check(url, files[0])  # warm the worker processes (imports), not counted
            web, web_wall = run_batch(web_check, [(url, f) for f in files], parallel)
        finally:
            server.terminate()
            server.wait(timeout=60)
        cli, cli_wall = run_batch(
            cli_check, [(f, work / f"cli_{i}") for i, f in enumerate(files)], parallel
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        *_results.heading(
            NAME,
            "Web check under load (`python benchmarks/bench_serve.py`)",
            f"load average before {_results.load_average()}",
        ),
        "",
        f"{checks} checks of {n} seeded square sites (GeoJSON, packaged rules and layers), "
        f"{parallel} clients at a time, on loopback. Web: `fzgeo serve` (2 worker processes), "
        "upload to `report.xlsx` received. CLI: `fzgeo check FILE --out DIR` subprocesses, "
        f"{parallel} at a time. Failed requests: 0 (any failure stops the run).",
        "",
        "| how | checks | wall s | checks/min | median s | p95 s | max s | failed |",
        "|---|---|---|---|---|---|---|---|",
        row("web (`fzgeo serve`)", web, web_wall),
        row("CLI subprocesses", cli, cli_wall),
        _results.markers(NAME)[1],
    ]
    _results.record(NAME, "\n".join(lines), write=not (args.no_write or args.quick))


if __name__ == "__main__":
    main()
