"""One retrying HTTP POST for everything that calls a model server: providers and embedders.

A call is a loop of attempts. Each attempt takes a lane (the caller's concurrency limit),
posts, reads the whole body and lets the caller judge a 200 (`accept`): a body it cannot
use (empty, not JSON, no choices: a proxy cutting a response, a server restarting
mid-write) counts as `malformed` and is retried like a 5xx. Then:

- `fatal_status` (a wrong key, base URL or model) raises `ProviderError(fatal=True)` at
  once: it will not fix itself, so the job fails instead of burning its budget;
- any other status outside RETRY_STATUS raises without retrying;
- RETRY_STATUS, timeouts and connection errors are retried `max_retries` times, waiting
  what Retry-After says (seconds or an HTTP date) or else exponential backoff with full
  jitter; every wait is capped at PROVIDER_MAX_BACKOFF_SECONDS. A 429 also tells the lane
  it was throttled (AdaptiveLimit halves its window).

Every attempt is reported to the caller's `Tally` with its outcome label: ok, malformed,
error (no answer) or http_NNN; the providers' metric
synthgen_provider_requests_total{outcome} is exactly these labels.

The timeouts live in the caller's session (total per attempt, and sock_read as the stall
timeout); a timeout surfaces here as TimeoutError and is retried like a dropped
connection. Error messages carry a redacted snippet of a body, never a header.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import aiohttp

from service import defaults
from service.providers.base import ProviderError
from service.redact import snippet

T = TypeVar("T")

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def backoff_seconds(attempt: int) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2^attempt)]."""
    cap = min(defaults.PROVIDER_MAX_BACKOFF_SECONDS, defaults.PROVIDER_BACKOFF_SECONDS * 2**attempt)
    return random.uniform(0, cap)


class Lane(Protocol):
    """The caller's concurrency limit, held for one attempt; told about 429s and successes."""

    async def __aenter__(self) -> object: ...

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any, /) -> object: ...

    def throttled(self) -> None: ...

    def succeeded(self) -> None: ...


class Slots(asyncio.Semaphore):
    """A fixed-width Lane: a semaphore that ignores throttling."""

    def throttled(self) -> None:
        """A fixed width stays fixed."""

    def succeeded(self) -> None:
        """Nothing to widen."""


class Tally(Protocol):
    """What the caller counts: every attempt with its outcome label, and every retry."""

    def attempt(self, outcome: str, seconds: float) -> None: ...

    def retry(self) -> None: ...


async def post_with_retry(
    session: aiohttp.ClientSession, url: str, payload: bytes, *,
    lane: Lane, tally: Tally, max_retries: int, label: str,
    accept: Callable[[bytes], tuple[T | None, str]],
    fatal_status: frozenset[int], fatal_message: Callable[[int, bytes], str],
) -> T:
    """POST `payload` to `url` until `accept` takes a 200's body, retrying as the module says.

    `accept(raw)` returns (value, "ok") or (None, why the body is unusable). `label` names
    the peer in messages; `fatal_message(status, body)` words a fatal refusal.
    """
    attempt = 0
    while True:
        start = time.perf_counter()
        status: int | None
        async with lane:
            try:
                async with session.post(url, data=payload) as r:
                    raw = await r.read()
                    status = r.status
                    retry_after = r.headers.get("Retry-After")
            except (TimeoutError, aiohttp.ClientError):
                status, raw, retry_after = None, b"", None
        elapsed = time.perf_counter() - start
        if status == 200:
            value, why = accept(raw)
            if value is not None:
                lane.succeeded()
                tally.attempt("ok", elapsed)
                return value
            tally.attempt("malformed", elapsed)
        else:
            why = "error" if status is None else f"http_{status}"
            tally.attempt(why, elapsed)
            if status in fatal_status:
                raise ProviderError(fatal_message(status, raw), status=status, fatal=True)
            if status is not None and status not in RETRY_STATUS:
                raise ProviderError(f"{label} answered {status}: {snippet(raw)}", status=status)
            if status == 429:
                lane.throttled()
        if attempt >= max_retries:
            raise ProviderError(f"{label}: gave up after {attempt + 1} attempts ({why})", status=status)
        # A malformed 200's Retry-After means nothing; a refusal's is the server's own ask.
        wait = retry_after_seconds(retry_after) if status not in (None, 200) else None
        attempt += 1
        tally.retry()
        await asyncio.sleep(min(backoff_seconds(attempt - 1) if wait is None else wait,
                                defaults.PROVIDER_MAX_BACKOFF_SECONDS))
