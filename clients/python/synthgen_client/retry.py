"""httpx transports that retry 429 and 503 answers and connection failures.

The wait is what Retry-After says (seconds or an HTTP date), else a capped exponential
backoff with jitter; an answer asking for a wait longer than `max_wait` (a tenant over
its daily quota is told to come back tomorrow) goes straight to the caller. Installed under the generated client too, so every call, generated
or hand-written, retries the same way. POSTs are retried: the SDK sends an
Idempotency-Key with every submit, so a retried submit returns the original job.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({429, 503})


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value; None when absent or unparsable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        at = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, at - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to wait; `retries=0` turns retrying off."""

    retries: int = 5
    backoff: float = 0.5
    max_wait: float = 30.0

    def next_wait(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give the caller this
        answer (`response`; None means the attempt raised a connection error)."""
        if attempt >= self.retries or (response is not None and response.status_code not in RETRY_STATUSES):
            return None
        told = retry_after_seconds(response.headers.get("retry-after")) if response is not None else None
        if told is not None and told > self.max_wait:
            return None
        if told is None:
            told = self.backoff * 2 ** attempt * (0.5 + random.random() / 2)
        return min(self.max_wait, told)


class RetryTransport(httpx.BaseTransport):
    """Synchronous: wraps another transport (default: httpx's own)."""

    def __init__(self, policy: RetryPolicy | None = None, inner: httpx.BaseTransport | None = None):
        self.policy = policy or RetryPolicy()
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # The async twin below has the same loop; what to do is decided once, in next_wait.
        attempt = 0
        while True:
            try:
                response = self.inner.handle_request(request)
                wait = self.policy.next_wait(attempt, response)
                if wait is None:
                    return response
                response.close()
            except httpx.TransportError:
                wait = self.policy.next_wait(attempt, None)
                if wait is None:
                    raise
            time.sleep(wait)
            attempt += 1

    def close(self) -> None:
        self.inner.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """The same for httpx.AsyncClient."""

    def __init__(self, policy: RetryPolicy | None = None, inner: httpx.AsyncBaseTransport | None = None):
        self.policy = policy or RetryPolicy()
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self.inner.handle_async_request(request)
                wait = self.policy.next_wait(attempt, response)
                if wait is None:
                    return response
                await response.aclose()
            except httpx.TransportError:
                wait = self.policy.next_wait(attempt, None)
                if wait is None:
                    raise
            await asyncio.sleep(wait)
            attempt += 1

    async def aclose(self) -> None:
        await self.inner.aclose()
