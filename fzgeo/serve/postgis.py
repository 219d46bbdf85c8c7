"""The PostGIS layers as OGC API – Features and vector tiles, served by tipg.

With ``fzgeo serve --dsn``, tipg (developmentseed, on FastAPI and asyncpg) serves the tables
``fzgeo db push`` wrote in the schema ``fzgeo``: ``/collections/fzgeo.<layer>/items`` (GeoJSON,
with bbox, limit, offset, CQL2 filters) and ``/collections/fzgeo.<layer>/tiles/...`` (Mapbox
vector tiles). Tables that are not layers (names starting with ``_``, tables being written, the
pre-cut ``__pieces`` copies a database pushed before issue 19 still keeps beside the layers) are
left out of the catalogue; today's pieces live in schema ``fzgeo_pieces``, which is not served. tipg's HTML pages load Bootstrap,
jQuery and Leaflet from CDNs: a browser asking for HTML gets the JSON instead, and ``f=html`` is
refused, so nothing served here reaches the internet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import FastAPI

from fzgeo.db.connect import LEGACY_PIECES_SUFFIX, SCHEMA, TEMP_PREFIX

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def asyncpg_dsn(dsn: str) -> str:
    """``dsn`` as a URI asyncpg accepts (a libpq keyword string is converted)."""
    if dsn.startswith(("postgresql://", "postgres://")):
        return dsn
    from psycopg.conninfo import conninfo_to_dict

    parts = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    user = quote(parts.pop("user", ""), safe="")
    password = parts.pop("password", None)
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = parts.pop("host", "")
    port = parts.pop("port", "")
    dbname = quote(parts.pop("dbname", ""), safe="")
    netloc = host if host and not host.startswith("/") else ""
    if port and netloc:
        netloc += f":{port}"
    query = {**parts}
    if host.startswith("/"):
        query["host"] = host
        if port:
            query["port"] = port
    tail = "&".join(f"{k}={quote(v, safe='/')}" for k, v in query.items())
    return f"postgresql://{auth}{netloc}/{dbname}" + (f"?{tail}" if tail else "")




def _is_layer(collection_id: str) -> bool:
    schema, _, table = collection_id.partition(".")
    return (
        schema == SCHEMA
        and not table.startswith(("_", TEMP_PREFIX))
        and not table.endswith(LEGACY_PIECES_SUFFIX)
    )


class PostgisOgc:
    """tipg's OGC API app for one database; :meth:`open` and :meth:`close` in the server lifespan.

    Mounted apps get no lifespan events of their own, so the server calls these.
    """

    def __init__(self, dsn: str, *, title: str = "抚州市“十四五”规划图层（PostGIS）") -> None:
        import jinja2
        from starlette.templating import Jinja2Templates
        from tipg.errors import DEFAULT_STATUS_CODES, add_exception_handlers
        from tipg.factory import Endpoints

        self.dsn = dsn
        self.app = FastAPI(title=title, openapi_url="/api", docs_url=None, redoc_url=None)
        templates = Jinja2Templates(
            env=jinja2.Environment(loader=jinja2.PackageLoader("tipg", "templates"))
        )
        endpoints = Endpoints(title=title, templates=templates, with_tiles_viewer=False)
        self.app.include_router(endpoints.router)
        add_exception_handlers(self.app, DEFAULT_STATUS_CODES)

    async def open(self) -> None:
        """Connect the pool and read the catalogue of layers."""
        import asyncpg
        from tipg.collections import register_collection_catalog
        from tipg.database import connection_factory
        from tipg.settings import DatabaseSettings

        # tipg's connect_to_db validates the DSN as a URL with a host; a Unix-socket DSN
        # (postgresql://user@/db?host=/run/postgresql) has none, so the pool is made here
        self.app.state.pool = await asyncpg.create_pool(
            asyncpg_dsn(self.dsn),
            min_size=1,
            max_size=4,
            init=connection_factory([SCHEMA], "pg_temp", None),
        )
        await register_collection_catalog(self.app, db_settings=DatabaseSettings(schemas=[SCHEMA]))
        catalog = self.app.state.collection_catalog
        catalog["collections"] = {k: v for k, v in catalog["collections"].items() if _is_layer(k)}

    async def close(self) -> None:
        """Close the pool."""
        from tipg.database import close_db_connection

        if getattr(self.app.state, "pool", None) is not None:
            await close_db_connection(self.app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve, with JSON in place of tipg's CDN-linked HTML pages."""
        if scope["type"] == "http":
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if query.get("f") == "html":
                from starlette.responses import JSONResponse

                reply = JSONResponse(
                    {
                        "code": "406",
                        "description": "HTML pages are not served (offline); use f=json",
                    },
                    status_code=406,
                )
                await reply(scope, receive, send)
                return
            headers = [
                (k, b"application/json" if k == b"accept" and b"text/html" in v else v)
                for k, v in scope.get("headers", [])
            ]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
