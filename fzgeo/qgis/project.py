"""Write a QGIS project (``.qgz``) beside a styled GeoPackage.

The project holds every layer of the GeoPackage under the layer groups of the web map
(:attr:`fzgeo.plan.schema.LayerKind.group`, in the web map's group order), with the same style as
the GeoPackage's default (the style XML is embedded, so the project does not depend on
``layer_styles``), the layer abstract as layer metadata, project CRS EPSG:4490 (CGCS2000), an
initial extent (the city, or all layers) and relative paths
(``./fuzhou_plan.gpkg|layername=X``), so a colleague can copy the folder and open it. Within a
group layers are listed points, lines, polygons; the rendering order (QGIS's custom layer order)
draws every point layer over every line layer over every polygon layer, whatever their groups,
so no fill hides a road or a site. Which layers are switched on when the project opens follows
the web map's overview (see :func:`fzgeo.qgis.export.hidden_layers`); a table of several
geometry types becomes one layer per type (:func:`split_mixed`).

The ``.qgz`` is a zip holding one ``.qgs`` XML document in QGIS 3.22's format, written without
QGIS; the tests open it in real QGIS.
"""

from __future__ import annotations

import io
import sqlite3
import uuid
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Collection, Mapping, Sequence
from contextlib import closing
from dataclasses import replace
from pathlib import Path

from pyproj import CRS

from fzgeo._atomic import write_bytes
from fzgeo.crs import STORAGE_EPSG
from fzgeo.maps.compose import GROUP_ORDER
from fzgeo.qgis import gpkg_styles, qml
from fzgeo.qgis.layerinfo import LayerInfo

DEFAULT_TITLE = "抚州市“十四五”规划空间图层"
_RANK = {"point": 0, "line": 1, "polygon": 2}
_WKB = {"point": ("Point", "MultiPoint"), "line": ("Line", "MultiLineString")}
_WKB["polygon"] = ("Polygon", "MultiPolygon")
_KIND_ZH = {"point": "点", "line": "线", "polygon": "面"}
_OGR_TYPE = {"point": "Point", "line": "LineString", "polygon": "Polygon"}
_ID_NAMESPACE = uuid.UUID("5b0d3a52-4c55-4b8e-9a0c-1f1f2c7d6a01")
_BOX = ("xmin", "ymin", "xmax", "ymax")
Extent = tuple[float, float, float, float]


def spatialrefsys(epsg: int = STORAGE_EPSG) -> ET.Element:
    """A ``<spatialrefsys>`` element for ``EPSG:epsg`` as QGIS writes it."""
    crs = CRS.from_epsg(epsg)
    with warnings.catch_warnings():  # "you will likely lose information": QGIS reads the WKT
        warnings.simplefilter("ignore", UserWarning)
        proj4 = crs.to_proj4()
    node = ET.Element("spatialrefsys", nativeFormat="Wkt")
    values = {
        "wkt": crs.to_wkt("WKT2_2019"),
        "proj4": proj4,
        "srid": str(epsg),
        "authid": f"EPSG:{epsg}",
        "description": crs.name,
        "projectionacronym": "longlat" if crs.is_geographic else "tmerc",
        "ellipsoidacronym": "EPSG:7019",
        "geographicflag": "true" if crs.is_geographic else "false",
    }
    for tag, text in values.items():
        ET.SubElement(node, tag).text = text
    return node


def _extent(tag: str, extent: Extent) -> ET.Element:
    node = ET.Element(tag)
    for name, value in zip(_BOX, extent, strict=True):
        ET.SubElement(node, name).text = repr(float(value))
    return node


def layer_id(info: LayerInfo) -> str:
    """A stable QGIS layer id (same input, same id, so re-exports diff cleanly)."""
    key = f"{info.name}|{info.geometry_filter}" if info.geometry_filter else info.name
    return f"{info.name}_{uuid.uuid5(_ID_NAMESPACE, key).hex}"


def _datasource(gpkg: str, info: LayerInfo) -> str:
    source = f"./{gpkg}|layername={info.name}"
    return f"{source}|geometrytype={info.geometry_filter}" if info.geometry_filter else source


def split_mixed(
    infos: Sequence[LayerInfo], geometries: Mapping[str, Collection[str]]
) -> list[LayerInfo]:
    """One project layer per geometry type for tables holding several (or another) type.

    ``geometries`` maps a table to the geometry kinds (point, line, polygon) its features have,
    e.g. check sites that are polygons and lines. QGIS draws a table with one symbol type, so
    such a table becomes one layer per kind, filtered with ``geometrytype=`` and drawn with the
    style's colours in the matching symbol (title suffix 面/线/点).
    """
    out: list[LayerInfo] = []
    for info in infos:
        kinds = sorted(set(geometries.get(info.name, ())), key=_RANK.__getitem__)
        if not kinds or kinds == [info.style.geometry]:
            out.append(info)
            continue
        for kind in kinds:
            out.append(
                replace(
                    info,
                    title=f"{info.title}（{_KIND_ZH[kind]}）",
                    style=replace(info.style, geometry=kind),
                    geometry_filter=_OGR_TYPE[kind],
                )
            )
    return out


def _maplayer(info: LayerInfo, gpkg: str, con: sqlite3.Connection) -> ET.Element:
    fields = gpkg_styles.fields(con, info.name)
    geometry, wkb = _WKB[info.style.geometry]
    attrs = {"type": "vector", "geometry": geometry, "wkbType": wkb}
    attrs.update(qml.layer_attributes(info, fields))
    attrs.update(readOnly="0", autoRefreshEnabled="0", refreshOnNotifyEnabled="0")
    node = ET.Element("maplayer", attrs)
    box = _table_extent(con, info.name)
    if box:
        node.append(_extent("extent", box))
    for tag, text in (
        ("id", layer_id(info)),
        ("datasource", _datasource(gpkg, info)),
        ("layername", info.title),
    ):
        ET.SubElement(node, tag).text = text
    ET.SubElement(node, "srs").append(spatialrefsys())
    node.append(qml.metadata(info, "resourceMetadata"))
    ET.SubElement(node, "provider", encoding="UTF-8").text = "ogr"
    manager = ET.SubElement(node, "map-layer-style-manager", current="default")
    ET.SubElement(manager, "map-layer-style", name="default")
    node.extend(qml.body(info, fields))
    return node


def _table_extent(con: sqlite3.Connection, table: str) -> Extent | None:
    row = con.execute(
        "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name=?", (table,)
    ).fetchone()
    if row is None or any(v is None for v in row):
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def ordered_groups(infos: Sequence[LayerInfo]) -> list[tuple[str, list[LayerInfo]]]:
    """Groups in the web map's order, each with its layers (points, lines, polygons).

    The order is :data:`fzgeo.maps.compose.GROUP_ORDER`, other groups after it by name.
    """
    groups: dict[str, list[LayerInfo]] = {}
    for info in infos:
        groups.setdefault(info.group, []).append(info)
    for members in groups.values():
        members.sort(key=lambda i: _RANK[i.style.geometry])
    first = [g for g in GROUP_ORDER if g in groups]
    return [(g, groups[g]) for g in first + sorted(set(groups) - set(first))]


def rendering_order(infos: Sequence[LayerInfo]) -> list[LayerInfo]:
    """Layers top first as drawn: points over lines over polygons, then in tree order."""
    tree = [info for _, members in ordered_groups(infos) for info in members]
    return sorted(tree, key=lambda i: _RANK[i.style.geometry])


def _checked(on: bool) -> str:
    return "Qt::Checked" if on else "Qt::Unchecked"


def _layer_tree(infos: Sequence[LayerInfo], gpkg: str, hidden: Collection[str]) -> ET.Element:
    root = ET.Element("layer-tree-group")
    ET.SubElement(root, "customproperties")
    for group, members in ordered_groups(infos):
        parent = root
        if group:
            shown = any(info.name not in hidden for info in members)
            parent = ET.SubElement(
                root, "layer-tree-group", name=group, checked=_checked(shown), expanded="1"
            )
            ET.SubElement(parent, "customproperties")
        for info in members:
            item = ET.SubElement(
                parent,
                "layer-tree-layer",
                id=layer_id(info),
                name=info.title,
                source=_datasource(gpkg, info),
                providerKey="ogr",
                checked=_checked(info.name not in hidden),
                expanded="1",
            )
            ET.SubElement(item, "customproperties")
    order = ET.SubElement(root, "custom-order", enabled="1")
    for info in rendering_order(infos):
        ET.SubElement(order, "item").text = layer_id(info)
    return root


def _properties() -> ET.Element:
    props = ET.Element("properties")
    ET.SubElement(ET.SubElement(props, "Paths"), "Absolute", type="bool").text = "false"
    ET.SubElement(ET.SubElement(props, "Measure"), "Ellipsoid", type="QString").text = "EPSG:7019"
    srs = ET.SubElement(props, "SpatialRefSys")
    ET.SubElement(srs, "ProjectionsEnabled", type="int").text = "1"
    units = ET.SubElement(props, "Measurement")
    ET.SubElement(units, "DistanceUnits", type="QString").text = "meters"
    ET.SubElement(units, "AreaUnits", type="QString").text = "km2"
    return props


def padded(extent: Extent, margin: float = 0.05) -> Extent:
    """``extent`` grown by ``margin`` of its width and height on every side."""
    xmin, ymin, xmax, ymax = extent
    dx, dy = (xmax - xmin) * margin, (ymax - ymin) * margin
    return (xmin - dx, ymin - dy, xmax + dx, ymax + dy)


def project_xml(
    infos: Sequence[LayerInfo],
    gpkg: Path,
    *,
    extent: Extent,
    title: str = DEFAULT_TITLE,
    hidden: Collection[str] = (),
) -> str:
    """The ``.qgs`` document for ``infos`` stored in ``gpkg`` (a file beside the project).

    Layers named in ``hidden`` are listed but switched off when the project opens.
    """
    root = ET.Element("qgis", projectname=title, version=qml.QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "projectCrs").append(spatialrefsys())
    root.append(_layer_tree(infos, gpkg.name, hidden))
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    ET.SubElement(canvas, "units").text = "degrees"
    canvas.append(_extent("extent", extent))
    ET.SubElement(canvas, "rotation").text = "0"
    ET.SubElement(canvas, "destinationsrs").append(spatialrefsys())
    view = ET.SubElement(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
    default = ET.SubElement(
        view, "DefaultViewExtent", {k: repr(float(v)) for k, v in zip(_BOX, extent, strict=True)}
    )
    default.append(spatialrefsys())
    layers = ET.SubElement(root, "projectlayers")
    with closing(sqlite3.connect(gpkg)) as con:
        layers.extend(_maplayer(info, gpkg.name, con) for info in infos)
    order = ET.SubElement(root, "layerorder")
    for info in rendering_order(infos):
        ET.SubElement(order, "layer", id=layer_id(info))
    root.append(_properties())
    return qml.to_string(root)


def write_project(
    infos: Sequence[LayerInfo],
    gpkg: str | Path,
    *,
    out: str | Path | None = None,
    extent: Extent,
    title: str = DEFAULT_TITLE,
    hidden: Collection[str] = (),
) -> Path:
    """Write the ``.qgz`` (default: beside ``gpkg``, same stem) and return its path.

    ``out`` must be in the same folder as ``gpkg``: the project refers to it relatively.
    ``extent`` is the initial view (grown by 5 %); layers in ``hidden`` start switched off.
    """
    gpkg = Path(gpkg)
    target = Path(out) if out is not None else gpkg.with_suffix(".qgz")
    if target.resolve().parent != gpkg.resolve().parent:
        msg = "the project must be written beside its GeoPackage (relative paths)"
        raise ValueError(msg)
    text = project_xml(infos, gpkg, extent=padded(extent), title=title, hidden=hidden)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(target.with_suffix(".qgs").name, text.encode("utf-8"))
    return write_bytes(target, buffer.getvalue())
