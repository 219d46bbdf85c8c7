"""The official 三区三线 loader: fake national-standard File GDB / GeoPackage / Shapefile inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import pyogrio
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, box

from fzgeo.cli import main
from fzgeo.errors import (
    ConfigError,
    CRSAssumptionWarning,
    CRSError,
    DataNotFoundError,
    GeometryError,
    InputError,
    RepairWarning,
    UnknownLayerError,
)
from fzgeo.plan import sanqu

TO_4527 = Transformer.from_crs(4490, 4527, always_xy=True)  # GK zone 39, zone-prefixed eastings
TO_4548 = Transformer.from_crs(4490, 4548, always_xy=True)


def _gk(geom: shapely.Geometry, transformer: Transformer = TO_4527) -> shapely.Geometry:
    return shapely.transform(
        geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


def _square(lon: float, lat: float, size: float = 0.01, t: Transformer = TO_4527) -> Polygon:
    return _gk(box(lon, lat, lon + size, lat + size), t)


def _bowtie(lon: float, lat: float) -> Polygon:
    d = 0.01
    return _gk(Polygon([(lon, lat), (lon + d, lat + d), (lon + d, lat), (lon, lat + d)]))


def _redline_frame() -> gpd.GeoDataFrame:
    geoms = [_square(117.10, 27.80), _square(117.20, 27.70), _bowtie(116.95, 27.40)]
    gdf = gpd.GeoDataFrame(
        {
            "BSM": ["36102820210001", "36102820210002", "36102220210003"],
            "YSDM": ["2090020100"] * 3,
            "XZQDM": ["361028", "361028", "361022"],
            "XZQMC": ["资溪县", "资溪县", "黎川县"],
            "HXMC": ["马头山生态保护红线", None, "岩泉生态保护红线"],
            "MJ": [0.0, 0.0, 0.0],
            "BZ": ["国家级自然保护区", "", "自检备注"],
        },
        geometry=geoms,
        crs=4527,
    )
    gdf["MJ"] = gdf.geometry.area  # declared area in square metres, as the standard asks
    return gdf


def _farmland_frame() -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        {
            "BSM": ["36102120200101", "36102120200102"],
            "YSDM": ["2001010100"] * 2,
            "XZQDM": ["361021"] * 2,
            "XZQMC": ["南城县"] * 2,
            "BHTBBH": ["B0101", "B0102"],
            "DLBM": ["0101", "0103"],
            "TBMJ": [0.0, 1.0],
        },
        geometry=[_square(116.60, 27.50), _square(116.62, 27.50)],
        crs=4527,
    )
    gdf.loc[0, "TBMJ"] = gdf.geometry.area.iloc[0]  # the second one declares 1 m²: a mismatch
    return gdf


def _urban_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"BSM": ["36100220200001"], "YSDM": ["2003010100"], "XZQDM": ["361002"], "MJ": [np.nan]},
        geometry=[_square(116.33, 27.95, 0.05)],
        crs=4527,
    )


@pytest.fixture
def national_gdb(tmp_path: Path) -> Path:
    """A File GDB laid out like a national-standard delivery, plus an unrelated XZQ layer."""
    path = tmp_path / "抚州市三区三线.gdb"
    frames = {
        "STBHHX": _redline_frame(),
        "YJJBNTBHTB": _farmland_frame(),
        "CZKFBJ": _urban_frame(),
        "XZQ": gpd.GeoDataFrame(
            {"XZQDM": ["361000"]}, geometry=[_square(116.0, 27.5, 0.5)], crs=4527
        ),
    }
    for name, gdf in frames.items():
        pyogrio.write_dataframe(gdf, path, layer=name, driver="OpenFileGDB")
    return path


def _load(path: Path, **kwargs: object) -> sanqu.OfficialData:
    with pytest.warns(RepairWarning, match=r"repaired 1 geometr"):
        return sanqu.load(path, **kwargs)


def test_gdb_every_feature_loaded_into_its_kind(national_gdb: Path) -> None:
    data = _load(national_gdb)
    assert set(data.layers) == {"eco_redline", "basic_farmland", "urban_boundary"}
    counts = {k: len(v) for k, v in data.layers.items()}
    assert counts == {"eco_redline": 3, "basic_farmland": 2, "urban_boundary": 1}
    for gdf in data.layers.values():
        assert gdf.crs.to_epsg() == 4490
        assert (gdf["precision"] == "official").all()
        assert gdf.geometry.is_valid.all()
    red = data.layers["eco_redline"]
    assert red["bsm"].tolist() == _redline_frame()["BSM"].tolist()  # order kept
    assert red["county"].tolist() == ["资溪县", "资溪县", "黎川县"]
    assert red.loc[0, "name"] == "马头山生态保护红线"
    assert red.loc[1, "name"] == "生态保护红线（标识码 36102820210002）"
    assert red["src_BZ"].tolist()[0] == "国家级自然保护区"


def test_gdb_coordinates_land_in_fuzhou(national_gdb: Path) -> None:
    red = _load(national_gdb).layers["eco_redline"]
    x0, y0, x1, y1 = red.total_bounds
    assert 116.9 < x0 < x1 < 117.3
    assert 27.3 < y0 < y1 < 27.9
    farm = _load(national_gdb).layers["basic_farmland"]
    assert farm["name"].tolist() == ["永久基本农田保护图斑 B0101", "永久基本农田保护图斑 B0102"]
    assert farm["area_km2"].iloc[0] == pytest.approx(farm["declared_area"].iloc[0] / 1e6, rel=1e-4)


def test_report_lists_what_was_not_mapped(national_gdb: Path) -> None:
    report = _load(national_gdb).report
    by_layer = {lr.source_layer: lr for lr in report.layers}
    red = by_layer["STBHHX"]
    assert red.features_read == red.features_written == 3
    assert red.crs == "EPSG:4527"
    assert red.mapped["bsm"] == "BSM" and red.mapped["declared_area"] == "MJ"
    assert red.unmapped_fields == ["BZ"]
    assert any(nf.startswith("function") for nf in red.not_found)
    assert red.names_synthesized == 1
    assert red.repaired == ["feature 3 (BSM=36102220210003)"]
    farm = by_layer["YJJBNTBHTB"]
    assert farm.unmapped_fields == ["DLBM"]
    assert farm.area_mismatch == ["feature 2 (BSM=36102120200102)"]
    assert report.ignored_layers == ["XZQ"]
    assert report.kinds_without_data == {}
    text = report.text()
    assert "XZQ" in text and "src_*: BZ" in text and "1 %" in text
    assert json.loads(report.to_json())["profile"] == "gb"


def test_declared_area_in_wrong_unit_is_flagged(tmp_path: Path) -> None:
    gdf = _farmland_frame()
    gdf["TBMJ"] = gdf.geometry.area / 10_000.0  # hectares, while the profile says m2
    path = tmp_path / "farm.gpkg"
    gdf.to_crs(4548).to_file(path, layer="YJJBNTBHTB")
    report = sanqu.load(path).report
    assert report.layers[0].area_ratio_median == pytest.approx(1e-4, rel=1e-3)
    assert "declared_area_unit" in report.text()
    profile = sanqu.read_profile("gb")
    as_ha = {
        "name": "ha",
        "declared_area_unit": "hm2",
        "layers": {
            "basic_farmland": {
                "source_layers": ["YJJBNTBHTB"],
                "fields": {"declared_area": ["TBMJ"]},
            }
        },
    }
    assert profile.declared_area_unit == "m2"
    assert sanqu.load(path, profile=as_ha).report.layers[0].area_mismatch == []


def test_missing_kinds_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "only_redline.gpkg"
    _redline_frame().iloc[:2].to_crs(4548).to_file(path, layer="STBHHX")
    report = sanqu.load(path).report
    assert set(report.kinds_without_data) == {"basic_farmland", "urban_boundary"}
    assert "no data for urban_boundary" in report.text()


def test_feature_without_geometry_stops_the_load_naming_it(tmp_path: Path) -> None:
    gdf = _redline_frame().iloc[:2].copy()
    gdf.loc[1, "geometry"] = None
    path = tmp_path / "nulls.gpkg"
    gdf.to_file(path, layer="STBHHX")
    with pytest.raises(
        GeometryError, match=r"STBHHX: 1 feature\(s\) cannot be used.*BSM=36102820210002"
    ):
        sanqu.load(path)


def test_shapefile_without_prj_crs_from_evidence_or_assumption(tmp_path: Path) -> None:
    gdf = _urban_frame().to_crs(4548)
    folder = tmp_path / "delivery"
    folder.mkdir()
    gdf.to_file(folder / "CZKFBJ.shp", encoding="UTF-8")
    (folder / "CZKFBJ.prj").unlink()
    with pytest.warns(CRSAssumptionWarning, match="taken as EPSG:4548"):
        sanqu.load(folder)
    with pytest.raises(CRSError, match="outside Jiangxi"):
        sanqu.load(folder, assume_crs="EPSG:4545")  # CM 111E: a wrong assumption is refused
    data = sanqu.load(folder, assume_crs="EPSG:4548")
    assert len(data.layers["urban_boundary"]) == 1
    assert data.layers["urban_boundary"].crs.to_epsg() == 4490


def test_kind_names_a_file_the_profile_does_not_know(tmp_path: Path) -> None:
    path = tmp_path / "红线.gpkg"
    _redline_frame().iloc[:2].to_file(path, layer="hongxian")
    assert sanqu.load(path).report.ignored_layers == ["hongxian"]
    data = sanqu.load(path, kind="eco_redline")
    assert len(data.layers["eco_redline"]) == 2
    with pytest.raises(UnknownLayerError, match="available"):
        sanqu.load(path, kind="redline")


def test_value_table_translates_codes_and_reports_unknown_ones(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"SQLX": ["1", "2", "9"]},
        geometry=[_square(116.3, 27.9), _square(116.4, 27.9), _square(116.5, 27.9)],
        crs=4527,
    )
    path = tmp_path / "zones.gpkg"
    gdf.to_file(path, layer="SQ")
    profile = {
        "name": "zones",
        "layers": {
            "spatial_zones": {
                "source_layers": ["SQ"],
                "fields": {
                    "zone": {"from": ["SQLX"], "values": {"1": "城镇空间", "2": "农业空间"}}
                },
            }
        },
    }
    with pytest.raises(Exception, match=r"zone.*\['9'\]"):
        sanqu.load(path, profile=profile)  # '9' is no zone: schema validation names it
    gdf.loc[2, "SQLX"] = "3"
    gdf.to_file(path, layer="SQ")
    profile["layers"]["spatial_zones"]["fields"]["zone"]["values"]["3"] = "生态空间"
    data = sanqu.load(path, profile=profile)
    assert data.layers["spatial_zones"]["zone"].tolist() == ["城镇空间", "农业空间", "生态空间"]


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"layers": {"eco_redline": {"fields": {"colour": ["YS"]}}}}, "cannot map onto 'colour'"),
        (
            {"layers": {"eco_redline": {"fields": {"precision": ["JD"]}}}},
            "cannot map onto 'precision'",
        ),
        ({"layers": {"rivers": {"fields": {}}}}, "not a polygon kind"),
        ({"layers": {}}, "non-empty `layers`"),
        ({"declared_area_unit": "acre", "layers": {"eco_redline": {}}}, "declared_area_unit"),
    ],
)
def test_bad_profiles_are_refused(profile: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        sanqu.read_profile(profile)


def test_unknown_profile_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match="shipped: gb"):
        sanqu.read_profile("gd")
    assert "gb" in sanqu.available_profiles()


def test_cli_writes_gpkg_and_report(
    national_gdb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, rep = tmp_path / "official.gpkg", tmp_path / "report.json"
    status = main(["sanqu", "load", str(national_gdb), "--out", str(out), "--report", str(rep)])
    assert status == 0
    assert sorted(pyogrio.list_layers(out)[:, 0]) == [
        "basic_farmland",
        "eco_redline",
        "layer_styles",  # styled for QGIS (fzgeo.qgis), with official.qgz beside it
        "urban_boundary",
    ]
    assert out.with_suffix(".qgz").is_file()
    back = gpd.read_file(out, layer="eco_redline")
    assert len(back) == 3 and back.crs.to_epsg() == 4490
    assert json.loads(rep.read_text(encoding="utf-8"))["ignored_layers"] == ["XZQ"]
    printed = capsys.readouterr()
    assert "STBHHX -> eco_redline: 3 read, 3 written" in printed.out
    assert "warning:" in printed.err and "repaired 1 geometr" in printed.err


def test_cli_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sanqu", "profiles"]) == 0
    assert "eco_redline <- STBHHX" in capsys.readouterr().out


def test_loaded_layers_match_packaged_kinds(national_gdb: Path) -> None:
    """Official layers carry the same columns as the stand-ins, so the check reads either."""
    from fzgeo.plan import layers

    data = _load(national_gdb)
    for name, gdf in data.layers.items():
        own = [c.name for c in layers.kind(name).all_columns]
        assert list(gdf.columns[: len(own)]) == own
        assert isinstance(gdf["area_km2"].dtype, np.dtype | pd.Float64Dtype)


def test_duplicate_geometries_are_kept_and_reported(tmp_path: Path) -> None:
    gdf = _urban_frame()
    twice = gpd.GeoDataFrame(
        pd.concat([gdf, gdf.assign(BSM="36100220200002")], ignore_index=True), crs=gdf.crs
    )
    path = tmp_path / "dupes.gpkg"
    twice.to_file(path, layer="CZKFBJ")
    data = sanqu.load(path)
    assert len(data.layers["urban_boundary"]) == 2
    assert data.report.layers[0].duplicates == ["feature 2 (BSM=36100220200002)"]
    assert "duplicate geometries (kept)" in data.report.text()


def test_chinese_field_names_are_mapped_too(tmp_path: Path) -> None:
    gdf = _urban_frame().rename(columns={"BSM": "标识码", "XZQDM": "行政区代码", "MJ": "面积"})
    path = tmp_path / "cn.gpkg"
    gdf.to_file(path, layer="城镇开发边界")
    data = sanqu.load(path)
    lr = data.report.layers[0]
    assert lr.mapped["bsm"] == "标识码" and lr.mapped["xzqdm"] == "行政区代码"
    assert data.layers["urban_boundary"]["bsm"].tolist() == ["36100220200001"]


def test_declared_area_that_is_not_a_number_is_kept_and_reported(tmp_path: Path) -> None:
    gdf = _urban_frame().astype({"MJ": object})
    gdf.loc[0, "MJ"] = "约12.5平方公里"
    path = tmp_path / "text_area.gpkg"
    gdf.to_file(path, layer="CZKFBJ")
    data = sanqu.load(path)
    urban = data.layers["urban_boundary"]
    assert urban["declared_area"].isna().all()
    assert urban["src_MJ"].tolist() == ["约12.5平方公里"]
    assert data.report.layers[0].unmapped_values == {"declared_area": ["约12.5平方公里"]}


def test_layer_without_any_attribute_loads_with_made_up_names(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(geometry=[_square(116.3, 27.9), _square(116.4, 27.9)], crs=4527)
    path = tmp_path / "bare.gpkg"
    gdf.to_file(path, layer="STBHHX")
    red = sanqu.load(path).layers["eco_redline"]
    assert red["name"].tolist() == ["生态保护红线（第 1 个要素）", "生态保护红线（第 2 个要素）"]


def test_kind_with_a_multi_layer_input_needs_the_layer(national_gdb: Path) -> None:
    with pytest.raises(InputError, match=r"4 layers .*--layer"):
        sanqu.load(national_gdb, kind="eco_redline")
    data = sanqu.load(national_gdb, kind="urban_boundary", layer="XZQ")
    assert list(data.layers) == ["urban_boundary"] and len(data.layers["urban_boundary"]) == 1
    with pytest.raises(UnknownLayerError, match="the input holds: STBHHX"):
        sanqu.load(national_gdb, layer="CZKFBJX")


def test_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="profile file not found"):
        sanqu.read_profile(tmp_path / "none.yaml")


def test_check_reads_each_kind_from_the_loaded_geopackage(
    national_gdb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fzgeo sanqu load` output feeds `fzgeo check --against NAME=OUT.gpkg` layer by layer."""
    out = tmp_path / "official.gpkg"
    assert main(["sanqu", "load", str(national_gdb), "--out", str(out)]) == 0
    sites = tmp_path / "sites.geojson"
    red = gpd.read_file(out, layer="eco_redline")
    inside = red.geometry.iloc[0].representative_point().buffer(0.001)
    gpd.GeoDataFrame({"name": ["测试地块"]}, geometry=[inside], crs=4490).to_file(sites)
    capsys.readouterr()
    args = ["check", str(sites), "--out", str(tmp_path / "check"), "--no-progress"]
    args += ["--against", f"eco_redline={out}", "--against", f"urban_boundary={out}"]
    assert main(args) == 1  # in conflict with the official red line
    assert "1 冲突" in capsys.readouterr().out
