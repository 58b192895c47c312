"""The Litestar application factory (nothing connects at import time)."""

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
from entrypoints.http.errors import handle_exception
from entrypoints.http.fast_path import with_fast_path
from entrypoints.http.middleware import with_request_ids
from entrypoints.http.routes_admin import AdminController
from entrypoints.http.routes_blacklist import BlacklistController
from entrypoints.http.routes_hot import HotController
from entrypoints.http.routes_public import HealthController, recommendation_routes


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
)


def create_app(container: Container, *, manage_runtime: bool = True, fast_path: bool = True) -> Litestar:
    """Build the REST app; with `manage_runtime` its lifespan starts and stops the service.

    `fast_path=False` leaves every route wholly to Litestar (the fast path's reference).
    """
    runtime = container.runtime()
    recommend_for_user, relevant_titles = container.recommend_for_user(), container.relevant_titles()

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

    dependencies = {name: _provide(getattr(container, name)) for name in DEPENDENCIES}
    dependencies["zone"] = _provide(lambda: container.settings().zone)
    app = Litestar(
        route_handlers=[
            recommendation_routes(recommend_for_user, relevant_titles),
            HealthController,
            AdminController,
            HotController,
            BlacklistController,
        ],
        dependencies=dependencies,
        exception_handlers={Exception: handle_exception},
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="LightFM recommendation service",
            version="0.1.0",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        debug=False,
    )
    if fast_path:
        app.asgi_handler = with_fast_path(
            app.asgi_handler, recommend_for_user, relevant_titles, container.record_interaction()
        )
    with_request_ids(app)
    app.state.admin_token = container.settings().admin_token
    app.state.runtime = runtime
    return app


def create_app_from_env() -> Litestar:
    """Factory for ASGI servers (`granian --factory`): configuration only from the environment."""
    from entrypoints.logging import configure_logging

    container = Container()
    configure_logging(container.settings().log_format)
    return create_app(container)
