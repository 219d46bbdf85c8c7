"""Pushed PostGIS tables opened in real QGIS 3.22 (Debian python3-qgis, offscreen): issue 19.

``fzgeo db push`` writes layers into the test cluster of ``tests/_postgis.py``, ``fzgeo build``
writes the same layers into a GeoPackage and ``fzgeo db pull`` writes them back into another;
``tests/_db_qgis_probe.py`` opens everything in one QGIS subprocess with the ``postgres`` and
``ogr`` providers and reports what QGIS sees. The PostGIS layers must open with QGIS's own
geometry types (MultiPolygon, not MultiSurface; MultiLineString, not MultiCurve), with their
default style from the database's ``layer_styles`` (the GeoPackage's renderer, aliases, widgets,
labels and scale range), the column comments and the abstract.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from _postgis import PostgisServer

from fzgeo.cli import main
from fzgeo.plan import layers

pytestmark = pytest.mark.slow

QGIS_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).parent / "_db_qgis_probe.py"
EXPECTED = {
    "eco_redline": "MultiPolygon",
    "highways": "MultiLineString",
    "airports": "MultiPoint",
    "transport_stations": "Point",
    "urban_boundary": "MultiPolygon",
}
STYLE_KEYS = ("renderer", "labels", "aliases", "widgets", "scale_visibility", "features", "crs")


@pytest.fixture(scope="module")
def seen(postgis_server: PostgisServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Push, build and pull the same layers, then probe all of them in one QGIS run."""
    folder = tmp_path_factory.mktemp("db_qgis")
    dsn = postgis_server.create_database()
    dbname = dsn.split("?")[0].rsplit("/", 1)[1]
    names = list(EXPECTED)
    assert main(["db", "push", "--dsn", dsn, *names]) == 0
    built, pulled = folder / "built.gpkg", folder / "pulled.gpkg"
    assert main(["build", "--out", str(built), *names]) == 0
    assert main(["db", "pull", "--dsn", dsn, "--out", str(pulled)]) == 0
    spec = {
        "conninfo": (
            f"dbname='{dbname}' host={postgis_server.socket_dir} port={postgis_server.port} "
            f"user='{postgis_server.user}'"
        ),
        "layers": names,
        "types": EXPECTED,
        "gpkg": [["built", str(built), names], ["pulled", str(pulled), names]],
    }
    (folder / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(folder)}
    env.pop("PYTHONPATH", None)
    folder.chmod(0o700)
    proc = subprocess.run(
        [QGIS_PYTHON, str(PROBE), str(folder / "spec.json")],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=300,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE-JSON ")]
    assert proc.returncode == 0 and lines, f"QGIS probe failed:\n{proc.stdout}\n{proc.stderr}"
    return dict(json.loads(lines[0].removeprefix("PROBE-JSON ")))


def test_runs_qgis_322(seen: dict[str, Any]) -> None:
    assert seen["qgis"].startswith("3.22.")


@pytest.mark.parametrize("name", list(EXPECTED))
def test_qgis_reads_the_typed_geometry_column(seen: dict[str, Any], name: str) -> None:
    for how in ("browser", "bare"):
        layer = seen["postgis"][name][how]
        assert layer["valid"], (name, how)
        assert layer["wkb"] == EXPECTED[name], (name, how)  # not MultiSurface / MultiCurve
        assert layer["crs"] == "EPSG:4490"
        assert layer["features"] == len(layers.load(name))


@pytest.mark.parametrize("name", list(EXPECTED))
def test_default_style_comes_from_the_database_as_in_the_geopackage(
    seen: dict[str, Any], name: str
) -> None:
    gpkg = seen["gpkg"]["built"][name]
    assert gpkg["renderer"]["type"] == "categorizedSymbol"  # the style spec, not QGIS's default
    for how in ("browser", "bare"):
        layer = seen["postgis"][name][how]
        for key in STYLE_KEYS:
            assert layer[key] == gpkg[key], (name, how, key)
        assert f"fzgeo: {layers.kind(name).name_zh}" in layer["styles_in_db"]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_aliases_comments_and_abstract(seen: dict[str, Any], name: str) -> None:
    kind = layers.kind(name)
    layer = seen["postgis"][name]["bare"]
    for column in kind.all_columns:
        assert layer["aliases"][column.name] == column.alias_zh, (name, column.name)
        assert layer["comments"][column.name].startswith(f"{column.alias_zh} ({column.name})")
    assert layer["widgets"]["precision"] == "ValueMap"  # Chinese labels of the coded values
    assert layer["abstract"].startswith(f"{kind.name_zh}（{name}）。")
    if name == "eco_redline":
        assert "示意性几何，不是法定边界" in layer["abstract"]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_pulled_geopackage_opens_styled(seen: dict[str, Any], name: str) -> None:
    pulled, built = seen["gpkg"]["pulled"][name], seen["gpkg"]["built"][name]
    assert pulled["valid"]
    assert pulled["wkb"] == EXPECTED[name]
    for key in (*STYLE_KEYS, "abstract"):
        assert pulled[key] == built[key], (name, key)
