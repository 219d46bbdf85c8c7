"""A read-only OGC API – Features (Part 1: Core, GeoJSON, OpenAPI 3.0) over one GeoPackage.

Serves the plan layers ``fzgeo serve`` built (``plan.gpkg``, the GeoPackage ``fzgeo build``
writes) when no database is given; with ``--dsn``, tipg serves the PostGIS tables instead
(:mod:`fzgeo.serve.postgis`). Why not pygeoapi: its GeoPackage providers need either GDAL's
Python bindings (``osgeo``, not installable from PyPI wheels) or an SQLite built with loadable
extensions for SpatiaLite (this Python's is not), its HTML pages load Bootstrap and Leaflet from
CDNs, and it reads its configuration from environment variables at import (docs/serve.md).

Endpoints, relative to the mount point (``/ogc``): ``/`` (landing page), ``/conformance``,
``/api`` (the OpenAPI document), ``/collections``, ``/collections/{id}``,
``/collections/{id}/items`` (``bbox``, ``limit`` 1–10000 default 10, ``offset``; ``next``/``prev``
links; ``numberMatched``) and ``/collections/{id}/items/{featureId}``. Coordinates are
CGCS2000 lon/lat (EPSG:4490), served as CRS84: the two differ by centimetres, below every
precision here. Layers are read once at start (a few thousand features), with their titles and
descriptions from the GeoPackage metadata ``fzgeo build`` writes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

import pyogrio
import shapely
from geopandas import GeoDataFrame

from fzgeo import io

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
GEOJSON = "application/geo+json"
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000
#: Query parameters the items endpoint knows (others are 400, as Part 1 requires).
ITEM_PARAMS = {"bbox", "bbox-crs", "limit", "offset", "f", "token"}


@dataclass(frozen=True)
class Collection:
    """One layer of the GeoPackage, in memory."""

    id: str
    title: str
    description: str
    frame: GeoDataFrame
    tree: shapely.STRtree

    @property
    def bbox(self) -> list[float]:
        """The layer's extent, lon/lat."""
        return [float(v) for v in self.frame.total_bounds]


def load_collections(gpkg: Path) -> dict[str, Collection]:
    """Every data layer of ``gpkg`` (not ``layer_styles``), in EPSG:4490, by layer name."""
    found: dict[str, Collection] = {}
    for name in io.list_layers(gpkg):
        info = pyogrio.read_info(gpkg, layer=name)
        meta = info.get("layer_metadata") or {}
        gdf = pyogrio.read_dataframe(gpkg, layer=name)
        if gdf.crs is not None and gdf.crs.to_epsg() != 4490:
            gdf = gdf.to_crs(4490)
        gdf = gdf.reset_index(drop=True)
        found[name] = Collection(
            id=name,
            title=str(meta.get("IDENTIFIER") or name),
            description=str(meta.get("DESCRIPTION") or ""),
            frame=gdf,
            tree=shapely.STRtree(gdf.geometry.values),
        )
    return found


def _base(request: Request) -> str:
    """The URL of the mount point (``base_url`` is the outer app's)."""
    outer = str(request.scope.get("app_root_path", ""))
    mount = str(request.scope.get("root_path", ""))[len(outer) :]
    return str(request.base_url).rstrip("/") + mount


def _link(href: str, rel: str, kind: str = "application/json", title: str = "") -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": kind}
    if title:
        out["title"] = title
    return out


def _plain(value: Any) -> Any:
    """A JSON value: numpy scalars to Python, NaN and NaT to null."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _feature(col: Collection, i: int) -> dict[str, Any]:
    row = col.frame.iloc[i]
    geom = row.geometry
    props = {str(k): _plain(v) for k, v in row.items() if k != col.frame.geometry.name}
    return {
        "type": "Feature",
        "id": i + 1,
        "geometry": None if geom is None or geom.is_empty else shapely.geometry.mapping(geom),
        "properties": props,
    }


def _collection_doc(col: Collection, base: str) -> dict[str, Any]:
    here = f"{base}/collections/{col.id}"
    return {
        "id": col.id,
        "title": col.title,
        "description": col.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [col.bbox], "crs": CRS84}},
        "links": [
            _link(here, "self"),
            _link(f"{here}/items", "items", GEOJSON, f"{col.title}（要素）"),
        ],
    }


def _bbox(text: str | None, crs: str | None) -> list[float] | None:
    if crs not in (None, CRS84):
        raise HTTPException(400, f"bbox-crs {crs!r} not supported: only {CRS84}")
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise HTTPException(400, f"bbox {text!r}: four numbers minx,miny,maxx,maxy") from None
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values) or values[1] > values[3]:
        raise HTTPException(400, f"bbox {text!r}: four numbers minx,miny,maxx,maxy")
    return values


def _matching(col: Collection, box: list[float] | None) -> list[int]:
    if box is None:
        return list(range(len(col.frame)))
    minx, miny, maxx, maxy = box
    boxes = (
        [shapely.box(minx, miny, maxx, maxy)]
        if minx <= maxx
        else [shapely.box(minx, miny, 180, maxy), shapely.box(-180, miny, maxx, maxy)]
    )
    hits: set[int] = set()
    for b in boxes:
        hits.update(int(i) for i in col.tree.query(b, predicate="intersects"))
    return sorted(hits)


def create(gpkg: Path, *, title: str = "抚州市“十四五”规划图层") -> FastAPI:
    """The OGC API – Features application for ``gpkg`` (mount it, e.g. at ``/ogc``)."""
    collections = load_collections(gpkg)
    app = FastAPI(
        title=title,
        description="OGC API – Features (Part 1) of the plan layers, read only.",
        openapi_url="/api",
        docs_url=None,
        redoc_url=None,
    )

    def get(name: str) -> Collection:
        if name not in collections:
            raise HTTPException(404, f"no collection {name!r}")
        return collections[name]

    @app.get("/", summary="landing page")
    def landing(request: Request) -> dict[str, Any]:
        base = _base(request)
        return {
            "title": title,
            "description": "抚州市“十四五”规划的空间要素（示意/规划位置，见各图层说明）；"
            "OGC API – Features，可在 QGIS 中以 WFS/OGC API 图层添加。",
            "links": [
                _link(f"{base}/", "self"),
                _link(
                    f"{base}/api",
                    "service-desc",
                    "application/vnd.oai.openapi+json;version=3.0",
                    "OpenAPI",
                ),
                _link(f"{base}/conformance", "conformance"),
                _link(f"{base}/collections", "data"),
            ],
        }

    @app.get("/conformance", summary="conformance classes")
    def conformance() -> dict[str, Any]:
        return {"conformsTo": CONFORMANCE}

    @app.get("/collections", summary="the layers")
    def all_collections(request: Request) -> dict[str, Any]:
        base = _base(request)
        return {
            "links": [_link(f"{base}/collections", "self")],
            "collections": [_collection_doc(c, base) for c in collections.values()],
        }

    @app.get("/collections/{collection_id}", summary="one layer")
    def one_collection(collection_id: str, request: Request) -> dict[str, Any]:
        return _collection_doc(get(collection_id), _base(request))

    @app.get("/collections/{collection_id}/items", summary="features of a layer")
    def items(
        collection_id: str,
        request: Request,
        bbox: str | None = Query(None, description="minx,miny,maxx,maxy (CRS84)"),
        bbox_crs: str | None = Query(None, alias="bbox-crs"),
        limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
        offset: int = Query(0, ge=0),
    ) -> Response:
        unknown = sorted(set(request.query_params) - ITEM_PARAMS)
        if unknown:
            raise HTTPException(400, f"unknown query parameter(s) {unknown}")
        col = get(collection_id)
        hits = _matching(col, _bbox(bbox, bbox_crs))
        page = hits[offset : offset + limit]
        base = f"{_base(request)}/collections/{col.id}/items"
        keep = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}

        def page_url(start: int) -> str:
            from urllib.parse import urlencode

            return f"{base}?{urlencode({**keep, 'limit': limit, 'offset': start})}"

        links = [_link(page_url(offset), "self", GEOJSON)]
        if offset + limit < len(hits):
            links.append(_link(page_url(offset + limit), "next", GEOJSON))
        if offset > 0:
            links.append(_link(page_url(max(offset - limit, 0)), "prev", GEOJSON))
        body = {
            "type": "FeatureCollection",
            "features": [_feature(col, i) for i in page],
            "links": links,
            "numberMatched": len(hits),
            "numberReturned": len(page),
            "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        return Response(json.dumps(body, ensure_ascii=False), media_type=GEOJSON)

    @app.get("/collections/{collection_id}/items/{feature_id}", summary="one feature")
    def item(collection_id: str, feature_id: str, request: Request) -> Response:
        col = get(collection_id)
        if not feature_id.isdigit() or not 1 <= int(feature_id) <= len(col.frame):
            raise HTTPException(404, f"no feature {feature_id!r} in {collection_id!r}")
        body = _feature(col, int(feature_id) - 1)
        here = f"{_base(request)}/collections/{col.id}"
        body["links"] = [
            _link(f"{here}/items/{feature_id}", "self", GEOJSON),
            _link(here, "collection"),
        ]
        return Response(json.dumps(body, ensure_ascii=False), media_type=GEOJSON)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:  # noqa: ARG001
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return JSONResponse({"code": "400", "description": problems}, status_code=400)

    @app.exception_handler(HTTPException)
    async def _problem(request: Request, exc: HTTPException) -> JSONResponse:  # noqa: ARG001
        return JSONResponse(
            {"code": str(exc.status_code), "description": str(exc.detail)},
            status_code=exc.status_code,
        )

    return app
