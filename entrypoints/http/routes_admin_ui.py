"""`GET /admin/ui`: the operators' dashboard (contract section 9), files of this package.

The page and its assets hold no data: everything it shows it reads from the admin JSON routes with
the token the operator types into it (kept in the tab's sessionStorage, sent as a bearer header).
So with REC_ADMIN_TOKEN set the files are served to anyone (the page must load to ask for the token)
and without it to loopback clients only, as every admin route. A strict Content-Security-Policy
allows scripts, styles and requests from this origin alone, and no inline script or style.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import PurePath
from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter

from domain.errors import NotFoundError
from entrypoints.admin_access import check_admin
from entrypoints.http.documented_errors import errors
from entrypoints.http.schemas import ErrorBody

MEDIA_TYPES = {
    ".html": "text/html",  # Litestar adds "; charset=utf-8" to text types
    ".js": "text/javascript",
    ".css": "text/css",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-cache",
}


@cache
def assets() -> dict[str, tuple[bytes, str]]:
    """The files of `entrypoints/http/ui/` (part of the installed package), read once: name ->
    (content, media type). Nothing else is ever served from here."""
    folder = resources.files("entrypoints.http").joinpath("ui")
    found: dict[str, tuple[bytes, str]] = {}
    for item in folder.iterdir():
        media_type = MEDIA_TYPES.get(PurePath(item.name).suffix)
        if media_type is not None and item.is_file():
            found[item.name] = (item.read_bytes(), media_type)
    return found


FORBIDDEN = ResponseSpec(
    ErrorBody, description="no REC_ADMIN_TOKEN and the client is not on loopback", generate_examples=False
)
MISSING = ResponseSpec(ErrorBody, description="the dashboard has no such file", generate_examples=False)
AssetName = Annotated[str, PathParameter(description="app.js, app.css, ...", max_length=64)]


def ui_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Loopback only while no token is configured; with one, the data routes ask for it."""
    if connection.app.state.admin_token:
        return
    client = connection.client
    check_admin(None, None, client.host if client else None)


def _file(name: str) -> Response[bytes]:
    found = assets().get(name)
    if found is None:
        raise NotFoundError(f"the dashboard has no file {name!r}")
    content, media_type = found
    return Response(content, media_type=media_type, headers=HEADERS)


class AdminUiController(Controller):
    path = "/admin/ui"
    tags = ["admin"]
    guards = [ui_guard]

    @get(
        "/",
        summary="The operators' dashboard (a web page)",
        media_type="text/html",
        responses={**errors(), 403: FORBIDDEN},
    )
    async def page(self) -> Response[bytes]:
        return _file("index.html")

    @get(
        "/{name:str}",
        summary="A file of the dashboard (script, style)",
        responses={**errors(), 403: FORBIDDEN, 404: MISSING},
    )
    async def file(self, name: AssetName) -> Response[bytes]:
        return _file(name)
