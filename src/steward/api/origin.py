"""Cross-site writes with the session cookie are refused (403) before any handler runs.

The CSRF token already guards every cookie write; this is the second, independent check the
OWASP cheat sheet recommends: a browser names the page a request comes from (`Origin`, and
`Sec-Fetch-Site` in current browsers), and a write that carries Steward's session cookie but
comes from another site is refused. Requests with an `Authorization` header are not
cookie-authenticated and pass (a browser cannot attach that header cross-site without CORS,
which Steward does not grant), as do requests without the cookie (Segment's tracking API is
called from customers' own sites with a write key).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from steward.api.deps import SAFE_METHODS


def _cross_site(headers: dict[bytes, bytes]) -> bool:
    if headers.get(b"sec-fetch-site", b"") == b"cross-site":
        return True
    origin = headers.get(b"origin", b"").decode("latin-1")
    # Absent on old browsers and "null" from privacy-sensitive contexts (a no-referrer page):
    # the CSRF token decides those.
    if not origin or origin == "null":
        return False
    host = headers.get(b"host", b"").decode("latin-1")
    return urlsplit(origin).netloc.lower() != host.lower()


class CrossSiteCookieWrites:
    def __init__(self, app: ASGIApp, cookie_name: str) -> None:
        self.app = app
        self.cookie = cookie_name.encode() + b"="

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            headers = dict(scope.get("headers", []))
            with_cookie = self.cookie in headers.get(b"cookie", b"")
            if with_cookie and b"authorization" not in headers and _cross_site(headers):
                await _refuse(scope, send)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send) -> None:
    detail = "cross-site request refused: writes with a session cookie must come from Steward"
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps(
            {"type": "about:blank", "title": "Forbidden", "status": 403, "detail": detail}
        ).encode()
        content_type = b"application/problem+json"
    else:
        body = f"<!doctype html><title>Forbidden</title><p>{detail}.</p>".encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
