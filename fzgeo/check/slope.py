"""The slope rules: terrain screening of the sites on a DEM (:func:`fzgeo.raster.terrain.screen`).

A ``slope`` rule reads the raster its ``layer`` names (usually ``dem``, given to
:func:`fzgeo.check.run` as ``rasters``; any CRS, elevations in metres). A site whose share of
area steeper than ``max_slope_deg`` (degrees) exceeds ``max_share`` gets the rule's verdict;
project types in ``exempt_types`` are exempted as for the vector rules. A rule whose raster is
missing is skipped (跳过). rasterio is imported only when a DEM is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from geopandas import GeoDataFrame

from fzgeo.check import tables
from fzgeo.check.rules import CLEAR, RASTER_KINDS, Rule, RuleSet
from fzgeo.crs import WORK_CRS


def raster_skips(rule_set: RuleSet, rasters: Mapping[str, object]) -> dict[str, str]:
    """Raster rules whose raster was not given, with the reason."""
    return {
        r.id: f"raster {r.layer!r} is not available (give a DEM with --dem)"
        for r in rule_set.rules
        if r.kind in RASTER_KINDS and r.layer not in rasters
    }


def slope_table(
    rule: Rule,
    rasters: Mapping[str, str | os.PathLike[str]] | None,
    geoms: np.ndarray,
    types: np.ndarray,
) -> pd.DataFrame:
    """One row per site for a slope rule: slope statistics from the DEM and the verdict.

    ``geoms`` are the sites in the work CRS EPSG:4548, ``types`` their project types;
    ``rasters`` None makes the rule skipped.
    """
    from fzgeo.raster import terrain  # rasterio is imported only when a DEM is used

    n = len(geoms)
    if rasters is None:
        return tables.skipped_table(rule, n)
    sites = GeoDataFrame(geometry=list(geoms), crs=WORK_CRS)
    stats = terrain.screen(Path(rasters[rule.layer]), sites, thresholds=[rule.max_slope_deg])
    steep = stats[f"share_gt_{rule.max_slope_deg:g}"].to_numpy(dtype=float)
    hit = np.nan_to_num(steep, nan=0.0) > rule.max_share
    verdict = np.where(hit, rule.hit_verdict, CLEAR).astype(object)
    exempt = tables.exempt(rule, verdict, types)
    return pd.DataFrame(
        {
            **tables.base_columns(rule, n),
            "verdict": verdict,
            "exempt": exempt,
            "share": steep,
            "slope_mean_deg": stats["slope_mean"].to_numpy(dtype=float),
            "slope_max_deg": stats["slope_max"].to_numpy(dtype=float),
            "steep_share": steep,
            "dem_nodata_share": stats["nodata_share"].to_numpy(dtype=float),
        }
    )
