"""Run ``fzgeo serve`` as a real uvicorn server in a subprocess, and talk HTTP to it (stdlib only)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server: its base URL (ending in ``/``), process and log file."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self, sig: int = signal.SIGINT) -> None:
        """Stop the server and its worker processes (the whole process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def start(data: Path, *extra: str, timeout: float = 180.0) -> Server:
    """``fzgeo serve --data DATA --port FREE *extra`` in its own process group, once healthy."""
    port = free_port()
    log = data.parent / f"serve-{port}.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fzgeo",
                "serve",
                "--data",
                str(data),
                "--port",
                str(port),
                *extra,
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}/", proc, log)
    deadline = time.monotonic() + timeout
    headers = {}
    if "--token" in extra:
        headers["Authorization"] = f"Bearer {extra[extra.index('--token') + 1]}"
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"fzgeo serve exited {proc.returncode}:\n{log.read_text()}")
        try:
            status, _, _ = request(server.url + "healthz", headers=headers, timeout=2)
            if status == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"fzgeo serve did not start:\n{log.read_text()}")
        time.sleep(0.3)


def request(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request: status, headers (lower-case names) and body; errors are returned too."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def get_json(url: str, **kw: Any) -> tuple[int, Any]:
    """GET and parse JSON."""
    status, _, body = request(url, **kw)
    return status, json.loads(body)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, data) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode("utf-8") + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload(
    server: Server,
    path: Path,
    *,
    name: str | None = None,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """POST a site file to /api/jobs; the status and the JSON reply."""
    body, kind = multipart(
        {"rules": "default", **(fields or {})}, {"sites": (name or path.name, path.read_bytes())}
    )
    status, _, reply = request(
        server.url + "api/jobs",
        method="POST",
        body=body,
        headers={"Content-Type": kind, **(headers or {})},
    )
    return status, json.loads(reply)


def wait(
    server: Server, job: str, *, timeout: float = 300, headers: dict[str, str] | None = None
) -> Any:
    """Poll a job until done or error; its final status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, status = get_json(f"{server.url}api/jobs/{job}", headers=headers)
        if status.get("state") in ("done", "error"):
            return status
        time.sleep(0.3)
    raise AssertionError(f"job {job} did not finish: {status}")


def fetch(server: Server, job: str, name: str) -> bytes:
    """A result file of a job."""
    status, _, body = request(f"{server.url}jobs/{job}/files/{name}")
    assert status == 200, (status, body[:300])
    return body
