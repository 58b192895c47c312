"""One table from the error tree to gRPC status codes, applied around every RPC."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import grpc
import structlog

from domain.errors import (
    ConflictError,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
    TrainingAlreadyRunningError,
    UnauthenticatedError,
    UnavailableError,
    brief,
)

log = structlog.get_logger(__name__)

INTERNAL_DETAIL = "an internal error occurred; it was logged"

STATUS_TABLE: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    (InvalidArgumentError, grpc.StatusCode.INVALID_ARGUMENT),
    (UnauthenticatedError, grpc.StatusCode.UNAUTHENTICATED),
    (ForbiddenError, grpc.StatusCode.PERMISSION_DENIED),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (ConflictError, grpc.StatusCode.FAILED_PRECONDITION),  # incl. TrainingAlreadyRunningError
    (UnavailableError, grpc.StatusCode.UNAVAILABLE),
    (NotImplementedError, grpc.StatusCode.UNIMPLEMENTED),
)

Servicer = TypeVar("Servicer")
Request = TypeVar("Request")
Response = TypeVar("Response")
Handler = Callable[[Servicer, Request, Any], Awaitable[Response]]


def status_for(exc: BaseException) -> grpc.StatusCode | None:
    """The status code of an expected error; None for anything else (INTERNAL, logged)."""
    for kind, code in STATUS_TABLE:
        if isinstance(exc, kind):
            return code
    return None


def translate_errors(
    method: Handler[Servicer, Request, Response],
) -> Handler[Servicer, Request, Response]:
    """Turn an exception raised by `method` into the RPC's status; never let one escape as is."""

    @functools.wraps(method)
    async def rpc(self: Servicer, request: Request, context: Any) -> Response:
        try:
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            await _abort(context, method.__name__, exc)

    return rpc


async def _abort(context: Any, rpc: str, exc: Exception) -> NoReturn:
    code = status_for(exc)
    if code is None:
        log.exception("grpc_unhandled_error", rpc=rpc, peer=context.peer())
        await context.abort(grpc.StatusCode.INTERNAL, INTERNAL_DETAIL)
    else:
        # The running job is named in the details and, like REST's `job_id`, in trailing metadata.
        trailing = (("job-id", exc.job_id),) if isinstance(exc, TrainingAlreadyRunningError) else ()
        detail = brief(str(exc))
        log.info("grpc_error", rpc=rpc, code=code.name, detail=detail)
        await context.abort(code, detail, trailing_metadata=trailing)
    raise AssertionError("unreachable: context.abort always raises")
