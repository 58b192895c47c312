"""Spans around the ports a request uses (cache, source, features, hot events, scoring), when tracing is on.

The container hands the request-path use cases a traced view of each adapter; with tracing off it hands
them the adapter itself, so off costs nothing (no wrapper, no call). The use cases never see
OpenTelemetry: a traced view has the port's methods, and each public coroutine method (and the
scorer's ranking methods) runs inside a child span of the current request's span, named
`<component>.<method>`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection
from typing import Any, TypeVar, cast

from opentelemetry.trace import SpanKind, Tracer

from application.ports import ArtifactBundle, RecommenderEngine, Scorer

T = TypeVar("T")

SCORING = frozenset({"top_for_user", "similar_titles", "top_for_features", "similar_to_features"})
"""The scorer's synchronous ranking calls that get a span (the rest are lookups of a few ns)."""

_NOT_SPANNED = frozenset({"ping", "close", "create_schema"})  # health and lifecycle, not a request's work


class _Traced:
    """A view of `port` whose chosen methods run in spans; every other attribute is the port's own."""

    def __init__(self, port: object, component: str, tracer: Tracer, sync: Collection[str]) -> None:
        self._port = port
        self._component = component
        self._tracer = tracer
        self._sync = sync

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._port, name)
        if name.startswith("_") or name in _NOT_SPANNED or not callable(found):
            return found
        span_name = f"{self._component}.{name}"
        if inspect.iscoroutinefunction(found):
            wrapped: Callable[..., Any] = _async_span(self._tracer, span_name, found)
        elif name in self._sync:
            wrapped = _sync_span(self._tracer, span_name, found)
        else:
            return found
        setattr(self, name, wrapped)  # resolved once: later calls skip __getattr__
        return wrapped


def _async_span(tracer: Tracer, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call)
    async def spanned(*args: Any, **kwargs: Any) -> Any:
        with tracer.start_as_current_span(name, kind=SpanKind.INTERNAL):
            return await call(*args, **kwargs)

    return spanned


def _sync_span(tracer: Tracer, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call)
    def spanned(*args: Any, **kwargs: Any) -> Any:
        with tracer.start_as_current_span(name, kind=SpanKind.INTERNAL):
            return call(*args, **kwargs)

    return spanned


def traced(port: T, component: str, tracer: Tracer | None) -> T:
    """`port` itself with tracing off, else a view whose coroutine methods run in spans."""
    if tracer is None or port is None:
        return port
    return cast(T, _Traced(port, component, tracer, ()))


class _TracedEngine(_Traced):
    """The engine's scorers are traced too: activation builds them, requests rank with them."""

    async def build_scorer(self, bundle: ArtifactBundle) -> Scorer:
        engine = cast(RecommenderEngine, self._port)
        scorer = await engine.build_scorer(bundle)
        return cast(Scorer, _Traced(scorer, "score", self._tracer, SCORING))


def traced_engine(engine: RecommenderEngine, tracer: Tracer | None) -> RecommenderEngine:
    if tracer is None:
        return engine
    return cast(RecommenderEngine, _TracedEngine(engine, "engine", tracer, ()))
