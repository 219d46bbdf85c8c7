"""Defaults shared by the library and the command line, in a module that imports nothing.

``fzgeo --help`` shows these values; keeping them here lets the parser be built without importing
numpy, shapely or geopandas; :mod:`fzgeo.check.pieces` takes ``MAX_VERTICES`` from here.
"""

from __future__ import annotations

MAX_VERTICES = 256  #: largest piece of a subdivided polygon, in vertices (the ST_Subdivide default)
