"""The provider protocol: what a recipe may ask of a model.

To add a provider kind, implement `Provider` (chat, and complete if the backend can
do raw completion) and register a factory in service.providers.registry.KINDS.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import msgspec

from service.redact import redact


class Completion(msgspec.Struct):
    """One model answer with its usage."""

    text: str
    finish_reason: str | None
    tokens_in: int
    tokens_out: int
    model: str


class ProviderError(Exception):
    """A call that failed for good (after retries). `fatal` errors fail the whole job.

    The message is redacted here, once, because it may quote the provider's answer
    and it travels into rejects, the job's error and logs (service.redact)."""

    def __init__(self, message: str, *, status: int | None = None, fatal: bool = False):
        super().__init__(redact(message))
        self.status = status
        self.fatal = fatal


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


class AdaptiveLimit:
    """Concurrency toward one provider that halves on 429 and creeps back on success.

    The ceiling is the configured limit; after a rate-limit answer the allowance halves
    (at least 1), then every `limit` successes add one slot back (AIMD).
    """

    def __init__(self, ceiling: int):
        self.ceiling = max(1, ceiling)
        self.limit = self.ceiling
        self.in_flight = 0
        self._ok_streak = 0
        self._cond = asyncio.Condition()

    async def __aenter__(self) -> None:
        async with self._cond:
            while self.in_flight >= self.limit:
                await self._cond.wait()
            self.in_flight += 1

    async def __aexit__(self, *exc: object) -> None:
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
