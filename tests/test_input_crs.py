"""CRS plausibility of files as they arrive: each contradiction names the likely CRS."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from input_fixtures import sites

from geopandas import GeoDataFrame
from shapely.geometry import Point, Polygon, box

from fzgeo import crs, io
from fzgeo.errors import CRSAssumptionWarning, CRSError, ExtentWarning, FzgeoError
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


def test_gcj02_names_stop_with_fz107_in_read_and_validate(tmp_path: Path) -> None:
    path = tmp_path / "百度选点.csv"
    path.write_text("名称,lon,lat\n甲,116.35,27.95\n", encoding="utf-8")
    with pytest.raises(CRSError, match=r"file name '百度选点\.csv'") as info:
        io.read(path)
    assert info.value.code == "FZ107"
    assert "--input-coords gcj02 (Amap/Tencent) or bd09 (Baidu)" in info.value.hint
    assert "--input-coords wgs84" in info.value.hint
    report = validate.validate_file(path)
    assert [(f.code, f.severity) for f in report.errors] == [("FZ107", "error")]
    for coords in ("bd09", "wgs84"):
        assert validate.validate_file(path, input_coords=coords).ok
        assert len(io.read(path, input_coords=coords)) == 1
    projected = _gpkg(tmp_path, 435_000, 3_092_000, 4548)
    with pytest.raises(FzgeoError) as info:
        io.read(projected, input_coords="gcj02")
    assert info.value.code == "FZ101"
    assert "needs lon/lat degrees" in info.value.message


def test_coordinate_system_column_saying_amap_stops(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(
        "编号,坐标系,lon,lat\nA-1,WGS84,116.35,27.95\nA-2,高德地图,116.36,27.95\n"
        "A-3,高德地图,116.37,27.95\n",
        encoding="utf-8",
    )
    with pytest.raises(CRSError) as info:
        io.read(path)
    assert info.value.code == "FZ107"
    assert (
        "column 坐标系 says '高德地图' in feature 2 (编号=A-2) (and 1 more)" in info.value.message
    )
    assert info.value.where == "feature 2 (编号=A-2)"
    finding = validate.validate_file(path).errors[0]
    assert (finding.code, finding.where) == ("FZ107", info.value.where)
    converted = io.read(path, input_coords="gcj02")
    assert converted.geometry.x.iloc[0] < 116.35  # shifted back west by the GCJ-02 offset


def test_projected_metres_named_amap_are_not_offset_data(tmp_path: Path) -> None:
    path = _gpkg(tmp_path, 435_000, 3_092_000, 4548).rename(tmp_path / "高德底图描的红线.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert io.read(path).crs.to_epsg() == 4548
    assert validate.validate_file(path).ok


XIAN_ESRI = (
    'PROJCS["Xian_1980_3_Degree_GK_CM_117E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",'
    'SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
    'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)
NEW_BEIJING_ESRI = XIAN_ESRI.replace("Xian_1980", "New_Beijing").replace(
    "6378140.0,298.257", "6378245.0,298.3"
)
UNKNOWN_IAG75_ESRI = XIAN_ESRI.replace("Xian_1980", "unknown")  # an anonymous datum on IAG 1975


def _legacy_shapefile(folder: Path, prj: str) -> Path:
    """Sites in CM 117E Gauss-Kruger metres whose .prj declares ``prj`` (EPSG code or ESRI WKT)."""
    from pyproj import CRS

    gk = crs.to_work(sites())
    shp = folder / "sites.shp"
    gk.to_file(shp, encoding="UTF-8")
    text = CRS.from_user_input(prj).to_wkt("WKT1_ESRI") if prj.startswith("EPSG") else prj
    shp.with_suffix(".prj").write_text(text, encoding="ascii")
    return shp


@pytest.mark.parametrize(
    ("prj", "datum", "counterpart"),
    [
        ("EPSG:2384", "Xian 1980 datum (西安80)", "EPSG:4548"),
        (XIAN_ESRI, "Xian 1980 datum (西安80)", "EPSG:4548"),
        (NEW_BEIJING_ESRI, "New Beijing datum (新北京54)", "EPSG:4548"),
        (UNKNOWN_IAG75_ESRI, "Xian 1980 datum (西安80)", "EPSG:4548"),
        ("EPSG:2435", "Beijing 1954 datum (北京54)", "EPSG:4547"),
        ("EPSG:21480", "Beijing 1954 datum (北京54)", "EPSG:4548"),
    ],
)
def test_xian80_and_beijing54_prj_is_refused_unless_vouched(
    tmp_path: Path, prj: str, datum: str, counterpart: str
) -> None:
    shp = _legacy_shapefile(tmp_path, prj)
    with pytest.raises(CRSError, match=re.escape(datum)) as info:
        io.read(shp)
    assert info.value.code == "FZ108"
    assert "needs local transformation parameters" in info.value.message
    assert f"pass --assume-crs {counterpart}" in info.value.hint
    report = validate.validate_file(shp)
    assert [(f.code, f.message) for f in report.errors] == [("FZ108", info.value.message)]
    with pytest.warns(CRSAssumptionWarning, match=r"\[FZ108\].*taken as EPSG:4548.*no datum") as w:
        vouched = io.read(shp, assume_crs="EPSG:4548")
    assert datum in str(w[0].message)
    assert vouched.crs.to_epsg() == 4548
    written = crs.to_work(sites()).geometry.normalize()  # not shifted by a datum change
    assert vouched.geometry.normalize().geom_equals_exact(written, 1e-6).all()
    report = validate.validate_file(shp, assume_crs="EPSG:4548")
    assert report.ok
    assert [(f.code, f.severity) for f in report.findings if f.code == "FZ108"] == [
        ("FZ108", "warning")
    ]


@pytest.mark.parametrize("assume", ["EPSG:2385", "EPSG:4326", "EPSG:4214"])
def test_vouching_for_xian80_needs_a_cgcs2000_crs(tmp_path: Path, assume: str) -> None:
    shp = _legacy_shapefile(tmp_path, "EPSG:2384")
    with pytest.raises(CRSError, match=f"--assume-crs {assume}") as info:
        io.read(shp, assume_crs=assume)
    assert info.value.code == "FZ108"
    assert "(e.g. EPSG:4548)" in info.value.hint
    assert [f.code for f in validate.validate_file(shp, assume_crs=assume).errors] == ["FZ108"]


def test_assuming_a_xian80_crs_for_a_file_without_crs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gk.csv"
    path.write_text("编号,wkt\nA-1,POINT (435000 3092000)\n", encoding="utf-8")
    with pytest.raises(CRSError, match=r"--assume-crs EPSG:2384 .* is on the Xian 1980 datum"):
        io.read(path, assume_crs="EPSG:2384")


def _gk_geojson(tmp_path: Path) -> Path:
    path = tmp_path / "gk.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"编号":"A-1"},'
        '"geometry":{"type":"Polygon","coordinates":[[[435000,3092000],[435100,3092000],'
        "[435100,3092100],[435000,3092000]]]}}]}",
        encoding="utf-8",
    )
    return path


def test_geojson_in_metres_without_crs_member_takes_assume_crs(tmp_path: Path) -> None:
    path = _gk_geojson(tmp_path)  # GDAL labels it WGS84, as the GeoJSON standard says
    with pytest.raises(CRSError) as info:
        io.read(path)
    assert info.value.code == "FZ101"
    assert info.value.hint == "if the coordinates are in EPSG:4548, pass --assume-crs EPSG:4548"
    with pytest.warns(
        CRSAssumptionWarning, match=r"\[FZ101\].*declared EPSG:4326 .*taken as EPSG:4548"
    ):
        gdf = io.read(path, assume_crs="EPSG:4548")
    assert gdf.crs.to_epsg() == 4548
    report = validate.validate_file(path, assume_crs="EPSG:4548")
    assert report.ok
    assert report.crs is not None and report.crs.startswith("EPSG:4548")
    with pytest.raises(CRSError) as info:  # an assumption the coordinates contradict too
        io.read(path, assume_crs="EPSG:4545")
    assert info.value.code == "FZ101"


def test_assume_crs_does_not_override_a_declared_crs_the_coordinates_fit(tmp_path: Path) -> None:
    path = _gpkg(tmp_path, 116.3, 27.9, 4490)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert io.read(path, assume_crs="EPSG:4548").crs.to_epsg() == 4490


def _wkb_parquet(path: Path, x: float, y: float, column: str = "geometry") -> Path:
    import pandas as pd

    import shapely

    geoms = [box(x, y, x + 100, y + 100), None, box(x + 500, y, x + 600, y + 100)]
    pd.DataFrame({"编号": ["A-1", "A-2", "A-3"], column: shapely.to_wkb(geoms)}).to_parquet(path)
    return path


@pytest.mark.parametrize("column", ["geometry", "geom", "WKB", "shape"])
def test_parquet_with_a_wkb_column_and_no_geo_metadata_is_read(tmp_path: Path, column: str) -> None:
    path = _wkb_parquet(tmp_path / "sites.parquet", 640_000, 3_050_000, column)
    with pytest.raises(CRSError, match="declares no CRS") as info:
        io.read(path)  # CM 114E and CM 117E both fit: no guess
    assert info.value.code == "FZ100"
    gdf = io.read(path, assume_crs="EPSG:4548")
    assert gdf.crs.to_epsg() == 4548
    assert list(gdf["编号"]) == ["A-1", "A-2", "A-3"]
    assert list(gdf.columns) == ["编号", "geometry"]  # the WKB column became the geometry
    assert gdf.geometry.isna().tolist() == [False, True, False]
    report = validate.validate_file(path, assume_crs="EPSG:4548")
    assert report.format == f"Parquet (WKB column {column!r}, no GeoParquet metadata)"
    assert report.status_counts == {"null": 1, "ok": 2}


def test_parquet_wkb_garbage_names_the_row_and_no_geometry_is_fz311(tmp_path: Path) -> None:
    import pandas as pd

    path = _wkb_parquet(tmp_path / "sites.parquet", 640_000, 3_050_000)
    df = pd.read_parquet(path)
    df.loc[2, "geometry"] = b"\x01\x03\x00"
    df.to_parquet(path)
    with pytest.raises(FzgeoError, match="not WKB") as info:
        io.read(path)
    assert (info.value.code, info.value.where) == ("FZ307", "row 3")
    df.drop(columns=["geometry"]).to_parquet(path)
    with pytest.raises(FzgeoError, match="no column of WKB geometries") as info:
        io.read(path)
    assert info.value.code == "FZ311"


def test_one_site_typed_wrong_is_named_not_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "sites.gpkg"
    frame = sites(3)
    frame["编号"] = ["A-1", "A-17", "A-3"]
    frame.loc[1, "geometry"] = box(1163.0, 27.9, 1163.01, 27.91)  # 116.3 typed as 1163
    io.write(frame, path)
    with pytest.raises(CRSError) as info:
        io.read(path)
    assert info.value.code == "FZ103"
    assert "1 of 3 feature(s) lie outside China" in info.value.message
    assert info.value.where == "feature 2 (编号=A-17)"
    finding = validate.validate_file(path).errors[0]
    assert (finding.code, finding.where) == ("FZ103", info.value.where)


def test_vertex_at_1e15_is_refused_with_the_site_id(tmp_path: Path) -> None:
    path = tmp_path / "sites.gpkg"
    frame = sites(3)
    frame["项目编号"] = ["XM-01", "XM-02", "XM-03"]
    frame.loc[2, "geometry"] = Polygon([(116.3, 27.9), (1e15, 27.9), (116.3, 27.91)])
    io.write(frame, path)
    with pytest.raises(FzgeoError, match=r"beyond 100,000,000 \(up to 1e\+15\)") as info:
        io.read(path)
    assert (info.value.code, info.value.where) == ("FZ103", "feature 3 (项目编号=XM-03)")
    found = [(f.code, f.where) for f in validate.validate_file(path).errors]
    assert found == [("FZ103", info.value.where)]
