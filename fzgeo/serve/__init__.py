"""``fzgeo serve``: the check page, OGC API layers and published maps over HTTP (issue #19).

:func:`serve` prepares the data folder (:mod:`fzgeo.serve.content`) and runs the application
(:mod:`fzgeo.serve.app`) under uvicorn. The modules:

:mod:`fzgeo.serve.app`
    routes and :class:`ServeConfig`;
:mod:`fzgeo.serve.page`
    the check page (Chinese, phone and desktop, no external request);
:mod:`fzgeo.serve.jobs`, :mod:`fzgeo.serve.runjob`
    check jobs in random folders, run in worker processes, written atomically, expired;
:mod:`fzgeo.serve.features`, :mod:`fzgeo.serve.postgis`
    OGC API – Features of the GeoPackage, or tipg over PostGIS;
:mod:`fzgeo.serve.guard`
    the access token and the upload limit;
:mod:`fzgeo.serve.content`
    the GeoPackage, the published maps and the control raster, built once per version.

Needs the ``serve`` extra (``pip install 'fzgeo[serve]'``: fastapi, uvicorn, python-multipart,
and tipg for ``--dsn``).
"""

from __future__ import annotations

from collections.abc import Callable

from fzgeo.serve.app import ServeConfig, create_app
from fzgeo.serve.guard import TOKEN_ENV, is_loopback, require_token

__all__ = ["TOKEN_ENV", "ServeConfig", "create_app", "is_loopback", "require_token", "serve"]


def serve(
    config: ServeConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    say: Callable[[str], None] = print,
) -> None:
    """Prepare the data folder and serve until interrupted (FZ803 beyond loopback without token)."""
    import uvicorn

    from fzgeo.serve import content

    require_token(host, config.token)
    _check_port(host, port)
    content.prepare(config.data, say=say)
    app = create_app(config)
    shown = f"[{host}]" if ":" in host else host
    say(f"fzgeo serve: http://{shown}:{port}/ (check page), /ogc/ (OGC API), /maps/ (web maps)")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _check_port(host: str, port: int) -> None:
    """FZ600 when ``host:port`` cannot be listened on (in use, or not this machine's address)."""
    import socket

    from fzgeo.errors import ConfigError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ConfigError(f"--host {host}: {exc.strerror or exc}") from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                hint="choose another --port, or stop the program using it",
            ) from exc
