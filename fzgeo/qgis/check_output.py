"""QGIS treatment of the conflict output of ``fzgeo check`` (``conflicts.gpkg``).

The layers ``sites`` and ``conflict_parts`` (see :mod:`fzgeo.report`) get the styles the conflict
web map uses (``check_styles`` of the composition ``maps/conflicts.yaml``), their (already
Chinese) column names as aliases (the provenance columns the sites carry get their Chinese
aliases), an abstract saying what the overlaps are worth, and a
``conflicts.qgz`` beside them with the group 检查结果. Each part is classed in the column
部分类别 (:func:`fzgeo.maps.conflict.part_class`): a ``within`` rule's conflict part is the part
of the site outside the boundary, 界外部分（冲突）, in the legend.

With the constraint layers the check used (:func:`constraint_frames`), the GeoPackage also holds
them as ``constraint_<layer>`` (group 三区三线), cut to the sites' extent plus
:data:`MARGIN_DEG`, in their packaged styles, so QGIS and the conflict web map show the layers
that were checked (the user's files when given), not the packaged stand-ins.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

import shapely
from geopandas import GeoDataFrame

from fzgeo.check import CheckResult
from fzgeo.crs import to_storage
from fzgeo.errors import ConfigError
from fzgeo.maps import compose
from fzgeo.maps.conflict import (
    CONSTRAINT_GROUP,
    CONSTRAINT_PREFIX,
    GROUP,
    LABEL_CANDIDATES,
    LAYER_TITLE,
    PARTS,
    SITES,
    classify,
    constraint_style,
)
from fzgeo.plan.schema import PROVENANCE
from fzgeo.qgis.export import QgisOutput, write_qgis
from fzgeo.qgis.gpkg_styles import LayerSpec
from fzgeo.styles import Style

#: The composition whose ``check_styles`` style the check output.
COMPOSITION = "conflicts"
TITLE = "建设项目选址冲突检查结果"
DESCRIPTIONS = {
    SITES: (
        "项目选址及检查结论 (sites checked, with 综合结论 and per-rule overlap areas in m², 公顷, 亩). "
        "Areas are measured in EPSG:4548."
    ),
    PARTS: (
        "选址的冲突部分：与管控线的重叠部分，及城镇开发边界等 within 规则的界外部分 (the parts of "
        "each site inside a protection line or its buffer, and for a within rule such as "
        "城镇开发边界 the part outside the boundary; 部分类别 says which). "
        "They are only as precise as the constraint layers checked: with the packaged "
        "示意 (illustrative) 三区三线 stand-ins they are indicative, not a legal finding; load the "
        "official data (fzgeo sanqu load) for a formal check."
    ),
}


#: The constraint layers are cut to the sites' extent grown by this much (degrees, about 2 km).
MARGIN_DEG = 0.02

#: Chinese aliases of the provenance columns the sites keep from their input.
PROVENANCE_ZH = {c.name: c.alias_zh for c in PROVENANCE}
EXTRA_ZH = {"project_type": "项目类型", "side": "部位（inside 界内，outside 界外）"}


def styles_for(frames: Mapping[str, GeoDataFrame]) -> dict[str, Style]:
    """The check styles of the composition, each labelled by a column the layer has."""
    spec = compose.spec(COMPOSITION)
    where = f"maps/{COMPOSITION}.yaml check_styles"
    out = {}
    for name, gdf in frames.items():
        if name not in spec.check_styles:
            raise ConfigError(f"{where}: no style for {name!r}")
        doc = dict(spec.check_styles[name])
        if doc.get("label") not in gdf.columns:
            doc["label"] = next((c for c in LABEL_CANDIDATES if c in gdf.columns), "")
        out[name] = Style.from_mapping(doc, where=f"{where}.{name}")
    return out


def constraint_frames(
    result: CheckResult, layers: Mapping[str, GeoDataFrame], sites: GeoDataFrame
) -> dict[str, GeoDataFrame]:
    """The constraint layers the check used, cut to the sites' extent plus :data:`MARGIN_DEG`.

    Parameters
    ----------
    result
        The check (its rules map each display name to the rule layer name).
    layers
        The layers by display name, as :func:`fzgeo.report.write_report` takes them (the user's
        files when given), any CRS. Layers whose rules were all skipped are left out.
    sites
        The sites, any CRS.

    Returns
    -------
    dict
        ``constraint_<rule layer name>`` -> the features meeting the box, cut to it, EPSG:4490,
        with the column 管控图层 (the display name) first.
    """
    by_title = result.rules.layers_by_title()
    x0, y0, x1, y1 = to_storage(sites, what="sites").total_bounds
    box = (x0 - MARGIN_DEG, y0 - MARGIN_DEG, x1 + MARGIN_DEG, y1 + MARGIN_DEG)
    out = {}
    for title, gdf in layers.items():
        key = by_title.get(title, title)
        if gdf is None or result.unused(key):
            continue
        layer = to_storage(gdf, what=f"constraint layer {title}")
        geoms = np.asarray(layer.geometry.values, dtype=object)
        near = shapely.STRtree(geoms).query(shapely.box(*box))
        cut = shapely.clip_by_rect(geoms[np.sort(near)], *box)
        keep = ~shapely.is_empty(cut)
        frame = layer.iloc[np.sort(near)[keep]].drop(columns=layer.geometry.name)
        frame.insert(0, LAYER_TITLE, title)
        frame.columns = [str(c) for c in frame.columns]
        out[f"{CONSTRAINT_PREFIX}{key}"] = GeoDataFrame(
            frame.reset_index(drop=True), geometry=cut[keep], crs=layer.crs
        )
    return out


def write_conflicts(
    frames: Mapping[str, GeoDataFrame],
    path: str | Path,
    *,
    result: CheckResult | None = None,
    layers: Mapping[str, GeoDataFrame] | None = None,
) -> QgisOutput:
    """Write ``sites``/``conflict_parts`` to ``path`` styled for QGIS, with ``<stem>.qgz``.

    The parts get their class (:func:`fzgeo.maps.conflict.classify`, knowing the ``within``
    rules from ``result``); with ``result`` and
    ``layers`` (the constraint layers by display name, as :func:`fzgeo.report.write_report`
    takes them), the layers the check used are written too (:func:`constraint_frames`).
    """
    frames = dict(frames)
    if PARTS in frames:
        kinds = {r.id: r.kind for r in result.rules.rules} if result is not None else {}
        frames[PARTS] = classify(frames[PARTS], kinds)
    styles = styles_for(frames)
    specs: dict[str, LayerSpec] = {}
    for name, gdf in frames.items():
        columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        aliases = {c: PROVENANCE_ZH.get(c) or EXTRA_ZH.get(c) or c for c in columns}
        specs[name] = (aliases, styles[name])
    groups = dict.fromkeys(frames, GROUP)
    descriptions = dict(DESCRIPTIONS)
    used = constraint_frames(result, layers, frames[SITES]) if result and layers else {}
    for name, gdf in used.items():
        key = name.removeprefix(CONSTRAINT_PREFIX)
        title = str(gdf[LAYER_TITLE].iloc[0]) if len(gdf) else key
        columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        aliases = {c: PROVENANCE_ZH.get(c) or c for c in columns}
        specs[name] = (aliases, constraint_style(key, title, gdf))
        groups[name] = CONSTRAINT_GROUP
        descriptions[name] = (
            f"{title}：本次检查所用的管控图层 (the constraint layer the check used), "
            f"cut to the sites' extent plus {MARGIN_DEG}°."
        )
    # the used layers first: the project draws the first layers at the bottom... see write_qgis
    return write_qgis(
        {**used, **frames},
        path,
        specs=specs,
        descriptions=descriptions,
        groups=groups,
        title=TITLE,
    )
