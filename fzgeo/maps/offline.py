"""Packaged Leaflet assets: how a map's JavaScript and CSS reach the browser.

The assets under ``fzgeo/maps/assets/`` were taken from the npm registry at build time by
``tools/vendor_map_assets.py`` (leaflet 1.9.4, leaflet.fullscreen 3.0.0, leaflet-measure 2.1.7,
leaflet-groupedlayercontrol 0.6.1: the plugin versions folium 0.20 links, and the Leaflet patch
release after folium's 1.9.3, which fixes tooltips on groups holding multi-point features) and
are listed with their licences and SHA-256 in ``assets/MANIFEST.json``; ``assets/fzgeo/`` holds fzgeo's own runtime.
Nothing is downloaded when a map is made.

:func:`localise` rewrites the ``<script src>`` and ``<link href>`` tags of a rendered map:

``cdn``
    Leaflet and plugins from their public CDN (smallest file; needs the internet);
``inline``
    everything inlined, CSS images as ``data:`` URIs: one file, zero external requests;
``folder``
    relative links into an ``assets/`` folder written beside the maps (:func:`copy_assets`),
    shared by every map of a published site.

fzgeo's runtime is inlined in every mode. In ``inline`` and ``folder`` mode any remaining
external script or stylesheet is an error, so an offline map can never silently depend on the
network.
"""

from __future__ import annotations

import base64
import json
import re
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

from fzgeo._atomic import write_bytes
from fzgeo.errors import ConfigError

AssetMode = Literal["cdn", "inline", "folder"]
MODES: tuple[str, ...] = ("cdn", "inline", "folder")
#: URL scheme of fzgeo's own runtime files in a map before :func:`localise`.
OWN_PREFIX = "fzgeo-asset:"
RUNTIME_JS = f"{OWN_PREFIX}fzgeo/fzgeo-map.js"
RUNTIME_CSS = f"{OWN_PREFIX}fzgeo/fzgeo-map.css"

_SCRIPT = re.compile(r'<script src="([^"]+)"></script>')
_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\((?!['\"]?(?:data:|#|https?:))['\"]?([^)'\"]+)['\"]?\)")
_EXTERNAL = re.compile(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="(?:https?:)?//', re.I)
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}


def _root() -> Traversable:
    return files("fzgeo.maps") / "assets"


def _item(relative: str) -> Traversable:
    item = _root()
    for part in relative.split("/"):
        item = item / part
    return item


@cache
def manifest() -> dict[str, object]:
    """The vendored packages: name, version, licence and files (``assets/MANIFEST.json``)."""
    return json.loads(_item("MANIFEST.json").read_text(encoding="utf-8"))


@cache
def _cdn_to_file() -> dict[str, str]:
    out = {}
    for pkg in manifest()["packages"]:  # type: ignore[attr-defined]
        for entry in pkg["files"]:
            if entry["cdn"]:
                out[entry["cdn"]] = entry["file"]
    return out


def _relative(url: str) -> str | None:
    if url.startswith(OWN_PREFIX):
        return url.removeprefix(OWN_PREFIX)
    return _cdn_to_file().get(url)


def _inline_css(relative: str) -> str:
    text = _item(relative).read_text(encoding="utf-8")
    folder = relative.rsplit("/", 1)[0]

    def data_uri(match: re.Match[str]) -> str:
        target = f"{folder}/{match.group(1)}"
        suffix = "." + target.rsplit(".", 1)[-1].lower()
        payload = base64.b64encode(_item(target).read_bytes()).decode("ascii")
        return f"url(data:{_MIME.get(suffix, 'application/octet-stream')};base64,{payload})"

    return _CSS_URL.sub(data_uri, text)


def _script(relative: str) -> str:
    text = _item(relative).read_text(encoding="utf-8")
    if "</script" in text.lower():
        raise ConfigError(f"packaged asset {relative} cannot be inlined (contains '</script')")
    return f"<script>{text}</script>"


def localise(html: str, mode: AssetMode, *, prefix: str = "assets/") -> str:
    """Rewrite a rendered map's script and stylesheet tags for ``mode`` (see the module doc)."""
    if mode not in MODES:
        raise ConfigError(f"asset mode must be one of {MODES}, got {mode!r}")

    def script(match: re.Match[str]) -> str:
        rel = _relative(match.group(1))
        if rel is None:
            return match.group(0)
        if mode == "inline" or match.group(1).startswith(OWN_PREFIX):
            return _script(rel)
        return match.group(0) if mode == "cdn" else f'<script src="{prefix}{rel}"></script>'

    def link(match: re.Match[str]) -> str:
        rel = _relative(match.group(1))
        if rel is None:
            return match.group(0)
        if mode == "inline" or match.group(1).startswith(OWN_PREFIX):
            return f"<style>{_inline_css(rel)}</style>"
        if mode == "cdn":
            return match.group(0)
        return f'<link rel="stylesheet" href="{prefix}{rel}"/>'

    out = _LINK.sub(link, _SCRIPT.sub(script, html))
    if mode != "cdn":
        found = _EXTERNAL.search(out)
        if found:
            raise ConfigError(
                f"map still references an external resource ({found.group(0)}...) in {mode} mode"
            )
    return out


def copy_assets(dest: Path) -> Path:
    """Copy every packaged asset (with the licences and manifest) into ``dest``."""
    dest = Path(dest)
    _copy_tree(_root(), dest)
    return dest


def _copy_tree(src: Traversable, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.is_dir():
            _copy_tree(item, dest / item.name)
        else:
            write_bytes(dest / item.name, item.read_bytes())


def licences() -> list[str]:
    """One line per vendored package: ``name version (licence)``."""
    return [
        f"{p['name']} {p['version']} ({p['license']})"
        for p in manifest()["packages"]  # type: ignore[attr-defined]
    ]
