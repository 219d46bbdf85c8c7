"""The QGIS plugin: registers the fzgeo Processing provider at start-up (also headless)."""

from __future__ import annotations

from typing import Any

from qgis.core import QgsApplication

from .provider import FzgeoProvider


class FzgeoPlugin:
    """Adds the provider in ``initProcessing`` (called by QGIS, also by qgis_process)."""

    def __init__(self, iface: Any = None) -> None:
        self.iface = iface
        self.provider: FzgeoProvider | None = None

    def initProcessing(self) -> None:  # noqa: N802 (QGIS plugin API)
        if self.provider is None:
            self.provider = FzgeoProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802 (QGIS plugin API)
        self.initProcessing()

    def unload(self) -> None:
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
