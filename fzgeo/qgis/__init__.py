"""QGIS-ready output: styles stored in the GeoPackage and a QGIS project beside it.

The same renderer-neutral style specs (:mod:`fzgeo.styles`) that the web maps use are rendered
to QGIS's own style XML (:mod:`fzgeo.qgis.qml`) and to OGC SLD 1.1 (:mod:`fzgeo.qgis.sld`),
stored in the GeoPackage's ``layer_styles`` table as each layer's default together with Chinese
field aliases and a layer abstract (:mod:`fzgeo.qgis.gpkg_styles`), and a ``.qgz`` project with
the web map's layer groups is written beside it (:mod:`fzgeo.qgis.project`).
:func:`fzgeo.qgis.export.write_qgis` does all of it for a set of built layers.

Nothing here needs QGIS installed: the XML is generated directly. The tests open the output in
real QGIS (Debian ``python3-qgis``) to prove it loads.
"""

from __future__ import annotations

from fzgeo.qgis import check_output as check_output
from fzgeo.qgis import export as export
from fzgeo.qgis import gpkg_styles as gpkg_styles
from fzgeo.qgis import layerinfo as layerinfo
from fzgeo.qgis import project as project
from fzgeo.qgis import qml as qml
from fzgeo.qgis import sld as sld
