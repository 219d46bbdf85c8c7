"""Damaged files of every format: cut short or overwritten at several places, never a raw exception."""

from __future__ import annotations

import random
import shutil
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
