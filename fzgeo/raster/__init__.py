"""Raster layers with rasterio: the planning control grid and terrain screening of sites.

- :mod:`fzgeo.raster.control`: 三区三线 rasterised into a coded, colour-tabled Cloud-Optimised
  GeoTIFF on an EPSG:4548 grid, and fast point-in-zone lookups against it.
- :mod:`fzgeo.raster.terrain`: slope statistics of each site from a DEM in any CRS, read in
  windows so a DEM larger than memory still works.
"""
