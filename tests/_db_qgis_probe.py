"""Open pushed PostGIS tables (and GeoPackage layers) in real QGIS; print what QGIS sees as JSON.

Run with Debian's ``/usr/bin/python3`` (python3-qgis 3.22) and ``QT_QPA_PLATFORM=offscreen``::

    _db_qgis_probe.py SPEC.json

SPEC: ``{"conninfo": "dbname=... host=...", "layers": [NAME, ...], "types": {NAME: WKB type},
"gpkg": [[LABEL, PATH, [NAME, ...]], ...]}``.

Each PostGIS layer is opened twice, as QGIS's browser opens it (``key``, ``srid`` and ``type``
in the URI) and as a bare ``table=... (geom)`` URI, with the ``postgres`` provider, so the default
style must come from the database's ``layer_styles`` by itself. Not a test module:
``tests/test_db_qgis.py`` runs it in a subprocess.
"""

import json
import sys

from qgis.core import Qgis, QgsApplication, QgsDataSourceUri, QgsVectorLayer, QgsWkbTypes


def renderer(layer):
    r = layer.renderer()
    out = {"type": r.type()}
    if r.type() == "categorizedSymbol":
        out["attribute"] = r.classAttribute()
        out["categories"] = [
            [str(c.value()), c.symbol().color().name(), c.symbol().color().alpha()]
            for c in r.categories()
        ]
    elif r.type() == "singleSymbol":
        out["colour"] = [r.symbol().color().name(), r.symbol().color().alpha()]
    return out


def describe(layer):
    fields = layer.fields()
    styles = layer.listStylesInDatabase() if layer.providerType() == "postgres" else None
    return {
        "valid": layer.isValid(),
        "wkb": QgsWkbTypes.displayString(layer.wkbType()),
        "features": layer.featureCount(),
        "crs": layer.crs().authid(),
        "renderer": renderer(layer) if layer.isValid() else None,
        "labels": bool(layer.labelsEnabled()),
        "aliases": {f.name(): layer.attributeAlias(i) for i, f in enumerate(fields)},
        "comments": {f.name(): f.comment() for f in fields},
        "widgets": {f.name(): layer.editorWidgetSetup(i).type() for i, f in enumerate(fields)},
        "abstract": layer.metadata().abstract(),
        "scale_visibility": bool(layer.hasScaleBasedVisibility()),
        "styles_in_db": None if styles is None else list(styles[2]),
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    app = QgsApplication([], False)
    app.initQgis()
    out = {"qgis": Qgis.version(), "postgis": {}}
    for name in spec["layers"]:
        seen = {}
        for how in ("browser", "bare"):
            uri = QgsDataSourceUri(spec["conninfo"])
            if how == "browser":
                uri.setDataSource("fzgeo", name, "geom", "", "fid")
                uri.setSrid("4490")
                uri.setWkbType(QgsWkbTypes.parseType(spec["types"][name]))
            else:
                uri.setDataSource("fzgeo", name, "geom")
            layer = QgsVectorLayer(uri.uri(False), name, "postgres")
            seen[how] = describe(layer)
        out["postgis"][name] = seen
    out["gpkg"] = {}
    for label, path, names in spec.get("gpkg", []):
        out["gpkg"][label] = {
            name: describe(QgsVectorLayer(f"{path}|layername={name}", name, "ogr"))
            for name in names
        }
    print("PROBE-JSON " + json.dumps(out, ensure_ascii=False))
    app.exitQgis()


if __name__ == "__main__":
    main()
