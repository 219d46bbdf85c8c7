"""Open HTML maps in real headless Chromium (selenium + /usr/bin/chromedriver) for the map tests."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome-error:")


@dataclass
class PageResult:
    """What happened when a page was opened."""

    console: list[dict[str, Any]]
    requests: list[str]
    ready: bool
    layers_in_control: list[str]
    legend_text: str
    alerts: list[str]

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Console messages of level SEVERE."""
        return [m for m in self.console if m.get("level") == "SEVERE"]

    @property
    def external_requests(self) -> list[str]:
        """Requests to anything but the local file and inline data."""
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


@contextmanager
def chromium(width: int = 1200, height: int = 800) -> Iterator[Any]:
    """A headless Chromium driven by selenium, with a fresh profile, removed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="fzgeo-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _requests(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def open_map(driver: Any, path: Path, *, timeout: float = 60.0) -> PageResult:
    """Load ``path``, wait for the fzgeo runtime to be ready, and collect what happened."""
    driver.get("about:blank")
    driver.get_log("performance")  # drop what the start page asked for
    driver.get_log("browser")
    driver.get(Path(path).resolve().as_uri())
    deadline = time.monotonic() + timeout
    ready = False
    while time.monotonic() < deadline:
        ready = driver.execute_script(
            "return document.documentElement.getAttribute('data-fz-ready') === '1'"
        )
        if ready:
            break
        time.sleep(0.1)
    alerts = []
    try:
        alert = driver.switch_to.alert
        alerts.append(alert.text)
        alert.accept()
    except Exception:
        pass
    names = driver.execute_script(
        "return Array.from(document.querySelectorAll("
        "'.leaflet-control-layers-overlays label span:not(.leaflet-control-layers-group-name)')).map(s => s.textContent.trim())"
    )
    legend = driver.execute_script(
        "var l = document.querySelector('.fz-legend'); return l ? l.textContent : ''"
    )
    return PageResult(
        console=driver.get_log("browser"),
        requests=_requests(driver),
        ready=bool(ready),
        layers_in_control=[n for n in names if n],
        legend_text=legend,
        alerts=alerts,
    )
