"""Published web maps: compositions, rendering, offline assets, display simplification, sites.

Modules: :mod:`~fzgeo.maps.compose` (map compositions in ``maps/``), :mod:`~fzgeo.maps.render`
(Folium/Leaflet HTML), :mod:`~fzgeo.maps.legend`, :mod:`~fzgeo.maps.basemaps`,
:mod:`~fzgeo.maps.simplify` (big layers), :mod:`~fzgeo.maps.offline` (packaged assets),
:mod:`~fzgeo.maps.conflict` (the map of a ``fzgeo check`` result) and
:mod:`~fzgeo.maps.publish` (a static site). Folium is imported only when a map is rendered.
"""
