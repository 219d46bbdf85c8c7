"""Builders for the transport and urban-structure layers of the plan.

Railways, highways and the core–satellite links are placed lines (:mod:`fzgeo.placement`),
clipped at the city boundary. Their builder adds two derived columns:

``legend``
    the class a planning map draws differently, ``<class>（<status>）`` such as
    ``高速铁路（现状）`` or ``高速公路（规划）``: existing lines solid, planned ones dashed
    (see ``styles/railways.yaml``);
``length_km``
    the in-city length in EPSG:4548. Lines are schematic (straight legs between real stations
    and seats), so this is shorter than the real alignment: an approximation, not a survey.
"""

from __future__ import annotations

import yaml

from geopandas import GeoDataFrame

from fzgeo import _resources, placement
from fzgeo.crs import to_work
from fzgeo.errors import ConfigError
from fzgeo.layers import BuildContext
from fzgeo.schema import STATUS_ZH


def legend_class(kind_value: str, status: str) -> str:
    """The legend class of a feature: ``高速铁路（规划）``."""
    return f"{kind_value}（{STATUS_ZH[status]}）"


def build_lines(ctx: BuildContext) -> GeoDataFrame:
    """Build a placed line layer and add ``length_km`` and, if asked, ``legend``.

    ``build.legend_of`` names the column whose value, with the status, makes the legend class.
    """
    spec = ctx.kind.build
    path = f"layers/{spec['file']}"
    doc = yaml.safe_load(_resources.read_text("layers", spec["file"]))
    gdf = placement.features_to_gdf(doc, kind=ctx.kind)
    field = spec.get("legend_of")
    if field:
        if field not in gdf.columns:
            raise ConfigError(f"legend_of: no column {field!r} in the features", path=path)
        gdf["legend"] = [
            legend_class(str(v), str(s)) for v, s in zip(gdf[field], gdf["status"], strict=True)
        ]
    gdf["length_km"] = (to_work(gdf).length / 1000.0).round(2)
    return gdf
