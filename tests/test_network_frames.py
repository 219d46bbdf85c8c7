"""Network frames (“三横三纵一连”, “两横三纵”, ...) and the national roads placed from sources."""

from __future__ import annotations

import pytest
import yaml

import shapely

from fzgeo import styles
from fzgeo.crs import to_work
from fzgeo.errors import ConfigError
from fzgeo.plan import gazetteer, layers, placement, transport
from fzgeo.plan.context import BuildContext


@pytest.fixture(scope="module")
def frames():
    return layers.load("network_frames").set_index("name")


def test_frames_are_valid_styled_and_carry_inventory_ids(frames) -> None:
    assert frames.crs.to_epsg() == 4490 and len(frames) == 6
    assert frames.geometry.is_valid.all() and not frames.geometry.is_empty.any()
    assert frames["inventory_id"].notna().all() and frames["inventory_id"].is_unique
    style = styles.style(layers.kind("network_frames").style)
    assert set(frames["legend"]) <= {c.value for c in style.categories}
    assert frames.loc["“两横三纵”铁路网络", "legend"] == "铁路网（规划）"
    assert frames.loc["“三横三纵一连”高速公路网", "status"] == "existing"


def test_frame_length_is_the_merged_length_of_its_members(frames) -> None:
    """A frame is the members' union: overlaps (G236 and G322 share 东陂) count once."""
    for name, row in frames.iterrows():
        members = to_work(layers.load(row["member_layer"]))
        names = row["members"].split("、")
        assert row["member_count"] == len(names)
        picked = members[members["name"].isin(names)]
        assert len(picked) == len(names), name  # every member exists, none twice
        merged = shapely.union_all(picked.geometry.to_numpy()).length
        frame = to_work(frames.loc[[name]]).geometry.iloc[0]
        assert frame.length == pytest.approx(merged, rel=1e-6), name
        assert frame.length <= picked.length.sum() * (1 + 1e-9), name
        assert row["length_km"] == pytest.approx(round(frame.length / 1000, 2))


def test_frame_precision_is_the_weakest_of_its_members(frames) -> None:
    assert placement.weakest_precision(["surveyed", "illustrative", "schematic"]) == "illustrative"
    assert placement.weakest_precision(["surveyed", "schematic"]) == "schematic"
    with pytest.raises(ConfigError, match="no precision"):
        placement.weakest_precision([])
    for _, row in frames.iterrows():
        members = layers.load(row["member_layer"])
        precs = members.loc[members["name"].isin(row["members"].split("、")), "precision"]
        assert row["precision"] == placement.weakest_precision(precs)


def test_frames_read_their_members_through_the_context(frames) -> None:
    """The builder reads other layers with the context's ``load``, not from the registry."""
    read = []

    def load(name: str):
        read.append(name)
        return layers.load(name)

    built = transport.build_frames(BuildContext(kind=layers.kind("network_frames"), load=load))
    assert set(read) == set(frames["member_layer"])
    assert list(built["name"]) == list(frames.index)
    assert list(built["precision"]) == list(frames["precision"])


def test_trunk_frames_hold_every_national_and_provincial_road_drawn(frames) -> None:
    hw = layers.load("highways")
    trunk = hw.loc[hw["road_class"].isin(["国道", "省道"]) & ~hw["name"].str.contains("绕城")]
    for name in ("“五纵七横十联”国省道干线公路网", "“三横三纵”干线公路网"):
        assert set(frames.loc[name, "members"].split("、")) == set(trunk["name"])
    rail = set(layers.load("railways")["name"])
    assert set(frames.loc["“两横三纵”铁路网络", "members"].split("、")) == rail


@pytest.mark.parametrize(
    "doc, match",
    [
        ({"features": [{"name": "x", "geometry": {"line": ["抚州站", "南城站"]}}]}, "of_layer"),
        (
            {
                "features": [
                    {
                        "name": "x",
                        "precision": "surveyed",
                        "geometry": {"of_layer": "railways", "names": ["向莆铁路"]},
                    }
                ]
            },
            "derived",
        ),
    ],
)
def test_build_frames_refuses_other_geometry_and_given_precision(
    monkeypatch: pytest.MonkeyPatch, doc: dict, match: str
) -> None:
    monkeypatch.setattr(transport._resources, "read_text", lambda *_: yaml.safe_dump(doc))
    ctx = BuildContext(kind=layers.kind("network_frames"), load=layers.load)
    with pytest.raises(ConfigError, match=match):
        transport.build_frames(ctx)


@pytest.mark.parametrize(
    "road, places",
    [
        ("国道G236", ["东乡区", "抚州市", "崇仁县", "宜黄县", "东陂镇"]),
        ("国道G322", ["黎川县", "南丰县", "东陂镇", "乐安县"]),
        ("省道S212（前德线）临川展坪至上顿渡段", ["展坪乡", "温泉镇", "上顿渡镇"]),
    ],
)
def test_sourced_roads_pass_their_stated_control_points(road: str, places: list[str]) -> None:
    hw = layers.load("highways").set_index("name")
    line = hw.loc[road].geometry
    for place in places:
        assert line.distance(gazetteer.lookup(place).point) < 1e-6, (road, place)
    assert "http" in hw.loc[road, "note"]  # the source of the route is cited
