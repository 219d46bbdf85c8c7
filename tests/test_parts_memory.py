"""The conflict parts built chunk by chunk, letting the raw overlaps go, equal the parts built whole."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import shapely
from geopandas import GeoDataFrame

from fzgeo import check
from fzgeo.check import parts as parts_mod
from fzgeo.check import rules
from fzgeo.check.rules import SKIPPED
from fzgeo.errors import FzgeoError

RULES = rules.from_mapping(
    {
        "rules": [
            {"id": "red", "layer": "red", "kind": "veto"},
            {"id": "urb", "layer": "urb", "kind": "within", "name_zh": "城镇开发边界"},
        ]
    }
)


def _batch() -> tuple[GeoDataFrame, dict[str, GeoDataFrame]]:
    """Polygon, line and point sites against a ragged red line and a town boundary."""
    import synthetic

    red = synthetic.redlines(20_000, seed=3)
    polys = synthetic.sites(1500, seed=4)
    geoms = np.asarray(polys.geometry.values, dtype=object)
    lines = shapely.boundary(geoms[:300])  # the outlines of some sites: line sites
    points = shapely.centroid(geoms[300:600])
    mixed = np.concatenate([geoms, lines, points])
    sites = GeoDataFrame({"site_id": np.arange(len(mixed))}, geometry=list(mixed), crs=polys.crs)
    x0, y0, x1, y1 = polys.total_bounds
    town = shapely.box(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
    urb = GeoDataFrame({"name": ["城镇"]}, geometry=[town], crs=polys.crs)
    return sites, {"red": red, "urb": urb}


def _whole(result: check.CheckResult) -> GeoDataFrame:
    """The parts built in one piece from a copy of the raw overlaps, as before the chunked build."""
    checked = result.details[result.details["verdict"] != SKIPPED].reset_index(drop=True)
    return parts_mod.parts_frame(
        copy.deepcopy(result.measured),
        checked,
        len(result.sites),
        1,
        result.work_sites,
        result.rules,
    )


def test_chunked_parts_equal_the_parts_built_whole(monkeypatch):
    sites, layers = _batch()
    result = check.run(sites, layers, RULES, workers=2, progress=False)
    expected = _whole(result)
    assert set(expected["side"]) == {"inside", "outside"}  # both kinds of part are built
    kinds = set(shapely.get_type_id(result.work_sites[0]).tolist())
    assert {0, 1, 3} <= kinds or {0, 1, 6} <= kinds  # points, lines and polygons checked
    monkeypatch.setattr(parts_mod, "PART_CHUNK", 64)  # many chunks, over two threads
    got = result.parts
    assert len(got) == len(expected) > 4 * 64
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")),
        pd.DataFrame(expected.drop(columns="geometry")),
    )
    assert shapely.equals_exact(got.geometry.values, expected.geometry.values).all()
    assert got.crs == expected.crs == "EPSG:4490"
    # the raw overlaps were let go, the numbers kept; the parts are kept once built
    for _, m in result.measured:
        assert shapely.is_missing(m.parts).all()
        assert m.inside.any()
    assert result.parts is got


def test_a_failed_build_does_not_come_back_with_parts_missing(monkeypatch):
    sites, layers = _batch()
    result = check.run(sites, layers, RULES, workers=1, progress=False)
    monkeypatch.setattr(parts_mod, "PART_CHUNK", 64)
    real = parts_mod.work_to_storage
    calls = []

    def flaky(geoms):
        calls.append(len(geoms))
        if len(calls) == 3:
            raise MemoryError
        return real(geoms)

    monkeypatch.setattr(parts_mod, "work_to_storage", flaky)
    with pytest.raises(MemoryError):
        _ = result.parts
    with pytest.raises(FzgeoError, match="cannot be built again"):
        _ = result.parts


def test_the_parts_of_some_sites_are_those_rows_of_the_parts():
    sites, layers = _batch()
    result = check.run(sites, layers, RULES, workers=2, progress=False)
    expected = _whole(result)
    inside = expected.loc[expected["side"] == "inside", "site"].unique()
    outside = expected.loc[expected["side"] == "outside", "site"].unique()
    # a few sites with parts of each kind (polygons, lines, points), and some without parts
    some = sorted({*inside[::40].tolist(), *outside[::40].tolist(), 1, 1601, 2001})
    rows = expected[expected["site"].isin(some)].reset_index(drop=True)
    assert set(rows["side"]) == {"inside", "outside"} and len(rows) > len(some) // 2
    for built_first in (False, True):
        if built_first:
            _ = result.parts  # now taken from the parts built
        got = result.parts_of(some)
        pd.testing.assert_frame_equal(
            pd.DataFrame(got.drop(columns="geometry")),
            pd.DataFrame(rows.drop(columns="geometry")),
        )
        assert shapely.equals_exact(got.geometry.values, rows.geometry.values).all()
        assert got.crs == "EPSG:4490"
        if not built_first:  # nothing let go: the whole parts still come out whole
            assert not all(shapely.is_missing(m.parts).all() for _, m in result.measured)
    assert len(result.parts_of([])) == 0
