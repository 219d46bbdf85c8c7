"""Builders for the transport and urban-structure layers of the plan.

Railways, highways and the core–satellite links are placed lines (:mod:`fzgeo.plan.placement`),
clipped at the city boundary. Their builder adds two derived columns:

``legend``
    the class a planning map draws differently, ``<class>（<status>）`` such as
    ``高速铁路（现状）`` or ``高速公路（规划）``: existing lines solid, planned ones dashed
    (see ``styles/railways.yaml``);
``length_km``
    the in-city length in EPSG:4548. Lines are schematic (straight legs between real stations
    and seats), so this is shorter than the real alignment: an approximation, not a survey;
``county`` (when the kind has the column)
    the county-level units the route serves: those holding the named places inside the city it
    is drawn through (:func:`route_counties`), in order, joined by 、. A route enters a county
    only through a place named for it, so a straight leg that would cut through another county
    is bent through a named town of the counties it serves (``tests/test_plan_honesty.py``
    checks that every line lies inside its counties).

Network frames (``network_frames``: the plan's “三横三纵一连”, “两横三纵”, ...) are built by
:func:`build_frames` as the union of the roads or railways they are made of.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from geopandas import GeoDataFrame
from shapely.geometry.base import BaseGeometry

from fzgeo import _resources
from fzgeo.crs import to_work
from fzgeo.errors import ConfigError
from fzgeo.plan import placement
from fzgeo.plan.admin import counties_work
from fzgeo.plan.context import BuildContext
from fzgeo.plan.schema import STATUS_ZH


def legend_class(kind_value: str, status: str) -> str:
    """The legend class of a feature: ``高速铁路（规划）``."""
    return f"{kind_value}（{STATUS_ZH[status]}）"


def build_lines(ctx: BuildContext) -> GeoDataFrame:
    """Build a placed line layer and add ``length_km`` and, if asked, ``legend``.

    ``build.legend_of`` names the column whose value, with the status, makes the legend class.
    """
    doc = yaml.safe_load(_resources.read_text("layers", ctx.kind.build["file"]))
    gdf = placement.features_to_gdf(doc, kind=ctx.kind, load=ctx.load)
    if any(c.name == "county" for c in ctx.kind.columns):
        counties = counties_work(ctx.load)
        gdf["county"] = [
            "、".join(route_counties(f["geometry"], counties)) or None
            for f in doc.get("features") or []
        ]
    return _legend_and_length(gdf, ctx)


#: a route's named place this close to a county (metres) counts as in it (a town placed on the
#: outline, the round trip of the outlines through EPSG:4548)
ON_BOUNDARY_M = 100.0


def route_counties(spec: Mapping[str, Any], counties: Mapping[str, BaseGeometry]) -> list[str]:
    """The counties holding the in-city places a ``{line: [...]}`` spec is drawn through.

    Parameters
    ----------
    spec
        A line spec of :mod:`fzgeo.plan.placement` (other specs serve no named places: []).
    counties
        County name to shape in EPSG:4548 (:func:`fzgeo.plan.admin.counties_work`).

    Returns
    -------
    list of str
        County names in the order the route reaches them, each once; places beyond the city
        add none.
    """
    found: list[str] = []
    for ref in spec.get("line") or []:
        point = placement.place(ref)
        near = [
            (shape.distance(point), name)
            for name, shape in counties.items()
            if shape.distance(point) <= ON_BOUNDARY_M
        ]
        if near:
            name = min(near)[1]
            if name not in found:
                found.append(name)
    return found


def _legend_and_length(gdf: GeoDataFrame, ctx: BuildContext) -> GeoDataFrame:
    field = ctx.kind.build.get("legend_of")
    if field:
        if field not in gdf.columns:
            path = f"layers/{ctx.kind.build['file']}"
            raise ConfigError(f"legend_of: no column {field!r} in the features", path=path)
        gdf["legend"] = [
            legend_class(str(v), str(s)) for v, s in zip(gdf[field], gdf["status"], strict=True)
        ]
    gdf["length_km"] = (to_work(gdf).length / 1000.0).round(2)
    return gdf


def build_frames(ctx: BuildContext) -> GeoDataFrame:
    """Build network frames: each the union of named features of another line layer.

    Every feature's geometry must be ``{of_layer: LAYER, names: [...]}``. The builder adds
    ``member_layer``, ``members`` (the names, joined by 、), ``member_count``; ``precision`` is the weakest precision among the members (a frame is no
    more exact than its least exact road), derived by :mod:`fzgeo.plan.placement`; then ``legend`` and ``length_km`` as :func:`build_lines`. The member
    layers are read with the context's ``load``.
    """
    path = f"layers/{ctx.kind.build['file']}"
    doc = yaml.safe_load(_resources.read_text("layers", ctx.kind.build["file"]))
    feats = doc.get("features") or []
    specs = [f.get("geometry") or {} for f in feats]
    for i, (feat, spec) in enumerate(zip(feats, specs, strict=True)):
        if "of_layer" not in spec or "precision" in feat:
            raise ConfigError(
                f"feature {i} ({feat.get('name', '?')}): a frame's geometry must be "
                "{of_layer: LAYER, names: [...]} and its precision is derived, not given",
                path=path,
            )
    gdf = placement.features_to_gdf(doc, kind=ctx.kind, load=ctx.load)
    gdf["member_layer"] = [s["of_layer"] for s in specs]
    gdf["members"] = ["、".join(s["names"]) for s in specs]
    gdf["member_count"] = [len(s["names"]) for s in specs]
    return _legend_and_length(gdf, ctx)
