"""Demo step: the siting check of the bundled sample sites against the packaged 三区三线.

The sample sites (``layers/samples/sample_sites.yaml``) are projects the plan names, placed
schematically. Every output of ``fzgeo check`` goes into ``OUT/check/``, together with the sites
as ``sample_sites.geojson`` so the check can be re-run from the command line. A rule whose layer
is not packaged is reported as skipped.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from geopandas import GeoDataFrame

from fzgeo import _resources, check, io, report
from fzgeo.check import constraints, rules
from fzgeo.demo import DemoContext
from fzgeo.plan import placement
from fzgeo.plan.schema import LayerKind

ORDER = 30
SAMPLE_SITES = "samples/sample_sites.yaml"


def sample_sites() -> GeoDataFrame:
    """The bundled sample project sites (EPSG:4490), placed from the plan's named projects."""
    doc = yaml.safe_load(_resources.read_text("layers", SAMPLE_SITES))
    kind = LayerKind.from_mapping({**doc["kind"], "build": {"file": SAMPLE_SITES}})
    return placement.features_to_gdf(doc, kind=kind).reset_index(drop=True)


def run(out: Path, ctx: DemoContext) -> None:
    """Check the sample sites and write every report into ``out/check``."""
    folder = out / "check"
    sites = sample_sites()
    sites_path = io.write(sites, folder / "sample_sites.geojson")
    ctx.wrote(sites_path, f"{len(sites)} sample project sites")
    rule_set = rules.load()
    found = constraints.gather(rule_set)
    result = check.run(sites, found.layers, rule_set, ellipsoidal=True, use_cache=False)
    ctx.results["check"] = result
    shown = found.titled(rule_set)
    written = report.write_report(result, folder, inputs=[sites_path], layers=shown)
    counts = result.sites["verdict"].value_counts()
    print(
        "siting check: "
        + ", ".join(
            f"{v} {int(counts.get(v, 0))}" for v in (rules.CONFLICT, rules.NEAR, rules.CLEAR)
        )
    )
    for rid, reason in result.skipped.items():
        print(f"skipped rule {rid}: {reason}")
    for path in written:
        ctx.wrote(path, "siting check report")
