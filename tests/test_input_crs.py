"""CRS plausibility of files as they arrive: each contradiction names the likely CRS."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from input_fixtures import sites

from geopandas import GeoDataFrame
from shapely.geometry import Point, box

from fzgeo import crs, io
from fzgeo.errors import CRSError, ExtentWarning, FzgeoError
from fzgeo.io import validate


def _gpkg(tmp_path: Path, x: float, y: float, epsg: int) -> Path:
    path = tmp_path / "sites.gpkg"
    io.write(
        GeoDataFrame(
            {"编号": [1]},
            geometry=[box(x, y, x + 50, y + 50) if x > 1000 else Point(x, y)],
            crs=epsg,
        ),
        path,
    )
    return path


@pytest.mark.parametrize(
    ("x", "y", "epsg", "message", "likely"),
    [
        (39_435_000, 3_092_000, 4548, "eastings carry a zone prefix", "EPSG:4527"),
        (
            435_000,
            3_092_000,
            4490,
            r"\(degrees\) but its coordinates are not degrees in China",
            "EPSG:4548",
        ),
        (116.3, 27.9, 4548, r"\(metres\) but its coordinates look like degrees", "EPSG:4490"),
        (
            435_000,
            3_092_000,
            4545,
            r"central meridian 108 E\) falls at .* outside Jiangxi",
            "EPSG:4548",
        ),
        (27.9, 116.3, 4490, "latitude/longitude degrees with the axes swapped", None),
        (3_092_000, 435_000, 4548, "X \\(northing\\) and Y \\(easting\\) swapped", None),
        (435_000, 3_092_000, 4527, "eastings lack a zone prefix", "EPSG:4548"),
    ],
)
def test_coordinates_that_contradict_their_crs(
    tmp_path: Path, x: float, y: float, epsg: int, message: str, likely: str | None
) -> None:
    path = _gpkg(tmp_path, x, y, epsg)
    with pytest.raises(CRSError, match=message) as info:
        io.read(path)
    assert info.value.code == "FZ101"
    assert str(path) in str(info.value)
    if likely:
        assert f"likely {likely}" in info.value.message
    report = validate.validate_file(path)
    assert [f.code for f in report.errors] == ["FZ101"]


def test_missing_crs_with_ambiguous_metres_asks_for_assume_crs(tmp_path: Path) -> None:
    path = tmp_path / "gk.csv"
    path.write_text("id,wkt\n1,POINT (600000 3050000)\n", encoding="utf-8")
    with pytest.raises(CRSError) as info:
        io.read(path)
    assert info.value.code == "FZ100"
    assert "--assume-crs" in info.value.hint
    assert io.read(path, assume_crs="EPSG:4547").crs.to_epsg() == 4547


def test_transform_to_infinity_is_reported() -> None:
    far = GeoDataFrame(geometry=[Point(1e20, 1e20)], crs=4548)
    with pytest.raises(CRSError, match="non-finite") as info:
        crs.to_storage(far, what="sites")
    assert info.value.code == "FZ104"


def test_sites_and_red_line_without_common_extent_warn() -> None:
    here = sites()
    elsewhere = GeoDataFrame(geometry=[box(115.6, 26.5, 115.7, 26.6)], crs=4490)
    with pytest.warns(
        ExtentWarning, match=r"\[FZ106\] sites .* and red line .* share no common extent"
    ):
        assert crs.warn_if_disjoint(here, elsewhere) is False
    red_line = crs.to_work(GeoDataFrame(geometry=[box(116.2, 27.8, 116.5, 28.0)], crs=4490))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert crs.warn_if_disjoint(here, red_line) is True


@pytest.mark.parametrize(
    ("x", "y", "declared", "likely"),
    [
        (116.3, 27.9, 4548, "EPSG:4490"),  # degrees declared as Gauss-Kruger metres
        (430_000.0, 3_090_000.0, 4547, "EPSG:4548"),  # CM 117E metres declared CM 114E
        (39_430_000.0, 3_090_000.0, 4526, "EPSG:4527"),  # zone 39 declared zone 38
    ],
)
def test_disjoint_extent_names_the_crs_that_would_meet(
    x: float, y: float, declared: int, likely: str
) -> None:
    here = GeoDataFrame(geometry=[box(x, y, x + 0.001, y + 0.001)], crs=declared)
    red_line = GeoDataFrame(geometry=[box(116.0, 27.5, 116.5, 28.0)], crs=4490)
    with pytest.warns(ExtentWarning, match=rf"as {likely} \(.*\) instead of the declared EPSG:{declared} ") as caught:  # fmt: skip
        assert crs.warn_if_disjoint(here, red_line) is False
    assert "would meet red line: the declared CRS is likely wrong" in str(caught[0].message)


def test_disjoint_extents_by_name_need_only_one_to_meet() -> None:
    here = GeoDataFrame(geometry=[Point(116.3, 27.9)], crs=4490)
    far, near = (113.0, 25.0, 113.1, 25.1), (116.0, 27.5, 116.5, 28.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert crs.warn_if_disjoint(here, {"far": far, "near": near}) is True
        assert crs.warn_if_disjoint(here, {"unknown": (float("nan"),) * 4}) is True
    with pytest.warns(ExtentWarning, match=r"share no common extent with any of far \(.*\), other"):
        assert crs.warn_if_disjoint(here, {"far": far, "other": far}) is False


def test_gcj02_input_and_names(tmp_path: Path) -> None:
    path = tmp_path / "百度选点.csv"
    path.write_text("名称,lon,lat\n甲,116.35,27.95\n", encoding="utf-8")
    report = validate.validate_file(path)
    assert [(f.code, f.severity) for f in report.findings if f.code == "FZ107"] == [
        ("FZ107", "warning")
    ]
    report = validate.validate_file(path, input_coords="bd09")
    assert "FZ107" not in [f.code for f in report.findings]
    projected = _gpkg(tmp_path, 435_000, 3_092_000, 4548)
    with pytest.raises(FzgeoError) as info:
        io.read(projected, input_coords="gcj02")
    assert info.value.code == "FZ101"
    assert "needs lon/lat degrees" in info.value.message
