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


#: A pixel where the topmost interactive feature under the pointer belongs to layer
#: ``arguments[0]`` (the shared canvas renderer's own hit test, topmost wins), away from the
#: controls: ``[x, y, tooltip text expected, layer name]`` in container pixels, or null.
TOPMOST_JS = """
var m = fzgeoMap.map, layers = fzgeoMap.layers, layer = layers[arguments[0]];
if (!layer.fzShown) { return null; }
var renderer = layer.options.renderer, size = m.getSize(), box = m.getContainer().getBoundingClientRect();
var id = L.Util.stamp(layer);
function owned(p) {
  var parents = p._eventParents || {};
  if (parents[id]) { return true; }
  return Object.keys(parents).some(function (k) { return owned(parents[k]); });
}
function topAt(pt) {
  var hit = null;
  for (var o = renderer._drawFirst; o; o = o.next) {
    if (o.layer.options.interactive && o.layer._containsPoint(pt)) { hit = o.layer; }
  }
  return hit;
}
function candidates(p) {
  var out = [];
  if (p._point) {
    var r = Math.max(Math.floor(p._radius) - 1, 0);
    [[0, 0], [r, 0], [-r, 0], [0, r], [0, -r]].forEach(function (d) { out.push(p._point.add(L.point(d[0], d[1]))); });
    return out;
  }
  (p._parts || []).forEach(function (ring) {
    var k = Math.floor((p.options.weight || 0) / 2);
    for (var i = 0; i + 1 < ring.length; i++) {
      [0.5, 0.2, 0.8, 0.35, 0.65, 0.1, 0.9].forEach(function (t) {
        var q = ring[i].multiplyBy(1 - t).add(ring[i + 1].multiplyBy(t));
        out.push(q);
        if (k) { [[k, 0], [-k, 0], [0, k], [0, -k]].forEach(function (d) { out.push(q.add(L.point(d[0], d[1]))); }); }
      });
    }
  });
  var b = p._pxBounds;
  if (b && p.options.fill) {
    for (var gx = 1; gx < 8; gx++) { for (var gy = 1; gy < 8; gy++) {
      out.push(L.point(b.min.x + (b.max.x - b.min.x) * gx / 8, b.min.y + (b.max.y - b.min.y) * gy / 8));
    } }
  }
  return out;
}
var paths = [];
layer.eachLayer(function (f) { if (f.eachLayer) { f.eachLayer(function (c) { paths.push(c); }); } else { paths.push(f); } });
for (var i = 0; i < paths.length && i < 400; i++) {
  var pts = candidates(paths[i]);
  for (var j = 0; j < pts.length; j++) {
    var c = m.layerPointToContainerPoint(pts[j]).round();
    if (c.x < 20 || c.y < 20 || c.x > size.x - 20 || c.y > size.y - 20) { continue; }
    var el = document.elementFromPoint(box.left + c.x, box.top + c.y);
    if (!el || el.tagName !== "CANVAS") { continue; }
    var pt = m.containerPointToLayerPoint(c), hit = topAt(pt);
    if (hit && owned(hit)) {
      var props = hit.feature.properties, cfg = layer.fzConfig, text = props[cfg.label];
      if (text === null || text === undefined || text === "") { text = cfg.name; }
      return [c.x, c.y, String(text), cfg.name];
    }
  }
}
return null;
"""


def mouse_to(driver: Any, x: float, y: float, *, click: bool = False) -> None:
    """Move the real mouse to container pixel ``(x, y)`` of the map (and click there).

    Chromium's input pipeline (CDP ``Input.dispatchMouseEvent``) at exact page pixels: the
    browser hit-tests and dispatches as for a hardware mouse.
    """
    left, top = driver.execute_script(
        "var b = fzgeoMap.map.getContainer().getBoundingClientRect(); return [b.left, b.top];"
    )
    px, py = left + x, top + y
    driver.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": px, "y": py})
    time.sleep(0.2)
    if click:
        for kind in ("mousePressed", "mouseReleased"):
            driver.execute_cdp_cmd(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": px, "y": py, "button": "left", "clickCount": 1},
            )
        time.sleep(0.25)


def tooltip_text(driver: Any) -> str:
    """The text of the open tooltip ('' when none is open)."""
    return driver.execute_script(
        "var t = document.querySelector('.leaflet-tooltip'); return t ? t.textContent : ''"
    )


def popup_text(driver: Any) -> str:
    """The text of the open popup ('' when none is open)."""
    return driver.execute_script(
        "var p = document.querySelector('.leaflet-popup-content'); return p ? p.textContent : ''"
    )


def _wait_popup_gone(driver: Any, timeout: float = 2.0) -> None:
    """Wait until a closed popup has faded out (it would cover the pixels looked for)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not driver.execute_script("return !!document.querySelector('.leaflet-popup')"):
            return
        time.sleep(0.05)


def close_popup(driver: Any) -> None:
    """Close the open popup and wait until it is gone."""
    driver.execute_script("fzgeoMap.map.closePopup()")
    _wait_popup_gone(driver)


def _answer(driver: Any, i: int, name: str) -> tuple[bool, bool] | None:
    found = driver.execute_script(TOPMOST_JS, i)
    if found is None:
        return None
    x, y, text, name = found
    mouse_to(driver, x, y)
    tip_ok = text in tooltip_text(driver)
    mouse_to(driver, x, y, click=True)
    head = driver.execute_script(
        "var p = document.querySelector('.leaflet-popup-content .fz-popup-layer');"
        "return p ? p.textContent : ''"
    )
    return tip_ok, head == name


def hover_and_click_every_layer(driver: Any) -> dict[str, tuple[bool, bool, bool]]:
    """For every drawn layer, point the real mouse where it is topmost and click.

    Returns, per layer name, (tooltip right, popup right, the other layers had to be unticked:
    the layer lies wholly under others). The view is reset before each layer (popups pan it);
    a layer wholly under others is tried on the reloaded page with every other layer unticked.
    """
    out: dict[str, tuple[bool, bool, bool]] = {}
    count = driver.execute_script("return fzgeoMap.layers.length")
    view = driver.execute_script(
        "var m = fzgeoMap.map; return [m.getCenter().lat, m.getCenter().lng, m.getZoom()]"
    )
    reset = (
        "fzgeoMap.map.closePopup();"
        "fzgeoMap.map.setView([arguments[0], arguments[1]], arguments[2], {animate: false})"
    )
    hidden: list[tuple[int, str]] = []
    for i in range(count):
        if not driver.execute_script("return !!fzgeoMap.layers[arguments[0]].fzShown", i):
            continue
        name = driver.execute_script("return fzgeoMap.layers[arguments[0]].fzConfig.name", i)
        driver.execute_script(reset, *view)
        _wait_popup_gone(driver)
        answer = _answer(driver, i, name)
        if answer is None:
            hidden.append((i, name))
        else:
            out[name] = (*answer, False)
    for i, name in hidden:
        driver.refresh()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not driver.execute_script(
            "return document.documentElement.getAttribute('data-fz-ready') === '1'"
        ):
            time.sleep(0.1)
        driver.execute_script(  # untick every other layer, as a user would to reach it
            "var m = fzgeoMap.map, keep = arguments[0]; fzgeoMap.layers.forEach(function (l, j) {"
            " if (j !== keep && m.hasLayer(l)) { m.removeLayer(l); } });",
            i,
        )
        answer = _answer(driver, i, name)
        out[name] = (False, False, True) if answer is None else (*answer, True)
    return out
