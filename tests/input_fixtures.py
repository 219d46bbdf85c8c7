"""Builders of broken input files for the tests/test_input_*.py modules (all made in tmp_path)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from geopandas import GeoDataFrame
from shapely.geometry import Polygon

from fzgeo import io

SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def square(x: float, y: float, d: float = 0.01) -> Polygon:
    """A square of side ``d`` degrees with its south-west corner at (x, y)."""
    return Polygon([(x, y), (x + d, y), (x + d, y + d), (x, y + d)])


def sites(n: int = 3) -> GeoDataFrame:
    """``n`` valid square sites in 抚州 (CGCS2000 degrees) with Chinese names."""
    names = ["抚州高新区数据中心", "南城物流园", "临川文化园", "资溪生态旅游区", "黎川陶瓷园"]
    return GeoDataFrame(
        {"编号": list(range(1, n + 1)), "名称": [names[i % len(names)] for i in range(n)]},
        geometry=[square(116.30 + 0.02 * i, 27.90) for i in range(n)],
        crs=4490,
    )


def shapefile(
    folder: Path, gdf: GeoDataFrame | None = None, *, name: str = "sites", encoding: str = "UTF-8"
) -> Path:
    """Write a Shapefile with the given .dbf encoding (GDAL writes the matching .cpg)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shp"
    (gdf if gdf is not None else sites()).to_file(path, encoding=encoding)
    return path


class _Cp437Info(zipfile.ZipInfo):
    """An entry whose name bytes are written raw, with flag bit 11 unset (Chinese Windows)."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802
        return self.filename.encode("cp437"), self.flag_bits


def zip_entries(path: Path, entries: dict[str, bytes], *, gbk_names: bool = False) -> Path:
    """A zip archive holding ``entries``; with ``gbk_names`` the names are GBK bytes (no UTF-8 flag)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            if gbk_names:
                info = _Cp437Info(name.encode("gbk").decode("cp437"))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
            else:
                zf.writestr(name, data)
    return path


def shapefile_bytes(shp: Path, *, rename: str | None = None) -> dict[str, bytes]:
    """The parts of a Shapefile as archive entries (optionally under another stem)."""
    stem = rename or shp.stem
    return {
        f"{stem}{f.suffix}": f.read_bytes()
        for f in sorted(shp.parent.iterdir())
        if f.stem == shp.stem and f.suffix.lower() in SHP_PARTS
    }


def write_each(folder: Path, gdf: GeoDataFrame, suffixes: tuple[str, ...]) -> dict[str, Path]:
    """Write ``gdf`` in each format through :func:`fzgeo.io.write`."""
    out = {}
    for suffix in suffixes:
        path = folder / f"data{suffix}"
        io.write(gdf, path)
        out[suffix] = path
    return out


def truncate(path: Path, keep: float = 0.6) -> Path:
    """Cut ``path`` to ``keep`` of its size, in place."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def run_cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run ``python -m fzgeo.cli`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "fzgeo.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )
