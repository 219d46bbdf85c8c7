"""Per-site maps (fzgeo.report._sitemaps): which sites, what each SVG shows, the 示意 banner.

The check runs on crafted layers in EPSG:4548 (a user's red line with BSM/HXMC columns and a
user's 城镇开发边界, no ``precision`` column: official data) and on the packaged illustrative
stand-ins. The SVG is parsed as XML and its elements checked: site, parts, neighbouring features
by name, scale bar, north arrow, corner coordinates, legend, banner.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import shapely
from geopandas import GeoDataFrame

from fzgeo import check
from fzgeo.check import rules
from fzgeo.crs import WORK_CRS, to_work
from fzgeo.errors import ConfigError
from fzgeo.plan import layers
from fzgeo.report import _sitemaps
from fzgeo.report._svg import Frame

SVG = "{http://www.w3.org/2000/svg}"
XSS = "<script>alert(1)</script>"
RULES = {
    "rules": [
        {"id": "red", "name_zh": "生态保护红线", "layer": "red", "kind": "veto", "near_m": 300},
        {"id": "urban", "name_zh": "城镇开发边界", "layer": "urban", "kind": "within"},
    ]
}
BOUNDARY_X = 502_000.0  #: the east edge of the user's 城镇开发边界


def _box(x0: float, y0: float, x1: float, y1: float) -> shapely.Geometry:
    return shapely.box(x0, y0, x1, y1)


@pytest.fixture(scope="module")
def user_layers() -> dict[str, GeoDataFrame]:
    """A user's red line (BSM, HXMC) and 城镇开发边界 (名称), as official files arrive."""
    red = GeoDataFrame(
        {"BSM": ["HX-001", "HX-002"], "HXMC": ["用户红线甲", "用户红线乙"]},
        geometry=[
            _box(500_000, 3_060_000, 501_000, 3_061_000),
            _box(503_000, 3_063_000, 504_000, 3_064_000),
        ],
        crs=WORK_CRS,
    )
    urban = GeoDataFrame(
        {"名称": ["用户城镇边界"]},
        geometry=[_box(499_000, 3_059_000, BOUNDARY_X, 3_062_000)],
        crs=WORK_CRS,
    )
    return {"red": red, "urban": urban}


@pytest.fixture(scope="module")
def checked(user_layers):
    sites = GeoDataFrame(
        {"名称": ["冲突地块", f"邻近地块{XSS}", "半出界地块", "无冲突地块"]},
        geometry=[
            _box(500_400, 3_060_400, 500_600, 3_060_600),  # inside the red line
            _box(501_100, 3_060_400, 501_300, 3_060_600),  # 100 m east of it: 邻近
            _box(501_900, 3_061_000, 502_100, 3_061_200),  # half outside the urban boundary
            _box(499_500, 3_059_500, 499_600, 3_059_600),  # 400 m from the red line: clear
        ],
        crs=WORK_CRS,
    ).to_crs(4490)
    rule_set = rules.from_mapping(RULES)
    result = check.run(sites, user_layers, rule_set, use_cache=False)
    titled = {rule_set.layer_title(k): v for k, v in user_layers.items()}
    return result, titled


def _svg(folder: Path, rel: str) -> ET.Element:
    return ET.fromstring((folder / rel).read_text(encoding="utf-8"))


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def _group(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == cls]


def _points(d: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]).reshape(-1, 2)


def test_verdicts_of_the_crafted_sites(checked):
    result, _ = checked
    assert result.sites["verdict"].tolist() == ["冲突", "邻近", "冲突", "无冲突"]


def test_review_maps_the_conflict_and_near_sites_most_serious_first(checked, tmp_path):
    result, titled = checked
    assert _sitemaps.candidates(result, "review") == [0, 2, 1]  # 一票否决 before 警告
    maps = _sitemaps.write_site_maps(result, tmp_path, titled)
    assert list(maps) == [0, 2, 1]
    assert maps[0] == "maps/site_00001.svg"
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == [
        "site_00001.svg",
        "site_00002.svg",
        "site_00003.svg",
    ]


def test_all_none_and_a_bad_choice(checked, tmp_path):
    result, titled = checked
    assert list(_sitemaps.write_site_maps(result, tmp_path, titled, which="all")) == [0, 2, 1, 3]
    assert _sitemaps.write_site_maps(result, tmp_path, titled, which="none") == {}
    assert not list((tmp_path / "maps").glob("site_*"))  # an earlier run's maps removed
    with pytest.raises(ConfigError, match="review, all, none"):
        _sitemaps.write_site_maps(result, tmp_path, titled, which="some")


def test_the_cap_keeps_the_most_serious_and_says_how_many_were_asked(
    checked, tmp_path, monkeypatch
):
    result, titled = checked
    monkeypatch.setattr(_sitemaps, "MAX_MAPS", 2)
    assert _sitemaps.chosen(result, "review") == ([0, 2], 3)
    assert list(_sitemaps.write_site_maps(result, tmp_path, titled)) == [0, 2]


def test_stale_maps_of_an_earlier_run_go(checked, tmp_path):
    result, titled = checked
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "site_00099.png").write_bytes(b"old")
    (tmp_path / "maps" / "notes.txt").write_text("mine")
    _sitemaps.write_site_maps(result, tmp_path, titled)
    assert not (tmp_path / "maps" / "site_00099.png").exists()
    assert (tmp_path / "maps" / "notes.txt").exists()


def test_a_conflict_map_shows_site_part_neighbours_and_furniture(checked, tmp_path):
    result, titled = checked
    maps = _sitemaps.write_site_maps(result, tmp_path, titled)
    root = _svg(tmp_path, maps[0])
    texts = _texts(root)
    title = next(t for t in texts if t.startswith("1. "))
    assert "冲突地块" in title and "冲突" in title and "一票否决" in title
    (site,) = _group(root, "site")
    assert any(p.get("d") for p in site.iter(f"{SVG}path"))
    parts = _group(root, "part")
    assert [p.get("data-kind") for p in parts] == ["conflict"]
    assert "与生态保护红线重叠（冲突）" in parts[0].findtext(f"{SVG}title")
    # the user's red line, named by its HXMC, and its boundary drawn; no packaged stand-in
    red = [g for g in _group(root, "layer") if g.get("data-layer") == "生态保护红线"]
    names = [t.text for t in red[0].iter(f"{SVG}title")]
    assert names == ["生态保护红线：用户红线甲"]
    assert "用户红线甲" in texts  # its label on the map
    assert not any("示意" in t for t in texts[:3])
    assert len(_group(root, "scale-bar")) == 1
    assert re.fullmatch(r"\d+(\.\d+)? (米|公里)", _texts(_group(root, "scale-bar")[0])[-1])
    assert len(_group(root, "north-arrow")) == 1
    assert "北" in _texts(_group(root, "north-arrow")[0])
    # legend: the site, its parts, every checked constraint by name
    for entry in (
        "项目选址",
        "与生态保护红线重叠（冲突）",
        "生态保护红线",
        "城镇开发边界",
    ):
        assert entry in texts, entry


def test_corner_coordinates_are_the_frame_in_epsg_4548(checked, tmp_path):
    result, titled = checked
    maps = _sitemaps.write_site_maps(result, tmp_path, titled)
    root = _svg(tmp_path, maps[0])
    corners = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "corner"]
    assert len(corners) == 4
    values = [[int(v.replace(" ", "")) for v in re.findall(r"[XY] ([\d ]+\d)", c)] for c in corners]
    site = to_work(result.sites.iloc[[0]]).geometry.iloc[0]
    frame = Frame.around(shapely.bounds(site), at=(0, 0, 1))
    assert values == [
        [frame.y1, frame.x0],  # top left: X north, Y east
        [frame.y1, frame.x1],
        [frame.y0, frame.x0],
        [frame.y0, frame.x1],
    ]
    x0, y0, x1, y1 = site.bounds
    assert frame.x0 < x0 < x1 < frame.x1 and frame.y0 < y0 < y1 < frame.y1
    assert frame.x1 - frame.x0 == frame.y1 - frame.y0 >= 1200


def test_a_near_site_map_draws_the_line_it_is_near(checked, tmp_path):
    result, titled = checked
    maps = _sitemaps.write_site_maps(result, tmp_path, titled)
    root = _svg(tmp_path, maps[1])
    texts = _texts(root)
    assert any(XSS in t for t in texts)  # the name escaped, the SVG still parses
    assert _group(root, "part") == []  # 邻近 by distance: no overlap
    red = [g for g in _group(root, "layer") if g.get("data-layer") == "生态保护红线"]
    assert red and "用户红线甲" in "".join(t.text for t in red[0].iter(f"{SVG}title"))
    assert "邻近" in next(t for t in texts if t.startswith("2. "))


def test_the_within_part_is_the_half_outside_the_boundary(checked, tmp_path):
    result, titled = checked
    parts = to_work(result.parts[result.parts["site"] == 2])
    assert parts["rule"].tolist() == ["urban"]
    assert parts.geometry.iloc[0].area == pytest.approx(100 * 200, rel=1e-6)
    maps = _sitemaps.write_site_maps(result, tmp_path, titled)
    root = _svg(tmp_path, maps[2])
    (part,) = _group(root, "part")
    assert part.get("data-kind") == "within"
    assert part.findtext(f"{SVG}title") == "界外部分（冲突）"
    site = to_work(result.sites.iloc[[2]]).geometry.iloc[0]
    frame = Frame.around(shapely.bounds(site), at=(24.0, 64.0, 500.0))
    edge = frame.xy(np.array([[BOUNDARY_X, 0.0]]))[0, 0]
    xy = _points(part.find(f"{SVG}path").get("d"))
    assert xy[:, 0].min() == pytest.approx(edge, abs=0.1)  # nothing inside the boundary
    assert xy[:, 0].max() > edge + 30  # the outside half, 100 m wide
    assert "界外部分（冲突）" in _texts(root)


def test_no_banner_for_official_data_and_a_banner_for_the_stand_ins(checked, tmp_path):
    result, titled = checked
    maps = _sitemaps.write_site_maps(result, tmp_path / "official", titled)
    assert not _group(_svg(tmp_path / "official", maps[0]), "banner")
    rule_set = rules.load()
    red = to_work(layers.load("eco_redline"))
    inside = red.geometry.iloc[0].representative_point().buffer(200)
    sites = GeoDataFrame(
        {"名称": ["红线内"], "项目类型": ["其他"]}, geometry=[inside], crs=red.crs
    ).to_crs(4490)
    from fzgeo.check import constraints

    found = constraints.gather(rule_set)
    packaged = check.run(sites, found.layers, rule_set, use_cache=False)
    assert packaged.sites["verdict"].iloc[0] == "冲突"
    maps = _sitemaps.write_site_maps(packaged, tmp_path / "demo", found.titled(rule_set))
    root = _svg(tmp_path / "demo", maps[0])
    (banner,) = _group(root, "banner")
    text = "".join(banner.itertext())
    assert text.startswith("示意") and "生态保护红线" in text and "不具法律效力" in text
    # the packaged stand-ins are drawn, named by their own names
    red_group = [g for g in _group(root, "layer") if g.get("data-layer") == "生态保护红线"]
    assert "（示意）" in "".join(t.text for t in red_group[0].iter(f"{SVG}title"))


def test_the_banner_rule_without_an_audit_reads_the_layers_precision(checked):
    result, titled = checked
    assert _sitemaps.illustrative_titles(result, titled) == []
    stand_in = titled["生态保护红线"].assign(precision="illustrative")
    marked = {**titled, "生态保护红线": stand_in}
    audit = result.audit
    try:
        result.audit = {}
        assert _sitemaps.illustrative_titles(result, marked) == ["生态保护红线"]
    finally:
        result.audit = audit


def test_worker_processes_draw_the_same_maps(checked, tmp_path, monkeypatch):
    result, titled = checked
    serial = _sitemaps.write_site_maps(result, tmp_path / "one", titled, which="all", workers=1)
    monkeypatch.setattr(_sitemaps, "PARALLEL_MIN", 1)
    pools = []

    class Counted(_sitemaps.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(_sitemaps, "ProcessPoolExecutor", Counted)
    monkeypatch.setattr(_sitemaps, "_can_fork", lambda: True)
    parallel = _sitemaps.write_site_maps(result, tmp_path / "two", titled, which="all", workers=2)
    assert pools == [(2,)]  # drawn by two worker processes
    assert serial == parallel
    for rel in serial.values():
        one = (tmp_path / "one" / rel).read_text(encoding="utf-8")
        assert one == (tmp_path / "two" / rel).read_text(encoding="utf-8")


def test_a_line_site_and_a_point_site_get_maps(user_layers, tmp_path):
    line = shapely.LineString([(500_500, 3_059_500), (500_500, 3_061_500)])
    sites = GeoDataFrame(
        {"名称": ["线路", "点位"], "radius_m": [np.nan, 50.0]},
        geometry=[line, shapely.Point(500_500, 3_060_500)],
        crs=WORK_CRS,
    )
    rule_set = rules.from_mapping(RULES)
    result = check.run(sites, user_layers, rule_set, use_cache=False)
    titled = {rule_set.layer_title(k): v for k, v in user_layers.items()}
    maps = _sitemaps.write_site_maps(result, tmp_path, titled, which="all")
    assert set(maps) == {0, 1}
    line_map = _svg(tmp_path, maps[0])
    kinds = [p.get("data-kind") for p in _group(line_map, "part")]
    assert "conflict" in kinds  # the length inside the red line, drawn as a wide stroke
    point_map = _svg(tmp_path, maps[1])
    assert list(_group(point_map, "site")[0].iter(f"{SVG}circle"))


def test_fzgeo_check_against_a_user_file_draws_that_file_everywhere(tmp_path):
    """`fzgeo check --against eco_redline=FILE` draws the user's features everywhere.

    Site maps, conflicts.gpkg and the conflict map show them (by HXMC and BSM), none of the
    packaged stand-in's, and no 示意 banner.
    """
    from fzgeo import io
    from fzgeo.cli import main

    packaged = layers.load("eco_redline")
    user = GeoDataFrame(
        {"BSM": ["U-0001", "U-0002"], "HXMC": ["用户红线甲", "用户红线乙"]},
        geometry=list(packaged.geometry.iloc[:2]),
        crs=packaged.crs,
    )
    io.write(user, tmp_path / "红线.gpkg")
    inside = to_work(user).geometry.iloc[0].representative_point()
    sites = GeoDataFrame(
        {"名称": ["红线内项目"], "项目类型": ["其他"]}, geometry=[inside.buffer(200)], crs=WORK_CRS
    ).to_crs(4490)
    io.write(sites, tmp_path / "sites.geojson")
    out = tmp_path / "out"
    args = ["check", str(tmp_path / "sites.geojson"), "--against"]
    status = main(
        [*args, f"eco_redline={tmp_path / '红线.gpkg'}", "--out", str(out), "--no-progress"]
    )
    assert status == 1  # the conflict
    stand_in_names = [n for n in packaged["name"] if n not in set(user["HXMC"])]
    svg = (out / "maps" / "site_00001.svg").read_text(encoding="utf-8")
    assert "用户红线甲" in svg and not any(n in svg for n in stand_in_names)
    assert 'class="banner"' not in svg
    used = io.read(out / "conflicts.gpkg", layer="constraint_eco_redline")
    assert "用户红线甲" in set(used["HXMC"]) and "U-0001" in set(used["BSM"])
    assert "constraint_basic_farmland" not in io.list_layers(out / "conflicts.gpkg")  # skipped
    html_path = tmp_path / "conflicts.html"
    assert (
        main(["map", "conflicts", "--check", str(out), "--out", str(html_path), "--offline"]) == 0
    )
    html = html_path.read_text(encoding="utf-8")
    assert "用户红线甲" in html and "U-0001" in html
    assert not any(n in html for n in stand_in_names)
    assert "fz-notice" not in html


def test_no_fork_while_another_thread_runs():
    import subprocess
    import sys
    import threading

    # a fresh process runs one thread (this one may still hold threads of earlier tests)
    code = "from fzgeo.report import _sitemaps; print(_sitemaps._can_fork())"
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert fresh.stdout.strip() == "True"
    done = threading.Event()
    other = threading.Thread(target=done.wait)
    other.start()
    try:
        assert not _sitemaps._can_fork()
    finally:
        done.set()
        other.join()


def test_a_users_invalid_layer_and_a_missing_geometry_still_draw(tmp_path):
    """Overlapping parts of one feature (invalid, as files arrive) would stop GEOS overlays."""
    overlapping = shapely.MultiPolygon(
        [_box(498_000, 3_058_000, 500_500, 3_060_500), _box(500_000, 3_060_000, 503_000, 3_063_000)]
    )
    assert not overlapping.is_valid
    red = GeoDataFrame(
        {"HXMC": ["重叠多边形红线", "无几何"]}, geometry=[overlapping, None], crs=WORK_CRS
    )
    sites = GeoDataFrame(
        {"名称": ["地块"]}, geometry=[_box(500_400, 3_060_400, 500_600, 3_060_600)], crs=WORK_CRS
    )
    rule_set = rules.from_mapping({"rules": [RULES["rules"][0]]})
    import warnings

    with warnings.catch_warnings():  # the check's own repair warning is tested with the check
        warnings.simplefilter("ignore")
        result = check.run(sites, {"red": red}, rule_set, use_cache=False)
    maps = _sitemaps.write_site_maps(result, tmp_path, {"生态保护红线": red}, which="all")
    root = _svg(tmp_path, maps[0])
    red_group = [g for g in _group(root, "layer") if g.get("data-layer") == "生态保护红线"]
    assert [t.text for t in red_group[0].iter(f"{SVG}title")] == ["生态保护红线：重叠多边形红线"]
    assert "重叠多边形红线" in _texts(root)  # its label placed
