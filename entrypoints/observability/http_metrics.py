"""REST request metrics as an outer ASGI wrapper, so the fast path and Litestar are counted alike."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from entrypoints.http.outer import Wrapper
from entrypoints.observability.metrics import ServiceMetrics

_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
_PARAM = re.compile(r"\{[^}]+\}")


class RouteTemplates:
    """Path -> route template: a dict for fixed paths, patterns for paths with parameters; `other`
    for anything else (an id never becomes a label)."""

    def __init__(self, templates: Iterable[str]) -> None:
        self._fixed: dict[str, str] = {}
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        for template in templates:
            if "{" not in template:
                self._fixed[template] = template
                continue
            plain = _PARAM.sub("{}", template).split("{}")
            pattern = "[^/]+".join(re.escape(part) for part in plain)
            self._patterns.append((re.compile(pattern + "$"), _strip_types(template)))

    def of(self, path: str) -> str:
        found = self._fixed.get(path)
        if found is not None:
            return found
        for pattern, template in self._patterns:
            if pattern.match(path):
                return template
        return "other"


def _strip_types(template: str) -> str:
    return re.sub(r"\{([^}:]+):[^}]+\}", r"{\1}", template)


def with_http_metrics(metrics: ServiceMetrics, templates: RouteTemplates) -> Wrapper:
    def wrap(app: ASGIApp) -> ASGIApp:
        async def measured(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = 500

            async def send_seeing_status(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, send_seeing_status)
            finally:
                http: HTTPScope = scope
                method = http["method"] if http["method"] in _METHODS else "other"
                route = templates.of(scope["path"])
                metrics.observe_http(method, route, status, time.perf_counter() - started)

        return measured

    return wrap
