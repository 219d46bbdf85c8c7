"""Real QGIS (Debian python3-qgis, offscreen) adds plan layers from ``fzgeo serve``'s OGC API.

QGIS's OAPIF provider (``QgsVectorLayer(url, name, "OAPIF")``, what Layer > Add WFS / OGC API -
Features layer makes) reads the landing page, the collections and the paged items from a real
uvicorn server on loopback, and must see the same features as the GeoPackage it serves; on a
server with a token, through a Basic authentication configuration (the token as password), and
not without it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from _serve import start

import pyogrio
import shapely

pytestmark = pytest.mark.slow
QGIS_PYTHON = "/usr/bin/python3"
PROBE = """
import json, sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
url, token = sys.argv[1], sys.argv[2]
auth = ""
if token:  # a Basic authentication configuration with the token as password
    from qgis.core import QgsAuthMethodConfig
    manager = QgsApplication.authManager()
    manager.setMasterPassword("fzgeo-test", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("fzgeo")
    config.setConfig("username", "qgis")
    config.setConfig("password", token)
    assert manager.storeAuthenticationConfig(config)[0]
    auth = f" authcfg='{config.id()}'"
out = {}
for name in sys.argv[3:]:
    layer = QgsVectorLayer(f"url='{url}' typename='{name}' pageSize='5'{auth}", name, "OAPIF")
    seen = {"valid": layer.isValid(), "count": layer.featureCount(), "features": [], "fields": []}
    if layer.isValid():
        seen["fields"] = [f.name() for f in layer.fields()]
        for f in layer.getFeatures():
            seen["features"].append({"name": f["name"], "wkt": f.geometry().asWkt(9)})
    out[name] = seen
if token:  # the same layer without the authentication configuration is refused
    bare = QgsVectorLayer(f"url='{url}' typename='{sys.argv[3]}'", "bare", "OAPIF")
    out["_without_auth_valid"] = bare.isValid()
print("PROBE-JSON " + json.dumps(out, ensure_ascii=False), flush=True)
import os
os._exit(0)  # QGIS 3.22 may crash in exitQgis() after network requests; the answer is out
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fzgeo.serve import content

    return content.prepare(tmp_path_factory.mktemp("serveq") / "data", say=lambda _: None)


@pytest.mark.parametrize("token", ["", "qgis-token-" + "k" * 16])
def test_qgis_reads_plan_layers_from_the_ogc_api(data: Path, tmp_path: Path, token: str) -> None:
    server = start(data, *(["--token", token] if token else []))
    names = ["railways", "eco_redline", "transport_stations"]
    try:
        probe = tmp_path / "probe.py"
        probe.write_text(PROBE, encoding="utf-8")
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_RUNTIME_DIR": str(tmp_path),
            "HOME": str(tmp_path),  # a fresh QGIS profile and authentication database
        }
        env.pop("PYTHONPATH", None)
        proc = subprocess.run(
            [QGIS_PYTHON, str(probe), server.url + "ogc", token, *names],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
            check=False,
        )
    finally:
        server.stop()
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE-JSON ")]
    assert proc.returncode == 0 and lines, f"{proc.stdout}\n{proc.stderr}"
    seen = json.loads(lines[0].removeprefix("PROBE-JSON "))
    assert seen.pop("_without_auth_valid", False) is False
    for name in names:
        truth = pyogrio.read_dataframe(data / "plan.gpkg", layer=name)
        layer = seen[name]
        assert layer["valid"], name
        assert layer["count"] == len(truth) == len(layer["features"]), name
        assert set(truth.columns) - {"geometry"} <= set(layer["fields"])
        got = sorted(layer["features"], key=lambda f: f["name"])
        want = truth.sort_values("name")
        for feature, geom, label in zip(got, want.geometry, want["name"], strict=True):
            assert feature["name"] == label
            assert shapely.from_wkt(feature["wkt"]).equals_exact(geom, 1e-6), name
