"""Style specs: multi-stroke line symbols (``strokes``), their inheritance and their errors."""

from __future__ import annotations

from typing import Any

import pytest

from fzgeo import styles
from fzgeo.errors import ConfigError
from fzgeo.styles import Stroke, Style

WHERE = "styles/test_rail.yaml"
CASING = {"stroke": "#000000", "width": 5}
CENTRE = {"stroke": "#FFFFFF", "width": 3, "dash": [10, 10]}


def spec(symbol: Any = None, *, values: Any = None, geometry: str = "line") -> dict[str, Any]:
    doc: dict[str, Any] = {"key": "test_rail", "name_zh": "铁路", "geometry": geometry}
    if symbol is not None:
        doc["symbol"] = symbol
    if values is not None:
        doc["categories"] = {"field": "legend", "values": values}
    return doc


def test_strokes_parse_bottom_first_and_the_single_keys_read_as_the_casing() -> None:
    style = Style.from_mapping(spec({"strokes": [CASING, CENTRE]}), where=WHERE)
    assert style.symbol.strokes == (
        Stroke("#000000", 5.0),
        Stroke("#ffffff", 3.0, (10.0, 10.0)),  # colour normalised to lower case
    )
    assert (style.symbol.stroke, style.symbol.width, style.symbol.dash) == ("#000000", 5.0, ())
    assert style.passes == 2
    assert style.symbol.all_strokes == style.symbol.strokes


def test_categories_inherit_strokes_whole_and_can_go_back_to_one_stroke() -> None:
    style = Style.from_mapping(
        spec(
            {"strokes": [CASING, CENTRE]},
            values=[
                {"value": "现状"},
                {"value": "规划", "symbol": {"strokes": [{**CASING, "opacity": 0.5}, CENTRE]}},
                {"value": "其他", "symbol": {"strokes": [], "stroke": "#6a3d9a", "width": 2}},
            ],
        ),
        where=WHERE,
    )
    existing, planned, single = (c.symbol for c in style.categories)
    assert existing.strokes == style.symbol.strokes
    assert planned.strokes[0].opacity == 0.5 and planned.opacity == 0.5
    assert single.strokes == () and single.all_strokes == (Stroke("#6a3d9a", 2.0),)
    # the single stroke draws in the top pass, with the centres
    assert single.stroke_in_pass(0, style.passes) is None
    assert single.stroke_in_pass(1, style.passes) == Stroke("#6a3d9a", 2.0)
    assert existing.stroke_in_pass(0, 2) == existing.strokes[0]


def test_three_strokes_and_a_two_stroke_category_share_the_top_passes() -> None:
    third = {"stroke": "#ff0000", "width": 1}
    style = Style.from_mapping(
        spec(
            {"stroke": "#333333"},
            values=[
                {"value": "a", "symbol": {"strokes": [CASING, CENTRE, third]}},
                {"value": "b", "symbol": {"strokes": [CASING, CENTRE]}},
            ],
        ),
        where=WHERE,
    )
    assert style.passes == 3
    two = style.categories[1].symbol
    assert [two.stroke_in_pass(i, 3) for i in range(3)] == [None, *two.strokes]


def test_every_shipped_style_still_parses_and_railways_are_double_lines() -> None:
    for key in styles.available():
        style = styles.style(key)
        if style.geometry != "line":
            assert style.passes == 1, key
    rail = styles.style("railways")
    assert rail.passes == 2
    for cat in rail.categories:
        casing, centre = cat.symbol.strokes
        assert centre.stroke == "#ffffff" and centre.dash, cat.value
        assert casing.width > centre.width and not casing.dash, cat.value
    existing = {c.value: c.symbol.strokes[0].stroke for c in rail.categories if "现状" in c.value}
    planned = {c.value: c.symbol.strokes[0].stroke for c in rail.categories if "规划" in c.value}
    assert set(existing.values()) == {"#000000"}
    assert "#000000" not in planned.values()


@pytest.mark.parametrize(
    ("symbol", "values", "geometry", "message"),
    [
        (
            {"strokes": [CASING]},
            None,
            "line",
            r"styles/test_rail\.yaml\.symbol\.strokes: 'strokes' needs two or more strokes",
        ),
        (
            {"strokes": {"stroke": "#000000"}},
            None,
            "line",
            r"\.symbol\.strokes: 'strokes' must be a list",
        ),
        (
            {"strokes": [CASING, "white"]},
            None,
            "line",
            r"\.symbol\.strokes\[1\]: a stroke is a mapping",
        ),
        (
            {"strokes": [CASING, {"stroke": "#ffffff"}]},
            None,
            "line",
            r"\.symbol\.strokes\[1\]: missing key 'width'",
        ),
        (
            {"strokes": [CASING, {**CENTRE, "colour": "#fff"}]},
            None,
            "line",
            r"\.symbol\.strokes\[1\]: unknown stroke keys \['colour'\]",
        ),
        (
            {"strokes": [CASING, {**CENTRE, "stroke": "white"}]},
            None,
            "line",
            r"\.symbol\.strokes\[1\]\.stroke: colour must be '#rrggbb'",
        ),
        (
            {"strokes": [CASING, {**CENTRE, "dash": [10, 5, 2]}]},
            None,
            "line",
            r"\.symbol\.strokes\[1\]\.dash: a dash pattern is an even number",
        ),
        (
            {"strokes": [CASING, {**CENTRE, "dash": [10, 0]}]},
            None,
            "line",
            r"\.strokes\[1\]\.dash: must be a positive number, got 0",
        ),
        (
            {"strokes": [{**CASING, "width": -1}, CENTRE]},
            None,
            "line",
            r"\.strokes\[0\]\.width: must be a positive number, got -1",
        ),
        (
            {"strokes": [CASING, {**CENTRE, "opacity": 1.5}]},
            None,
            "line",
            r"\.strokes\[1\]\.opacity: must be a number from 0 to 1, got 1\.5",
        ),
        (
            {"strokes": [CASING, CENTRE], "width": 4},
            None,
            "line",
            r"\.symbol: sets both 'strokes' and \['width'\]",
        ),
        (
            {"strokes": [CASING, CENTRE]},
            [{"value": "规划", "symbol": {"stroke": "#a50f15", "dash": [4, 4]}}],
            "line",
            r"styles/test_rail\.yaml\.categories\.values\[0\]\.symbol: sets \['dash', 'stroke'\] "
            r"but inherits 'strokes'.*'strokes: \[\]'",
        ),
        (
            {"stroke": "#000000"},
            [{"value": "x"}, {"value": "y", "symbol": {"strokes": [CASING, CENTRE]}}],
            "polygon",
            r"\.categories\.values\[1\]\.symbol\.strokes: multi-stroke symbols are for line "
            r"styles, this style's geometry is 'polygon'",
        ),
        ("solid", None, "line", r"\.symbol: a symbol is a mapping"),
    ],
)
def test_bad_strokes_name_the_file_and_key(symbol, values, geometry, message) -> None:
    with pytest.raises(ConfigError, match=message):
        Style.from_mapping(spec(symbol, values=values, geometry=geometry), where=WHERE)
