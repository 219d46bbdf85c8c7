"""The ``fzgeo serve`` application: check page and jobs, OGC API, published maps and raster.

=====================================  =========================================================
``/``                                  the check page (:mod:`fzgeo.serve.page`)
``POST /api/jobs``                     multipart upload: ``sites`` (the file), ``rules``
                                       (``default`` or ``custom`` with ``rules_file``),
                                       ``layer``, ``assume_crs``, ``encoding``, ``input_coords``,
                                       ``allow_outside``; 202 with the job id
``GET /api/jobs/{id}``                 the job's status, and its result when done
``GET /jobs/{id}/files/{name}``        a file of the job's result (reports, GeoPackage, map)
``/ogc/``                              OGC API – Features: the GeoPackage
                                       (:mod:`fzgeo.serve.features`), or tipg over PostGIS
                                       with ``--dsn`` (:mod:`fzgeo.serve.postgis`)
``/maps/``                             the published web maps (offline)
``/raster/control.tif``                the control raster (COG), with HTTP range requests
``/healthz``                           ``{"ok": true}``
=====================================  =========================================================

Refused requests answer JSON ``{"error": {"code", "title", "message"}}`` with the error codes of
the command line, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect
from starlette.staticfiles import StaticFiles

from fzgeo.errors import FzgeoError, InputError
from fzgeo.serve import content, guard, jobs, page, runjob

#: HTTP status of each refusal code; other FzgeoErrors are 400.
STATUS = {"FZ800": 413, "FZ801": 400, "FZ802": 404, "FZ804": 401, "FZ805": 503}
MAX_RULES_BYTES = 256 * 1024
SWEEP_SECONDS = 600.0
_OPTIONS = ("layer", "assume_crs", "encoding", "input_coords")


@dataclass(frozen=True)
class ServeConfig:
    """How the server runs.

    Attributes
    ----------
    data
        The data folder (:mod:`fzgeo.serve.content`).
    dsn
        PostGIS database: checks measure there and tipg serves its layers; None: here.
    token
        Access token required on every request; None on loopback only.
    max_upload_mb
        Largest upload accepted.
    keep_hours
        Jobs and uploads are deleted this long after their upload.
    workers
        Checks run at the same time.
    threads
        Threads per check (None: the check's default).
    """

    data: Path
    dsn: str | None = None
    token: str | None = None
    max_upload_mb: float = 200.0
    keep_hours: float = 24.0
    workers: int = 2
    threads: int | None = None


def _refusal(err: FzgeoError) -> JSONResponse:
    return JSONResponse({"error": jobs.describe(err)}, status_code=STATUS.get(err.code, 400))


async def _save(upload: UploadFile, target: Path) -> None:
    def copy() -> None:
        with open(target, "wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)

    await asyncio.to_thread(copy)


def _options(form: Any, name: str, rules: str | None, threads: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"sites": name, "rules": rules, "threads": threads}
    for key in _OPTIONS:
        value = form.get(key)
        out[key] = value.strip() if isinstance(value, str) and value.strip() else None
    if out["input_coords"] not in (None, "gcj02", "bd09", "wgs84"):
        raise InputError(
            f"input_coords {out['input_coords']!r} is not gcj02, bd09 or wgs84", code="FZ801"
        )
    out["allow_outside"] = form.get("allow_outside") in ("1", "on", "true")
    return out


def create_app(config: ServeConfig) -> Any:
    """The ASGI application (content must be prepared: :func:`fzgeo.serve.content.prepare`)."""
    data = config.data.resolve()
    store = jobs.JobStore(
        data / content.JOBS,
        keep_seconds=config.keep_hours * 3600,
        workers=config.workers,
        dsn=config.dsn,
        threads=config.threads,
    )
    pg: Any = None
    if config.dsn:
        from fzgeo.serve.postgis import PostgisOgc

        pg = PostgisOgc(config.dsn)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:  # noqa: ARG001
        store.start()
        if pg is not None:
            await pg.open()

        async def sweeper() -> None:
            while True:
                await asyncio.sleep(SWEEP_SECONDS)
                await asyncio.to_thread(store.sweep)

        task = asyncio.create_task(sweeper())
        try:
            yield
        finally:
            task.cancel()
            if pg is not None:
                await pg.close()
            store.stop()

    app = FastAPI(
        title="fzgeo serve", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.store = store
    engine = "postgis" if config.dsn else "local"

    @app.get("/", response_class=HTMLResponse)
    def check_page() -> HTMLResponse:
        text = page.render(
            engine=engine,
            max_upload_mb=config.max_upload_mb,
            keep_hours=config.keep_hours,
            ogc="ogc/",
        )
        return HTMLResponse(text, headers={"Cache-Control": "no-store"})

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "engine": engine}

    @app.post("/api/jobs")
    async def create_job(request: Request) -> JSONResponse:
        try:
            form = await request.form(max_files=2, max_fields=20)
        except ClientDisconnect:
            if guard.too_large(request.scope):
                limit = config.max_upload_mb
                return _refusal(InputError(f"上传超过本服务器的上限 {limit:,.0f} MB", code="FZ800"))
            return _refusal(InputError("上传中断（upload interrupted）", code="FZ801"))
        except Exception as exc:  # malformed multipart
            return _refusal(InputError(f"上传内容无法解析（{type(exc).__name__}）", code="FZ801"))
        sites = form.get("sites")
        if not isinstance(sites, UploadFile) or not sites.filename:
            return _refusal(InputError("没有收到项目文件（field sites）", code="FZ801"))
        rules_file = form.get("rules_file")
        custom = form.get("rules") == "custom"
        try:
            name = jobs.upload_name(sites.filename)
            rules_name = None
            if custom:
                if not isinstance(rules_file, UploadFile) or not rules_file.filename:
                    raise InputError("自定义规则：没有收到规则文件（rules_file）", code="FZ801")
                rules_name = jobs.upload_name(rules_file.filename)
                if (rules_file.size or 0) > MAX_RULES_BYTES:
                    raise InputError(f"规则文件超过 {MAX_RULES_BYTES // 1024} KB", code="FZ800")
            rules = f"rules/{rules_name}" if rules_name else None
            options = _options(form, name, rules, config.threads)
            job_id, folder = store.create()
        except FzgeoError as err:
            return _refusal(err)
        try:
            await _save(sites, folder / runjob.UPLOAD / name)
            if rules_name and isinstance(rules_file, UploadFile):
                (folder / runjob.UPLOAD / "rules").mkdir()
                await _save(rules_file, folder / runjob.UPLOAD / "rules" / rules_name)
            store.submit(job_id, options)
        except BaseException:
            store.abandon(job_id)
            raise
        finally:
            await form.close()
        return JSONResponse({"id": job_id, "status": f"api/jobs/{job_id}"}, status_code=202)

    @app.get("/api/jobs/{job_id}")
    def job_status(job_id: str) -> JSONResponse:
        try:
            status = store.status(job_id)
        except FzgeoError as err:
            return _refusal(err)
        return JSONResponse(status, headers={"Cache-Control": "no-store"})

    @app.get("/jobs/{job_id}/files/{relative:path}")
    def job_file(job_id: str, relative: str) -> Any:
        try:
            path = store.result_file(job_id, relative)
        except FzgeoError as err:
            return _refusal(err)
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
        inline = path.suffix in (".html", ".svg", ".png", ".json", ".csv")
        return FileResponse(
            path,
            headers=headers,
            filename=None if inline else path.name,
            content_disposition_type="inline" if inline else "attachment",
        )

    @app.get("/raster/{name}")
    def raster(name: str) -> Any:
        if name not in (content.CONTROL, f"{content.CONTROL}.aux.xml"):
            return _refusal(InputError(f"no raster {name!r}", code="FZ802"))
        media = (
            "image/tiff; application=geotiff; profile=cloud-optimized"
            if name.endswith(".tif")
            else "application/xml"
        )
        return FileResponse(data / name, media_type=media)

    app.mount("/maps", StaticFiles(directory=data / content.SITE, html=True), name="maps")
    if pg is not None:
        app.mount("/ogc", pg, name="ogc")
    else:
        from fzgeo.serve import features

        app.mount("/ogc", features.create(data / content.PLAN_GPKG), name="ogc")

    limited = guard.UploadLimit(app, int(config.max_upload_mb * 1e6))
    return guard.TokenGuard(limited, config.token)
