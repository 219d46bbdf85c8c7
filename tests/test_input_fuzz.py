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
