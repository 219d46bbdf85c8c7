"""Property tests of the siting check (hypothesis): conservation and invariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shapely
from geopandas import GeoDataFrame
from shapely.geometry import Polygon, box

from fzgeo import check
from fzgeo.check import rules

X, Y = 500_000.0, 3_100_000.0
TOUCH = rules.TOUCH_TOLERANCE_M2  #: 0.01 m²
WITHIN = rules.from_mapping({"rules": [{"id": "c", "layer": "c", "kind": "within"}]})
#: generated batches may repeat a site; the duplicate warning is tested elsewhere
pytestmark = pytest.mark.filterwarnings("ignore::fzgeo.errors.DuplicateWarning")
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def blobs(draw: st.DrawFn, *, vertices: int = 40) -> Polygon:
    """A noisy star-shaped polygon of up to ``vertices`` vertices, within 2 km of the origin."""
    n = draw(st.integers(6, vertices))
    cx = draw(st.floats(-1000, 1000))
    cy = draw(st.floats(-1000, 1000))
    r = draw(st.floats(50, 1500))
    noise = draw(st.lists(st.floats(0.5, 1.0), min_size=n, max_size=n))
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.column_stack(
        [X + cx + r * np.array(noise) * np.cos(a), Y + cy + r * np.array(noise) * np.sin(a)]
    )
    return shapely.make_valid(Polygon(ring)).buffer(0)


def frame(geoms: list) -> GeoDataFrame:
    return GeoDataFrame({"k": range(len(geoms))}, geometry=geoms, crs=4548)


@SETTINGS
@given(
    sites=st.lists(blobs(), min_size=1, max_size=6),
    layer=st.lists(blobs(vertices=80), min_size=1, max_size=3),
)
def test_inside_plus_outside_is_the_site_area(sites, layer):
    out = check.conflicts(frame(sites), {"c": frame(layer)}, WITHIN)
    inside = out["c__overlap_m2"].to_numpy()
    outside = out["c__outside_m2"].to_numpy()
    area = out["site_area_m2"].to_numpy()
    exact = np.array([s.difference(shapely.union_all(layer)).area for s in sites])
    # to the touch tolerance (0.01 m²): less than that inside or outside counts as nothing
    np.testing.assert_allclose(inside + outside, area, rtol=1e-6, atol=TOUCH)
    np.testing.assert_allclose(outside, exact, rtol=1e-6, atol=TOUCH)
    assert not ((inside > 0) & (inside < TOUCH)).any()
    assert not ((outside > 0) & (outside < TOUCH)).any()
    assert set(out.loc[outside > 0, "c__verdict"]) <= {"冲突"}
    assert set(out.loc[outside == 0, "c__verdict"]) <= {"无冲突"}


@SETTINGS
@given(
    sites=st.lists(blobs(), min_size=2, max_size=6),
    layer=st.lists(blobs(vertices=80), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_reordering_sites_and_constraints_changes_nothing(sites, layer, seed):
    rng = np.random.default_rng(seed)
    veto = rules.from_mapping({"rules": [{"id": "c", "layer": "c", "kind": "veto"}]})
    base = check.conflicts(frame(sites), {"c": frame(layer)}, veto)
    order = rng.permutation(len(sites))
    lorder = rng.permutation(len(layer))
    shuffled = check.conflicts(
        frame([sites[i] for i in order]), {"c": frame([layer[i] for i in lorder])}, veto
    )
    np.testing.assert_allclose(
        shuffled["c__overlap_m2"].to_numpy(),
        base["c__overlap_m2"].to_numpy()[order],
        rtol=1e-9,
        atol=1e-6,
    )
    assert list(shuffled["c__verdict"]) == list(base["c__verdict"].to_numpy()[order])
    conflict = base["c__verdict"].to_numpy() == "冲突"  # never a conflict below the tolerance
    assert (base["c__overlap_m2"].to_numpy()[conflict] >= TOUCH).all()
    assert (base["c__overlap_m2"].to_numpy()[~conflict] == 0).all()


@SETTINGS
@given(
    sites=st.lists(blobs(), min_size=1, max_size=6),
    layer=blobs(vertices=120),
    cut_x=st.floats(-1500, 1500),
)
def test_cutting_a_constraint_polygon_into_pieces_changes_nothing(sites, layer, cut_x):
    veto = rules.from_mapping({"rules": [{"id": "c", "layer": "c", "kind": "veto"}]})
    whole = check.conflicts(frame(sites), {"c": frame([layer])}, veto)
    left = layer.intersection(box(X - 1e5, Y - 1e5, X + cut_x, Y + 1e5))
    right = layer.intersection(box(X + cut_x, Y - 1e5, X + 1e5, Y + 1e5))
    parts = [g for g in (left, right) if not g.is_empty and g.area > 0]
    cut = check.conflicts(frame(sites), {"c": frame(parts)}, veto)
    np.testing.assert_allclose(
        cut["c__overlap_m2"].to_numpy(), whole["c__overlap_m2"].to_numpy(), rtol=1e-6, atol=1e-6
    )
    grave = np.abs(whole["c__overlap_m2"].to_numpy() - TOUCH) > 1e-3  # clear of the tolerance
    assert list(cut["c__verdict"].to_numpy()[grave]) == list(whole["c__verdict"].to_numpy()[grave])
