"""A user's own file as a map layer (``fzgeo map FILE``).

The file is read as ``fzgeo check`` reads sites (:func:`fzgeo.io.read`: every supported format,
encoding detection, the CRS rules and coordinate checks), reprojected to EPSG:4490 and drawn
either in the style of a packaged layer kind (``--kind eco_redline``: its colours, categories and
Chinese column names where the file's columns match the kind's) or in a neutral style chosen by
geometry type. Every attribute of the file reaches the popup (the runtime escapes each value,
so HTML in the data shows as text); column names and values keep their Chinese.

Features without geometry cannot be drawn: they are left out with a :class:`RepairWarning`
naming the count; invalid geometries are repaired (:func:`fzgeo.geom.make_valid`) with one too.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import shapely
from geopandas import GeoDataFrame

from fzgeo import styles
from fzgeo.crs import to_storage
from fzgeo.errors import ConfigError, RepairWarning, UnknownLayerError
from fzgeo.geom import make_valid
from fzgeo.io.columns import find_column
from fzgeo.maps.compose import MapLayer
from fzgeo.plan import layers
from fzgeo.plan.schema import Column, LayerKind
from fzgeo.styles import Style

#: The group of a user's file in the layer control and legend.
GROUP = "文件"
#: Columns tried, in order, as the tooltip label (then the first text column); matched as
#: :func:`fzgeo.io.columns.find_column` matches (NFKC, any case).
LABEL_COLUMNS = (
    "名称", "name", "项目名称", "XMMC", "MC", "HXMC", "BHHXMC", "地块名称", "DKMC", "BSM", "编号",
    "id",
)  # fmt: skip
#: The neutral style, by geometry type (a blue not used by the packaged plan layers' areas).
NEUTRAL = {
    "polygon": {"stroke": "#1565c0", "width": 2, "fill": "#64b5f6", "fill_opacity": 0.3},
    "line": {"stroke": "#1565c0", "width": 3},
    "point": {
        "stroke": "#0d47a1",
        "width": 1.5,
        "fill": "#42a5f5",
        "fill_opacity": 0.9,
        "radius": 6,
    },
}
_GEOMETRY = {"Point": "point", "LineString": "line", "Polygon": "polygon"}


def geometry_of(gdf: GeoDataFrame) -> str:
    """The style geometry of a frame: ``polygon``, ``line`` or ``point`` (mixed: ``polygon``)."""
    types = {t.removeprefix("Multi") for t in gdf.geom_type.dropna().unique()}
    types.discard("GeometryCollection")
    return _GEOMETRY[types.pop()] if len(types) == 1 else "polygon"


def _label(gdf: GeoDataFrame) -> str:
    cols = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    found = find_column(cols, LABEL_COLUMNS)
    if found:
        return found
    text = [c for c in cols if gdf[c].dtype == object]
    return text[0] if text else ""


def _drawable(gdf: GeoDataFrame, path: Path) -> GeoDataFrame:
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        rows = [int(i) + 1 for i in missing.nonzero()[0][:5]]
        warnings.warn(
            f"{path}: {int(missing.sum())} feature(s) without geometry left off the map "
            f"(rows {rows}{' ...' if missing.sum() > 5 else ''})",
            RepairWarning,
            stacklevel=3,
        )
        gdf = gdf[~missing]
    invalid = ~shapely.is_valid(gdf.geometry.values)
    if invalid.any():
        warnings.warn(
            f"{path}: {int(invalid.sum())} invalid geometr{'y' if invalid.sum() == 1 else 'ies'} "
            "repaired for display",
            RepairWarning,
            stacklevel=3,
        )
        gdf = gdf.copy()
        gdf.loc[invalid, gdf.geometry.name] = make_valid(gdf.geometry.values[invalid])
    return gdf


def file_layer(
    gdf: GeoDataFrame, *, path: str | Path, kind: str | None = None, title: str | None = None
) -> MapLayer:
    """A map layer of a file's features, read with :func:`fzgeo.io.read`.

    Parameters
    ----------
    gdf
        The features, in any CRS the reader resolved.
    path
        The file, for messages and the default layer name (its stem).
    kind
        A packaged layer kind whose style draws the layer; unknown: :class:`ConfigError`.
    title
        The layer's name in the layer control and legend (default: the file's stem).
    """
    path = Path(path)
    gdf = _drawable(to_storage(gdf, what=str(path)), path)
    gdf.columns = [str(c) for c in gdf.columns]
    gdf = gdf.set_geometry(gdf.geometry.name)
    name = title or path.stem
    aliases: dict[str, str] = {}
    if kind is not None:
        try:
            packaged = layers.kind(kind)
        except UnknownLayerError as exc:
            raise ConfigError(
                f"--kind {kind!r} is no layer kind; available: {', '.join(layers.available())}"
            ) from exc
        aliases = packaged.aliases_zh
        style = styles.style(packaged.style)
        if style.label not in gdf.columns:
            style = replace(style, label=_label(gdf))
        group = packaged.group or GROUP
    else:
        geometry = geometry_of(gdf) if len(gdf) else "polygon"
        style = Style.from_mapping(
            {
                "key": "user_file",
                "name_zh": name,
                "geometry": geometry,
                "symbol": NEUTRAL[geometry],
                "label": _label(gdf),
            },
            where="neutral style",
        )
        group = GROUP
    columns = tuple(
        Column(c, "str", aliases.get(c, c), required=False)
        for c in gdf.columns
        if c != gdf.geometry.name
    )
    geometry_type = {"polygon": "Polygon", "line": "LineString", "point": "Point"}[style.geometry]
    layer_kind = _UserKind("user_file", name, geometry_type, columns, style=style.key, group=group)
    return MapLayer("user_file", layer_kind, style, gdf)


class _UserKind(LayerKind):
    """A file's own columns, in the file's order, with no provenance columns added in front."""

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """The file's columns only."""
        return tuple(self.columns)
