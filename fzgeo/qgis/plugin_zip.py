"""Pack the QGIS plugin (``fzgeo/qgis/plugin/``) into a zip for Plugins ▸ Install from ZIP.

The zip holds one folder, ``fzgeo_qgis/``, with the plugin sources as shipped in the package,
``metadata.txt`` carrying this fzgeo's version, and ``kinds.json``: the plan layer kinds (name,
Chinese name, group) of this fzgeo, so the 添加规划图层 algorithm offers them without importing
fzgeo inside QGIS.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from fzgeo import __version__
from fzgeo._atomic import atomic_path
from fzgeo.errors import OutputError

FOLDER = "fzgeo_qgis"  #: the plugin's folder name inside the zip (and in QGIS's plugins folder)
SKIP = ("__pycache__",)
#: a fixed timestamp keeps the zip byte-identical between builds of the same sources
STAMP = (2020, 1, 1, 0, 0, 0)


def plugin_files() -> dict[str, bytes]:
    """The plugin's files, relative path to content, from the installed package."""
    found: dict[str, bytes] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name in SKIP or child.name.endswith((".pyc", ".pyo")):
                continue
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            else:
                found[f"{prefix}{child.name}"] = child.read_bytes()

    walk(files("fzgeo.qgis") / "plugin", "")
    return found


def kinds_json() -> bytes:
    """The plan layer kinds, in registry order, as the plugin reads them."""
    from fzgeo.plan import layers

    kinds = [
        {"name": n, "name_zh": layers.kind(n).name_zh, "group": layers.kind(n).group}
        for n in layers.available()
    ]
    return json.dumps(kinds, ensure_ascii=False, indent=1).encode("utf-8")


def with_version(metadata: bytes) -> bytes:
    """``metadata.txt`` with this fzgeo's version."""
    text = metadata.decode("utf-8")
    text = re.sub(r"(?m)^version=.*$", f"version={__version__}", text)
    return text.encode("utf-8")


def build_plugin_zip(out: str | os.PathLike[str]) -> Path:
    """Write the installable plugin zip to ``out`` (replaced atomically); returns its path."""
    target = Path(out)
    if target.suffix.lower() != ".zip":
        raise OutputError("the QGIS plugin is written as a .zip file", code="FZ860", path=target)
    entries = plugin_files()
    entries["metadata.txt"] = with_version(entries["metadata.txt"])
    entries["kinds.json"] = kinds_json()
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(f"{FOLDER}/{name}", date_time=STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, entries[name])
    return target
