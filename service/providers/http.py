"""One retrying HTTP POST for everything that calls a model server: providers and embedders.

A call is a loop of attempts. Each attempt holds the caller's lane (its limits:
fleet-wide through Redis, or per process; providers/base.py `Lane`) while it posts,
reads the whole body and lets the caller judge a 200 (`accept`): a body it cannot
use (empty, not JSON, no choices: a proxy cutting a response, a server restarting
mid-write) counts as `malformed` and is retried like a 5xx. Then:

- `fatal_status` (a wrong key, base URL or model) raises `ProviderError(fatal=True)` at
  once: it will not fix itself, so the job fails instead of burning its budget;
- any other status outside RETRY_STATUS raises without retrying;
- RETRY_STATUS, timeouts and connection errors are retried `max_retries` times, waiting
  what Retry-After says (seconds or an HTTP date) or else exponential backoff with full
  jitter; every wait is capped at PROVIDER_MAX_BACKOFF_SECONDS.

Before giving the lane back, the attempt tells it how it ended (`outcome_of`: ok,
throttled on a 429 or 529, failed on no answer / 5xx / malformed, refused on another 4xx) with
the Retry-After and the tokens the answer reported: a fleet lane halves the shared
window on a 429, pauses every worker for a Retry-After and counts failures toward the
provider's circuit breaker (worker/limiter.py); AdaptiveLimit halves its own window.
The time a call waits for its lane is not the provider's latency: the attempt's clock
starts once the lane lets it send.

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
from typing import Protocol, TypeVar

import aiohttp
import msgspec

from service import defaults
from service.providers.base import FAILED, NONE, OK, REFUSED, THROTTLED, Lane, ProviderError
from service.redact import snippet

T = TypeVar("T")

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# 529: Anthropic's "overloaded", a throttle of the whole service (retried, honouring
# Retry-After, and told to the lane as throttled like a 429).
OVERLOADED = 529


def provider_session(headers: dict[str, str], *, concurrency: int, timeout: float,
                     stall_timeout: float) -> aiohttp.ClientSession:
    """The HTTP session of one model provider: `concurrency` connections at most, and the
    three clocks every provider kind keeps (docs/operations.md "Providers"): `timeout` for
    an attempt in all, `stall_timeout` without a byte read, a connect bound."""
    return aiohttp.ClientSession(
        headers=headers,
        connector=aiohttp.TCPConnector(limit=concurrency, ttl_dns_cache=300),
        timeout=aiohttp.ClientTimeout(
            total=timeout, sock_read=min(stall_timeout, timeout),
            sock_connect=min(defaults.PROVIDER_CONNECT_SECONDS, timeout),
        ),
    )


def decode_answer(raw: bytes, decoder: msgspec.json.Decoder,
                  unusable: Callable[[T], str | None]) -> tuple[T | None, str]:
    """A provider's 200 answer parsed, or (None, why it is unusable): an empty body, one
    that does not parse, or what `unusable` (the kind's own check) names. An unusable
    answer is retried like a 5xx (`post_with_retry`'s `accept`)."""
    if not raw.strip():
        return None, "empty body"
    try:
        resp = decoder.decode(raw)
    except msgspec.DecodeError as exc:
        return None, f"unreadable response: {exc}"
    why = unusable(resp)
    return (None, why) if why else (resp, "ok")


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


class Tally(Protocol):
    """What the caller counts: every attempt with its outcome label, and every retry."""

    def attempt(self, outcome: str, seconds: float) -> None: ...

    def retry(self) -> None: ...


def outcome_of(status: int | None, usable: bool) -> str:
    """How an attempt ended, as its lane is told (providers/base.py OK ... NONE)."""
    if status == 200:
        return OK if usable else FAILED
    if status in (429, OVERLOADED):
        return THROTTLED
    if status is None or status == 408 or status >= 500:
        return FAILED
    return REFUSED if 400 <= status < 500 else NONE


async def post_with_retry(
    session: aiohttp.ClientSession, url: str, payload: bytes, *,
    lane: Lane, tally: Tally, max_retries: int, label: str,
    accept: Callable[[bytes], tuple[T | None, str]],
    fatal_status: frozenset[int], fatal_message: Callable[[int, bytes], str],
    cost: int = 1, usage: Callable[[T], int | None] | None = None,
    retry_status: frozenset[int] = RETRY_STATUS,
) -> T:
    """POST `payload` to `url` until `accept` takes a 200's body, retrying as the module says.

    `accept(raw)` returns (value, "ok") or (None, why the body is unusable). `label` names
    the peer in messages; `fatal_message(status, body)` words a fatal refusal. `cost` is
    the request's token estimate and `usage(value)` the tokens its answer reports, for a
    lane that limits tokens per minute. `retry_status` are the statuses retried (a
    provider kind may add its own, e.g. Anthropic's 529).
    """
    attempt = 0
    while True:
        value: T | None = None
        async with lane.hold(cost) as hold:
            start = time.perf_counter()
            status: int | None
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
            else:
                why = "error" if status is None else f"http_{status}"
            # A malformed 200's Retry-After means nothing; a refusal's is the server's own ask.
            wait = retry_after_seconds(retry_after) if status not in (None, 200) else None
            hold.settle(outcome_of(status, value is not None), label="malformed" if status == 200 else why,
                        retry_after=wait, tokens=usage(value) if value is not None and usage is not None else None)
        if value is not None:
            tally.attempt("ok", elapsed)
            return value
        if status == 200:
            tally.attempt("malformed", elapsed)
        else:
            tally.attempt(why, elapsed)
            if status in fatal_status:
                raise ProviderError(fatal_message(status, raw), status=status, fatal=True)
            if status is not None and status not in retry_status:
                raise ProviderError(f"{label} answered {status}: {snippet(raw)}", status=status)
        if attempt >= max_retries:
            raise ProviderError(f"{label}: gave up after {attempt + 1} attempts ({why})", status=status)
        attempt += 1
        tally.retry()
        await asyncio.sleep(min(backoff_seconds(attempt - 1) if wait is None else wait,
                                defaults.PROVIDER_MAX_BACKOFF_SECONDS))
