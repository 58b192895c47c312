"""The Litestar handlers of the hot-route table, bound to their use cases when the app is built.

Each handler gets a signature made from the table's parameters (`Annotated[kind, QueryParameter]`
with the table's bounds and default), so Litestar validates, answers errors and documents the route
exactly as for a handler written by hand. Binding the use case at build time rather than through
Litestar's dependency injection keeps the per-request resolution out of the route.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Annotated, Any, Protocol

from litestar import Router, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter

from entrypoints.http.documented_errors import errors
from entrypoints.http.hot_routes import REQUIRED, HotRoute, Param
from entrypoints.http.schemas import exact_bounds


class UseCase(Protocol):
    async def execute(self, command: Any, /) -> Any: ...


BoundRoutes = Sequence[tuple[HotRoute, UseCase]]
"""Each route of the table with the use case it calls (the same object for both paths)."""


def _parameter(param: Param) -> inspect.Parameter:
    bounds = exact_bounds(param.ge, param.le)
    query = QueryParameter(ge=param.ge, le=param.le, description=param.description, schema_extra=bounds)
    annotation = Annotated[param.kind, query]  # type: ignore[name-defined]  # built at run time
    default = inspect.Parameter.empty if param.default is REQUIRED else param.default
    return inspect.Parameter(
        param.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def litestar_handler(route: HotRoute, use_case: UseCase) -> HTTPRouteHandler:
    """The GET handler of `route`: Litestar parses the query, the table builds the command."""

    names = tuple(param.name for param in route.params)

    async def handler(**params: Any) -> Any:
        command = route.command(*(params[name] for name in names))
        return route.body(await use_case.execute(command))

    parameters = [_parameter(param) for param in route.params]
    handler.__name__ = handler.__qualname__ = route.name
    handler.__signature__ = inspect.Signature(parameters, return_annotation=route.body_type)  # type: ignore[attr-defined]
    handler.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": route.body_type}
    return get(
        list(route.paths),
        status_code=route.status,
        summary=route.summary,
        description=route.description,
        tags=list(route.tags),
        responses=errors(*route.errors),
    )(handler)


def hot_router(bound: BoundRoutes, *others: HTTPRouteHandler) -> Router:
    """The table's handlers, and `others` sharing their paths (such as another method of one)."""
    return Router("/", route_handlers=[*(litestar_handler(r, use_case) for r, use_case in bound), *others])
