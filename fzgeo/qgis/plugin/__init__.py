"""fzgeo for QGIS: a Processing provider running the siting check and its helpers.

This folder is the QGIS plugin ``fzgeo_qgis``; ``fzgeo qgis plugin --out fzgeo_qgis.zip`` packs
it for Plugins ▸ Manage and Install Plugins ▸ Install from ZIP. It never imports fzgeo: the
algorithms run a configured fzgeo installation in its own process (see ``runner``).
"""

from __future__ import annotations

from typing import Any


def classFactory(iface: Any) -> Any:  # noqa: N802 (QGIS plugin API)
    """The plugin object QGIS asks for when it loads the plugin."""
    from .plugin import FzgeoPlugin

    return FzgeoPlugin(iface)
