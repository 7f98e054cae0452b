"""Every error the API returns is application/problem+json (RFC 9457) naming the field.

Litestar's own exceptions (validation, 404, 405, 413, ...) and anything unexpected are
mapped here too, so a caller never sees a bare 500 page or a stack trace.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
import redis.exceptions
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from service.domain.errors import FieldError, InvalidSpec, problem_type
from service.domain.job import Problem
from service.store.redis import PoolExhausted

log = logging.getLogger("synthgen.api")
MEDIA = "application/problem+json"


class ApiError(Exception):
    """An error with its problem body, raised by the serving layer."""

    def __init__(self, status: int, kind: str, title: str, detail: str | None = None,
                 errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
                 job_status: str | None = None):
        super().__init__(detail or title)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.errors, self.headers, self.job_status = errors, headers or {}, job_status

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


def problem_response(request: Request, status: int, kind: str, title: str, detail: str | None = None,
                     errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
                     job_status: str | None = None) -> Response[Problem]:
    body = Problem(
        type=problem_type(kind).uri, title=title, status=status, detail=detail, instance=request.url.path,
        errors=[msgspec.to_builtins(e) for e in errors] if errors else None, job_status=job_status,
    )
    return Response(body, status_code=status, media_type=MEDIA, headers=headers)


_MSGSPEC_PATH = re.compile(r"`\$((?:\.[A-Za-z_][\w-]*|\[\d+\])*)`")


def field_of(message: str) -> str:
    """'Expected `int`, got `str` - at `$.target`' -> 'target' (top level -> '$')."""
    m = _MSGSPEC_PATH.search(message)
    if not m or not m.group(1):
        return "$"
    return m.group(1).lstrip(".")


def spec_error(exc: msgspec.DecodeError | msgspec.ValidationError, raw: bytes | None = None,
               kind: str = "invalid-spec", title: str = "Invalid job spec") -> ApiError:
    """A 422 naming the field msgspec rejected, or a 400 saying where the bytes are bad."""
    msg = str(exc)
    if isinstance(exc, msgspec.ValidationError):
        field = field_of(msg)
        text = msg.split(" - at ")[0]
        if msg.startswith("Object missing required field"):
            missing = re.search(r"`(\w+)`", msg)
            prefix = field if field != "$" else ""
            field = f"{prefix}.{missing.group(1)}".lstrip(".") if missing else field
        elif msg.startswith("Object contains unknown field"):
            unknown = re.search(r"`([^`]+)`", msg)
            prefix = field if field != "$" else ""
            field = f"{prefix}.{unknown.group(1)}".lstrip(".") if unknown else field
        elif kind == "invalid-spec" and ("tag" in msg or (field == "recipe" and msg.startswith("Invalid value"))):
            text = f"{text}; known recipes are listed at GET /v1/recipes"
        return ApiError(422, kind, title, f"{field}: {text}", [FieldError(field=field, message=text)])
    from service.api.bodies import malformed

    return malformed(raw or b"", exc)


def handle_api_error(request: Request, exc: ApiError) -> Response[Problem]:
    return problem_response(request, exc.status, exc.kind, exc.title, exc.detail, exc.errors,
                            exc.headers, exc.job_status)


def handle_invalid_spec(request: Request, exc: InvalidSpec) -> Response[Problem]:
    t = problem_type("invalid-spec")
    return problem_response(request, t.status, t.slug, t.title, str(exc), exc.errors)


def _strict_body_error(request: Request) -> ApiError | None:
    """Litestar's messages lose the field path; re-decode the body strictly, as the type
    this route declares (its `data` parameter), to name the field or the bad byte."""
    body = request._connection_state.body  # the bytes Litestar already read, if any
    data = request.route_handler.parsed_data_field
    if data is None or not isinstance(body, bytes):
        return None
    if request.route_handler.operation_id == "createJob":
        kind, title = "invalid-spec", "Invalid job spec"
    else:
        kind, title = "invalid-body", "Invalid request body"
    try:
        msgspec.json.decode(body)  # bytes first: a NUL past an unknown field is still a NUL
        msgspec.json.decode(body, type=data.annotation)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        return spec_error(e, body, kind, title)
    return None


def handle_validation(request: Request, exc: ValidationException) -> Response[Problem]:
    strict = _strict_body_error(request)
    if strict is not None:
        return handle_api_error(request, strict)
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            errors.append(FieldError(field=str(item.get("key") or "$"), message=str(item.get("message"))))
    malformed = any("malformed" in e.message.lower() or "truncated" in e.message.lower() for e in errors)
    if malformed or not errors:
        return problem_response(request, 400, "malformed-request", "Malformed request", str(exc.detail), errors or None)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    body = any(isinstance(i, dict) and i.get("source") == "body" for i in exc.extra or [])
    status = 422 if body else 400
    return problem_response(request, status, "invalid-body" if body else "invalid-request",
                            "Invalid request body" if body else "Invalid request", detail, errors)


_TITLES = {400: "Bad request", 401: "Unauthorized", 404: "Not found", 405: "Method not allowed",
           413: "Request body too large", 415: "Unsupported media type", 429: "Too many requests"}


def handle_http(request: Request, exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    if status >= 500:
        return handle_internal(request, exc)
    if status == 400:  # a body Litestar could not decode: say which byte
        strict = _strict_body_error(request)
        if strict is not None:
            return handle_api_error(request, strict)
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
