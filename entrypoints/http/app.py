"""The REST application factory (nothing connects at import time).

`create_app` returns the served ASGI app (`outer.ServiceApp`): the outer layer around the fast path
of the hot-route table and the Litestar app made from the same table and the other routes.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

from entrypoints.container import Container
from entrypoints.http.documented_errors import MAX_BODY_BYTES
from entrypoints.http.errors import handle_exception
from entrypoints.http.fast_path import with_fast_path
from entrypoints.http.hot_handlers import BoundRoutes, hot_router
from entrypoints.http.hot_routes import HOT_ROUTES
from entrypoints.http.outer import CROSS_CUTTING, ServiceApp
from entrypoints.http.routes_admin import AdminController
from entrypoints.http.routes_admin_read import AdminReadController
from entrypoints.http.routes_admin_ui import AdminUiController
from entrypoints.http.routes_blacklist import BlacklistController
from entrypoints.http.routes_experiments import ExperimentController
from entrypoints.http.routes_hot import interact_post
from entrypoints.http.routes_public import HealthController
from entrypoints.observability.exposition import metrics_route
from entrypoints.observability.http_metrics import RouteTemplates, with_http_metrics
from entrypoints.observability.tracing import with_request_spans


def _provide(factory: Callable[[], Any]) -> Provide:
    def dependency() -> Any:
        return factory()

    return Provide(dependency, use_cache=True, sync_to_thread=False)


DEPENDENCIES = (
    "check_health",
    "train_model",
    "tune_model",
    "schedule_training",
    "cancel_job",
    "model_queries",
    "job_queries",
    "activate_model",
    "invalidate_cache",
    "record_interaction",
    "blacklist_admin",
    "experiments",
    "experiment_queries",
    "admin_views",
    "trainer_status",
    "version_recommendations",
)


def bind_hot_routes(container: Container) -> BoundRoutes:
    """Each route of the hot-route table with its use case, shared by its two implementations."""
    return [(route, getattr(container, route.use_case)()) for route in HOT_ROUTES]


def create_app(container: Container, *, manage_runtime: bool = True, fast_path: bool = True) -> ServiceApp:
    """Build the REST app; with `manage_runtime` its lifespan starts and stops the service.

    `fast_path=False` leaves every route wholly to Litestar (the fast path's reference).
    """
    runtime = container.runtime()
    hot_routes = bind_hot_routes(container)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        if manage_runtime:
            await runtime.start()
        # Everything built at start (container, app, model, catalogue) is kept for the process's life:
        # out of the collector's sight, a full collection no longer walks it (it took ~120 ms, the
        # p99 of cached requests, several times a second under load).
        gc.freeze()
        try:
            yield
        finally:
            if manage_runtime:
                await runtime.stop()

    # the scrape-time gauges are added by ServiceRuntime.start (whichever transports run)
    observed = [metrics_route(container.observability())] if container.settings().metrics else []
    dependencies = {name: _provide(getattr(container, name)) for name in DEPENDENCIES}
    dependencies["zone"] = _provide(lambda: container.settings().zone)
    app = Litestar(
        route_handlers=[
            hot_router(hot_routes, interact_post),
            HealthController,
            AdminController,
            BlacklistController,
            ExperimentController,
            AdminReadController,
            AdminUiController,
            *observed,
        ],
        dependencies=dependencies,
        exception_handlers={Exception: handle_exception},
        lifespan=[lifespan],
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="LightFM recommendation service",
            version="0.1.0",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        debug=False,
    )
    app.state.admin_token = container.settings().admin_token
    app.state.runtime = runtime
    inner = with_fast_path(app, hot_routes) if fast_path else app
    observability = container.observability()
    templates = RouteTemplates(route.path for route in app.routes)
    wrappers = list(CROSS_CUTTING)
    if observability.metrics is not None:
        wrappers.append(with_http_metrics(observability.metrics, templates))
    if observability.tracer is not None:
        wrappers.append(with_request_spans(observability.tracer, templates.of))
    return ServiceApp(app, inner, wrappers)


def create_app_from_env() -> ServiceApp:
    """Factory for ASGI servers (`granian --factory`): configuration only from the environment."""
    from entrypoints.logging import configure_logging

    container = Container()
    configure_logging(container.settings().log_format)
    return create_app(container)
