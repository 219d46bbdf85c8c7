"""Basemaps of the web maps: OpenStreetMap, 天地图 Tianditu, 高德 Amap (GCJ-02) or none.

``osm`` and ``tianditu`` are in WGS84/CGCS2000 web-Mercator tiles, so fzgeo's layers (EPSG:4490,
which agrees with WGS84 to centimetres) are drawn as they are. ``amap`` tiles are in GCJ-02
(火星坐标): the overlays are shifted with :mod:`fzgeo.gcj02` before they are written, so they
are never misaligned by the few hundred metres of the GCJ-02 offset. Tianditu needs a key
(天地图 token) read from the environment variable :data:`TIANDITU_ENV`; it is written into the
HTML, so use a browser-side key bound to the publishing domain.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from fzgeo.errors import ConfigError

TIANDITU_ENV = "FZGEO_TIANDITU_KEY"
NAMES = ("osm", "tianditu", "amap", "none")


@dataclass(frozen=True)
class Basemap:
    """One basemap: the name in the layer control, tile sources and coordinate system."""

    key: str
    name_zh: str
    tiles: tuple[dict[str, object], ...] = field(default_factory=tuple)
    coords: str = "wgs84"  #: ``wgs84`` or ``gcj02``; overlays are converted to match


def _tianditu_key() -> str:
    key = os.environ.get(TIANDITU_ENV, "").strip()
    if not key:
        raise ConfigError(
            f"basemap 'tianditu' needs a 天地图 key in the environment variable {TIANDITU_ENV}",
            hint=f"apply for a browser key at the Tianditu console, then export {TIANDITU_ENV}=...; "
            "or use --basemap osm or none",
        )
    if not key.isalnum():
        raise ConfigError(f"{TIANDITU_ENV} must be letters and digits, got {key!r}")
    return key


def _tiles(url: str, attribution: str, subdomains: str, max_zoom: int) -> dict[str, object]:
    """One tile source as the map runtime passes it to ``L.tileLayer``."""
    return {"url": url, "attribution": attribution, "subdomains": subdomains, "maxZoom": max_zoom}


def _tianditu(layer: str, key: str) -> dict[str, object]:
    url = (
        f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
    )
    return _tiles(url, "&copy; 天地图 国家地理信息公共服务平台", "01234567", 18)


def basemap(key: str) -> Basemap:
    """The basemap called ``key`` (one of :data:`NAMES`)."""
    if key == "osm":
        url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        tile = _tiles(url, "&copy; OpenStreetMap contributors", "abc", 19)
        return Basemap("osm", "OpenStreetMap", (tile,))
    if key == "tianditu":
        tk = _tianditu_key()
        return Basemap("tianditu", "天地图 矢量", (_tianditu("vec", tk), _tianditu("cva", tk)))
    if key == "amap":
        url = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
        tile = _tiles(url, "&copy; 高德地图 AutoNavi", "1234", 18)
        return Basemap("amap", "高德地图（GCJ-02）", (tile,), coords="gcj02")
    if key == "none":
        return Basemap("none", "无底图")
    raise ConfigError(f"basemap must be one of {NAMES}, got {key!r}")
