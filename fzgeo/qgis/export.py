"""One call from built layers to QGIS-ready output: a styled GeoPackage and a ``.qgz`` beside it.

:func:`write_qgis` writes the layers with :func:`fzgeo.io.write` into a temporary file, stores
styles, aliases and abstracts in it (:func:`fzgeo.qgis.gpkg_styles.style_geopackage`), moves it
into place atomically and then writes the project (:func:`fzgeo.qgis.project.write_project`).
``fzgeo build``, ``fzgeo export --qgis`` and the demo call it; other outputs (conflict parts)
call it with their own aliases and styles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from geopandas import GeoDataFrame

from fzgeo import io
from fzgeo._atomic import atomic_path
from fzgeo.maps import compose
from fzgeo.plan import layers
from fzgeo.qgis import gpkg_styles, project
from fzgeo.qgis.gpkg_styles import LayerSpec
from fzgeo.qgis.layerinfo import LayerInfo

#: The layer whose city polygon sets the project's initial extent, when present.
CITY_LAYER = "admin_boundaries"
_KIND = {"Point": "point", "LineString": "line", "Polygon": "polygon"}
#: The web-map composition whose initial visibility the project copies.
OVERVIEW_MAP = "plan_overview"


@dataclass(frozen=True)
class QgisOutput:
    """What :func:`write_qgis` wrote."""

    gpkg: Path
    project: Path | None
    layers: tuple[LayerInfo, ...]


def initial_extent(built: Mapping[str, GeoDataFrame]) -> project.Extent:
    """The city's bounds if the admin layer is there, else the bounds of every layer."""
    city = built.get(CITY_LAYER)
    if city is not None and "level" in city.columns and (city["level"] == "city").any():
        xmin, ymin, xmax, ymax = (float(v) for v in city[city["level"] == "city"].total_bounds)
        return (xmin, ymin, xmax, ymax)
    boxes = [gdf.total_bounds for gdf in built.values() if len(gdf)]
    if not boxes:
        return (115.58, 26.5, 117.18, 28.5)  # 抚州市, for an all-empty output
    return (
        float(min(b[0] for b in boxes)),
        float(min(b[1] for b in boxes)),
        float(max(b[2] for b in boxes)),
        float(max(b[3] for b in boxes)),
    )


def geometry_kinds(gdf: GeoDataFrame) -> set[str]:
    """The geometry kinds (point, line, polygon) of a layer's features."""
    types = {str(t).removeprefix("Multi") for t in gdf.geom_type.dropna().unique()}
    return {_KIND[t] for t in types if t in _KIND}


def hidden_layers(names: Iterable[str], *, composition: str = OVERVIEW_MAP) -> set[str]:
    """Layers the web map ``composition`` lists but switches off when it opens.

    Those are its ``hidden_groups`` and layers marked ``visible: false``; the QGIS project opens
    with the same layers on.
    """
    refs = {ref.name: ref.visible for ref in compose.spec(composition).layers}
    return {name for name in names if refs.get(name) is False}


def write_qgis(
    built: Mapping[str, GeoDataFrame],
    path: str | Path,
    *,
    specs: Mapping[str, LayerSpec] | None = None,
    descriptions: Mapping[str, str] | None = None,
    groups: Mapping[str, str] | None = None,
    with_project: bool = True,
    title: str = project.DEFAULT_TITLE,
) -> QgisOutput:
    """Write ``built`` to the GeoPackage ``path``, styled for QGIS, and a ``.qgz`` beside it.

    Parameters
    ----------
    built
        Layer name -> GeoDataFrame in EPSG:4490.
    path
        The GeoPackage to write (replaced whole, atomically).
    specs
        Layer name -> (kind or alias mapping, style); default: the packaged layer kind of the
        same name, with its own style, and the project switches on the layers the web map's
        overview shows at first (:func:`hidden_layers`).
    descriptions
        Layer name -> description, for layers given by an alias mapping.
    groups
        Layer name -> project group, for layers given by an alias mapping.
    with_project
        Also write ``<stem>.qgz`` beside the GeoPackage.
    title
        The project title.
    """
    path = Path(path)
    hidden: set[str] = set()
    if specs is None:
        specs = {name: (layers.kind(name), None) for name in built}
        hidden = hidden_layers(built)
    with atomic_path(path) as tmp:
        io.write(dict(built), tmp)
        infos = gpkg_styles.style_geopackage(tmp, specs, descriptions=descriptions, groups=groups)
    qgz = None
    if with_project:
        shown = project.split_mixed(infos, {n: geometry_kinds(g) for n, g in built.items()})
        qgz = project.write_project(
            shown, path, extent=initial_extent(built), title=title, hidden=hidden
        )
    return QgisOutput(gpkg=path, project=qgz, layers=tuple(infos))
