"""``fzgeo serve`` as a real uvicorn server on a free loopback port, over plain HTTP.

The same site files go through the web check and through ``fzgeo check``: the tables must be the
same. Hostile uploads (zip-slip names, a zip bomb, a 2 GB upload, ``../`` in the name, HTML in
attribute values, guessed job addresses) are refused or contained with a coded message; four
concurrent checks give the sequential results; a killed server leaves no half-written result;
the OGC API follows Part 1 and the COG answers range requests.
"""

from __future__ import annotations

import io as stdio
import json
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from _serve import Server, fetch, get_json, multipart, request, start, upload, wait
from input_fixtures import sites, square

import pyogrio
import shapely
from geopandas import GeoDataFrame

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the GeoPackage, the maps and the raster built."""
    from fzgeo.serve import content

    return content.prepare(tmp_path_factory.mktemp("serve") / "data", say=lambda _: None)


@pytest.fixture(scope="module")
def server(data: Path) -> Server:
    """The server, loopback, no token, 5 MB upload limit."""
    srv = start(data, "--max-upload-mb", "5")
    yield srv
    srv.stop()


def cli_check(path: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``fzgeo check`` on ``path`` run in its folder (messages name the bare file)."""
    return subprocess.run(
        [sys.executable, "-m", "fzgeo", "check", path.name, "--out", str(out), *extra],
        cwd=path.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def sheet(data: bytes, name: str = "汇总") -> list[tuple[object, ...]]:
    """The values of one XLSX sheet."""
    book = openpyxl.load_workbook(stdio.BytesIO(data), read_only=True)
    return [tuple(row) for row in book[name].iter_rows(values_only=True)]


def site_file(folder: Path, n: int, shift: float = 0.0, name: str = "sites.geojson") -> Path:
    """``n`` square sites in 抚州 (some on the red line, farmland and outside the boundary)."""
    gdf = sites(n)
    gdf["geometry"] = [square(116.25 + 0.031 * i + shift, 27.85 + 0.013 * i) for i in range(n)]
    path = folder / name
    gdf.to_file(path)
    return path


def test_check_page_is_chinese_and_makes_no_external_request(server: Server) -> None:
    status, headers, body = request(server.url)
    page = body.decode("utf-8")
    assert status == 200 and headers["content-type"].startswith("text/html")
    for text in (
        "建设项目选址合规性检查",
        "开始检查",
        "界址点坐标表",
        "报部格式",
        "自定义规则文件",
    ):
        assert text in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "external asset linked"


def test_web_check_gives_the_cli_result(server: Server, tmp_path: Path, data: Path) -> None:
    path = site_file(tmp_path, 6)
    status, reply = upload(server, path)
    assert status == 202, reply
    done = wait(server, reply["id"])
    assert done["state"] == "done", done
    cli = cli_check(path, tmp_path / "cli")
    assert cli.returncode in (0, 1, 3), cli.stderr
    for name in ("report.csv", "details.csv"):
        assert fetch(server, reply["id"], name) == (tmp_path / "cli" / name).read_bytes(), name
    web = sheet(fetch(server, reply["id"], "report.xlsx"))
    assert web == sheet((tmp_path / "cli" / "report.xlsx").read_bytes())
    verdicts = [row[done["table"]["columns"].index("综合结论")] for row in done["table"]["rows"]]
    assert sorted(set(verdicts)) and set(verdicts) <= {"冲突", "邻近", "无冲突"}
    assert done["counts"]["冲突"] == verdicts.count("冲突") and done["engine"] == "local"
    files = {d["file"] for d in done["downloads"]}
    assert {"report.xlsx", "report.html", "conflicts.gpkg", "conflicts.qgz"} <= files
    assert done["notice"].startswith("示意数据")
    gpkg = tmp_path / "web.gpkg"
    gpkg.write_bytes(fetch(server, reply["id"], "conflicts.gpkg"))
    assert "conflict_parts" in pyogrio.list_layers(gpkg)[:, 0]
    assert str(server.url) not in json.dumps(done) and "/tmp" not in json.dumps(done)
    for name in ("summary.json", "report.html", "report.csv"):  # no server folder in any output
        assert str(data).encode() not in fetch(server, reply["id"], name), name
    record = json.loads(fetch(server, reply["id"], "summary.json"))
    cli_record = json.loads((tmp_path / "cli" / "summary.json").read_text(encoding="utf-8"))
    for rec in (*record["inputs"], *cli_record["inputs"]):
        rec.pop("path")  # the CLI records where the file is; the server only its name
    assert record["inputs"] == cli_record["inputs"]


def test_bad_file_gets_the_cli_code_and_message(server: Server, tmp_path: Path) -> None:
    path = tmp_path / "项目.csv"
    path.write_text("名称,面积\n甲,1\n", encoding="utf-8")
    _, reply = upload(server, path)
    done = wait(server, reply["id"])
    cli = cli_check(path, tmp_path / "out")
    assert cli.returncode == 2
    line = cli.stderr.strip().splitlines()[-1].removeprefix("fzgeo: error ")
    assert done["state"] == "error" and done["error"]["code"] == "FZ307"
    assert done["error"]["message"] == line
    assert "Traceback" not in json.dumps(done, ensure_ascii=False)


def test_hostile_zips_are_refused_by_the_reader_guards(server: Server, tmp_path: Path) -> None:
    shp = tmp_path / "shp"
    shp.mkdir()
    sites(2).to_file(shp / "a.shp")
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(slip, "w") as zf:
        for part in ("shp", "shx", "dbf", "prj"):
            zf.write(shp / f"a.{part}", f"../../evil/a.{part}")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.shp", b"\0" * (300 << 20))
    assert bomb.stat().st_size < 2 << 20
    for path in (slip, bomb):
        _, reply = upload(server, path)
        done = wait(server, reply["id"])
        assert done["state"] == "error" and done["error"]["code"] == "FZ306", done
        assert (
            "'..' path component" in done["error"]["message"]
            or "zip bomb" in done["error"]["message"]
        )
    assert not list((tmp_path.parent).glob("**/evil"))


def test_names_with_folders_are_refused(server: Server, tmp_path: Path) -> None:
    path = site_file(tmp_path, 1)
    for name in (
        "../../etc/sites.geojson",
        "..\\sites.geojson",
        "/abs/sites.geojson",
        ".hidden.geojson",
    ):
        status, reply = upload(server, path, name=name)
        assert status == 400 and reply["error"]["code"] == "FZ801", (name, reply)


def test_two_gigabyte_upload_is_refused_before_reading(server: Server) -> None:
    import http.client

    host, port = server.url.split("//")[1].rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    started = time.monotonic()
    conn.putrequest("POST", "/api/jobs")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(2 << 30))
    conn.endheaders()
    conn.send(b"--x\r\n" + b"\0" * 65536)
    resp = conn.getresponse()
    reply = json.loads(resp.read())
    conn.close()
    assert resp.status == 413 and reply["error"]["code"] == "FZ800"
    assert time.monotonic() - started < 5


def test_chunked_upload_is_cut_at_the_limit(server: Server) -> None:
    import http.client

    host, port = server.url.split("//")[1].rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/api/jobs")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    head = b'--x\r\nContent-Disposition: form-data; name="sites"; filename="big.geojson"\r\n\r\n'
    sent = 0
    try:
        for chunk in [head, *([b"0" * (1 << 20)] * 8)]:
            conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sent += len(chunk)
        conn.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server may close the connection once it has refused
    resp = conn.getresponse()
    reply = json.loads(resp.read())
    conn.close()
    assert resp.status == 413 and reply["error"]["code"] == "FZ800", reply


def test_html_in_attributes_is_escaped_in_the_report(server: Server, tmp_path: Path) -> None:
    gdf = sites(2)
    gdf["名称"] = ["<script>alert(1)</script>", '<img src=x onerror="alert(2)">']
    path = tmp_path / "xss.geojson"
    gdf.to_file(path)
    _, reply = upload(server, path)
    done = wait(server, reply["id"])
    assert done["state"] == "done"
    report = fetch(server, reply["id"], "report.html").decode("utf-8")
    assert "<script>alert(1)" not in report and "<img src=x" not in report
    assert "&lt;script&gt;" in report or "&lt;script" in report


def test_jobs_are_reachable_only_by_their_own_id(
    server: Server, tmp_path: Path, data: Path
) -> None:
    ids = []
    for i in range(2):
        _, reply = upload(server, site_file(tmp_path, 1, shift=0.1 * i, name=f"s{i}.geojson"))
        ids.append(reply["id"])
        wait(server, reply["id"])
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", i) for i in ids) and ids[0] != ids[1]
    a, b = ids
    guesses = [
        f"api/jobs/{a[:-1]}{'A' if a[-1] != 'A' else 'B'}",
        f"jobs/{a}/files/../../{b}/result/report.csv",
        f"jobs/{a}/files/%2e%2e/%2e%2e/{b}/result/report.csv",
        f"jobs/{a}/files/%2e%2e/status.json",
        f"jobs/{a}/files/%2e%2e/upload/s0.geojson",
        "jobs/",
        "api/jobs",
        "jobs/..%2f..%2fcontent.json/files/x",
    ]
    for guess in guesses:
        status, _, body = request(server.url + guess)
        assert status in (404, 405), (guess, status, body[:200])
        assert b"report" not in body.lower() or status == 405
    assert (data / "jobs" / b / "result" / "report.csv").is_file()


def test_four_concurrent_checks_equal_four_sequential(server: Server, tmp_path: Path) -> None:
    paths = [site_file(tmp_path, 5 + i, shift=0.05 * i, name=f"c{i}.geojson") for i in range(4)]

    def run(path: Path) -> tuple[bytes, bytes]:
        _, reply = upload(server, path)
        done = wait(server, reply["id"])
        assert done["state"] == "done", done
        return fetch(server, reply["id"], "report.csv"), fetch(server, reply["id"], "details.csv")

    sequential = [run(p) for p in paths]
    concurrent: list[tuple[bytes, bytes] | None] = [None] * 4

    def worker(i: int) -> None:
        concurrent[i] = run(paths[i])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert concurrent == sequential


def test_killed_server_leaves_no_half_written_result(data: Path, tmp_path: Path) -> None:
    srv = start(data)
    gdf = GeoDataFrame(
        {"编号": range(3000)},
        geometry=[
            square(116.0 + 0.004 * (i % 200), 27.5 + 0.004 * (i // 200), 0.002) for i in range(3000)
        ],
        crs=4490,
    )
    path = tmp_path / "many.geojson"
    gdf.to_file(path)
    _, reply = upload(srv, path)
    job = data / "jobs" / reply["id"]
    deadline = time.monotonic() + 120
    while json.loads((job / "status.json").read_text()).get("phase") not in (
        "叠加分析",
        "写出报告",
        "绘制冲突地图",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    srv.stop(signal.SIGKILL)
    time.sleep(0.5)
    assert not (job / "result").exists() or (job / "result" / "summary.json").is_file()
    again = start(data)
    try:
        _, status = get_json(f"{again.url}api/jobs/{reply['id']}")
        assert status["state"] in ("error", "done")
        if status["state"] == "error":
            assert status["error"]["code"] == "FZ000" and "停止" in status["error"]["message"]
            assert not (job / "result").exists()
        assert not list(job.glob(".tmp-*"))
    finally:
        again.stop()


def test_expired_jobs_are_deleted(tmp_path: Path) -> None:
    from fzgeo.serve import jobs, runjob

    store = jobs.JobStore(tmp_path / "jobs", keep_seconds=3600)
    store.root.mkdir()
    old = store.root / ("a" * 22)
    new = store.root / ("b" * 22)
    for folder, created in ((old, time.time() - 7200), (new, time.time())):
        (folder / "upload").mkdir(parents=True)
        runjob.write_status(folder, state="done", created=created)
    assert store.sweep() == ["a" * 22]
    assert not old.exists() and new.exists()


def test_ogc_api_features_part1(server: Server, data: Path) -> None:
    base = server.url + "ogc"
    status, landing = get_json(base + "/")
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert status == 200 and rels["data"] == f"{base}/collections"
    assert rels["conformance"] == f"{base}/conformance" and rels["service-desc"] == f"{base}/api"
    _, conf = get_json(base + "/conformance")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf["conformsTo"]
    _, cols = get_json(base + "/collections")
    ids = [c["id"] for c in cols["collections"]]
    gpkg = data / "plan.gpkg"
    assert set(ids) == set(pyogrio.list_layers(gpkg)[:, 0]) - {"layer_styles"}
    railways = next(c for c in cols["collections"] if c["id"] == "railways")
    assert railways["title"] == "铁路（现状与规划）"
    truth = pyogrio.read_dataframe(gpkg, layer="railways")
    status, headers, body = request(base + "/collections/railways/items?limit=1000")
    page = json.loads(body)
    assert headers["content-type"].startswith("application/geo+json")
    assert page["numberMatched"] == page["numberReturned"] == len(truth)
    for feature, (_, row) in zip(page["features"], truth.iterrows(), strict=True):
        assert feature["properties"]["name"] == row["name"]
        assert shapely.geometry.shape(feature["geometry"]).equals_exact(row.geometry, 1e-9)
    _, first = get_json(base + "/collections/railways/items?limit=4")
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    _, second = get_json(nxt)
    assert [f["id"] for f in first["features"] + second["features"]] == list(range(1, 9))
    bbox = "116.2,27.8,116.5,28.1"
    _, boxed = get_json(base + f"/collections/railways/items?bbox={bbox}&limit=100")
    expected = truth[truth.intersects(shapely.box(116.2, 27.8, 116.5, 28.1))]
    assert boxed["numberMatched"] == len(expected) > 0
    assert get_json(base + "/collections/railways/items/1")[1]["id"] == 1
    assert request(base + "/collections/railways/items?limit=0")[0] == 400
    assert request(base + "/collections/railways/items?bogus=1")[0] == 400
    assert request(base + "/collections/nope/items")[0] == 404
    assert request(base + "/collections/railways/items/99999")[0] == 404


def test_control_raster_answers_range_requests(server: Server, data: Path) -> None:
    whole = (data / "control.tif").read_bytes()
    status, headers, body = request(
        server.url + "raster/control.tif", headers={"Range": "bytes=100-1123"}
    )
    assert status == 206 and body == whole[100:1124]
    assert headers["content-range"] == f"bytes 100-1123/{len(whole)}"
    assert headers.get("accept-ranges") == "bytes"
    status, _, body = request(server.url + "raster/control.tif")
    assert status == 200 and body == whole
    status, _, body = request(server.url + "maps/")
    assert status == 200 and body == (data / "site" / "index.html").read_bytes()
    status, headers, body = request(
        server.url + "maps/plan_overview.html", headers={"Range": "bytes=0-9"}
    )
    assert status == 206 and len(body) == 10
    assert request(server.url + "raster/../content.json")[0] == 404
    import numpy as np

    import rasterio

    with (
        rasterio.open(data / "control.tif") as local,
        rasterio.open(f"/vsicurl/{server.url}raster/control.tif") as remote,
    ):  # GDAL reads the COG over HTTP with range requests
        assert remote.profile["width"] == local.profile["width"]
        window = rasterio.windows.Window(10, 10, 64, 64)
        assert np.array_equal(remote.read(1, window=window), local.read(1, window=window))


def test_beyond_loopback_needs_a_token(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fzgeo",
            "serve",
            "--host",
            "0.0.0.0",
            "--data",
            str(tmp_path / "d"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in __import__("os").environ.items() if k != "FZGEO_TOKEN"},
    )
    assert proc.returncode == 2 and "[FZ803]" in proc.stderr
    assert not (tmp_path / "d").exists()


def test_token_is_checked_on_every_request(data: Path) -> None:
    token = "t0k3n-" + "x" * 20
    srv = start(data, "--token", token)
    try:
        for path in ("", "healthz", "ogc/collections", "maps/", "raster/control.tif", "api/jobs/x"):
            status, _, body = request(srv.url + path)
            assert status == 401 and json.loads(body)["error"]["code"] == "FZ804", path
            assert (
                request(srv.url + path, headers={"Authorization": "Bearer wrong" + token})[0] == 401
            )
        status, headers, _ = request(f"{srv.url}?token={token}")
        assert status == 200 and "fzgeo_token=" in headers["set-cookie"]
        assert "httponly" in headers["set-cookie"].lower()
        cookie = headers["set-cookie"].split(";")[0]
        assert request(srv.url + "ogc/collections", headers={"Cookie": cookie})[0] == 200
        assert request(srv.url + "ogc/", headers={"Authorization": f"Bearer {token}"})[0] == 200
        import base64

        basic = base64.b64encode(f"qgis:{token}".encode()).decode()
        assert request(srv.url + "ogc/", headers={"Authorization": f"Basic {basic}"})[0] == 200
    finally:
        srv.stop()


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "fzgeo", "serve", "--port", str(port), "--data", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 2 and "[FZ600] cannot listen on" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_own_rules_file_is_used_and_a_bad_one_gets_the_cli_message(
    server: Server, tmp_path: Path
) -> None:
    path = site_file(tmp_path, 4)
    (tmp_path / "rules").mkdir()
    good = tmp_path / "rules" / "红线规则.yaml"
    good.write_text(
        "version: 1\nrules:\n  - id: eco_redline\n    name_zh: 生态保护红线\n"
        "    layer: eco_redline\n    kind: veto\n",
        encoding="utf-8",
    )
    bad = tmp_path / "rules" / "坏规则.yaml"
    bad.write_text("version: 1\nrules: [\n", encoding="utf-8")
    for rule_file in (good, bad):
        body, kind = multipart(
            {"rules": "custom"},
            {
                "sites": (path.name, path.read_bytes()),
                "rules_file": (rule_file.name, rule_file.read_bytes()),
            },
        )
        status, _, raw = request(
            server.url + "api/jobs", method="POST", body=body, headers={"Content-Type": kind}
        )
        assert status == 202, raw
        job = json.loads(raw)["id"]
        done = wait(server, job)
        out = tmp_path / f"cli-{rule_file.stem}"
        cli = cli_check(path, out, "--rules", f"rules/{rule_file.name}")
        if rule_file is good:
            assert done["state"] == "done", done
            assert fetch(server, job, "details.csv") == (out / "details.csv").read_bytes()
            assert "永久基本农田·结论" not in done["table"]["columns"]
        else:
            line = cli.stderr[cli.stderr.index("fzgeo: error ") :].strip()
            line = line.removeprefix("fzgeo: error ")
            assert done["state"] == "error" and done["error"]["code"] == "FZ600"
            assert done["error"]["message"] == line


def test_sites_outside_the_city_stop_unless_allowed(server: Server, tmp_path: Path) -> None:
    gdf = sites(2)
    gdf["geometry"] = [square(116.40 + 0.02 * i, 39.90) for i in range(2)]  # Beijing
    path = tmp_path / "far.geojson"
    gdf.to_file(path)
    _, reply = upload(server, path)
    done = wait(server, reply["id"])
    assert done["state"] == "error" and done["error"]["code"] == "FZ106", done
    assert not (server_jobs(server, reply["id"]) / "result").exists()
    cli = cli_check(path, tmp_path / "cli")
    assert cli.returncode == 4 and "[FZ106]" in cli.stderr
    _, reply = upload(server, path, fields={"allow_outside": "1"})
    done = wait(server, reply["id"])
    assert done["state"] == "done" and done["counts"]["sites"] == 2, done


def server_jobs(server: Server, job: str) -> Path:
    """The folder of ``job`` (the server's data folder is the parent of its log)."""
    return server.log.parent / "data" / "jobs" / job


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(c) for c in (task / "children").read_text().split())
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_or_killing_the_server_ends_its_workers(
    data: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    srv = start(data)
    try:
        _, reply = upload(srv, site_file(tmp_path, 2))
        wait(srv, reply["id"])
        workers = _children(srv.proc.pid)
        assert workers, "no worker processes"
        import os

        os.kill(srv.proc.pid, sig)  # the server alone, not its process group
        srv.proc.wait(timeout=60)
        deadline = time.monotonic() + 20
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers)
    finally:
        srv.stop()
