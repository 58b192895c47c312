"""A grpc.aio server interceptor: `rec_grpc_requests_total{method,code}`, the duration histogram and,
when tracing is on, one server span per call (child of the caller's `traceparent`).

Only unary-unary calls are measured: every Recommender RPC and the health `Check` are; the streaming
health `Watch` and reflection calls are long-lived and would only distort the latency histogram.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from entrypoints.observability.metrics import ServiceMetrics
from entrypoints.observability.tracing import context_from_metadata

Behaviour = Callable[[Any, Any], Awaitable[Any]]


def _code_name(context: Any, failed: BaseException | None) -> str:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return str(code.name)
    return "UNKNOWN" if failed is not None else "OK"


class MetricsInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    def __init__(self, metrics: ServiceMetrics | None, tracer: Tracer | None = None) -> None:
        self._metrics = metrics
        self._tracer = tracer
        # one wrapped handler per registered method, built on its first call (keys: known methods only)
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        wrapped = self._wrapped.get(details.method)
        if wrapped is not None:
            return wrapped
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler  # unknown methods (UNIMPLEMENTED) are not counted: their names are the caller's
        method = details.method.rsplit("/", 1)[-1]
        behaviour = self._awaited(handler.unary_unary)
        if self._metrics is not None:
            behaviour = self._measured(method, behaviour, self._metrics)
        if self._tracer is not None:
            behaviour = self._traced(method, behaviour)
        wrapped = grpc.unary_unary_rpc_method_handler(
            behaviour,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
        self._wrapped[details.method] = wrapped
        return wrapped

    @staticmethod
    def _awaited(inner: Callable[[Any, Any], Any]) -> Behaviour:
        """Servicers may be sync or async; the wrapped behaviour is always async."""

        async def call(request: Any, context: Any) -> Any:
            result = inner(request, context)
            if isinstance(result, Awaitable):
                result = await result
            return result

        return call

    @staticmethod
    def _measured(method: str, inner: Behaviour, metrics: ServiceMetrics) -> Behaviour:
        observe = metrics.observe_grpc

        async def call(request: Any, context: Any) -> Any:
            started = time.perf_counter()
            failed: BaseException | None = None
            try:
                return await inner(request, context)
            except BaseException as exc:  # recorded, then re-raised untouched (aborts included)
                failed = exc
                raise
            finally:
                observe(method, _code_name(context, failed), time.perf_counter() - started)

        return call

    def _traced(self, method: str, inner: Behaviour) -> Behaviour:
        tracer = self._tracer
        assert tracer is not None

        async def call(request: Any, context: Any) -> Any:
            parent = context_from_metadata(context.invocation_metadata())
            with tracer.start_as_current_span(
                method,
                context=parent,
                kind=SpanKind.SERVER,
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                failed: BaseException | None = None
                try:
                    return await inner(request, context)
                except BaseException as exc:
                    failed = exc
                    raise
                finally:
                    code = _code_name(context, failed)
                    span.set_attribute("rpc.grpc.status_code", code)
                    if code != "OK":
                        span.set_status(Status(StatusCode.ERROR, code))

        return call
