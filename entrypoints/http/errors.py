"""One table from the error tree (and Litestar's own exceptions) to status + JSON body."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

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
from entrypoints.http.documented_errors import MAX_BODY_BYTES
from entrypoints.http.schemas import ErrorBody, ErrorCode
from entrypoints.request_ids import current_request_id

log = structlog.get_logger(__name__)

ERROR_TABLE: tuple[tuple[type[Exception], int, ErrorCode], ...] = (
    (InvalidArgumentError, 400, "invalid_argument"),
    (UnauthenticatedError, 401, "unauthenticated"),
    (ForbiddenError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (UnavailableError, 503, "unavailable"),
)
HTTP_CODES: dict[int, ErrorCode] = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "invalid_argument",
    409: "conflict",
    413: "invalid_argument",
    415: "invalid_argument",
    431: "invalid_argument",
    503: "unavailable",
}


def _validation_detail(exc: ValidationException) -> str:
    parts = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            key = item.get("key") or item.get("source") or "request"
            parts.append(f"{key}: {item.get('message', 'invalid value')}")
    return "; ".join(parts) or (exc.detail or "the request is invalid")


def nested_too_deeply(exc: Exception) -> bool:
    """msgspec refuses JSON nested past the interpreter's recursion limit with a RecursionError of
    its own wording, raised while Litestar decodes a request body: bad input, not a fault."""
    return isinstance(exc, RecursionError) and "while deserializing" in str(exc)


def error_answer(exc: Exception, path: str) -> tuple[int, ErrorBody]:
    """The status and body that answer `exc` (an unexpected one is logged with the request id)."""
    if isinstance(exc, TrainingAlreadyRunningError):
        return 409, ErrorBody("conflict", brief(str(exc)), job_id=exc.job_id)
    if nested_too_deeply(exc):
        return 400, ErrorBody("invalid_argument", "the JSON body is nested too deeply")
    for kind, status, code in ERROR_TABLE:
        if isinstance(exc, kind):
            return status, ErrorBody(code, brief(str(exc)))
    if isinstance(exc, ValidationException):
        return 400, ErrorBody("invalid_argument", brief(_validation_detail(exc)))
    if isinstance(exc, RequestEntityTooLarge):
        return 413, ErrorBody("invalid_argument", f"the request body may hold at most {MAX_BODY_BYTES} bytes")
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        code = HTTP_CODES.get(exc.status_code, "invalid_argument")
        return exc.status_code, ErrorBody(code, brief(exc.detail))
    request_id = current_request_id()
    log.exception("unhandled_error", path=path)
    return 500, ErrorBody("internal", "an internal error occurred; it was logged", request_id=request_id)


def target_not_utf8(scope: Any) -> bool:
    """A query string that is not UTF-8 (servers other than ours pass one on): Litestar fails to
    read the URL of such a request, even while building its error answer."""
    try:
        scope.get("query_string", b"").decode()
    except UnicodeDecodeError:
        return True
    return False


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    if target_not_utf8(request.scope):
        body = ErrorBody("invalid_argument", "the request's query string is not valid UTF-8")
        return Response(body, status_code=400, media_type=MediaType.JSON)
    status, body = error_answer(exc, request.scope["path"])
    return Response(body, status_code=status, media_type=MediaType.JSON)
