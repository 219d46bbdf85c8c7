"""The typed layer model: validation gathers every problem and names columns and rows."""

from __future__ import annotations

import pytest

from geopandas import GeoDataFrame
from shapely.geometry import LineString, Point, Polygon

from fzgeo.errors import SchemaError
from fzgeo.plan.schema import Column, LayerKind, empty_layer, validate

KIND = LayerKind(
    name="test_parks",
    name_zh="测试园区",
    geometry_type="Point",
    columns=(
        Column("level", "str", "级别", allowed=("国家级", "省级")),
        Column("jobs", "int", "就业", required=False),
    ),
)


def good(**overrides: object) -> GeoDataFrame:
    data = {
        "name": ["抚州高新区", "崇仁园区"],
        "precision": ["schematic", "schematic"],
        "status": ["existing", "planned"],
        "source": ["plan L268", "plan L268"],
        "level": ["国家级", "省级"],
        "jobs": [1200, None],
    }
    data.update(overrides)  # type: ignore[arg-type]
    return GeoDataFrame(data, geometry=[Point(116.3, 27.9), Point(116.0, 27.7)], crs=4490)


def test_valid_frame_gets_canonical_columns_and_dtypes() -> None:
    out = validate(good(extra=["a", "b"]), KIND)
    assert list(out.columns[:7]) == [
        "name",
        "precision",
        "status",
        "source",
        "source_line",
        "plan_term",
        "note",
    ]
    assert str(out["jobs"].dtype) == "Int64"
    assert "extra" in out.columns
    assert out.geometry.name == "geometry"


def test_every_problem_is_listed_once() -> None:
    bad = good(precision=["schematic", "guessed"], level=["国家级", None])
    bad = bad.drop(columns=["source"])
    bad.loc[1, "geometry"] = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    bad = bad.set_crs(4326, allow_override=True)
    with pytest.raises(SchemaError) as info:
        validate(bad, KIND, path="parks.gpkg")
    problems = info.value.problems
    text = str(info.value)
    assert "missing column 'source'" in problems
    assert any("'precision'" in p and "guessed" in p and "rows 1" in p for p in problems)
    assert any("'level'" in p and "null in rows 1" in p for p in problems)
    assert any("CRS is EPSG:4326" in p for p in problems)
    assert any("not Point" in p and "rows 1" in p for p in problems)
    assert "parks.gpkg" in text
    assert info.value.code == "FZ200"


def test_invalid_empty_and_null_geometries_are_named() -> None:
    kind = LayerKind(name="zones", name_zh="分区", geometry_type="Polygon")
    bowtie = Polygon([(116, 27), (116.1, 27.1), (116.1, 27), (116, 27.1)])
    gdf = GeoDataFrame(
        {
            "name": list("abc"),
            "precision": ["illustrative"] * 3,
            "status": ["n/a"] * 3,
            "source": ["x"] * 3,
        },
        geometry=[bowtie, Polygon(), None],
        crs=4490,
    )
    with pytest.raises(SchemaError) as info:
        validate(gdf, kind)
    problems = " | ".join(info.value.problems)
    assert "invalid geometry in rows 0" in problems
    assert "empty geometry in rows 1" in problems
    assert "null geometry in rows 2" in problems


def test_non_integer_in_int_column() -> None:
    with pytest.raises(SchemaError, match="'jobs': non-integer values in rows 0"):
        validate(good(jobs=[1.5, 2]), KIND)


def test_extra_columns_can_be_refused() -> None:
    with pytest.raises(SchemaError, match="columns not in the kind"):
        validate(good(extra=[1, 2]), KIND, extra="error")


def test_kind_definition_errors() -> None:
    with pytest.raises(ValueError, match="geometry_type must be one of"):
        LayerKind(name="x", name_zh="x", geometry_type="Curve")
    with pytest.raises(ValueError, match="columns defined twice"):
        LayerKind(name="x", name_zh="x", geometry_type="Point", columns=(Column("name"),))
    with pytest.raises(ValueError, match="dtype must be one of"):
        Column("x", "date")


def test_multi_geometries_pass_as_their_family() -> None:
    kind = LayerKind(name="lines", name_zh="线", geometry_type="LineString")
    gdf = GeoDataFrame(
        {"name": ["l"], "precision": ["schematic"], "status": ["planned"], "source": ["s"]},
        geometry=[LineString([(116, 27), (116.2, 27.2)])],
        crs=4490,
    )
    assert len(validate(gdf, kind)) == 1


def test_empty_layer_is_typed_and_valid() -> None:
    out = validate(empty_layer(KIND), KIND)
    assert len(out) == 0
    assert out.crs.to_epsg() == 4490
