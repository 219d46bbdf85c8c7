"""Vendor the Leaflet assets of fzgeo's web maps from the npm registry (run at build time).

``python tools/vendor_map_assets.py`` runs ``npm pack`` for each pinned package below, extracts
only the files the maps use into ``fzgeo/maps/assets/<package>/`` (keeping each package's
relative layout, so CSS ``url(images/...)`` references keep working) together with its licence,
and writes ``fzgeo/maps/assets/MANIFEST.json``: package, version, licence, the CDN URL folium
would use for each file, and each file's SHA-256. The result is committed; nothing is fetched
when a map is made. The plugins are the versions folium 0.20 links, so folium's templates match;
Leaflet is 1.9.4, the patch release after folium's 1.9.3 (it fixes tooltips bound to groups that
hold multi-point features, which fzgeo's runtime uses).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "fzgeo" / "maps" / "assets"

#: npm package, version, licence file, {file in the package: CDN URL folium links, or ""}
PACKAGES: list[tuple[str, str, str, dict[str, str]]] = [
    (
        "leaflet",
        "1.9.4",
        "LICENSE",
        {
            "dist/leaflet.js": "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js",
            "dist/leaflet.css": "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css",
            "dist/images/layers.png": "",
            "dist/images/layers-2x.png": "",
            "dist/images/marker-icon.png": "",
            "dist/images/marker-icon-2x.png": "",
            "dist/images/marker-shadow.png": "",
        },
    ),
    (
        "leaflet.fullscreen",
        "3.0.0",
        "LICENSE",
        {
            "Control.FullScreen.js": "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js",
            "Control.FullScreen.css": "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css",
            "icon-fullscreen.svg": "",
        },
    ),
    (
        "leaflet-measure",
        "2.1.7",
        "LICENSE",
        {
            "dist/leaflet-measure.min.js": "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js",
            "dist/leaflet-measure.css": "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css",
            **{
                f"dist/images/{n}{s}.png": ""
                for n in ("rulers", "cancel", "check", "focus", "start", "trash")
                for s in ("", "_@2X")
            },
        },
    ),
    (
        "leaflet-groupedlayercontrol",
        "0.6.1",
        "LICENSE.txt",
        {
            "dist/leaflet.groupedlayercontrol.min.js": "https://cdnjs.cloudflare.com/ajax/libs/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.js",
            "dist/leaflet.groupedlayercontrol.min.css": "https://cdnjs.cloudflare.com/ajax/libs/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.css",
        },
    ),
]


def _pack(name: str, version: str, workdir: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", "--silent", f"{name}@{version}"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    return workdir / out.stdout.strip().splitlines()[-1]


def _licence(meta: dict[str, object]) -> str:
    lic = meta.get("license", "")
    return str(lic.get("type", "") if isinstance(lic, dict) else lic)


def vendor() -> dict[str, object]:
    """Download, extract and describe every pinned package; returns the manifest."""
    manifest: dict[str, object] = {"packages": []}
    with tempfile.TemporaryDirectory() as tmp:
        for name, version, licence_file, wanted in PACKAGES:
            tgz = _pack(name, version, Path(tmp))
            dest = TARGET / name
            entries = []
            with tarfile.open(tgz) as tar:
                meta = json.load(tar.extractfile("package/package.json"))  # type: ignore[arg-type]
                for inner in [*wanted, licence_file]:
                    data = tar.extractfile(f"package/{inner}").read()  # type: ignore[union-attr]
                    path = dest / inner
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                    entries.append(
                        {
                            "file": f"{name}/{inner}",
                            "cdn": wanted.get(inner, ""),
                            "sha256": hashlib.sha256(data).hexdigest(),
                        }
                    )
            manifest["packages"].append(  # type: ignore[attr-defined]
                {
                    "name": name,
                    "version": version,
                    "license": _licence(meta),
                    "license_file": f"{name}/{licence_file}",
                    "files": entries,
                }
            )
    (TARGET / "MANIFEST.json").write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


if __name__ == "__main__":
    result = vendor()
    for pkg in result["packages"]:  # type: ignore[index]
        print(f"{pkg['name']}@{pkg['version']} ({pkg['license']}): {len(pkg['files'])} files")
    sys.exit(0)
