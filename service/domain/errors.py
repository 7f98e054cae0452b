"""Errors the domain raises; the API turns them into problem+json."""

from __future__ import annotations

from typing import Any

import msgspec


class FieldError(msgspec.Struct, omit_defaults=True):
    """One offending field, as a JSON-path-like dotted name."""

    field: str
    message: str
    value: Any = None


class InvalidSpec(Exception):
    """A well-formed spec that cannot run (422)."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


def invalid(field: str, message: str, value: Any = None) -> InvalidSpec:
    return InvalidSpec([FieldError(field=field, message=message, value=value)])


ERRORS_BASE = "https://synthgen.dev/errors/"


class ProblemType(msgspec.Struct, frozen=True):
    """One kind of problem the service reports (RFC 9457 `type`): its slug, the HTTP
    status it comes with, its title, and when it happens (docs/problems.md is written
    from these; tests/test_registries.py checks it)."""

    slug: str
    status: int
    title: str
    when: str

    @property
    def uri(self) -> str:
        return ERRORS_BASE + self.slug


def _catalogue(*types: ProblemType) -> dict[str, ProblemType]:
    return {t.slug: t for t in types}


# Every problem type the API and the worker mint, declared once.
PROBLEM_TYPES: dict[str, ProblemType] = _catalogue(
    ProblemType("invalid-spec", 422, "Invalid job spec", "the job spec does not decode, or names what cannot run"),
    ProblemType("invalid-request", 400, "Invalid request", "a query parameter, header or cursor is not valid"),
    ProblemType("invalid-body", 422, "Invalid request body", "a request body (other than a job spec) is not valid"),
    ProblemType("malformed-json", 400, "Malformed JSON body", "the body is not JSON (the detail says where)"),
    ProblemType("too-deep", 400, "JSON nested too deeply", "the body nests deeper than the service accepts"),
    ProblemType("malformed-request", 400, "Malformed request", "the request cannot be parsed"),
    ProblemType("unauthorized", 401, "Unauthorized", "no valid API key (Authorization: Bearer <key>), or the key "
                "was revoked or expired"),
    ProblemType("forbidden", 403, "Forbidden", "a valid key whose role does not allow this route (roles in "
                "docs/security.md); never for another tenant's job, which is a 404"),
    ProblemType("csrf", 403, "CSRF token missing", "a review session's write without its `X-CSRF-Token`"),
    ProblemType("quota-exceeded", 429, "Quota exceeded", "the tenant is over a quota that waiting lifts (submits "
                "per minute, jobs at once, records per day); `quota` names it, `Retry-After` says how long"),
    ProblemType("over-limit", 422, "Over the tenant's limit", "a job asks for more than the tenant may have at "
                "all (its target over `max_target` or over the whole `records_per_day`); `quota` names it"),
    ProblemType("not-found", 404, "Not found", "no such job or route for this tenant"),
    ProblemType("method-not-allowed", 405, "Method not allowed", "the route does not take this method"),
    ProblemType("request-body-too-large", 413, "Request body too large", "the body exceeds the size limit"),
    ProblemType("unsupported-media-type", 415, "Unsupported media type", "a body that is not application/json"),
    ProblemType("too-many-requests", 429, "Too many requests", "the caller is over a rate limit"),
    ProblemType("bad-request", 400, "Bad request", "another client error the framework detected"),
    ProblemType("error", 400, "Error", "a client error without a more specific type"),
    ProblemType("idempotency-key-reused", 422, "Idempotency key reused",
                "an Idempotency-Key already used with a different body"),
    ProblemType("idempotency-in-progress", 409, "Request in progress",
                "the request holding this Idempotency-Key is still being processed; retry"),
    ProblemType("job-final", 409, "Job already finished", "cancelling a job that already finished"),
    ProblemType("no-records", 409, "Nothing to review", "a spot-check of a job with no kept records yet"),
    ProblemType("job-not-final", 409, "Job still running",
                "a spot-check of a job that has not finished, without `interim: true`; deleting or pushing a "
                "job that has not finished"),
    ProblemType("hub-not-configured", 409, "No Hugging Face token",
                "a push to the Hub on a server whose operator configured no token (`SYNTHGEN_HF_TOKEN`)"),
    ProblemType("hub-failed", 502, "The Hub refused the push", "the Hugging Face Hub answered the push with an "
                "error (the detail says which, without the token)"),
    ProblemType("spotcheck-reviewed", 409, "Sample already reviewed",
                "a redraw of a spot-check sample that already has verdicts"),
    ProblemType("spotcheck-redrawn", 409, "Sample redrawn",
                "a verdict on a sample that was redrawn since the reviewer loaded it"),
    ProblemType("busy", 503, "Service busy", "every connection to the job store is in use; retry (`Retry-After`)"),
    ProblemType("unavailable", 503, "Storage unavailable", "the job store is unreachable; retry later"),
    ProblemType("internal", 500, "Internal error", "a bug; the detail carries the request id for the logs"),
    # Set by the worker on a failed job (GET /v1/jobs/{id} `error`):
    ProblemType("job-failed", 500, "The job failed", "the recipe or its setup raised an error"),
    ProblemType("provider-unavailable", 502, "A provider refused the job's requests",
                "a provider answered with a fatal error (bad key, unknown model, unreachable)"),
    ProblemType("target-not-reached", 422, "The job could not reach its target",
                "the job kept fewer than its explicit `target`, or (no target) fewer than `min_yield` of its inputs"),
    ProblemType("provider-errors", 502, "A provider lost more calls than the job's error budget allows",
                "more provider calls failed after retries than `error_budget` allows"),
    ProblemType("budget-exhausted", 422, "The job reached its budget",
                "the job reached a hard limit (its `budget`: max_cost_usd, max_tokens, max_seconds; or the "
                "tenant's cost_cents_per_day); it stopped like a cancel and kept its records"),
    ProblemType("nothing-kept", 422, "The job kept no record", "the job ended with no record kept"),
    # minted by the REAP script (store/jobs.py), whose title must match this one:
    ProblemType("worker-crashed", 500, "The job keeps crashing its worker",
                "its worker died `SYNTHGEN_MAX_WORKER_CRASHES` times while running it; its records are kept"),
)


def problem_type(slug: str) -> ProblemType:
    """The catalogued type `slug`; a KeyError names a type minted without an entry."""
    return PROBLEM_TYPES[slug]
