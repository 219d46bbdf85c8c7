"""QGIS treatment of the conflict output of ``fzgeo check`` (``conflicts.gpkg``).

The layers ``sites`` and ``conflict_parts`` (see :mod:`fzgeo.report`) get the styles the conflict
web map uses (``check_styles`` of the composition ``maps/conflicts.yaml``), their (already
Chinese) column names as aliases (the provenance columns the sites carry get their Chinese
aliases), an abstract saying what the overlaps are worth, and a
``conflicts.qgz`` beside them with the group 检查结果.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from geopandas import GeoDataFrame

from fzgeo.errors import ConfigError
from fzgeo.maps import compose
from fzgeo.maps.conflict import GROUP, LABEL_CANDIDATES, PARTS, SITES
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
        "选址与管控线的重叠部分 (the parts of each site inside a protection line or its buffer). "
        "They are only as precise as the constraint layers checked: with the packaged "
        "示意 (illustrative) 三区三线 stand-ins they are indicative, not a legal finding; load the "
        "official data (fzgeo sanqu load) for a formal check."
    ),
}


#: Chinese aliases of the provenance columns the sites keep from their input.
PROVENANCE_ZH = {c.name: c.alias_zh for c in PROVENANCE}
EXTRA_ZH = {"project_type": "项目类型"}


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


def write_conflicts(frames: Mapping[str, GeoDataFrame], path: str | Path) -> QgisOutput:
    """Write ``sites``/``conflict_parts`` to ``path`` styled for QGIS, with ``<stem>.qgz``."""
    styles = styles_for(frames)
    specs: dict[str, LayerSpec] = {}
    for name, gdf in frames.items():
        columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        aliases = {c: PROVENANCE_ZH.get(c) or EXTRA_ZH.get(c) or c for c in columns}
        specs[name] = (aliases, styles[name])
    groups = dict.fromkeys(frames, GROUP)
    return write_qgis(
        frames, path, specs=specs, descriptions=DESCRIPTIONS, groups=groups, title=TITLE
    )
