"""The error answers each route documents in the OpenAPI schema, all with the error body.

Every route declares its errors through `errors(...)`, which replaces Litestar's default 400 body
(`status_code`/`detail`/`extra`, never sent: `errors.handle_exception` answers every failure) with
`ErrorBody`. What any route can answer is added for all of them: 400 (a query string that is not
UTF-8, a validation failure), 431 (`head_limits`) and 500. tests/e2e/test_openapi_truth.py holds
each route's statuses to CONTRACT.md section 4: a route added without its errors fails there.
"""

from __future__ import annotations

from collections.abc import Mapping

from litestar.openapi import ResponseSpec

from entrypoints.http.schemas import ErrorBody

MAX_BODY_BYTES = 1024 * 1024
"""The largest request body any route reads (Litestar's `request_max_body_size`): past it, 413."""

DESCRIPTIONS = {
    400: "invalid_argument: a parameter or the body is invalid (validation, ids, bounds, JSON)",
    401: "unauthenticated: REC_ADMIN_TOKEN is set and the Authorization bearer token is missing or wrong",
    403: "forbidden: no REC_ADMIN_TOKEN is set and the client is not on loopback",
    404: "not_found: the named title, model version, job or blacklist entry does not exist",
    409: "conflict: the request contradicts the current state (job_id names a running training)",
    413: f"invalid_argument: the body is larger than {MAX_BODY_BYTES} bytes",
    431: "invalid_argument: the request line and headers are past the limits (README, REST API)",
    500: "internal: an unexpected failure, logged with request_id",
    503: "unavailable: a dependency (source, registry, artifacts) is down, or no trainer holds the lease",
}
EVERY_ROUTE = (400, 431, 500)
ADMIN = (401, 403)
"""The admin rule (`admin_access.check_admin`), on every `/admin` route."""
JSON_BODY = (413,)
"""Routes that read a JSON body."""


def error_spec(status: int) -> ResponseSpec:
    return ResponseSpec(ErrorBody, description=DESCRIPTIONS[status], generate_examples=False)


def errors(*statuses: int, success: Mapping[int, ResponseSpec] | None = None) -> dict[int, ResponseSpec]:
    """The `responses` of a route handler: `statuses` and `EVERY_ROUTE` with the error body, and
    `success` (other or more precise success answers than the handler's return annotation)."""
    documented = {status: error_spec(status) for status in sorted({*EVERY_ROUTE, *statuses})}
    return {**dict(success or {}), **documented}
