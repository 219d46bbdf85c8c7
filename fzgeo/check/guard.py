"""The extent guard: a warning before a check reports 无冲突 (no conflict) for the wrong reason.

Sites in the wrong CRS land far from everything and conflict with nothing. So before measuring,
:func:`fzgeo.check.run` (every engine: local, dask, PostGIS) compares the sites' bounding box
with the city's and with each constraint layer's (:attr:`fzgeo.check.Constraint.extent`, as the
rules select the features); when the sites meet none of them,
:func:`fzgeo.crs.warn_if_disjoint` warns (:class:`~fzgeo.errors.ExtentWarning`, FZ106) and names
the CRS under which the sites would meet them, if there is one: CM 117E Gauss-Kruger coordinates
declared CM 114E (EPSG:4547) put the sites about 300 km west, and the warning names EPSG:4548.

The city's extent is :data:`fzgeo.crs.FUZHOU_BOUNDS`, a box in EPSG:4490 degrees a little wider
than the packaged ``admin_boundaries`` layer of 抚州市 (tests hold it so): sites anywhere in the
city never warn, even against a constraint layer that covers one county only.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from geopandas import GeoDataFrame

from fzgeo.check.model import Constraint
from fzgeo.crs import FUZHOU_BOUNDS, WORK_CRS, Bounds, storage_bounds, warn_if_disjoint
from fzgeo.errors import InputError

CITY = "抚州市"

#: What a check stopped by the guard says (``fzgeo check`` exit 4, ``fzgeo serve`` FZ106).
OUTSIDE_STOP = (
    "the sites lie outside 抚州市 and every constraint layer, so every site would be 无冲突 for "
    "the wrong reason: nothing measured, stored or written"
)


def require_sites(sites: GeoDataFrame, path: str | Path, *, hint: str) -> None:
    """FZ302 when the site layer read from ``path`` has no features.

    An empty batch is not a clean one; ``hint`` says, in the caller's words, where the layer
    was chosen.
    """
    if len(sites) == 0:
        raise InputError(
            "the site layer has no features: there is nothing to check",
            code="FZ302",
            path=path,
            hint=hint,
        )


class SitesOutside(Exception):  # noqa: N818 - a stop, not an error of the user's input
    """Raised by :func:`fzgeo.check.run` with ``stop_outside=True`` when the guard warned.

    The check stops before measuring: nothing is measured, stored (``--db-table``) or reported.
    ``fzgeo check`` turns it into exit status 4 unless ``--allow-outside`` is given.
    """


def extents(layers: Iterable[Constraint]) -> dict[str, Bounds]:
    """The city's extent and each constraint layer's (by layer name), in EPSG:4490 degrees.

    The features several rules select from one layer are merged into one box; layers without
    geometry are left out.
    """
    boxes: dict[str, list[Bounds]] = {}
    for layer in layers:
        if np.isfinite(layer.extent).all():
            boxes.setdefault(layer.name, []).append(layer.extent)
    out: dict[str, Bounds] = {CITY: FUZHOU_BOUNDS}
    for name, found in boxes.items():
        x0, y0 = min(b[0] for b in found), min(b[1] for b in found)
        x1, y1 = max(b[2] for b in found), max(b[3] for b in found)
        out[name] = storage_bounds((x0, y0, x1, y1), WORK_CRS)
    return out


def warn_if_elsewhere(
    sites: GeoDataFrame, layers: Iterable[Constraint], *, stacklevel: int = 2
) -> bool:
    """Warn (FZ106) when the sites (any CRS) meet neither the city nor any constraint layer.

    Returns False after warning, True otherwise; ``stacklevel`` as for :func:`warnings.warn`.
    """
    return warn_if_disjoint(
        sites, extents(layers), names=("sites", CITY), stacklevel=stacklevel + 1
    )
