"""Web maps in real headless Chromium: shipped maps, offline requests, XSS, search, big layers."""

from __future__ import annotations

from pathlib import Path

import pytest
from map_browser import (
    TOPMOST_JS,
    chromium,
    close_popup,
    hover_and_click_every_layer,
    mouse_to,
    open_map,
    popup_text,
    tooltip_text,
)
from test_maps import XSS, noisy_ring, squares, synthetic_layer

import shapely
from geopandas import GeoDataFrame

from fzgeo.cli import main
from fzgeo.crs import to_work
from fzgeo.maps import compose, conflict, publish, render
from fzgeo.plan import layers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def check_dir(tmp_path_factory) -> Path:
    """A real `fzgeo check` output: one site inside the red line, one far outside."""
    red = to_work(layers.load("eco_redline"))
    inside = red.geometry.iloc[0].representative_point()
    sites = GeoDataFrame(
        {"名称": [f"冲突项目{XSS}", "无冲突项目"]},
        geometry=[inside.buffer(300), shapely.Point(inside.x + 300_000, inside.y).buffer(300)],
        crs=red.crs,
    ).to_crs(4490)
    folder = tmp_path_factory.mktemp("check")
    sites.to_file(folder / "sites.geojson")
    status = main(
        ["check", str(folder / "sites.geojson"), "--out", str(folder / "out"), "--no-progress"]
    )
    assert status in (0, 1)
    return folder / "out"


def hover_and_click(driver, *, layer_index: int, feature_index: int) -> None:
    """Move the real mouse onto a feature (tooltip) and click it (popup)."""
    from selenium.webdriver.common.action_chains import ActionChains

    x, y, w, h = driver.execute_script(
        "var m = fzgeoMap.map, f = fzgeoMap.layers[arguments[0]].getLayers()[arguments[1]];"
        "var p = m.latLngToContainerPoint(f.getBounds ? f.getBounds().getCenter() : f.getLatLng());"
        "var s = m.getSize(); return [p.x, p.y, s.x, s.y];",
        layer_index,
        feature_index,
    )
    element = driver.find_element("css selector", ".leaflet-container")
    actions = ActionChains(driver)
    actions.move_to_element_with_offset(element, int(x - w / 2), int(y - h / 2))
    actions.pause(0.3).click().pause(0.3).perform()


def _assert_clean(result, expected_layers):
    assert result.ready, "the map runtime did not finish"
    assert result.errors == []
    assert result.alerts == []
    assert result.external_requests == []
    assert set(expected_layers) <= set(result.layers_in_control)
    for name in expected_layers:
        assert name in result.legend_text


@pytest.mark.parametrize("key", compose.available())
def test_shipped_map_offline(key, browser, check_dir, tmp_path):
    spec = compose.spec(key)
    extra = conflict.check_layers(check_dir, spec) if key == "conflicts" else []
    rendered = render.render_spec(spec, offline_mode=True, extra_layers=extra)
    path = rendered.write(tmp_path / f"{key}.html")
    result = open_map(browser, path)
    _assert_clean(result, [ml.kind.name_zh for ml in rendered.layers])
    assert result.requests and all(u.startswith(("file:", "data:")) for u in result.requests)


def test_xss_payload_shows_as_text(browser, tmp_path):
    gdf = squares(2, name=XSS)
    gdf["kind_note"] = "</script><script>window.__xss=2</script>"
    layer = synthetic_layer(gdf, name_zh=f"图层{XSS}")
    path = render.render([layer], title=f"标题{XSS}", basemap="none", assets="inline").write(
        tmp_path / "xss.html"
    )
    result = open_map(browser, path)
    assert result.ready and result.errors == [] and result.alerts == []
    hover_and_click(browser, layer_index=0, feature_index=0)
    popup = browser.execute_script(
        "return document.querySelector('.leaflet-popup-content').textContent"
    )
    tooltip = browser.execute_script(
        "return document.querySelector('.leaflet-tooltip').textContent"
    )
    assert XSS in popup and "window.__xss=2" in popup
    assert XSS in tooltip
    assert result.layers_in_control == [f"图层{XSS}"]  # shown as text, escaped once
    assert f"图层{XSS}" in popup
    assert browser.execute_script("return typeof window.__xss") == "undefined"
    assert browser.execute_script("return document.querySelectorAll('img[src=\"x\"]').length") == 0


def test_search_finds_features_by_name(browser, tmp_path):
    layer = synthetic_layer(squares(3, name="抚州地块"))
    path = render.render([layer], title="t", basemap="none", assets="inline").write(
        tmp_path / "s.html"
    )
    assert open_map(browser, path).ready
    box = browser.find_element("css selector", ".fz-search input")
    box.send_keys("地块2")
    items = browser.find_elements("css selector", ".fz-search li")
    assert [i.text for i in items] == ["抚州地块2（测试图层）"]
    items[0].click()  # a real click on the result
    import time

    time.sleep(0.6)  # the popup stays open (the click used to reach the map and close it)
    assert "抚州地块2" in popup_text(browser)
    assert browser.execute_script("return fzgeoMap.map.getZoom()") >= 13
    assert browser.get_log("browser") == []


def test_million_vertex_red_line_opens(browser, tmp_path):
    gdf = GeoDataFrame(
        {"name": ["红线"], "precision": "illustrative", "status": "n/a", "source": "test"},
        geometry=[noisy_ring(1_000_000, seed=3)],
        crs=4548,
    ).to_crs(4490)
    path = render.render([synthetic_layer(gdf)], title="1M", basemap="none", assets="inline").write(
        tmp_path / "big.html"
    )
    result = open_map(browser, path)
    assert result.ready and result.errors == [] and result.external_requests == []
    browser.execute_script("fzgeoMap.map.setZoom(14, {animate: false})")
    assert browser.execute_script("return fzgeoMap.map.getZoom()") == 14


def test_published_site_maps_load_from_relative_assets(browser, tmp_path):
    spec = compose.parse(
        {"key": "site_map", "title": "站点", "layers": ["admin_boundaries"]}, where="t"
    )
    index = publish.publish(tmp_path / "site", [(spec, compose.resolve(spec))], offline_mode=True)
    result = open_map(browser, index.parent / "site_map.html")
    _assert_clean(result, ["行政区划（抚州市及11个县区）"])
    assert any(u.endswith("assets/leaflet/dist/leaflet.js") for u in result.requests)


def test_min_zoom_hides_layer_below_it(browser, tmp_path):
    layer = synthetic_layer(squares(2))
    layer.style = type(layer.style).from_mapping(
        {"key": "test_layer", "name_zh": "测试图层", "geometry": "polygon", "min_zoom": 12},
        where="t",
    )
    path = render.render(
        [layer], title="t", basemap="none", assets="inline", zoom=9, center=(27.9, 116.0)
    ).write(tmp_path / "z.html")
    assert open_map(browser, path).ready
    shown = (
        "var l = fzgeoMap.layers[0], m = fzgeoMap.map;"
        "return [m.hasLayer(l), !!l.fzShown, m.hasLayer(l.getLayers()[0])];"
    )
    assert browser.execute_script(shown) == [True, False, False]  # ticked, but not drawn
    browser.execute_script("fzgeoMap.map.setZoom(13, {animate: false})")
    assert browser.execute_script(shown) == [True, True, True]


def test_multipoint_layer_tooltips(browser, tmp_path):
    """Leaflet nests a group for each MultiPoint; tooltips bound on the layer must still work."""
    gdf = GeoDataFrame(
        {"name": ["多点", "单点"], "precision": "schematic", "status": "planned", "source": "t"},
        geometry=[
            shapely.MultiPoint([(116.30, 27.90), (116.40, 27.95)]),
            shapely.MultiPoint([(116.35, 28.00)]),
        ],
        crs=4490,
    )
    path = render.render(
        [synthetic_layer(gdf, geometry="point")], title="t", basemap="none", assets="inline"
    ).write(tmp_path / "mp.html")
    result = open_map(browser, path)
    assert result.ready and result.errors == []
    # every point of each MultiPoint answers the real mouse with its feature's tooltip and popup
    points = browser.execute_script(
        "var m = fzgeoMap.map, out = [];"
        "fzgeoMap.layers[0].eachLayer(function (g) { g.eachLayer(function (p) {"
        " var c = m.latLngToContainerPoint(p.getLatLng());"
        " out.push([c.x, c.y, g.feature.properties.name]); }); });"
        "return out;"
    )
    assert sorted(p[2] for p in points) == ["单点", "多点", "多点"]
    for x, y, name in points:
        close_popup(browser)
        mouse_to(browser, x, y)
        assert name in tooltip_text(browser)
        mouse_to(browser, x, y, click=True)
        assert name in popup_text(browser) and "测试图层" in popup_text(browser)
    close_popup(browser)
    # and search finds them and opens the popup
    box = browser.find_element("css selector", ".fz-search input")
    box.send_keys("多点")
    items = browser.find_elements("css selector", ".fz-search li")
    assert [i.text for i in items] == ["多点（测试图层）"]
    items[0].click()
    import time

    time.sleep(0.6)
    assert "多点" in popup_text(browser)
    assert browser.get_log("browser") == []


def test_cli_conflict_map_and_publish_with_check(check_dir, tmp_path, browser):
    out = tmp_path / "conflicts.html"
    assert (
        main(["map", "conflicts", "--check", str(check_dir), "--out", str(out), "--offline"]) == 0
    )
    html = out.read_text(encoding="utf-8")
    assert "冲突项目\\u003cimg" in html and "综合结论" in html
    result = open_map(browser, out)
    assert result.ready and result.errors == [] and result.external_requests == []
    assert "项目选址（检查结果）" in result.layers_in_control
    # the packaged stand-ins were checked: the 示意 notice shows under the title, in view
    notice = browser.execute_script(
        "var n = document.querySelector('.fz-title .fz-notice'); if (!n) return null;"
        "var r = n.getBoundingClientRect();"
        "return [n.textContent, r.width, r.height, r.top >= 0 && r.bottom <= innerHeight];"
    )
    assert notice is not None and notice[0].startswith("示意：") and "生态保护红线" in notice[0]
    assert notice[1] > 100 and notice[2] > 10 and notice[3]
    # the layers the check used replace the packaged ones, in their own group
    assert "生态保护红线" in result.layers_in_control
    site = tmp_path / "site"
    assert main(["publish", str(site), "--check", str(check_dir), "--offline"]) == 0
    assert 'href="conflicts.html"' in (site / "index.html").read_text(encoding="utf-8")


def _legend_swatch_rows(browser, selector: str) -> list[list[tuple[int, int, int]]]:
    """Pixel rows (RGB) of the first element matching ``selector``, from a real screenshot."""
    from io import BytesIO

    from PIL import Image

    png = browser.find_element("css selector", selector).screenshot_as_png
    image = Image.open(BytesIO(png)).convert("RGB")
    return [[image.getpixel((x, y)) for x in range(image.width)] for y in range(image.height)]


def test_railways_draw_stacked_strokes_as_one_layer(browser, tmp_path):
    rendered = render.render_spec(compose.adhoc(["railways"]), offline_mode=True)
    path = rendered.write(tmp_path / "rail.html")
    result = open_map(browser, path)
    _assert_clean(result, ["铁路（现状与规划）"])
    assert result.layers_in_control == ["铁路（现状与规划）"]  # one entry for both strokes
    state = (
        "var l = fzgeoMap.layers[0], m = fzgeoMap.map;"
        "return [m.hasLayer(l), l.fzLower.map(function (x) { return m.hasLayer(x); }),"
        " l.fzPane.querySelectorAll('canvas').length, l.getLayers().length,"
        " l.fzLower.map(function (x) { return x.getLayers().length; })];"
    )
    assert browser.execute_script(state) == [True, [True], 1, 9, [9]]  # one shared canvas
    # the lower pass is the casing, the top one the white dashed centre
    colours = browser.execute_script(
        "var l = fzgeoMap.layers[0], f = l.getLayers()[1], c = l.fzLower[0].getLayers()[1];"
        "return [f.feature.properties.name, c.options.color, c.options.weight, c.options.interactive,"
        " f.options.color, f.options.dashArray, f.options.interactive];"
    )
    assert colours == ["沪昆高铁", "#000000", 5, False, "#ffffff", "14 14", True]
    # the canvas really paints casing (black / dark red) and centre (white)
    painted = browser.execute_script(
        "var cv = fzgeoMap.layers[0].fzPane.querySelector('canvas'),"
        " d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data, dark = 0, white = 0;"
        " for (var i = 0; i < d.length; i += 4) { if (d[i + 3] > 200) {"
        " if (d[i] < 60 && d[i + 1] < 60 && d[i + 2] < 60) { dark++; }"
        " if (d[i] > 240 && d[i + 1] > 240 && d[i + 2] > 240) { white++; } } }"
        " return [dark, white];"
    )
    assert painted[0] > 500 and painted[1] > 500
    # every casing is drawn before (under) every centre
    order = (
        "var o = fzgeoMap.layers[0].options.renderer._drawFirst, out = [];"
        "while (o) { out.push(o.layer.options.interactive ? 'top' : 'casing'); o = o.next; }"
        "return out;"
    )
    assert browser.execute_script(order) == ["casing"] * 9 + ["top"] * 9
    # toggling the one layer-control entry takes both strokes off and brings them back
    box = browser.find_element("css selector", ".leaflet-control-layers-overlays input")
    browser.execute_script("arguments[0].click()", box)
    assert browser.execute_script(state)[:2] == [False, [False]]
    browser.execute_script("arguments[0].click()", box)
    assert browser.execute_script(state)[:2] == [True, [True]]
    assert browser.execute_script(order) == ["casing"] * 9 + ["top"] * 9
    # tooltips and popups come from the top stroke
    from selenium.webdriver.common.action_chains import ActionChains

    x, y, w, h = browser.execute_script(
        "var m = fzgeoMap.map, f = fzgeoMap.layers[0].getLayers()[1];"
        "var ll = f.getLatLngs(); while (Array.isArray(ll[0])) { ll = ll[0]; }"
        "var p = m.latLngToContainerPoint(ll[Math.floor(ll.length / 2)]);"
        "var s = m.getSize(); return [p.x, p.y, s.x, s.y];"
    )
    element = browser.find_element("css selector", ".leaflet-container")
    actions = ActionChains(browser)
    actions.move_to_element_with_offset(element, int(x - w / 2), int(y - h / 2))
    actions.pause(0.3).perform()
    tip = browser.execute_script("return document.querySelector('.leaflet-tooltip').textContent")
    ActionChains(browser).click().pause(0.3).perform()  # the popup may pan the map: tip first
    pop = browser.execute_script(
        "return document.querySelector('.leaflet-popup-content').textContent"
    )
    assert "沪昆高铁" in tip and "高速铁路（现状）" in pop
    # the legend swatch of 高速铁路（现状）: a black casing with white dashes along its centre
    rows = _legend_swatch_rows(browser, '.fz-legend svg[data-fz-strokes="2"]')
    centre, edge = rows[7], rows[4]  # the swatch's centre line; the casing's edge, above the centre
    shades = [sum(p) for p in centre[2:22]]
    assert min(shades) < 60 and max(shades) > 700  # white dashes over the black casing
    assert all(sum(p) < 700 for p in edge[2:22])  # the casing runs unbroken (no background)
    assert all(sum(p) > 700 for p in rows[2][2:22])  # and is a line, not a block
    assert browser.get_log("browser") == []


def test_fewer_strokes_draw_in_the_top_pass_and_illustrative_dashes_every_stroke(browser, tmp_path):
    from fzgeo.styles import Style

    gdf = GeoDataFrame(
        {
            "name": ["双线", "单线", "示意双线"],
            "kind_note": ["double", "single", "double"],
            "precision": ["schematic", "schematic", "illustrative"],
            "status": "planned",
            "source": "test",
        },
        geometry=[
            shapely.LineString([(116.2, 27.8), (116.5, 27.9)]),
            shapely.LineString([(116.2, 27.9), (116.5, 28.0)]),
            shapely.LineString([(116.2, 28.0), (116.5, 28.1)]),
        ],
        crs=4490,
    )
    layer = synthetic_layer(gdf, geometry="line")
    layer.style = Style.from_mapping(
        {
            "key": "test_layer",
            "name_zh": "测试线",
            "geometry": "line",
            "symbol": {"stroke": "#1f78b4", "width": 2},
            "categories": {
                "field": "kind_note",
                "values": [
                    {
                        "value": "double",
                        "symbol": {
                            "strokes": [
                                {"stroke": "#000000", "width": 6},
                                {"stroke": "#ffffff", "width": 3, "dash": [8, 8]},
                            ]
                        },
                    }
                ],
            },
        },
        where="test",
    )
    path = render.render([layer], title="t", basemap="none", assets="inline").write(
        tmp_path / "passes.html"
    )
    result = open_map(browser, path)
    assert result.ready and result.errors == [] and result.layers_in_control == ["测试图层"]
    passes = browser.execute_script(
        "var l = fzgeoMap.layers[0], out = [];"
        "[l.fzLower[0], l].forEach(function (p) { out.push(p.getLayers().map(function (f) {"
        " return [f.feature.properties.name, f.options.color, f.options.dashArray || null]; })); });"
        "return out;"
    )
    lower, top = passes
    assert lower == [["双线", "#000000", None], ["示意双线", "#000000", "4 4"]]
    assert top == [
        ["双线", "#ffffff", "8 8"],
        ["单线", "#1f78b4", None],  # the single stroke draws with the centres, on top
        ["示意双线", "#ffffff", "4 4"],  # 示意: the 4-4 dash on every stroke
    ]


# --- every layer answers the mouse (issue 16) ---------------------------------------------


def _overlapping_layers():
    """Three layers stacked over one spot: a polygon, a line across it, a point on the line."""
    big = squares(1, name="底层地块")
    big = big.set_geometry(big.to_crs(4548).buffer(2000).to_crs(4490))
    centre = big.to_crs(4548).geometry.iloc[0].centroid
    line = GeoDataFrame(
        {"name": ["中层线"], "precision": "schematic", "status": "planned", "source": "t"},
        geometry=[shapely.LineString([(centre.x - 1500, centre.y), (centre.x + 1500, centre.y)])],
        crs=4548,
    ).to_crs(4490)
    point = GeoDataFrame(
        {"name": ["顶层点"], "precision": "schematic", "status": "planned", "source": "t"},
        geometry=[shapely.MultiPoint([(centre.x, centre.y), (centre.x + 900, centre.y)])],
        crs=4548,
    ).to_crs(4490)
    return [
        synthetic_layer(big, key="bottom", name_zh="底层"),
        synthetic_layer(line, key="middle", name_zh="中层", geometry="line"),
        synthetic_layer(point, key="top", name_zh="顶层", geometry="point"),
    ]


def _toggle(browser, name: str) -> None:
    """Tick or untick a layer in the layer control (a click on its checkbox)."""
    browser.execute_script(
        "var spans = document.querySelectorAll('.leaflet-control-layers-overlays label span');"
        "for (var s of spans) { if (s.textContent.trim() === arguments[0]) {"
        " s.parentNode.querySelector('input').click(); return; } }"
        "throw new Error('no layer ' + arguments[0]);",
        name,
    )


def test_overlapping_layers_each_answer_where_topmost(browser, tmp_path):
    path = render.render(
        _overlapping_layers(), title="叠加", basemap="none", assets="inline"
    ).write(tmp_path / "stack.html")
    result = open_map(browser, path)
    assert result.ready and result.errors == []
    assert hover_and_click_every_layer(browser) == {
        "底层": (True, True, False),
        "中层": (True, True, False),
        "顶层": (True, True, False),
    }
    # where the point lies over the line over the polygon, the point wins ...
    x, y, _text, _ = browser.execute_script(TOPMOST_JS, 2)
    mouse_to(browser, x, y, click=True)
    assert "顶层点" in tooltip_text(browser) and "顶层" in popup_text(browser)
    # ... unticked, it no longer catches the mouse: the line below answers at the same pixel
    close_popup(browser)
    _toggle(browser, "顶层")
    mouse_to(browser, x + 3, y)
    mouse_to(browser, x, y, click=True)
    assert "中层线" in tooltip_text(browser) and "中层线" in popup_text(browser)
    close_popup(browser)
    _toggle(browser, "中层")
    mouse_to(browser, x + 3, y)
    mouse_to(browser, x, y, click=True)
    assert "底层地块0" in tooltip_text(browser) and "底层地块0" in popup_text(browser)
    # ticked again, the layers come back in their order: the point on top
    close_popup(browser)
    _toggle(browser, "顶层")
    _toggle(browser, "中层")
    mouse_to(browser, x + 3, y)
    mouse_to(browser, x, y, click=True)
    assert "顶层点" in tooltip_text(browser) and "顶层点" in popup_text(browser)
    assert browser.get_log("browser") == []


@pytest.mark.parametrize("key", [k for k in compose.available() if k != "conflicts"])
def test_every_layer_of_shipped_maps_answers_the_mouse(key, browser, tmp_path):
    rendered = render.render_spec(compose.spec(key), offline_mode=True)
    result = open_map(browser, rendered.write(tmp_path / f"{key}.html"))
    assert result.ready and result.errors == []
    answers = hover_and_click_every_layer(browser)
    assert len(answers) >= 10
    assert {n: a[:2] for n, a in answers.items() if a[:2] != (True, True)} == {}
    # almost every layer answers as the map opens; the rest lie wholly under another layer
    # (the 抚河 corridor under the 一廊 of the ecological pattern) and answer once it is unticked
    assert sum(a[2] for a in answers.values()) <= 2
    assert browser.get_log("browser") == []


def test_conflict_site_popups_open_in_any_toggle_state(check_dir, browser, tmp_path):
    spec = compose.spec("conflicts")
    rendered = render.render_spec(spec, conflict.map_layers(spec, check_dir), offline_mode=True)
    result = open_map(browser, rendered.write(tmp_path / "conflicts.html"))
    assert result.ready and result.errors == []
    names = result.layers_in_control
    sites = "项目选址（检查结果）"
    others = [n for n in names if n != sites]
    parts = "冲突部分（重叠或界外）"
    assert parts in names
    index = browser.execute_script(
        "var n = arguments[0]; return fzgeoMap.layers.findIndex(function (l) { return l.fzConfig.name === n; })",
        sites,
    )

    def site_popup() -> str:
        close_popup(browser)
        found = browser.execute_script(TOPMOST_JS, index)
        assert found is not None, "no pixel where a site is on top"
        mouse_to(browser, found[0], found[1], click=True)
        return popup_text(browser)

    states = [
        [],  # as opened
        [parts],  # the conflict parts off
        others,  # every other layer off
    ]
    for off in states:
        for name in off:
            _toggle(browser, name)
        text = site_popup()
        assert "综合结论" in text, off
        for name in off:
            _toggle(browser, name)
    # every site's own verdict popup, each centred in turn: with the conflict parts ticked the
    # site without conflict answers, with them unticked every site does
    centres = browser.execute_script(
        "var out = []; fzgeoMap.layers[arguments[0]].eachLayer(function (f) {"
        " var c = f.getBounds().getCenter(); out.push([f.feature.properties['名称'], c.lat, c.lng]); });"
        "return out;",
        index,
    )
    assert len(centres) == 2
    for ticked in (True, False):
        if not ticked:
            _toggle(browser, parts)
        for site, lat, lng in centres:
            if ticked and site != "无冲突项目":
                continue
            browser.execute_script(
                "fzgeoMap.map.setView([arguments[0], arguments[1]], 14, {animate: false})", lat, lng
            )
            text = site_popup()
            assert site in text and "综合结论" in text, (site, ticked)
    assert browser.get_log("browser") == []


# --- phones and desktops: legend, layer control and scale bar (issue 16) -------------------

_RECTS = """
function r(sel) { var e = document.querySelector(sel); if (!e) { return null; }
  var b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }
var d = document.querySelector('.fz-legend details');
return {legend: r('.fz-legend'), control: r('.leaflet-control-layers'),
  scale: r('.leaflet-control-scale'), title: r('.fz-title'),
  legendOpen: d ? d.open : null,
  controlOpen: document.querySelector('.leaflet-control-layers').classList.contains(
    'leaflet-control-layers-expanded'),
  scrollX: document.documentElement.scrollWidth - innerWidth, width: innerWidth, height: innerHeight};
"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _no_overlap(state) -> None:
    boxes = {k: state[k] for k in ("legend", "control", "scale")}
    assert all(boxes.values()), boxes
    for a in boxes:
        for b in boxes:
            if a < b:
                assert not _overlap(boxes[a], boxes[b]), (a, b, boxes)
    for box in boxes.values():  # on screen
        assert box[0] >= 0 and box[1] >= 0
        assert box[2] <= state["width"] and box[3] <= state["height"]
    assert state["scrollX"] <= 0


@pytest.mark.parametrize("size", [(390, 844), (1400, 900)])
@pytest.mark.parametrize("key", ["plan_overview", "conflicts"])
def test_layout_legend_control_scale_do_not_overlap(key, size, check_dir, tmp_path):
    spec = compose.spec(key)
    layers_ = conflict.map_layers(spec, check_dir if key == "conflicts" else None)
    path = render.render_spec(spec, layers_, offline_mode=True).write(tmp_path / f"{key}.html")
    width, height = size
    phone = width < 700
    with chromium(width, height) as driver:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone},
        )
        result = open_map(driver, path)
        assert result.ready and result.errors == []
        state = driver.execute_script(_RECTS)
        assert (state["width"], state["height"]) == size
        # phones: both start collapsed; desktops: the legend starts open
        assert state["legendOpen"] is (not phone)
        if phone:
            assert state["controlOpen"] is False
        _no_overlap(state)
        # open the legend (a real click on its summary): still clear of the others
        if not state["legendOpen"]:
            driver.find_element("css selector", ".fz-legend summary").click()
            state = driver.execute_script(_RECTS)
            assert state["legendOpen"] is True
            _no_overlap(state)
        # open the layer control: on a phone the legend folds away; nothing overlaps
        x, y = driver.execute_script(
            "var b = document.querySelector('.leaflet-control-layers').getBoundingClientRect();"
            "return [b.left + b.width / 2, b.top + b.height / 2];"
        )
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            driver.execute_cdp_cmd(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )
        state = driver.execute_script(_RECTS)
        assert state["controlOpen"] is True
        if phone:
            assert state["legendOpen"] is False
        _no_overlap(state)
        if phone:
            driver.save_screenshot(str(tmp_path / f"{key}-phone.png"))


# --- offline by default (issue 16) ---------------------------------------------------------


def test_demo_map_pages_are_offline_by_default(check_dir, browser, tmp_path):
    """Every page the demo's map step writes loads with zero requests and zero console errors."""
    import shutil

    from fzgeo.demo import DemoContext
    from fzgeo.demo import _maps as demo_maps

    out = tmp_path / "demo"
    shutil.copytree(check_dir, out / "check")
    ctx = DemoContext(out=out)
    demo_maps.run(out, ctx)
    pages = [*sorted((out / "site").glob("*.html")), out / "plan_overview_offline.html"]
    assert {p.name for p in pages} >= {
        "index.html",
        "plan_overview.html",
        "transport.html",
        "conflicts.html",
        "plan_overview_offline.html",
    }
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*"]})
    try:
        for page in pages:
            html = page.read_text(encoding="utf-8")
            assert "tile.openstreetmap.org" not in html and "底图：OpenStreetMap" not in html
            if page.name == "index.html":
                browser.get("about:blank")
                browser.get_log("performance")
                browser.get_log("browser")
                browser.get(page.resolve().as_uri())
                from map_browser import _requests

                requests = _requests(browser)
                assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
                assert browser.get_log("browser") == []
                continue
            result = open_map(browser, page)
            assert result.ready, page
            assert result.external_requests == [], page
            assert result.errors == [], page
            sub = browser.execute_script(
                "return document.querySelector('.fz-title .fz-sub').textContent"
            )
            assert "底图：无底图" in sub, sub
    finally:
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})


def test_subtitle_does_not_name_a_basemap_that_failed(browser, tmp_path):
    """An online basemap with the network blocked: the subtitle says its tiles did not load."""
    layer = synthetic_layer(squares(2))
    path = render.render([layer], title="t", basemap="osm", assets="inline").write(
        tmp_path / "osm.html"
    )
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*"]})
    try:
        result = open_map(browser, path)
        assert result.ready
        import time

        deadline = time.monotonic() + 10
        sub = ""
        while time.monotonic() < deadline:
            sub = browser.execute_script(
                "return document.querySelector('.fz-title .fz-sub').textContent"
            )
            if "未能加载" in sub:
                break
            time.sleep(0.1)
        assert "底图：OpenStreetMap 未能加载" in sub
    finally:
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
