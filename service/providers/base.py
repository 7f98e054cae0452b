"""The provider protocol: what a recipe may ask of a model, and what a provider kind is.

To add a provider kind, write one module with a `Provider` (chat, and complete if the
backend can do raw completion) and its config, a `ProviderKind` subclass tagged with
the kind's name that checks and opens itself; then add the config class to
service.providers.registry.KINDS (one line) and a row to README's providers section.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, Callable, Protocol

import msgspec
from msgspec import Meta

from service import defaults
from service.domain.costs import Price
from service.domain.limits import Limits, ModelLimits, Scope
from service.redact import redact


class Completion(msgspec.Struct):
    """One model answer with its usage."""

    text: str
    finish_reason: str | None
    tokens_in: int
    tokens_out: int
    model: str
    # A reasoning model's thinking, apart from its answer (`reasoning_content`, or a
    # `<think>` block split off the text: service/pipeline/reasoning.py), and the tokens
    # it spent on it (part of tokens_out, when the provider reports them)
    reasoning: str | None = None
    tokens_reasoning: int = 0
    # the function calls of a chat answer to a request with `tools` (OpenAI's shape:
    # {"id", "type": "function", "function": {"name", "arguments": a JSON string}})
    tool_calls: list[dict[str, Any]] | None = None
    # answered through the provider's batch API (priced at its batch discount)
    batch: bool = False
    # the backend configuration the provider says answered (OpenAI's `system_fingerprint`;
    # `model` above is the model id the answer names): a change means a new model build
    system_fingerprint: str | None = None

    def served(self) -> dict[str, str]:
        """The model identity as the provider reported it, for a record's meta."""
        out = {"model": self.model}
        if self.system_fingerprint:
            out["system_fingerprint"] = self.system_fingerprint
        return out


class ProviderError(Exception):
    """A call that failed for good (after retries). `fatal` errors fail the whole job.

    The message is redacted here, once, because it may quote the provider's answer
    and it travels into rejects, the job's error and logs (service.redact)."""

    def __init__(self, message: str, *, status: int | None = None, fatal: bool = False):
        super().__init__(redact(message))
        self.status = status
        self.fatal = fatal


class NotAnswered(Exception):
    """A request sent in a provider batch that ended without an answer for it (expired,
    cancelled, failed): the caller sends it online (providers/batches.py)."""


class RawCompletionUnsupported(ProviderError):
    pass


class CallStats(Protocol):
    """Where a provider reports what its calls cost (the job's counters and metrics)."""

    def request(self, provider: str, model: str, outcome: str, seconds: float) -> None: ...
    def retry(self, provider: str) -> None: ...
    def tokens(self, provider: str, model: str, tokens_in: int, tokens_out: int) -> None: ...


class Provider(Protocol):
    """A model backend. One instance per job run; close it when the job ends."""

    name: str
    kind: str
    models: list[str]
    licence: str
    supports_raw: bool

    async def chat(self, messages: list[dict[str, str]], *, model: str, params: dict[str, Any]) -> Completion: ...

    async def complete(self, prompt: str, *, model: str, params: dict[str, Any]) -> Completion: ...

    async def aclose(self) -> None: ...


# How an attempt ended, as a lane is told (Hold.settle). The names are the store's
# (store/limits.py), which providers may not import; tests/test_limits.py checks they agree.
OK = "ok"                # a usable answer
THROTTLED = "throttled"  # 429: the provider's own rate limit
FAILED = "failed"        # no answer (refused, timeout), 5xx or a malformed body: the breaker counts it
REFUSED = "refused"      # another 4xx: the provider answered, the request was wrong
NONE = "none"            # unsettled: cancelled, or never sent


class Hold(Protocol):
    """One attempt's hold on a lane: told how the attempt ended before it is given back
    (an unsettled hold, e.g. a cancelled attempt, says nothing about the provider)."""

    def settle(self, outcome: str, *, label: str = "", retry_after: float | None = None,
               tokens: int | None = None) -> None: ...


class Lane(Protocol):
    """Where a provider's attempts wait their turn: `async with lane.hold(cost) as h:`
    sends one attempt when the limits allow (`cost` is its token estimate) and
    `h.settle(...)` reports how it ended. May raise ProviderError before sending (a
    fleet lane whose circuit stayed open longer than the provider's `circuit_wait`)."""

    def hold(self, cost: int) -> AbstractAsyncContextManager[Hold]: ...

    async def aclose(self) -> None: ...


class LaneSource(Protocol):
    """Where a provider gets the lane of each model it calls: the worker's fleet-wide
    limiter bound to one job (worker/limiter.py), or LocalLanes."""

    def lane(self, provider: str, model: str, limits: Limits) -> Lane: ...


class AdaptiveLimit:
    """A lane kept in this process: in-flight attempts toward one provider, halved on a
    429 and creeping back on success (AIMD).

    The ceiling is the configured limit; after a rate-limit answer the allowance halves
    (at least 1), then every `limit` successes add one slot back.
    """

    def __init__(self, ceiling: int):
        self.ceiling = max(1, ceiling)
        self.limit = self.ceiling
        self.in_flight = 0
        self._ok_streak = 0
        self._cond = asyncio.Condition()

    def hold(self, cost: int = 1) -> "_LocalHold":
        return _LocalHold(self)

    async def acquire(self) -> None:
        async with self._cond:
            while self.in_flight >= self.limit:
                await self._cond.wait()
            self.in_flight += 1

    async def release(self) -> None:
        async with self._cond:
            self.in_flight -= 1
            self._cond.notify(1)

    def throttled(self) -> None:
        self.limit = max(1, self.limit // 2)
        self._ok_streak = 0

    def succeeded(self) -> None:
        if self.limit < self.ceiling:
            self._ok_streak += 1
            if self._ok_streak >= self.limit:
                self._ok_streak = 0
                self.limit += 1

    async def aclose(self) -> None:
        """Nothing held outside this process."""


class Slots(AdaptiveLimit):
    """A fixed-width local lane: throttling does not narrow it (the embedders')."""

    def throttled(self) -> None:
        """A fixed width stays fixed."""


class _LocalHold:
    """An AdaptiveLimit's Hold."""

    __slots__ = ("_limit",)

    def __init__(self, limit: AdaptiveLimit):
        self._limit = limit

    async def __aenter__(self) -> "_LocalHold":
        await self._limit.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._limit.release()

    def settle(self, outcome: str, *, label: str = "", retry_after: float | None = None,
               tokens: int | None = None) -> None:
        if outcome == OK:
            self._limit.succeeded()
        elif outcome == THROTTLED:
            self._limit.throttled()


class LocalLanes:
    """Lanes kept in this process, one AdaptiveLimit per model no wider than the job's
    concurrency: for `limits_scope = "process"`, and where no fleet limiter is given."""

    def __init__(self, width: int):
        self.width = max(1, width)
        self._lanes: dict[str, AdaptiveLimit] = {}

    def lane(self, provider: str, model: str, limits: Limits) -> Lane:
        lane = self._lanes.get(model)
        if lane is None:
            lane = self._lanes[model] = AdaptiveLimit(min(limits.concurrency, self.width))
        return lane


class ModelLanes:
    """A provider's lane per model, taken from its LaneSource once with the model's
    limits, and closed with the provider (the HTTP kinds hold one)."""

    def __init__(self, provider: str, source: LaneSource, limits: Callable[[str], Limits]):
        self._provider, self._source, self._limits = provider, source, limits
        self._lanes: dict[str, Lane] = {}

    def of(self, model: str) -> Lane:
        lane = self._lanes.get(model)
        if lane is None:
            lane = self._lanes[model] = self._source.lane(self._provider, model, self._limits(model))
        return lane

    async def aclose(self) -> None:
        for lane in self._lanes.values():
            await lane.aclose()


def estimate_tokens(chars: int, params: dict[str, Any]) -> int:
    """A request's tokens before sending, for tpm: its prompt at ~4 characters a token
    plus the reply it may get (max_tokens, else TOKENS_ESTIMATE_REPLY). The limiter
    corrects the estimate by the usage the answer reports."""
    reply = params.get("max_tokens") or params.get("max_completion_tokens")
    if not isinstance(reply, int) or isinstance(reply, bool) or reply <= 0:
        reply = defaults.TOKENS_ESTIMATE_REPLY
    return chars // 4 + 1 + reply


class ProviderKind(msgspec.Struct, kw_only=True, tag_field="kind"):
    """One configured provider (a `[providers.NAME]` table of the providers file), of
    the kind its subclass's tag names: it checks and opens itself. The fields here are
    the ones every kind has, the limits among them (docs/operations.md, "Provider
    limits"): they apply to each model of the provider separately, a model's
    `model_limits` entry overriding them, and are shared by the whole fleet unless
    `limits_scope = "process"`."""

    models: list[str] = []
    concurrency: Annotated[int, Meta(ge=1, le=100_000)] = 64
    rpm: Annotated[int, Meta(ge=1)] | None = None
    tpm: Annotated[int, Meta(ge=1)] | None = None
    model_limits: dict[str, ModelLimits] = {}
    # What each model costs (docs/costs.md); a model without one counts as free
    # (its calls are counted as `unpriced_calls`).
    prices: dict[str, Price] = {}
    limits_scope: Scope = "fleet"
    circuit_failures: Annotated[int, Meta(ge=1, le=1000)] = defaults.CIRCUIT_FAILURES
    circuit_seconds: Annotated[float, Meta(ge=0)] = defaults.CIRCUIT_SECONDS
    circuit_cooldown: Annotated[float, Meta(gt=0)] = defaults.CIRCUIT_COOLDOWN_SECONDS
    circuit_wait: Annotated[float, Meta(gt=0)] = defaults.CIRCUIT_WAIT_SECONDS
    licence: str = "unknown"
    supports_raw: bool = True  # serves raw completion (/v1/completions)
    # takes OpenAI's `response_format` {"type": "json_schema", ...} (OpenAI, vLLM, SGLang,
    # llama.cpp's server, Ollama); otherwise a job's structured_output schema goes in the prompt
    structured_outputs: bool = True
    # Tenants that may use it; empty: every tenant. To the others it does not exist
    # (GET /v1/providers leaves it out; a job naming it is an unknown provider).
    tenants: list[str] = []

    def usable_by(self, tenant: str | None) -> bool:
        """Whether `tenant` may use it (None: no tenant to check, e.g. an admin's view)."""
        return tenant is None or not self.tenants or tenant in self.tenants

    @property
    def kind(self) -> str:
        return str(type(self).__struct_config__.tag)

    def default_models(self) -> list[str]:
        """The models it serves; the first is the default when a spec names none."""
        return self.models

    def check(self, name: str) -> None:
        """Raise ValueError for a config that cannot work (beyond what msgspec checks)."""

    def check_limits(self, name: str) -> None:
        """Raise ValueError for model_limits or prices naming a model the provider does not serve."""
        served = self.default_models()
        for field, table in (("model_limits", self.model_limits), ("prices", self.prices)):
            unknown = sorted(m for m in table if served and m not in served)
            if unknown:
                raise ValueError(f"provider {name!r}: {field} names {unknown}, not in its models {served}")
        for model, price in self.prices.items():
            for problem in price.problems():
                raise ValueError(f'provider {name!r}: prices."{model}".{problem}')

    def price(self, model: str) -> Price | None:
        """What `model` costs, None when the providers file gives no price."""
        return self.prices.get(model)

    def limits_for(self, model: str) -> Limits:
        """The limits of `model`'s bucket: the provider's, overridden by model_limits."""
        own = self.model_limits.get(model) or ModelLimits()
        return Limits(
            scope=self.limits_scope, concurrency=own.concurrency or self.concurrency, rpm=own.rpm or self.rpm,
            tpm=own.tpm or self.tpm, circuit_failures=self.circuit_failures, circuit_seconds=self.circuit_seconds,
            circuit_cooldown=self.circuit_cooldown, circuit_wait=self.circuit_wait,
        )

    def lanes(self, source: LaneSource | None, concurrency: int) -> LaneSource:
        """Where a job run's lanes come from: the fleet limiter, unless this provider is
        limited per process (or no limiter was given)."""
        if source is None or self.limits_scope == "process":
            return LocalLanes(concurrency)
        return source

    def open(self, name: str, stats: CallStats, concurrency: int, lanes: LaneSource | None = None) -> Provider:
        """A provider for one job run (close it when the job ends); its calls wait in
        `lanes` (see `lanes()`)."""
        raise NotImplementedError
