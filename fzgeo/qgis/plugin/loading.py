"""Bring the layers fzgeo wrote into the open QGIS project, with fzgeo's styles and groups.

Every fzgeo command that writes a GeoPackage for QGIS also writes a ``.qgz`` beside it, with the
layers styled, grouped, split by geometry type where a table mixes them, and switched on or off
as fzgeo decided. Reading that project into a second :class:`QgsProject` and cloning its layers
into the open one gives the analyst exactly that picture, without the plugin re-implementing a
style. Runs on the main thread (``postProcessAlgorithm``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import (
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsProject,
    QgsVectorLayer,
)


def _copy(source: Any, target: Any, project: Any, added: list[Any]) -> None:
    for child in source.children():
        if isinstance(child, QgsLayerTreeGroup):
            group = target.addGroup(child.name())
            group.setItemVisibilityChecked(child.itemVisibilityChecked())
            group.setExpanded(child.isExpanded())
            _copy(child, group, project, added)
        elif isinstance(child, QgsLayerTreeLayer) and child.layer() is not None:
            layer = child.layer().clone()
            layer.setName(child.name())
            project.addMapLayer(layer, False)
            node = target.addLayer(layer)
            node.setItemVisibilityChecked(child.itemVisibilityChecked())
            node.setExpanded(False)
            added.append(layer)


def add_project(qgz: str, project: Any, group_name: str, gpkg: str | None = None) -> list[Any]:
    """Add the layers of ``qgz`` to ``project`` inside a new top group ``group_name``.

    Without a ``.qgz`` (an older fzgeo, or ``--no-project``) every layer of ``gpkg`` is added as
    QGIS loads it, with the default style fzgeo stored in the GeoPackage. Returns the layers
    added, topmost first.
    """
    root = project.layerTreeRoot()
    top = root.insertGroup(0, group_name)
    added: list[Any] = []
    if Path(qgz).is_file():
        other = QgsProject()
        if other.read(qgz):
            _copy(other.layerTreeRoot(), top, project, added)
        other.clear()
    if not added and gpkg and Path(gpkg).is_file():
        probe = QgsVectorLayer(gpkg, "probe", "ogr")
        for sub in probe.dataProvider().subLayers():
            name = sub.split("!!::!!")[1]
            if name == "layer_styles":
                continue
            layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
            if layer.isValid():
                project.addMapLayer(layer, False)
                top.addLayer(layer)
                added.append(layer)
    return added
