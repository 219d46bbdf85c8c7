"""CRS core: EPSG helpers, detection of missing or wrong CRSs, no silent mismatch."""

from __future__ import annotations

import numpy as np
import pytest

from geopandas import GeoDataFrame
from pyproj import CRS, Transformer
from shapely.geometry import Point, box

from fzgeo import crs
from fzgeo.errors import CRSAssumptionWarning, CRSError, CRSMismatchError

# 抚州 city centre and a site near 南城, in degrees and in both Gauss-Kruger forms
LONLAT = [(116.358, 27.948), (116.64, 27.56)]
_TO_GK = Transformer.from_crs(4490, 4548, always_xy=True)
GK = [_TO_GK.transform(x, y) for x, y in LONLAT]
GK_PREFIXED = [(x + 39_000_000, y) for x, y in GK]


def frame(points: list[tuple[float, float]], epsg: int | None) -> GeoDataFrame:
    return GeoDataFrame({"id": range(len(points))}, geometry=[Point(p) for p in points], crs=epsg)


def test_epsg_helpers_name_the_right_crs() -> None:
    assert crs.gk3_epsg(117) == 4548
    assert crs.gk3_epsg(117, zone_prefix=True) == 4527
    assert crs.gk6_epsg(117) == 4509
    assert crs.gk6_epsg(117, zone_prefix=True) == 4498
    assert "CM 117E" in CRS.from_epsg(crs.gk3_epsg(117)).name
    assert "zone 39" in CRS.from_epsg(crs.gk3_epsg(117, zone_prefix=True)).name
    with pytest.raises(ValueError, match="multiple of 3"):
        crs.gk3_epsg(118)


def test_zone_prefixed_variant_matches_plain_one() -> None:
    gk = crs.gauss_kruger(CRS.from_epsg(4527))
    assert gk is not None
    assert gk.zone_prefixed
    assert gk.central_meridian == 117
    x, y = Transformer.from_crs(4527, 4490, always_xy=True).transform(*GK_PREFIXED[0])
    assert (x, y) == pytest.approx(LONLAT[0], abs=1e-9)


def test_declared_and_consistent_passes_silently() -> None:
    for points, epsg in ((LONLAT, 4490), (GK, 4548), (GK_PREFIXED, 4527)):
        out = crs.resolve_crs(frame(points, epsg))
        assert out.crs.to_epsg() == epsg


def test_undeclared_degrees_taken_as_cgcs2000_with_warning() -> None:
    with pytest.warns(CRSAssumptionWarning, match="EPSG:4490"):
        out = crs.resolve_crs(frame(LONLAT, None))
    assert out.crs.to_epsg() == 4490


def test_undeclared_zone_prefix_is_unambiguous() -> None:
    with pytest.warns(CRSAssumptionWarning, match="EPSG:4527"):
        out = crs.resolve_crs(frame(GK_PREFIXED, None))
    assert out.crs.to_epsg() == 4527


def test_undeclared_plain_gk_in_fuzhou_resolves_to_cm117() -> None:
    with pytest.warns(CRSAssumptionWarning, match="EPSG:4548"):
        out = crs.resolve_crs(frame(GK, None))
    assert out.crs.to_epsg() == 4548


def test_undeclared_ambiguous_is_an_error_describing_coordinates() -> None:
    # eastings that fit CM 114E and CM 117E alike inside Jiangxi
    ambiguous = [(640_000.0, 3_050_000.0), (645_000.0, 3_055_000.0)]
    with pytest.raises(CRSError, match=r"declares no CRS.*Gauss-Kruger metres") as info:
        crs.resolve_crs(frame(ambiguous, None), path="sites.shp")
    assert info.value.code == "FZ100"
    assert "sites.shp" in str(info.value)
    assert "--assume-crs" in str(info.value)


def test_assume_crs_is_used_and_then_checked() -> None:
    out = crs.resolve_crs(frame(GK, None), assume="EPSG:4548")
    assert out.crs.to_epsg() == 4548
    with pytest.raises(CRSError, match="zone prefix"):
        crs.resolve_crs(frame(GK_PREFIXED, None), assume="EPSG:4548")


def test_gk_metres_labelled_as_degrees() -> None:
    with pytest.raises(CRSError, match=r"not degrees in China.*EPSG:4548") as info:
        crs.resolve_crs(frame(GK, 4490))
    assert info.value.code == "FZ101"


def test_degrees_labelled_as_metres() -> None:
    with pytest.raises(CRSError, match=r"look like degrees.*EPSG:4490"):
        crs.resolve_crs(frame(LONLAT, 4548))


def test_zone_prefix_under_plain_crs_names_the_prefixed_one() -> None:
    with pytest.raises(CRSError, match=r"carry a zone prefix.*EPSG:4527"):
        crs.resolve_crs(frame(GK_PREFIXED, 4548))


def test_swapped_lon_lat() -> None:
    swapped = [(y, x) for x, y in LONLAT]
    with pytest.raises(CRSError, match="axes swapped"):
        crs.resolve_crs(frame(swapped, 4490))
    with pytest.raises(CRSError, match=r"declares no CRS.*axes swapped"):
        crs.resolve_crs(frame(swapped, None))


def test_surveyor_xy_swap_is_recognised() -> None:
    swapped = [(y, x) for x, y in GK]
    with pytest.raises(CRSError, match=r"northing.*swapped"):
        crs.resolve_crs(frame(swapped, None))


def test_wrong_central_meridian_outside_jiangxi() -> None:
    with pytest.raises(CRSError, match=r"central meridian 120 E.*outside Jiangxi.*EPSG:4548"):
        crs.resolve_crs(frame(GK, crs.gk3_epsg(120)))


def test_outside_jiangxi_in_degrees_is_accepted_if_in_china() -> None:
    # the plan names corridors toward 南昌, 福建 ...: degrees in China are fine
    out = crs.resolve_crs(frame([(119.3, 26.1)], 4490))
    assert out.crs.to_epsg() == 4490


def test_require_same_crs_raises_where_geopandas_warns() -> None:
    a = frame(LONLAT, 4490)
    b = frame(LONLAT, 4326)
    assert crs.require_same_crs(a, a.copy()).equals(CRS.from_epsg(4490))
    with pytest.raises(CRSMismatchError, match=r"sites is in .*but red line is in") as info:
        crs.require_same_crs(a, b, names=("sites", "red line"))
    assert info.value.code == "FZ102"
    with pytest.raises(CRSError, match="has no CRS"):
        crs.require_same_crs(a, frame(LONLAT, None))


def test_to_work_measures_in_metres() -> None:
    square = GeoDataFrame(geometry=[box(*GK[0], GK[0][0] + 100, GK[0][1] + 100)], crs=4548)
    stored = crs.to_storage(square)
    assert stored.crs.to_epsg() == 4490
    back = crs.to_work(stored)
    assert back.crs.is_projected
    assert back.area.iloc[0] == pytest.approx(10_000, rel=1e-9)


def test_non_finite_transform_is_reported() -> None:
    far = GeoDataFrame(geometry=[Point(1e30, 1e30)], crs=4548)
    with pytest.raises(CRSError, match="non-finite") as info:
        crs.to_storage(far)
    assert info.value.code == "FZ104"


def test_parse_crs_rejects_nonsense() -> None:
    assert crs.parse_crs("4548").to_epsg() == 4548
    with pytest.raises(CRSError, match="not a CRS"):
        crs.parse_crs("EPSG:99999999")


def test_all_of_fuzhou_is_in_the_work_zone() -> None:
    from fzgeo.plan import layers

    city = layers.load("admin_boundaries").query("level == 'city'")
    x0, _, x1, _ = city.total_bounds
    assert 115.5 < x0 < x1 < 118.5
    assert np.isfinite(crs.to_work(city).area).all()


@pytest.mark.parametrize(
    ("given", "datum"),
    [
        (2384, "Xian 1980"),
        (4610, "Xian 1980"),
        (4214, "Beijing 1954"),
        (2435, "Beijing 1954"),
        (4555, "New Beijing"),
        ("+proj=tmerc +lon_0=117 +x_0=500000 +ellps=IAU76 +towgs84=0,0,0 +units=m", "Xian 1980"),
        ("+proj=tmerc +lon_0=117 +x_0=500000 +ellps=krass +units=m", "Beijing 1954"),
        (4490, None),
        (4548, None),
        (4326, None),
        (4284, None),  # Pulkovo 1942: Krassowsky too, but a named datum of its own
    ],
)
def test_legacy_datum_by_name_then_ellipsoid(given: object, datum: str | None) -> None:
    assert crs.legacy_datum(CRS.from_user_input(given)) == datum


def test_legacy_datum_names_as_written() -> None:
    for text in ("D_Xian_1980", "GCS_Xian_1980", "1980西安坐标系", "西安80", "Xi'an 1980"):
        assert crs.legacy_datum_named(text) == "Xian 1980", text
    for text in ("D_Beijing_1954", "北京54", "Beijing 1954"):
        assert crs.legacy_datum_named(text) == "Beijing 1954", text
    assert crs.legacy_datum_named("D_New_Beijing") == "New Beijing"
    assert crs.legacy_datum_named("2000国家大地坐标系") is None


def test_cgcs2000_counterpart_keeps_the_projection() -> None:
    assert [crs.cgcs2000_counterpart(CRS.from_epsg(c)) for c in (2384, 2362, 4610, 2435)] == [
        4548,
        4526,
        4490,
        4547,
    ]
    assert crs.is_cgcs2000(CRS.from_epsg(4527))
    assert not crs.is_cgcs2000(CRS.from_epsg(4326))


def test_resolve_refuses_xian80_unless_a_cgcs2000_crs_vouches() -> None:
    with pytest.raises(CRSError, match=r"EPSG:2384 .*Xian 1980 datum \(西安80\)") as info:
        crs.resolve_crs(frame(GK, 2384), path="sites.shp")
    assert info.value.code == "FZ108"
    assert "--assume-crs EPSG:4548 (CGCS2000" in info.value.hint
    with pytest.warns(CRSAssumptionWarning, match=r"\[FZ108\] sites.shp: .*no datum"):
        out = crs.resolve_crs(frame(GK, 2384), assume="EPSG:4548", path="sites.shp")
    assert out.crs.to_epsg() == 4548
    assert out.geometry.x.tolist() == [x for x, _ in GK]  # as given, not shifted
    with pytest.raises(CRSError, match="not a CGCS2000 CRS") as info:
        crs.resolve_crs(frame(GK, 2384), assume="EPSG:32650")
    assert info.value.code == "FZ108"


def test_assume_replaces_a_declared_crs_only_when_the_coordinates_say_so() -> None:
    with pytest.warns(CRSAssumptionWarning, match=r"\[FZ101\] .*declared EPSG:4326"):
        out = crs.resolve_crs(frame(GK, 4326), assume="EPSG:4548")
    assert out.crs.to_epsg() == 4548
    assert crs.resolve_crs(frame(LONLAT, 4490), assume="EPSG:4548").crs.to_epsg() == 4490
    with pytest.raises(CRSError, match="not degrees in China"):  # neither fits: the declared error
        crs.resolve_crs(frame(GK, 4326), assume="EPSG:4545")


def test_one_outlier_is_named_by_the_labels_given() -> None:
    points = [*LONLAT, (1163.58, 27.948)]
    with pytest.raises(CRSError, match=r"1 of 3 feature\(s\) lie outside China") as info:
        crs.resolve_crs(frame(points, 4490), labels=lambda ps: [f"site #{p}" for p in ps])
    assert (info.value.code, info.value.where) == ("FZ103", "site #2")
    with pytest.raises(CRSError) as info:  # all of them wrong: the CRS is the problem
        crs.resolve_crs(frame(GK, 4490))
    assert info.value.code == "FZ101"
