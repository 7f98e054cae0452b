"""The provider protocol: what a recipe may ask of a model, and what a provider kind is.

To add a provider kind, write one module with a `Provider` (chat, and complete if the
backend can do raw completion) and its config, a `ProviderKind` subclass tagged with
the kind's name that checks and opens itself; then add the config class to
service.providers.registry.KINDS (one line) and a row to README's providers section.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Protocol

import msgspec
from msgspec import Meta

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


class ProviderKind(msgspec.Struct, kw_only=True, tag_field="kind"):
    """One configured provider (a `[providers.NAME]` table of the providers file), of
    the kind its subclass's tag names: it checks and opens itself. The fields here are
    the ones every kind has."""

    models: list[str] = []
    concurrency: Annotated[int, Meta(ge=1, le=4096)] = 64
    licence: str = "unknown"
    supports_raw: bool = True  # serves raw completion (/v1/completions)
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

    def open(self, name: str, stats: CallStats, concurrency: int) -> Provider:
        """A provider for one job run (close it when the job ends)."""
        raise NotImplementedError
