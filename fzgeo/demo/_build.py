"""Demo step: build every packaged layer into ``fuzhou_plan.gpkg``, styled for QGIS.

The GeoPackage carries each layer's style (QML and SLD in ``layer_styles``), Chinese field
aliases and an abstract; ``fuzhou_plan.qgz`` beside it opens the layers in their map groups.
"""

from __future__ import annotations

from pathlib import Path

from fzgeo.demo import DemoContext
from fzgeo.plan import layers
from fzgeo.qgis.export import write_qgis

ORDER = 10


def run(out: Path, ctx: DemoContext) -> None:
    """Build the layers and write the GeoPackage and the QGIS project."""
    built = layers.build_all()
    ctx.results["layers"] = built
    print(layers.summary(built).to_string(index=False))
    written = write_qgis(built, out / "fuzhou_plan.gpkg")
    ctx.wrote(written.gpkg, f"{len(built)} layers, styled for QGIS")
    if written.project is not None:
        ctx.wrote(written.project, "QGIS project")
