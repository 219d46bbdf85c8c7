"""What ``fzgeo serve`` publishes from its data folder, built on first start.

============================  ==============================================================
``plan.gpkg`` (+ ``.qgz``)    every packaged layer, styled for QGIS (as ``fzgeo build``): the
                              OGC API – Features without ``--dsn``
``site/``                     the published web maps, offline (as ``fzgeo publish --offline``)
``control.tif``               the 三区三线 control grid, a Cloud-Optimised GeoTIFF (as ``fzgeo
                              raster control``), served with HTTP range requests
``jobs/``                     the check jobs (:mod:`fzgeo.serve.jobs`)
============================  ==============================================================

Each item is built into a temporary name and renamed into place, and recorded in
``content.json`` with the fzgeo version that built it; a new version rebuilds them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from fzgeo import __version__, _atomic

PLAN_GPKG = "plan.gpkg"
SITE = "site"
CONTROL = "control.tif"
JOBS = "jobs"
STAMP = "content.json"


def _build_gpkg(tmp: Path) -> None:
    from fzgeo.plan import layers
    from fzgeo.qgis.export import write_qgis

    write_qgis(layers.build_all(), tmp / PLAN_GPKG)


def _build_site(tmp: Path) -> None:
    from fzgeo.maps import publish

    publish.publish(tmp / SITE, publish.site_maps(), offline_mode=True)


def _build_control(tmp: Path) -> None:
    from fzgeo.raster import control

    found, boundary = control.sources()
    control.write_control(found, boundary, tmp / CONTROL)


#: Item -> (the names it is made of, builder writing them into a temporary folder).
ITEMS: dict[str, tuple[tuple[str, ...], Callable[[Path], None]]] = {
    PLAN_GPKG: ((PLAN_GPKG, "plan.qgz"), _build_gpkg),
    SITE: ((SITE,), _build_site),
    CONTROL: ((CONTROL, f"{CONTROL}.aux.xml"), _build_control),
}


def prepare(data: Path, *, say: Callable[[str], None] = print) -> Path:
    """Build what is missing or was built by another fzgeo version; return ``data``."""
    data = _atomic.prepare_folder(data)
    (data / JOBS).mkdir(exist_ok=True)
    try:
        stamp = json.loads((data / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = {}
    for item, (names, build) in ITEMS.items():
        if stamp.get(item) == __version__ and all((data / n).exists() for n in names[:1]):
            continue
        say(f"building {item} in {data} (once per fzgeo version)")
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=data))
        try:
            build(tmp)
            for name in names:
                if not (tmp / name).exists():
                    continue
                old = data / name
                if old.is_dir():
                    trash = Path(tempfile.mkdtemp(prefix=".old-", dir=data))
                    os.replace(old, trash / name)
                    shutil.rmtree(trash, ignore_errors=True)
                os.replace(tmp / name, old)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        stamp[item] = __version__
        _atomic.write_text(data / STAMP, json.dumps(stamp, indent=1))
    return data
