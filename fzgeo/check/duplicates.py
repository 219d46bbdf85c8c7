"""Duplicated sites: the same geometry delivered twice (a QGIS copy-paste) is counted once.

Every input site keeps its row in the reports, duplicates too; but the batch totals (the counts
of sites and verdicts in ``summary.json``, the cards of ``report.html``, the line ``fzgeo check``
prints) count each distinct geometry once, so a copied site never doubles the figures. Two
geometries are the same when they are equal vertex for vertex after
:func:`shapely.normalize` (ring start and orientation do not matter; Z is ignored), as
``fzgeo validate`` finds its duplicates (FZ414).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame

from fzgeo.errors import DuplicateWarning
from fzgeo.io.repair import labels

_SHOWN = 5  #: groups named in the warning


def groups(sites: GeoDataFrame) -> list[list[int]]:
    """The 0-based rows of each group of sites with the same geometry, in input order."""
    geoms = np.asarray(sites.geometry.values, dtype=object)
    present = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if len(present) < 2:
        return []
    keys = shapely.to_wkb(shapely.normalize(geoms[present]), output_dimension=2)
    codes, _ = pd.factorize(pd.Series(keys))
    found: dict[int, list[int]] = {}
    for code, row in zip(codes.tolist(), present.tolist(), strict=True):
        found.setdefault(code, []).append(int(row))
    return [rows for rows in found.values() if len(rows) > 1]


def record(sites: GeoDataFrame, found: list[list[int]]) -> list[dict[str, Any]]:
    """JSON-ready: per group, the 1-based ``rows`` (the reports' 序号) and the sites' ``labels``."""
    return [{"rows": [r + 1 for r in rows], "sites": labels(sites, rows)} for rows in found]


def warn(sites: GeoDataFrame, found: list[list[int]], *, stacklevel: int = 2) -> None:
    """Warn (:class:`~fzgeo.errors.DuplicateWarning`, FZ414) naming the duplicated sites."""
    if not found:
        return
    copies = sum(len(rows) - 1 for rows in found)
    shown = "; ".join(" = ".join(labels(sites, rows)) for rows in found[:_SHOWN])
    more = f"; and {len(found) - _SHOWN} more group(s)" if len(found) > _SHOWN else ""
    warnings.warn(
        f"[FZ414] sites: {copies} site(s) repeat the geometry of an earlier one ({shown}{more}); "
        "each is reported on its own row but counted once in the batch totals (hint: delete "
        "the copy from the file)",
        DuplicateWarning,
        stacklevel=stacklevel + 1,
    )


def counted(n: int, found: list[list[int]]) -> np.ndarray:
    """Per site, whether the batch totals count it: all but the later members of each group."""
    keep = np.ones(n, dtype=bool)
    for rows in found:
        keep[rows[1:]] = False
    return keep
