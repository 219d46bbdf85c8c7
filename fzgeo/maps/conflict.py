"""The conflict map: the result of ``fzgeo check`` drawn over the 三区三线 it was checked against.

It reads a check output folder (see :mod:`fzgeo.report`): ``conflicts.gpkg`` with the layers
``sites`` (every site, its 综合结论 and per-rule areas in m², 公顷 and 亩) and ``conflict_parts``
(the overlaps). Sites are coloured by verdict (冲突 / 邻近 / 无冲突), the parts drawn on top, and
every popup carries the site's whole result row; the column names are already Chinese. The base
layers and both styles come from the composition ``maps/conflicts.yaml`` (``check_styles``);
:func:`map_layers` gives a composition's layers with a check result on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geopandas import GeoDataFrame

from fzgeo import io
from fzgeo.crs import to_storage
from fzgeo.errors import ConfigError, DataNotFoundError
from fzgeo.maps import compose
from fzgeo.maps.compose import MapLayer, MapSpec
from fzgeo.plan.schema import Column, LayerKind
from fzgeo.styles import Style

GPKG = "conflicts.gpkg"
SITES, PARTS = "sites", "conflict_parts"
GROUP = "检查结果"
#: Site attributes tried, in order, as the tooltip label.
LABEL_CANDIDATES = ("名称", "name", "项目名称", "NAME", "序号")
_GEOMETRY = {"Point": "point", "LineString": "line", "Polygon": "polygon"}


def read_output(folder: str | Path) -> dict[str, GeoDataFrame]:
    """The ``sites`` and ``conflict_parts`` layers of a check output folder, in EPSG:4490."""
    folder = Path(folder)
    gpkg = folder / GPKG
    if not gpkg.is_file():
        raise DataNotFoundError(
            f"no {GPKG} in the check output folder",
            path=folder,
            hint="pass the --out folder of `fzgeo check`",
        )
    found = io.list_layers(gpkg)
    missing = [n for n in (SITES, PARTS) if n not in found]
    if missing:
        raise ConfigError(f"layers {missing} missing; found {found}", path=gpkg)
    return {n: to_storage(io.read(gpkg, layer=n, what=f"check {n}")) for n in (SITES, PARTS)}


def _kind(key: str, name_zh: str, gdf: GeoDataFrame) -> LayerKind:
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    types = {t.removeprefix("Multi") for t in gdf.geom_type.dropna().unique()}
    geometry_type = types.pop() if len(types) == 1 else "Polygon"
    provenance = {c.name for c in LayerKind("x", "x", "Point").all_columns}
    own = tuple(Column(c, "str", c) for c in cols if c not in provenance)
    return LayerKind(key, name_zh, geometry_type, own, style=key, group=GROUP)


def _style(data: Mapping[str, Any], gdf: GeoDataFrame, where: str) -> Style:
    doc = dict(data)
    if doc.get("label") not in gdf.columns:
        doc["label"] = next((c for c in LABEL_CANDIDATES if c in gdf.columns), "")
    return Style.from_mapping(doc, where=where)


def check_layers(folder: str | Path, spec: MapSpec) -> list[MapLayer]:
    """The sites and conflict parts of a check output folder as map layers."""
    frames = read_output(folder)
    where = f"maps/{spec.key}.yaml check_styles"
    out = []
    for name in (SITES, PARTS):
        if name not in spec.check_styles:
            raise ConfigError(f"{where}: no style for {name!r}")
        style = _style(spec.check_styles[name], frames[name], f"{where}.{name}")
        kind = _kind(style.key, style.name_zh, frames[name])
        out.append(MapLayer(style.key, kind, style, frames[name]))
    return out


def map_layers(spec: MapSpec, check: str | Path | None = None) -> list[MapLayer]:
    """A composition's layers, with a check output folder's sites and conflict parts on top.

    The conflict map (a composition with ``check_styles``) needs ``check``; on any other map the
    check result is drawn in the styles of the shipped ``conflicts`` composition.
    """
    if spec.needs_check and check is None:
        raise ConfigError(
            f"the {spec.key} map needs --check DIR (a `fzgeo check` output folder)",
            hint="run `fzgeo check SITES --out DIR` first",
        )
    out = compose.resolve(spec)
    if check is not None:
        out += check_layers(check, spec if spec.needs_check else compose.spec("conflicts"))
    return out
