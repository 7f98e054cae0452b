"""Every error the API returns is application/problem+json (RFC 9457) naming the field.

Litestar's own exceptions (validation, 404, 405, 413, ...) and anything unexpected are
mapped here too, so a caller never sees a bare 500 page or a stack trace. Request
bodies are decoded, and their errors made, by service/api/bodies.py; the problem
types are the catalogue's (service/domain/errors.py).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
import redis.exceptions
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from service.domain.errors import FieldError, InvalidSpec, problem_type
from service.domain.job import JobError
from service.quotas import QuotaInfo
from service.store.redis import PoolExhausted

log = logging.getLogger("synthgen.api")
MEDIA = "application/problem+json"


class Problem(JobError, omit_defaults=True):
    """RFC 9457 problem details."""

    # type, title, status, detail: JobError's (a failed job's error is served as a problem)
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None
    job_status: str | None = None
    quota: QuotaInfo | None = None  # the limit a quota-exceeded or over-limit problem is about


class ApiError(Exception):
    """An error with its problem body, raised by the serving layer."""

    def __init__(self, status: int, kind: str, title: str, detail: str | None = None,
                 errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
                 job_status: str | None = None, quota: QuotaInfo | None = None):
        super().__init__(detail or title)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.errors, self.headers, self.job_status, self.quota = errors, headers or {}, job_status, quota

    @classmethod
    def of(cls, slug: str, detail: str | None = None, **kw: Any) -> "ApiError":
        """The error of catalogued problem type `slug` (service/domain/errors.py)."""
        t = problem_type(slug)
        return cls(t.status, t.slug, t.title, detail, **kw)


def not_found(what: str = "job") -> ApiError:
    return ApiError.of("not-found", f"no such {what}")


def bad_field(field: str, message: str, value: Any = None, status: int = 400) -> ApiError:
    t = problem_type("invalid-request")
    return ApiError(status, t.slug, t.title, f"{field}: {message}",
                    [FieldError(field=field, message=message, value=value)])


# How each status is described where a route declares it (openapi/openapi.json).
_DESCRIPTIONS = {400: "Malformed request or parameter", 401: "Missing, unknown, revoked or expired API key",
                 403: "The key's role does not allow this", 404: "No such job for this tenant",
                 409: "Conflict with the job's state: already final, still running, or a feature not configured "
                      "(`type` says which)",
                 502: "An upstream service (the Hugging Face Hub) refused the request",
                 429: "Over a tenant quota (Retry-After; `quota` names the limit)",
                 413: "Body larger than the limit", 415: "Body is not application/json",
                 422: "Well-formed but invalid spec (errors name the fields)", 503: "Job store unavailable"}


def problem_responses(*codes: int) -> dict[int, ResponseSpec]:
    """The problem+json answers a route declares (service/api/openapi.py adds the ones
    every route of its kind can give)."""
    return {c: ResponseSpec(data_container=Problem, description=_DESCRIPTIONS[c], media_type=MEDIA,
                            generate_examples=False) for c in codes}


def replayed(model: type, what: str) -> dict[int, ResponseSpec]:
    """The 200 a creating route answers when the request was a replay of an earlier one."""
    return {200: ResponseSpec(data_container=model, description=what, generate_examples=False)}


def problem_response(request: Request, status: int, kind: str, title: str, detail: str | None = None,
                     errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
                     job_status: str | None = None, quota: QuotaInfo | None = None) -> Response[Problem]:
    body = Problem(
        type=problem_type(kind).uri, title=title, status=status, detail=detail, instance=request.url.path,
        errors=[msgspec.to_builtins(e) for e in errors] if errors else None, job_status=job_status, quota=quota,
    )
    return Response(body, status_code=status, media_type=MEDIA, headers=headers)


def handle_api_error(request: Request, exc: ApiError) -> Response[Problem]:
    return problem_response(request, exc.status, exc.kind, exc.title, exc.detail, exc.errors,
                            exc.headers, exc.job_status, exc.quota)


def handle_invalid_spec(request: Request, exc: InvalidSpec) -> Response[Problem]:
    t = problem_type("invalid-spec")
    return problem_response(request, t.status, t.slug, t.title, str(exc), exc.errors)


_MISSING = re.compile(r"Missing required (query|header|cookie|path) parameter '([^']+)'")


def handle_validation(request: Request, exc: ValidationException) -> Response[Problem]:
    """Litestar's own validation: path, query and header parameters (bodies are ours)."""
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            errors.append(FieldError(field=str(item.get("key") or "$"), message=str(item.get("message"))))
    missing = _MISSING.match(str(exc.detail or ""))
    if missing and not errors:  # Litestar names a missing required parameter only in its detail
        errors.append(FieldError(field=missing.group(2), message=f"a required {missing.group(1)} parameter"))
    malformed = any("malformed" in e.message.lower() or "truncated" in e.message.lower() for e in errors)
    if malformed or not errors:
        return problem_response(request, 400, "malformed-request", "Malformed request", str(exc.detail), errors or None)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    body = any(isinstance(i, dict) and i.get("source") == "body" for i in exc.extra or [])
    status = 422 if body else 400
    return problem_response(request, status, "invalid-body" if body else "invalid-request",
                            "Invalid request body" if body else "Invalid request", detail, errors)


_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
           413: "Request body too large", 415: "Unsupported media type", 429: "Too many requests"}


def handle_http(request: Request, exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    if status >= 500:
        return handle_internal(request, exc)
    kind = _TITLES.get(status, "Error").lower().replace(" ", "-")
    return problem_response(request, status, kind, _TITLES.get(status, "Error"), str(exc.detail),
                            headers=dict(exc.headers or {}))


def handle_redis_down(request: Request, exc: Exception) -> Response[Problem]:
    log.error("redis unavailable: %s", type(exc).__name__)
    t = problem_type("unavailable")
    return problem_response(request, t.status, t.slug, t.title, "the job store is unreachable; retry later",
                            headers={"Retry-After": "5"})


def handle_busy(request: Request, exc: Exception) -> Response[Problem]:
    log.warning("redis pool exhausted: every connection stayed busy for the whole wait")
    return problem_response(request, 503, "busy", "Service busy",
                            "every job-store connection stayed busy; retry shortly", headers={"Retry-After": "1"})


def handle_internal(request: Request, exc: Exception) -> Response[Problem]:
    rid = request.scope.get("state", {}).get("request_id", "")
    log.exception("request %s failed", rid, exc_info=exc)
    t = problem_type("internal")
    return problem_response(request, t.status, t.slug, t.title, f"an internal error occurred (request id {rid})")


HANDLERS = {
    ApiError: handle_api_error,
    InvalidSpec: handle_invalid_spec,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    PoolExhausted: handle_busy,
    redis.exceptions.ConnectionError: handle_redis_down,
    redis.exceptions.TimeoutError: handle_redis_down,
    Exception: handle_internal,
}
