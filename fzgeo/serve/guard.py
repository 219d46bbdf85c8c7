"""Request guards of ``fzgeo serve``: the access token and the upload size limit (ASGI middleware).

The token (``--token`` or ``$FZGEO_TOKEN``; required to listen beyond loopback, FZ803) is
checked on every request, the OGC API and the files included, in constant time. It may come as
``?token=...`` (the address the operator hands out: the reply then sets an HttpOnly,
SameSite=Strict cookie so the page's own requests carry it), ``Authorization: Bearer ...``,
HTTP Basic with the token as password (what QGIS's authentication configurations send), the
header ``X-Fzgeo-Token`` or that cookie. Anything else is 401 (FZ804).

The upload limit refuses a request whose ``Content-Length`` exceeds it before reading a byte
(413, FZ800), and stops reading a body sent without one (chunked) at the limit: the endpoint
sees a disconnect and :func:`too_large` says why.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from fzgeo.errors import CATALOGUE, ConfigError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_ENV = "FZGEO_TOKEN"
COOKIE = "fzgeo_token"
TOO_LARGE = "fzgeo.too_large"
MIN_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_token(host: str, token: str | None) -> None:
    """FZ803 when ``host`` is not loopback and no token is set; FZ600 for a short token."""
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(
            f"the access token has {len(token)} characters; use at least {MIN_TOKEN_CHARS}",
            hint='e.g. python3 -c "import secrets; print(secrets.token_urlsafe(24))"',
        )
    if not token and not is_loopback(host):
        raise ConfigError(
            f"--host {host} makes the server reachable from other machines; it needs an access "
            "token",
            code="FZ803",
        )


async def send_json(send: Send, status: int, body: dict[str, Any], headers: list[Any]) -> None:
    """Send a whole JSON reply."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def error_body(code: str, message: str) -> dict[str, Any]:
    """The JSON of a refused request: ``{"error": {code, title, message}}``."""
    return {
        "error": {"code": code, "title": CATALOGUE[code].title, "message": f"[{code}] {message}"}
    }


def _offered(scope: Scope) -> tuple[str | None, bool]:
    """The token the request offers, and whether it came in the query string."""
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    if "token" in query:
        return query["token"], True
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip(), False
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip()).decode("utf-8").partition(":")[2], False
        except (binascii.Error, UnicodeDecodeError):
            return None, False
    if "x-fzgeo-token" in headers:
        return headers["x-fzgeo-token"], False
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:
        return None, False
    return (cookie[COOKIE].value if COOKIE in cookie else None), False


class TokenGuard:
    """Refuse every request without the token (when one is set)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the token of an HTTP request."""
        if scope["type"] != "http" or not self.token:
            await self.app(scope, receive, send)
            return
        offered, in_query = _offered(scope)
        if offered is None or not secrets.compare_digest(
            offered.encode("utf-8"), self.token.encode("utf-8")
        ):
            await send_json(
                send,
                401,
                error_body("FZ804", "这个地址需要访问令牌（access token missing or wrong）"),
                [(b"www-authenticate", b'Basic realm="fzgeo", charset="UTF-8"')],
            )
            return
        if not in_query:
            await self.app(scope, receive, send)
            return
        cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/".encode("latin-1")

        async def with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"set-cookie", cookie)],
                }
            await send(message)

        await self.app(scope, receive, with_cookie)


def too_large(scope: Scope) -> bool:
    """Whether :class:`UploadLimit` cut this request's body off at the limit."""
    return bool(scope.get(TOO_LARGE))


class UploadLimit:
    """Refuse or cut off request bodies larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what arrives."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        limit_mb = self.max_bytes / 1e6
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            size = int(declared) / 1e6 if declared.isdigit() else float("nan")
            await send_json(
                send,
                413,
                error_body("FZ800", f"上传 {size:,.1f} MB，超过本服务器的上限 {limit_mb:,.0f} MB"),
                [(b"connection", b"close")],
            )
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    scope[TOO_LARGE] = True
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, counted, send)
