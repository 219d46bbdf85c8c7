"""Damaged files of every format: cut short or overwritten at several places, never a raw exception."""

from __future__ import annotations

import random
import shutil
import warnings
from pathlib import Path

import pytest
from input_fixtures import shapefile, shapefile_bytes, sites, write_each, zip_entries

from fzgeo import io
from fzgeo.errors import FzgeoError
from fzgeo.io import validate

SUFFIXES = (".gpkg", ".fgb", ".geojson", ".parquet", ".zip", ".shp")
PLACES = (0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sources")
    found = write_each(folder, sites(30), (".gpkg", ".fgb", ".geojson", ".parquet"))
    shp = shapefile(folder / "shp", sites(30))
    found[".zip"] = zip_entries(folder / "sites.zip", shapefile_bytes(shp))
    found[".shp"] = shp
    return found


def _damage(src: Path, folder: Path, place: float, mode: str, rng: random.Random) -> Path:
    folder.mkdir()
    if src.suffix == ".shp":
        for f in src.parent.iterdir():
            shutil.copy(f, folder / f.name)
    target = folder / src.name
    data = bytearray(src.read_bytes())
    at = int(len(data) * place)
    if mode == "cut":
        target.write_bytes(bytes(data[:at]))
    else:
        for k in range(at, min(at + 16, len(data))):
            data[k] = rng.randrange(256)
        target.write_bytes(bytes(data))
    return target


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_damaged_files_give_fzgeo_errors_only(
    sources: dict[str, Path], suffix: str, tmp_path: Path
) -> None:
    rng = random.Random(1)
    outcomes = []
    for place in PLACES:
        for mode in ("cut", "overwrite"):
            target = _damage(sources[suffix], tmp_path / f"{place}-{mode}", place, mode, rng)
            try:
                io.read(target)
                outcomes.append("read")
            except FzgeoError as err:
                outcomes.append(err.code)
            report = validate.validate_file(target)
            assert "FZ000" not in [f.code for f in report.findings], report.findings
    assert any(o != "read" for o in outcomes)  # the damage was noticed at least once


NAMES = [
    "抚州高新区数据中心",
    "南城物流园",
    "临川文化园",
    "资溪生态旅游区",
    "黎川陶瓷园",
    "光伏项目A",
]


def _csv_lines(rng: random.Random) -> tuple[list[str], list[str]]:
    """Header and rows of a point CSV whose rows were dropped and duplicated at random."""
    rows = [f"{n},{116.30 + 0.01 * i:.2f},27.90" for i, n in enumerate(NAMES)]
    kept = [r for r in rows if rng.random() > 0.2] or rows[:1]
    kept += rng.sample(kept, k=rng.randint(0, 2))  # copied rows
    return ["名称,经度,纬度"], kept


@pytest.mark.parametrize("seed", range(12))
def test_csv_rows_in_random_encodings_read_right_or_fail_coded(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    header, rows = _csv_lines(rng)
    codecs = [rng.choice(["utf-8", "gbk"]) for _ in range(len(header) + len(rows))]
    data = b"".join((line + "\n").encode(c) for line, c in zip(header + rows, codecs, strict=True))
    bad_line = None
    if rng.random() < 0.3:  # 0xFF belongs to neither encoding: that line cannot be decoded
        at = rng.randrange(len(data))
        data, bad_line = data[:at] + b"\xff" + data[at:], data.count(b"\n", 0, at) + 1
    path = tmp_path / "sites.csv"
    path.write_bytes(data)
    report = validate.validate_file(path)
    assert "FZ000" not in [f.code for f in report.findings]
    if bad_line is not None:
        with pytest.raises(FzgeoError) as info:
            io.read(path)
        assert (info.value.code, info.value.where) == ("FZ304", f"line {bad_line}")
        assert [(f.code, f.where) for f in report.errors] == [("FZ304", f"line {bad_line}")]
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gdf = io.read(path)
    assert gdf["名称"].tolist() == [r.split(",")[0] for r in rows]  # no mojibake, copies kept
    guessed = [str(w.message) for w in caught]
    assert len(guessed) == ("gbk" in codecs)  # a guess is said once, with its code
    assert all(m.startswith("[FZ312]") for m in guessed)


# --- every input row reaches the report exactly once, whatever it holds -------------------------

_X, _Y = 500_000.0, 3_100_000.0  # EPSG:4548, inside 抚州市
_ROW_KINDS = (
    "good", "good", "good", "inside", "empty", "null", "collection", "mixed_collection",
    "bow_tie", "copy", "line", "point", "overlapping_parts", "zero", "huge",
)  # fmt: skip


def _row(kind: str, i: int) -> object:
    import shapely
    from shapely.geometry import LineString, Point, box

    x = _X + 300 + 70 * i
    return {
        "good": box(x, _Y, x + 50, _Y + 50),
        "inside": box(_X + 10 + i, _Y + 10, _X + 40 + i, _Y + 40),
        "empty": shapely.Polygon(),
        "null": None,
        "collection": shapely.GeometryCollection(),
        "mixed_collection": shapely.GeometryCollection([box(x, _Y, x + 5, _Y + 5), Point(x, _Y)]),
        "bow_tie": shapely.Polygon([(x, _Y), (x + 40, _Y + 40), (x + 40, _Y), (x, _Y + 40)]),
        "copy": box(_X + 300, _Y, _X + 350, _Y + 50),  # the geometry of a 'good' row 0
        "line": LineString([(x, _Y), (x + 60, _Y + 20)]),
        "point": Point(x, _Y),
        "overlapping_parts": shapely.MultiPolygon(
            [box(x, _Y, x + 30, _Y + 30), box(x + 10, _Y + 10, x + 40, _Y + 40)]
        ),
        "zero": box(0, 0, 10, 10),
        "huge": box(x, _Y, 1e15, _Y + 50),
    }[kind]


@pytest.fixture(scope="module")
def red_line(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from geopandas import GeoDataFrame
    from shapely.geometry import box

    folder = tmp_path_factory.mktemp("red")
    red = GeoDataFrame({"BSM": ["H1"]}, geometry=[box(_X, _Y, _X + 100, _Y + 100)], crs=4548)
    paths = {"red": folder / "red.gpkg", "rules": folder / "rules.yaml"}
    red.to_file(paths["red"])
    paths["rules"].write_text(
        "version: 1\nrules:\n  - {id: eco_redline, name_zh: 生态保护红线, layer: eco_redline,"
        " kind: veto}\n",
        encoding="utf-8",
    )
    return paths


def _rows_reach_the_report_once(
    kinds: list[str], suffix: str, red_line: dict[str, Path], folder: Path, capsys
) -> None:
    import json

    import pandas as pd

    from geopandas import GeoDataFrame

    from fzgeo.cli import main

    n = len(kinds)
    ids = [f"F-{i + 1}" for i in range(n)]
    sites = GeoDataFrame(
        {"编号": ids}, geometry=[_row(k, i) for i, k in enumerate(kinds)], crs=4548
    )
    path = folder / f"sites{suffix}"
    if suffix != ".gpkg":  # GeoJSON in degrees; a vertex at 1e15 stays one (no projection)
        from shapely.geometry import box

        sites = sites.to_crs(4490)
        huge = [i for i, k in enumerate(kinds) if k == "huge"]
        sites.loc[sites.index[huge], "geometry"] = box(116.3, 27.9, 1e15, 27.91)
    with warnings.catch_warnings():  # GDAL's notes on mixed geometry types while writing
        warnings.simplefilter("ignore")
        sites.to_file(path)
    out = folder / "out"
    capsys.readouterr()
    status = main(
        [
            "check", str(path), "--against", f"eco_redline={red_line['red']}",
            "--rules", str(red_line["rules"]), "--out", str(out), "--site-maps", "none",
            "--no-progress",
        ]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if status == 2:  # refused as a whole: a coded error naming the feature when it is one row's
        assert "fzgeo: error [FZ" in err, err
        refused = {"zero", "huge"} & set(kinds)
        usable = {"good", "inside", "bow_tie", "copy", "line", "point", "overlapping_parts"}
        if refused:  # the first check that fails names its rows
            rows = [i + 1 for i, k in enumerate(kinds) if k in refused]
            assert any(f"feature {r} (编号=F-{r})" in err for r in rows), err
        else:
            assert not usable & set(kinds), err  # only a batch with no usable site is refused
            assert "[FZ400]" in err
        assert not out.exists()
        return
    assert status in (0, 1), err
    report = pd.read_csv(out / "report.csv", encoding="utf-8-sig", keep_default_na=False)
    assert report["序号"].tolist() == list(range(1, n + 1))
    assert report["编号"].tolist() == ids
    unchecked = report["综合结论"].eq("无法检查").to_numpy()
    unusable = {"empty", "null", "collection", "mixed_collection"}
    assert unchecked.tolist() == [k in unusable for k in kinds]
    assert all(report["问题"][unchecked].str.len() > 0)
    details = pd.read_csv(out / "details.csv", encoding="utf-8-sig")
    assert sorted(details["项目序号"].tolist()) == list(range(1, n + 1))  # one rule: a row each
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["site_rows"] == n
    assert sum(summary["verdicts"].values()) == summary["sites"] <= n


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_every_row_reaches_the_report_once_whatever_it_holds(
    suffix: str, red_line: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, capsys
) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(st.sampled_from(_ROW_KINDS), min_size=1, max_size=12))
    def check(kinds: list[str]) -> None:
        folder = tmp_path_factory.mktemp("fuzz")
        _rows_reach_the_report_once(["good", *kinds], suffix, red_line, folder, capsys)

    check()
