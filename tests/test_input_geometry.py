"""Geometry as it arrives: every feature validated, repaired or reported, none lost."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
from input_fixtures import square

import shapely
from geopandas import GeoDataFrame
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon

from fzgeo import io
from fzgeo.errors import GeometryError
from fzgeo.io import repair, validate

X, Y = 116.30, 27.90
BOWTIE = Polygon([(X, Y), (X + 0.01, Y + 0.01), (X + 0.01, Y), (X, Y + 0.01)])
SPIKE = Polygon(
    [
        (X, Y),
        (X + 0.01, Y),
        (X + 0.01, Y + 0.01),
        (X + 0.01, Y + 0.015),
        (X + 0.01, Y + 0.01),
        (X, Y + 0.01),
    ]
)
OVERLAP = MultiPolygon([square(X, Y), square(X + 0.005, Y)])
COLLAPSED = Polygon([(X, Y), (X + 0.01, Y), (X + 0.02, Y), (X, Y)])
ZOO = {
    "valid": (square(X, Y + 0.1), "ok"),
    "bowtie": (BOWTIE, "repaired"),
    "spike": (SPIKE, "repaired"),
    "overlapping parts": (OVERLAP, "dissolved"),
    "duplicate": (square(X, Y + 0.1), "duplicate"),
    "null": (None, "null"),
    "empty": (Polygon(), "empty"),
    "point": (Point(X, Y), "non-polygonal"),
    "collection": (
        GeometryCollection([square(X, Y + 0.2), LineString([(X, Y), (X + 1, Y)])]),
        "repaired",
    ),
    "collapsed": (COLLAPSED, "unrepairable"),
}


@pytest.fixture
def zoo() -> GeoDataFrame:
    return GeoDataFrame(
        {"编号": list(range(101, 101 + len(ZOO))), "case": list(ZOO)},
        geometry=[g for g, _ in ZOO.values()],
        crs=4490,
    )


def test_every_feature_gets_its_status(zoo: GeoDataFrame) -> None:
    result = repair.repair(zoo)
    assert result.statuses["status"].tolist() == [s for _, s in ZOO.values()]
    assert len(result.statuses) == len(zoo)
    assert int(result.statuses["usable"].sum()) == len(result.frame) == 6
    assert result.counts() == {
        "dissolved": 1,
        "duplicate": 1,
        "empty": 1,
        "non-polygonal": 1,
        "null": 1,
        "ok": 1,
        "repaired": 3,
        "unrepairable": 1,
    }
    assert result.frame.geometry.is_valid.all()
    assert set(shapely.get_type_id(result.frame.geometry.values)) <= {3, 6}
    assert result.statuses.loc[4, "detail"] == "same geometry as feature 1 (编号=101)"


def test_overlapping_parts_are_dissolved_before_measuring(zoo: GeoDataFrame) -> None:
    result = repair.repair(zoo)
    dissolved = result.frame.loc[3].geometry
    assert math.isclose(dissolved.area, 0.015 * 0.01, rel_tol=1e-9)
    assert math.isclose(result.statuses.loc[3, "area_before"], 2 * 0.01 * 0.01, rel_tol=1e-9)


def test_only_material_area_changes_are_flagged(zoo: GeoDataFrame) -> None:
    result = repair.repair(zoo)
    flagged = result.statuses.index[result.statuses["area_changed"]].tolist()
    assert flagged == [1]  # the bow-tie, not the spike whose repair keeps the area
    codes = {e.code: e for e in result.findings}
    assert "changed the area by more than 1%" in codes["FZ415"].message
    assert codes["FZ415"].where == "feature 2 (编号=102)"
    assert codes["FZ410"].message.startswith("3 invalid geometries repaired")


def test_validate_accounts_for_every_feature(zoo: GeoDataFrame, tmp_path: Path) -> None:
    path = tmp_path / "zoo.gpkg"
    io.write(zoo, path)
    report = validate.validate_file(path)
    assert report.features_in == len(zoo) == report.features_out == len(report.features)
    assert [f["status"] for f in report.features] == [s for _, s in ZOO.values()]
    codes = {f.code: f.severity for f in report.findings}
    assert codes["FZ400"] == "error"  # the collapsed polygon: nothing polygonal left
    for code in ("FZ410", "FZ411", "FZ412", "FZ413", "FZ414", "FZ415", "FZ416", "FZ417"):
        assert codes[code] == "warning", code
    assert not report.ok


def _gpkg(tmp_path: Path, geoms: list[object]) -> Path:
    path = tmp_path / "g.gpkg"
    io.write(GeoDataFrame({"编号": range(1, len(geoms) + 1)}, geometry=geoms, crs=4490), path)
    return path


def test_nan_coordinates_are_a_clear_error(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns when building it
        bad = Polygon([(X, Y), (X + 0.01, Y), (float("nan"), Y + 0.01), (X, Y)])
    path = _gpkg(tmp_path, [square(X, Y), bad])
    with pytest.raises(
        GeometryError,
        match=r"1 feature\(s\) have NaN or infinite coordinates: feature 2 \(编号=2\)",
    ) as info:
        io.read(path)
    assert info.value.code == "FZ401"


def test_infinite_csv_coordinate_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("lon,lat\n116.3,27.9\ninf,27.9\n", encoding="utf-8")
    with pytest.raises(GeometryError) as info:
        io.read(path)
    assert (info.value.code, info.value.where) == ("FZ401", "feature 2")


def test_points_at_the_origin_are_a_clear_error(tmp_path: Path) -> None:
    path = _gpkg(tmp_path, [square(X, Y), Point(0, 0), square(0.0, 0.0, 0.5)])
    with pytest.raises(GeometryError, match=r"2 feature\(s\) have vertices at \(0, 0\)") as info:
        io.read(path)
    assert info.value.code == "FZ402"
    assert info.value.where == "feature 2 (编号=2)"


def test_ring_with_too_few_points_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ring.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":7},'
        '"geometry":{"type":"Polygon","coordinates":[[[116.3,27.9],[116.31,27.9],[116.3,27.9]]]}}]}',
        encoding="utf-8",
    )
    with pytest.raises(
        GeometryError, match=r"fewer than 4 points \(fewest 3\): feature 1 \(id=7\)"
    ) as info:
        io.read(path)
    assert info.value.code == "FZ403"
    report = validate.validate_file(path)
    # the short ring, and the same feature as unrepairable (nothing polygonal in it)
    assert [f.code for f in report.errors] == ["FZ403", "FZ400"]


def test_z_values_are_reported(tmp_path: Path) -> None:
    z = shapely.force_3d(square(X, Y), 12.0)
    path = _gpkg(tmp_path, [z, square(X, Y + 0.1)])
    report = validate.validate_file(path)
    finding = next(f for f in report.findings if f.code == "FZ418")
    assert finding.message.startswith("1 feature(s) carry Z and 0 carry M values")
    assert report.ok


def test_labels_prefer_the_files_own_numbering_and_skip_missing_ids(tmp_path: Path) -> None:
    path = tmp_path / "sites.geojson"
    features = [
        (1, "A-17", "[[116.3,27.9],[116.31,27.9],[116.3,27.9]]"),  # short ring
        (2, None, "[[116.3,27.9],[116.31,27.9],[116.3,27.9]]"),
    ]
    path.write_text(
        '{"type":"FeatureCollection","features":['
        + ",".join(
            f'{{"type":"Feature","id":{fid},"properties":{{"id":{fid},"编号":'
            f"{'null' if number is None else chr(34) + number + chr(34)}}},"
            f'"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}'
            for fid, number, ring in features
        )
        + "]}",
        encoding="utf-8",
    )
    with pytest.raises(GeometryError) as info:
        io.read(path)
    # a GeoJSON id is the writer's numbering; 编号 is the project's own
    assert info.value.where == "feature 1 (编号=A-17)"
    assert info.value.message.endswith("feature 1 (编号=A-17), feature 2")
    finding = validate.validate_file(path).errors[0]
    assert (finding.code, finding.where) == ("FZ403", info.value.where)
    frame = GeoDataFrame({"BSM": [3610.0, float("nan")], "fid": [9, 10]}, geometry=[None, None])
    assert repair.labels(frame) == ["feature 1 (BSM=3610)", "feature 2"]
    assert repair.labels(frame, [1]) == ["feature 2"]


def test_null_and_empty_are_said_as_such(zoo: GeoDataFrame) -> None:
    findings = {e.code: e for e in repair.repair(zoo).findings}
    assert findings["FZ412"].message == (
        "1 null geometries, no geometry at all (left out): feature 6 (编号=106)"
    )
    assert findings["FZ411"].message == "1 empty geometries (left out): feature 7 (编号=107)"
