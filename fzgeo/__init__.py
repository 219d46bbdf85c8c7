"""fzgeo: the spatial content of the 抚州市 14th Five-Year Plan as GIS layers.

Modules are the namespaces: ``fzgeo.plan.layers.load("admin_boundaries")``, ``fzgeo.crs.to_work(gdf)``,
``fzgeo.io.read(path)``.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("fzgeo")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"
