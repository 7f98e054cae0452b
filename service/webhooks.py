"""Webhooks: telling a job's caller that it ended, signed, retried, and only where the
operator allows.

A job may name `webhook.url`. The API checks it at submit (service/outbound.py: an
allowed host, public addresses unless allowed; a 422 naming `webhook.url` otherwise)
and puts the job in the outbox (service/store/webhooks.py). Every API process runs a
`Dispatcher`: once a job in the outbox is final it POSTs the event, one replica at a
time per job (a lock), and retries failures after 1, 2, 4 ... seconds
(defaults.WEBHOOK_*), re-resolving and re-checking the address on every attempt.

The event (Standard Webhooks, standardwebhooks.com):
- body: `{"type": "job.succeeded" | "job.failed" | "job.cancelled", "id", "created_at",
  "data": <the job object as GET /v1/jobs/{id} serves it>}`;
- headers: `webhook-id` (the same on every retry of one event: receivers deduplicate on
  it), `webhook-timestamp` (Unix seconds; a receiver refuses old ones, so a captured
  event cannot be replayed later), `webhook-signature: v1,<base64 HMAC-SHA256>` over
  `"{id}.{timestamp}.{body}"` with the tenant's secret (`whsec_<base64>`: the key is the
  base64 part decoded; GET /v1/webhooks/secret). `verify` is the receiver's check.

Delivery is at least once: a receiver that answers after its 2xx was lost sees the
event again, with the same id.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import os
import time
from typing import Awaitable, Callable

import aiohttp
import msgspec

from service import defaults
from service.domain.job import FINAL, rfc3339
from service.outbound import OutboundPolicy, Refused, post
from service.store.webhooks import WebhookStore

log = logging.getLogger("synthgen.webhooks")
# Receivers should refuse events whose timestamp is further than this from their clock.
TOLERANCE_SECONDS = 300


def signing_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(signing_key(secret), f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> bool:
    """A receiver's check of an event: a valid signature, a timestamp within tolerance."""
    h = {k.lower(): v for k, v in headers.items()}
    try:
        event_id, timestamp = h["webhook-id"], int(h["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    want = sign(secret, event_id, timestamp, body).encode()
    return any(hmac.compare_digest(want, sig.encode()) for sig in h.get("webhook-signature", "").split())


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones."""
    return min(defaults.WEBHOOK_MAX_BACKOFF_SECONDS, defaults.WEBHOOK_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))


class Dispatcher:
    """The delivery loop of one API process: polls the outbox, delivers what is due."""

    def __init__(self, store: WebhookStore, policy: OutboundPolicy, render: Callable[[str], Awaitable[bytes | None]]):
        self.store = store
        self.policy = policy
        self.render = render  # job id -> the job object as the API serves it (JSON), None if gone
        self.holder = os.urandom(6).hex()
        self._slots = asyncio.Semaphore(defaults.WEBHOOK_CONCURRENCY)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()

    async def run(self) -> None:
        """Until `close`; a Redis outage or a bug in one round is logged, not fatal."""
        while not self._stop.is_set():
            try:
                await self.round()
            except Exception as exc:  # keep delivering after an outage
                log.warning("webhook round failed: %s: %s", type(exc).__name__, exc)
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=defaults.WEBHOOK_POLL_SECONDS)
            except asyncio.TimeoutError:
                pass

    async def round(self) -> None:
        now = time.time()
        for job_id, status, tenant in await self.store.due(now, defaults.WEBHOOK_CONCURRENCY * 4):
            if not status:  # the job is gone (deleted or expired): nothing to tell
                await self.store.done(job_id, {"gave_up_at": repr(now), "last_error": "the job no longer exists"})
            elif status not in FINAL:
                await self.store.later(job_id, now + defaults.WEBHOOK_POLL_SECONDS)
            elif await self.store.lock(job_id, self.holder, defaults.WEBHOOK_TIMEOUT_SECONDS * 3):
                await self._slots.acquire()
                task = asyncio.create_task(self._deliver(job_id, status, tenant))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _deliver(self, job_id: str, status: str, tenant: str) -> None:
        try:
            # Another replica may have delivered it between our `due` and our lock.
            if await self.store.is_due(job_id, time.time()):
                await self.deliver(job_id, status, tenant)
        except Exception as exc:  # the next round tries again
            log.warning("webhook of job %s: %s: %s", job_id, type(exc).__name__, exc)
        finally:
            self._slots.release()
            await self.store.unlock(job_id)

    async def deliver(self, job_id: str, status: str, tenant: str) -> None:
        """One attempt at telling job `job_id`'s end."""
        spec = await self.store.spec(job_id)
        data = await self.render(job_id)
        url = (msgspec.json.decode(spec).get("webhook") or {}).get("url") if spec else None
        now = time.time()
        if not url or data is None:
            await self.store.done(job_id, {"gave_up_at": repr(now), "last_error": "no webhook or no job"})
            return
        event_id = f"evt_{job_id}_{status}"
        body = b'{"type":"job.%s","id":"%s","created_at":"%s","data":%s}' % (
            status.encode(), event_id.encode(), (rfc3339(now) or "").encode(), data)
        ts = int(now)
        headers = {"content-type": "application/json", "user-agent": "synthgen-webhooks",
                   "webhook-id": event_id, "webhook-timestamp": str(ts),
                   "webhook-signature": sign(await self.store.secret(tenant), event_id, ts, body)}
        error, code = "", 0
        try:
            code = await post(self.policy, url, body, headers, defaults.WEBHOOK_TIMEOUT_SECONDS)
        except Refused as exc:
            error = f"refused: {exc}"
        except (OSError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        ok = 200 <= code < 300
        error = "" if ok else error or f"HTTP {code}"
        n = await self.store.attempt(job_id, {"last_status": code, "last_error": error, "event_id": event_id})
        if ok:
            await self.store.done(job_id, {"delivered_at": repr(time.time())})
        elif n >= defaults.WEBHOOK_MAX_ATTEMPTS:
            log.warning("webhook of job %s: gave up after %d attempts (%s)", job_id, n, error)
            await self.store.done(job_id, {"gave_up_at": repr(time.time())})
        else:
            await self.store.later(job_id, time.time() + backoff(n))

    async def close(self, running: asyncio.Task[None] | None = None) -> None:
        """Stop the loop (`running`: its task) and the deliveries in flight."""
        self._stop.set()
        if running is not None:
            try:
                await asyncio.wait_for(running, timeout=defaults.WEBHOOK_TIMEOUT_SECONDS)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
