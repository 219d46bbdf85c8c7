"""The conflict map: the result of ``fzgeo check`` drawn over the 三区三线 it was checked against.

It reads a check output folder (see :mod:`fzgeo.report`): ``conflicts.gpkg`` with the layers
``sites`` (every site, its 综合结论 and per-rule areas in m², 公顷 and 亩), ``conflict_parts``
(the overlaps; for a ``within`` rule such as 城镇开发边界 the part outside the boundary, each
classed in :data:`PART_CLASS`) and ``constraint_<layer>``: the constraint layers the check used
(the user's files when given, cut to the sites' surroundings; :mod:`fzgeo.qgis.check_output`).
Sites are coloured by verdict (冲突 / 邻近 / 无冲突), the parts drawn on top, and every popup
carries the site's whole result row; the column names are already Chinese. The base layers and
both styles come from the composition ``maps/conflicts.yaml`` (``check_styles``); where the
output holds the layers the check used, they replace the composition's packaged 三区三线 layers
(group :data:`CONSTRAINT_GROUP`), each in its packaged style, so the map shows what was checked. :func:`map_layers` gives a
composition's layers with a check result on top; :func:`illustrative` says whether the check
used illustrative (示意) layers, for the map's banner.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from geopandas import GeoDataFrame

from fzgeo import io, styles
from fzgeo.check.rules import CONFLICT, NEAR
from fzgeo.crs import to_storage
from fzgeo.errors import ConfigError, DataNotFoundError, UnknownLayerError
from fzgeo.maps import compose
from fzgeo.maps.compose import MapLayer, MapSpec
from fzgeo.plan import layers
from fzgeo.plan.schema import Column, LayerKind
from fzgeo.styles import Style

GPKG = "conflicts.gpkg"
SUMMARY = "summary.json"
SITES, PARTS = "sites", "conflict_parts"
GROUP = "检查结果"
#: The constraint layers a check used are stored as ``constraint_<rule layer name>``.
CONSTRAINT_PREFIX = "constraint_"
#: Their column naming the layer as the report does (the Chinese name of its first rule).
LAYER_TITLE = "管控图层"
#: Their group in the layer control and the QGIS project (QGIS draws it under 检查结果).
CONSTRAINT_GROUP = "管控图层（检查所用）"
#: The composition's group whose packaged layers the used layers replace.
REPLACED_GROUP = "三区三线"
#: The column of ``conflict_parts`` classing each part, and its values as the legends show them.
PART_CLASS = "部分类别"
OVERLAP = "与管控线重叠（冲突）"
OUTSIDE = "界外部分（冲突）"
BAND = "缓冲范围内（邻近）"
EXEMPT = "豁免（需复核）"
EXEMPT_CLEAR = "豁免（无冲突）"
#: Columns of ``conflict_parts`` as :mod:`fzgeo.report` writes them.
RULE_ID, VERDICT, EXEMPT_COLUMN = "规则编号", "结论", "是否豁免"
SIDE_COLUMNS = ("部位", "side")  #: which side of the layer a part lies on
OUTSIDE_SIDE = ("outside", "界外")
#: Site attributes tried, in order, as the tooltip label.
LABEL_CANDIDATES = ("名称", "name", "项目名称", "NAME", "序号")
#: Constraint-layer columns also tried as the label (the national database's names and codes).
NAME_COLUMNS = ("HXMC", "BHHXMC", "MC", "mc", "XMMC", "BSM", "bsm", "编号", "id")
_GEOMETRY = {"Point": "point", "LineString": "line", "Polygon": "polygon"}


def part_class(kind: str, verdict: str, exempt: bool) -> str:
    """The class of a conflict part of a rule of ``kind`` with ``verdict`` (:data:`PART_CLASS`).

    A ``within`` rule's conflict part is the site outside the boundary (:data:`OUTSIDE`); other
    rules' the site inside the layer (:data:`OVERLAP`) or inside the proximity band
    (:data:`BAND`); exempted parts are :data:`EXEMPT` (邻近) or :data:`EXEMPT_CLEAR`.
    """
    if exempt:
        return EXEMPT if verdict == NEAR else EXEMPT_CLEAR
    if verdict == CONFLICT:
        return OUTSIDE if kind == "within" else OVERLAP
    return BAND if verdict == NEAR else EXEMPT_CLEAR


def classify(parts: GeoDataFrame, kinds: Mapping[str, str] | None = None) -> GeoDataFrame:
    """``parts`` (Chinese columns, as in ``conflicts.gpkg``) with their :data:`PART_CLASS`.

    A part is a ``within`` rule's (the site outside the boundary) when its ``side`` column (or
    部位) says ``outside`` (界外), or when ``kinds`` (rule id 规则编号 -> rule kind) says so. A
    column already there is kept.
    """
    if PART_CLASS in parts.columns or not {RULE_ID, VERDICT} <= set(parts.columns):
        return parts
    kinds = dict(kinds or {})
    n = len(parts)
    exempt = parts[EXEMPT_COLUMN] if EXEMPT_COLUMN in parts.columns else [False] * n
    side = next((parts[c] for c in SIDE_COLUMNS if c in parts.columns), [""] * n)
    classes = [
        part_class(
            "within" if str(o) in OUTSIDE_SIDE else kinds.get(str(r), ""),
            str(v),
            str(e).lower() in ("true", "1", "是"),
        )
        for r, v, e, o in zip(parts[RULE_ID], parts[VERDICT], exempt, side, strict=True)
    ]
    return parts.assign(**{PART_CLASS: classes})


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
    out = {n: to_storage(io.read(gpkg, layer=n, what=f"check {n}")) for n in (SITES, PARTS)}
    out[PARTS] = classify(out[PARTS])
    return out


def _kind(
    key: str, name_zh: str, gdf: GeoDataFrame, aliases: Mapping[str, str] | None = None
) -> LayerKind:
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    geometry_type = _geometry_type(gdf)
    provenance = {c.name for c in LayerKind("x", "x", "Point").all_columns}
    aliases = aliases or {}
    own = tuple(Column(c, "str", aliases.get(c, c)) for c in cols if c not in provenance)
    return LayerKind(key, name_zh, geometry_type, own, style=key, group=GROUP)


def _style(data: Mapping[str, Any], gdf: GeoDataFrame, where: str) -> Style:
    doc = dict(data)
    if doc.get("label") not in gdf.columns:
        doc["label"] = next((c for c in LABEL_CANDIDATES if c in gdf.columns), "")
    return Style.from_mapping(doc, where=where)


def used_layers(folder: str | Path) -> dict[str, GeoDataFrame]:
    """The constraint layers a check used, as its output folder holds them, by rule layer name.

    Empty for an output written before fzgeo stored them. EPSG:4490.
    """
    gpkg = Path(folder) / GPKG
    if not gpkg.is_file():
        return {}
    return {
        name.removeprefix(CONSTRAINT_PREFIX): to_storage(
            io.read(gpkg, layer=name, what=f"check layer {name}")
        )
        for name in io.list_layers(gpkg)
        if name.startswith(CONSTRAINT_PREFIX)
    }


def constraint_style(key: str, title: str, gdf: GeoDataFrame) -> Style:
    """The style a used constraint layer is drawn in: its packaged layer's, titled ``title``.

    A layer the rules name that is no packaged kind gets a plain red outline. The label is the
    layer's name column (:data:`LABEL_CANDIDATES`, then the usual 名称/HXMC/BSM ...).
    """
    label = next((c for c in (*LABEL_CANDIDATES, *NAME_COLUMNS) if c in gdf.columns), "")
    try:
        base = styles.style(layers.kind(key).style)
    except UnknownLayerError:
        base = Style.from_mapping(
            {
                "key": key,
                "name_zh": title,
                "geometry": _GEOMETRY.get(_geometry_type(gdf), "polygon"),
                "symbol": {"stroke": "#c62828", "width": 2, "fill": "#ef9a9a", "fill_opacity": 0.3},
            },
            where=f"check layer {key}",
        )
    return replace(base, key=f"{CONSTRAINT_PREFIX}{key}", name_zh=title, label=label)


def _geometry_type(gdf: GeoDataFrame) -> str:
    types = {t.removeprefix("Multi") for t in gdf.geom_type.dropna().unique()}
    return types.pop() if len(types) == 1 else "Polygon"


def check_layers(folder: str | Path, spec: MapSpec) -> list[MapLayer]:
    """The sites and conflict parts of a check output folder as map layers.

    The constraint layers the check used (:func:`used_layers`) come first, in their packaged
    styles (:func:`constraint_style`), in the group :data:`CONSTRAINT_GROUP`. When the check
    used illustrative layers (:func:`illustrative`), the sites and parts carry the 示意
    :func:`notice`, which the map shows under its title.
    """
    frames = read_output(folder)
    where = f"maps/{spec.key}.yaml check_styles"
    out = []
    used = used_layers(folder)
    for key, gdf in used.items():
        title = layer_title(key, gdf)
        style = constraint_style(key, title, gdf)
        aliases = layers.kind(key).aliases_zh if key in layers.available() else {}
        kind = replace(_kind(style.key, title, gdf, aliases), group=CONSTRAINT_GROUP)
        out.append(MapLayer(style.key, kind, style, gdf))
    shown = notice(illustrative(folder, used))
    frames[PARTS] = display_parts(frames[PARTS])
    for name in (SITES, PARTS):
        if name not in spec.check_styles:
            raise ConfigError(f"{where}: no style for {name!r}")
        style = _style(spec.check_styles[name], frames[name], f"{where}.{name}")
        kind = _kind(style.key, style.name_zh, frames[name])
        out.append(MapLayer(style.key, kind, style, frames[name], notice=shown))
    return out


#: The overlap amount of a part (``重叠量``: m² for areas, m for lines, a count for points).
AMOUNT = "重叠量"
SIDE_ZH = {"inside": "界内", "outside": "界外"}


def display_parts(parts: GeoDataFrame) -> GeoDataFrame:
    """The conflict parts as the map's popups show them: every column Chinese, amounts with units.

    ``重叠量`` becomes ``重叠面积（平方米）`` (``界外面积`` for the part outside a ``within``
    layer) for areas and ``重叠长度（米）`` for lines; ``side`` becomes ``部位`` (界内/界外); the
    rule id ``规则编号`` is left out when its Chinese name ``规则`` is there. The geometry and
    every other column are unchanged.
    """
    out = parts.copy()
    if "side" in out.columns:
        out["部位"] = out.pop("side").map(lambda v: SIDE_ZH.get(str(v), v))
    if AMOUNT in out.columns:
        kinds = out.geom_type.fillna("").str.removeprefix("Multi")
        outside = out["部位"].eq("界外") if "部位" in out.columns else False
        amount = out.pop(AMOUNT)
        polygons = kinds.eq("Polygon")
        out["重叠面积（平方米）"] = amount.where(polygons & ~outside)
        out["界外面积（平方米）"] = amount.where(polygons & outside)
        out["重叠长度（米）"] = amount.where(kinds.eq("LineString"))
        out = out.drop(
            columns=[c for c in ("界外面积（平方米）", "重叠长度（米）") if out[c].isna().all()]
        )
    if RULE_ID in out.columns and "规则" in out.columns:
        out = out.drop(columns=[RULE_ID])
    return out.set_geometry(parts.geometry.name)


def notice(names: list[str]) -> str:
    """The 示意 banner text for the illustrative layers ``names`` ("" for none)."""
    if not names:
        return ""
    return (
        f"示意：本次检查所用的{'、'.join(names)}为示意数据，并非官方数据，"
        "检查结果不具法律效力，仅供参考。"
    )


def layer_title(key: str, gdf: GeoDataFrame) -> str:
    """The title of a used constraint layer.

    Its :data:`LAYER_TITLE` value, else the Chinese name of the packaged layer kind ``key``,
    else ``key`` (a rule layer that is no packaged kind).
    """
    if LAYER_TITLE in gdf and len(gdf):
        return str(gdf[LAYER_TITLE].iloc[0])
    return layers.kind(key).name_zh if key in layers.available() else key


def illustrative(folder: str | Path, used: Mapping[str, GeoDataFrame] | None = None) -> list[str]:
    """The Chinese names of the illustrative (示意) constraint layers a check used.

    From the output's ``summary.json`` (``illustrative_layers``, named by ``audit.layers``),
    the rule of :func:`fzgeo.report.illustrative_layers`; for an output without it, the layers
    of :func:`used_layers` (``used`` when the caller has read them) holding a feature of
    ``precision`` ``illustrative``.
    """
    folder = Path(folder)
    summary = folder / SUMMARY
    if summary.is_file():
        try:
            data = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if isinstance(data, dict) and isinstance(data.get("illustrative_layers"), list):
            recorded = ((data.get("audit") or {}).get("layers")) or {}
            return [
                str((recorded.get(n) or {}).get("name_zh") or n)
                for n in data["illustrative_layers"]
            ]
    return [
        layer_title(key, gdf)
        for key, gdf in (used_layers(folder) if used is None else used).items()
        if compose.has_illustrative(gdf)
    ]


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
        found = check_layers(check, spec if spec.needs_check else compose.spec("conflicts"))
        if any(ml.id.startswith(CONSTRAINT_PREFIX) for ml in found):
            # the layers the check used replace the packaged 三区三线 they stand for
            out = [ml for ml in out if ml.group != REPLACED_GROUP]
        out += found
    return out
