"""problem+json (RFC 9457) answers as typed exceptions, mapped once by status code.

    try:
        client.submit(spec)
    except InvalidRequest as e:
        print(e.errors[0].field, e.errors[0].message)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class FieldError:
    """One field the server refused, as a dotted path (`params.prompts[3]`), and why."""

    field: str
    message: str
    value: Any = None


class SynthgenError(Exception):
    """Any non-2xx answer from the API; `problem` is its problem+json body."""

    def __init__(self, problem: dict[str, Any]):
        self.problem = problem
        self.status: int = int(problem.get("status") or 0)
        self.title: str = problem.get("title") or f"HTTP {self.status}"
        self.detail: str | None = problem.get("detail")
        self.errors = [FieldError(e.get("field", "$"), e.get("message", ""), e.get("value"))
                       for e in problem.get("errors") or [] if isinstance(e, dict)]
        super().__init__(f"{self.title}: {self.detail}" if self.detail else self.title)

    @property
    def kind(self) -> str:
        """The problem type's last path segment, e.g. "invalid-spec"."""
        return str(self.problem.get("type", "about:blank")).rsplit("/", 1)[-1]


class InvalidRequest(SynthgenError):
    """400/413/415/422: the request or job spec is invalid; `errors` names the fields."""


class AuthenticationFailed(SynthgenError):
    """401: missing or unknown API key."""


class Forbidden(SynthgenError):
    """403: the key is valid but its role does not allow this (e.g. a read key
    submitting), or a review session's write without its CSRF token."""


class NotFound(SynthgenError):
    """404: no such job for this tenant."""


class Conflict(SynthgenError):
    """409: e.g. cancelling a job already final (`problem["job_status"]`)."""


class RateLimited(SynthgenError):
    """429 after the retries ran out, or at once when the wait asked is longer than the
    retry policy's max_wait (a daily quota); `problem["quota"]` names the limit."""


class Unavailable(SynthgenError):
    """503 after the retries ran out (the job store is unreachable)."""


_BY_STATUS: dict[int, type[SynthgenError]] = {
    400: InvalidRequest, 413: InvalidRequest, 415: InvalidRequest, 422: InvalidRequest,
    401: AuthenticationFailed, 403: Forbidden, 404: NotFound, 409: Conflict, 429: RateLimited, 503: Unavailable,
}


def error_for(response: httpx.Response) -> SynthgenError:
    """The typed error for a non-2xx response (its body already read)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict) or "title" not in body:
        body = {"type": "about:blank", "title": response.reason_phrase or f"HTTP {response.status_code}",
                "detail": response.text or None}
    body.setdefault("status", response.status_code)
    return _BY_STATUS.get(response.status_code, SynthgenError)(body)


def raise_for_problem(response: httpx.Response) -> httpx.Response:
    if response.is_success:
        return response
    raise error_for(response)
