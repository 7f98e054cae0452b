"""Provider limits as configured and as a job sees them: the limits of one (provider,
model) bucket that a lane applies, a model's overrides in the providers file, and the
circuit a running job waits on (a field of the API's `Job`). How the limits are kept
fleet-wide in Redis is store/limits.py's; how a worker asks for them, worker/limiter.py's.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Scope = Literal["fleet", "process"]
CircuitState = Literal["open", "half-open"]


class ModelLimits(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """`[providers.NAME.model_limits."MODEL"]`: one model's own limits; a field left out
    takes the provider's value."""

    concurrency: Annotated[int, Meta(ge=1, le=100_000)] | None = None
    rpm: Annotated[int, Meta(ge=1)] | None = None
    tpm: Annotated[int, Meta(ge=1)] | None = None


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """The limits of one (provider, model) bucket, as its lane applies them.

    `scope` "fleet": shared by every worker through Redis (in-flight `concurrency`,
    adapted down on 429s; `rpm` and `tpm` paced; Retry-After and the circuit breaker
    seen by all). "process": each worker process keeps its own in-flight window (the
    pre-fleet behaviour; rpm, tpm and the breaker are not applied).
    """

    scope: Scope = "fleet"
    concurrency: int
    rpm: int | None = None
    tpm: int | None = None
    circuit_failures: int
    circuit_seconds: float
    circuit_cooldown: float
    circuit_wait: float


class ProviderWait(msgspec.Struct, kw_only=True):
    """A provider model whose circuit is open (it kept failing) while this job asks it
    for answers: the job waits, without spending its retries or error budget, until a
    probe succeeds; the `reason` is the last failure's outcome label (`error`: no
    answer, e.g. connection refused or a timeout; `http_503`; `malformed`)."""

    provider: str
    model: str
    circuit: CircuitState
    since: str | None
    retry_at: str | None
    failures: int
    reason: str
