"""The check page of ``fzgeo serve`` driven in real headless Chromium, on loopback.

A real file input and a real mouse click (CDP ``Input.dispatchMouseEvent`` at the button's
pixels) start the check; the test waits for the result and compares the verdict table and the
downloaded XLSX with ``fzgeo check`` on the same file: once measuring here, once in a real
PostgreSQL/PostGIS (``--dsn``) with a GBK zipped shapefile in EPSG:4527. Every request the page
makes goes to the server itself; the page never scrolls sideways at 390 px; screenshots at
1400x900 and 390x844 are kept in the test's folder.
"""

from __future__ import annotations

import csv
import io as stdio
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from _serve import Server, get_json, request, start
from input_fixtures import sites, square
from map_browser import chromium

pytestmark = pytest.mark.slow
SIZES = {"desktop": (1400, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fzgeo.serve import content

    return content.prepare(tmp_path_factory.mktemp("serveb") / "data", say=lambda _: None)


def gbk_zip_4527(folder: Path, n: int = 5) -> Path:
    """A zipped shapefile, GBK attributes (with .cpg) and GBK entry names, in EPSG:4527."""
    gdf = sites(n)
    gdf["geometry"] = [square(116.25 + 0.031 * i, 27.85 + 0.013 * i) for i in range(n)]
    gdf["备注"] = ["临川区用地", "东乡区", "<b>粗体</b>", "南城县", "资溪县"][:n]
    shp = folder / "shp"
    shp.mkdir()
    gdf.to_crs(4527).to_file(shp / "选址.shp", encoding="GBK")
    path = folder / "选址.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(shp.iterdir()):
            info = zipfile.ZipInfo(part.name.encode("gbk").decode("cp437"))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, part.read_bytes())
    return path


def cli_check(path: Path, out: Path, *extra: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fzgeo", "check", path.name, "--out", str(out), *extra],
        cwd=path.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode in (0, 1, 3), proc.stderr


def click(driver: Any, selector: str) -> None:
    """A real mouse click at the centre of the element."""
    x, y = driver.execute_script(
        "var e = document.querySelector(arguments[0]); e.scrollIntoView({block: 'center'});"
        "var b = e.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2];",
        selector,
    )
    driver.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
    for kind in ("mousePressed", "mouseReleased"):
        driver.execute_cdp_cmd(
            "Input.dispatchMouseEvent",
            {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
        )


def run_page(
    driver: Any, server: Server, path: Path, shots: Path, tag: str, size: str = "desktop"
) -> dict[str, Any]:
    """Open the page at ``size``, pick ``path``, click 开始检查, wait; what the page shows."""
    width, height = SIZES[size]
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700},
    )
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["https://*"]})
    driver.get(server.url)
    driver.get_log("performance")
    deadline = time.monotonic() + 30
    while (
        driver.execute_script("return document.documentElement.getAttribute('data-ready')") != "1"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    driver.save_screenshot(str(shots / f"{tag}-start.png"))
    assert driver.execute_script("return document.getElementById('start').disabled")
    driver.find_element("css selector", "#sites").send_keys(str(path))
    assert path.name in driver.find_element("css selector", "#chosen").text
    click(driver, "#start")
    deadline = time.monotonic() + 300
    state = None
    phases = set()
    while time.monotonic() < deadline:
        state, phase = driver.execute_script(
            "return [document.documentElement.getAttribute('data-state'),"
            " document.getElementById('phase').textContent]"
        )
        phases.add(phase)
        if state in ("done", "error"):
            break
        time.sleep(0.1)
    time.sleep(1.5)  # the conflicts map in its frame
    driver.save_screenshot(str(shots / f"{tag}-result.png"))
    driver.execute_script("document.getElementById('map').scrollIntoView()")
    driver.save_screenshot(str(shots / f"{tag}-map.png"))
    table = driver.execute_script(
        "var t = document.getElementById('verdicts');"
        "var head = Array.from(t.querySelectorAll('th')).map(c => c.textContent);"
        "var rows = Array.from(t.querySelectorAll('tbody tr')).map("
        "  r => Array.from(r.querySelectorAll('td')).map(c => c.textContent));"
        "return [head, rows];"
    )
    links = driver.execute_script(
        "return Array.from(document.querySelectorAll('#downloads a')).map(a => [a.getAttribute('data-file'), a.href]);"
    )
    return {
        "phases": phases - {""},
        "state": state,
        "head": table[0],
        "rows": table[1],
        "links": dict(links),
        "job": driver.execute_script("return document.documentElement.getAttribute('data-job')"),
        "sideways": driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        ),
        "requests": [
            u for u in _requests(driver) if not u.startswith(("data:", "blob:", "about:"))
        ],
        "errors": [m for m in driver.get_log("browser") if m.get("level") == "SEVERE"],
        "error_text": driver.execute_script(
            "return document.getElementById('failure').hidden ? '' : document.getElementById('failure').textContent"
        ),
    }


def _requests(driver: Any) -> list[str]:
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def cli_rows(folder: Path) -> tuple[list[str], list[list[str]]]:
    with open(folder / "report.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def xlsx(data: bytes) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(stdio.BytesIO(data), read_only=True)
    return [tuple(r) for r in book["汇总"].iter_rows(values_only=True)]


def check_against_cli(seen: dict[str, Any], server: Server, cli: Path) -> None:
    assert seen["state"] == "done", seen["error_text"]
    head, rows = cli_rows(cli)
    assert seen["head"][:3] == ["序号", "综合结论", "触及规则"]  # the verdict first
    assert sorted(seen["head"]) == sorted(head)
    shown = [dict(zip(seen["head"], r, strict=True)) for r in seen["rows"]]
    assert shown == [dict(zip(head, r, strict=True)) for r in rows]
    verdicts = [r[head.index("综合结论")] for r in rows]
    assert "冲突" in verdicts
    status, _, body = request(seen["links"]["report.xlsx"])
    assert status == 200 and xlsx(body) == xlsx((cli / "report.xlsx").read_bytes())
    assert set(seen["links"]) >= {"report.xlsx", "report.html", "conflicts.gpkg", "conflicts.qgz"}
    assert all(u.startswith(server.url) for u in seen["requests"]), seen["requests"]
    known = {"排队等候", "读取项目文件", "读取管控图层", "叠加分析", "写出报告", "绘制冲突地图"}
    assert seen["phases"] & known, seen["phases"]  # the page showed the check's progress
    assert all(p in known or p.startswith("上传中") for p in seen["phases"]), seen["phases"]
    assert not seen["errors"], seen["errors"]


@pytest.mark.parametrize("size", list(SIZES))
def test_check_page_in_chromium(data: Path, tmp_path: Path, size: str) -> None:
    path = gbk_zip_4527(tmp_path)
    cli_check(path, tmp_path / "cli")
    server = start(data)
    try:
        with chromium(*SIZES[size]) as driver:
            seen = run_page(driver, server, path, tmp_path, size, size)
            check_against_cli(seen, server, tmp_path / "cli")
            assert seen["sideways"] <= 0
            assert "<b>" not in driver.execute_script(
                "return document.getElementById('verdicts').innerHTML"
            ).replace("&lt;b&gt;", "")
            frame_ok = driver.execute_script(
                "var f = document.getElementById('map'); var b = f.getBoundingClientRect();"
                "return b.width > 300 && f.contentDocument.documentElement.getAttribute('data-fz-ready') === '1';"
            )
            assert frame_ok
            bad = tmp_path / "坏.csv"
            bad.write_text("名称\n甲\n", encoding="utf-8")
            seen = run_page(driver, server, bad, tmp_path, f"{size}-bad", size)
            assert seen["state"] == "error" and "FZ307" in seen["error_text"]
            assert "Traceback" not in seen["error_text"]
    finally:
        server.stop()


def test_check_page_with_postgis(data: Path, tmp_path: Path, postgis_dsn: str) -> None:
    push = subprocess.run(
        [sys.executable, "-m", "fzgeo", "db", "push", "--dsn", postgis_dsn,
         "eco_redline", "basic_farmland", "urban_boundary", "rivers"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert push.returncode == 0, push.stderr
    path = gbk_zip_4527(tmp_path)
    cli_check(path, tmp_path / "cli", "--dsn", postgis_dsn)
    server = start(data, "--dsn", postgis_dsn)
    try:
        _, health = get_json(server.url + "healthz")
        assert health["engine"] == "postgis"
        with chromium(*SIZES["desktop"]) as driver:
            seen = run_page(driver, server, path, tmp_path, "postgis")
        check_against_cli(seen, server, tmp_path / "cli")
        _, status = get_json(f"{server.url}api/jobs/{seen['job']}")
        assert status["engine"] == "postgis"
        # tipg serves the pushed tables as OGC API - Features (and tiles)
        _, cols = get_json(server.url + "ogc/collections")
        ids = {c["id"] for c in cols["collections"]}
        assert {"fzgeo.eco_redline", "fzgeo.basic_farmland", "fzgeo.urban_boundary"} <= ids
        assert not any(i.endswith("__pieces") or i.split(".")[1].startswith("_") for i in ids)
        _, items = get_json(server.url + "ogc/collections/fzgeo.eco_redline/items?limit=1000")
        from fzgeo.plan import layers

        assert items["numberMatched"] == len(layers.load("eco_redline"))
        assert request(server.url + "ogc/collections?f=html")[0] == 406
        status, headers, _ = request(
            server.url + "ogc/collections", headers={"Accept": "text/html"}
        )
        assert status == 200 and "json" in headers["content-type"]
        status, _, _ = request(
            server.url + "ogc/collections/fzgeo.eco_redline/tiles/WebMercatorQuad/8/208/107"
        )
        assert status in (200, 204), status
    finally:
        server.stop()
