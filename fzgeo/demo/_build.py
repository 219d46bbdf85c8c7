"""Demo step: build every packaged layer into ``fuzhou_plan.gpkg``."""

from __future__ import annotations

from pathlib import Path

from fzgeo import io, layers
from fzgeo.demo import DemoContext

ORDER = 10


def run(out: Path, ctx: DemoContext) -> None:
    """Build the layers and write the GeoPackage."""
    built = layers.build_all()
    ctx.results["layers"] = built
    print(layers.summary(built).to_string(index=False))
    ctx.wrote(io.write(built, out / "fuzhou_plan.gpkg"), f"{len(built)} layers")
