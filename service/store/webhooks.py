"""Webhook state in Redis: the outbox of jobs whose end must be told, each delivery's
record, and each tenant's signing secret. Delivery itself is service/webhooks.py's.

Keys (prefix `sg`):
- `sg:webhooks:due`           sorted set: job id -> when to look at it next (its end not
                              yet told); added at submit, removed once told or given up
- `sg:job:{id}:webhook`       hash: event id, attempts, last status/error, delivered_at,
                              gave_up_at (what GET /v1/jobs/{id}/webhook answers)
- `sg:job:{id}:webhook:lock`  string with TTL: the API replica delivering it now
- `sg:tenant:{t}:webhook-secret` string: the tenant's signing secret (`whsec_...`)

No hook in the worker: the dispatcher reads each due job's status and acts once it is
final (the outbox is polled, like the reaper's active set).
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

import redis.asyncio as aredis

from service import defaults
from service.store.jobs import job_key

P = defaults.KEY_PREFIX
DUE = f"{P}:webhooks:due"


def delivery_key(job_id: str) -> str:
    return f"{P}:job:{job_id}:webhook"


def secret_key(tenant: str) -> str:
    return f"{P}:tenant:{tenant}:webhook-secret"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookStore:
    """The outbox, the delivery records and the tenants' secrets."""

    def __init__(self, client: aredis.Redis):
        self._r = client

    async def expect(self, job_id: str) -> None:
        """Tell this job's end (called at submit, before the job can end)."""
        await self._r.zadd(DUE, {job_id: 0})

    async def due(self, now: float, limit: int) -> list[tuple[str, str, str]]:
        """Up to `limit` jobs due now, as (job id, status, tenant); the status and tenant
        are '' for a job that no longer exists."""
        ids = [m.decode() for m in await self._r.zrangebyscore(DUE, "-inf", now, start=0, num=limit)]
        async with self._r.pipeline(transaction=False) as p:
            for job_id in ids:
                p.hmget(job_key(job_id), ["status", "tenant"])
            rows = await p.execute()
        return [(job_id, (status or b"").decode(), (tenant or b"").decode())
                for job_id, (status, tenant) in zip(ids, rows)]

    async def is_due(self, job_id: str, now: float) -> bool:
        """Whether the job is still in the outbox and due (read after taking its lock: another
        replica may have told it between this one's `due` and its lock)."""
        score = await self._r.zscore(DUE, job_id)
        return score is not None and score <= now

    async def later(self, job_id: str, at: float) -> None:
        await self._r.zadd(DUE, {job_id: at}, xx=True)

    async def done(self, job_id: str, fields: dict[str, Any]) -> None:
        """The end was told (or given up on): out of the outbox, the record kept."""
        async with self._r.pipeline(transaction=True) as p:
            p.zrem(DUE, job_id)
            p.hset(delivery_key(job_id), mapping=fields)
            await p.execute()

    async def attempt(self, job_id: str, fields: dict[str, Any]) -> int:
        """Count one attempt with its outcome; the attempts so far."""
        async with self._r.pipeline(transaction=True) as p:
            p.hincrby(delivery_key(job_id), "attempts", 1)
            p.hset(delivery_key(job_id), mapping=fields)
            n, _ = await p.execute()
        return int(n)

    async def lock(self, job_id: str, holder: str, seconds: float) -> bool:
        return bool(await self._r.set(f"{delivery_key(job_id)}:lock", holder, nx=True, px=int(seconds * 1000)))

    async def unlock(self, job_id: str) -> None:
        await self._r.delete(f"{delivery_key(job_id)}:lock")

    async def record(self, job_id: str) -> dict[str, str]:
        raw = await self._r.hgetall(delivery_key(job_id))
        return {k.decode(): v.decode() for k, v in raw.items()}

    async def secret(self, tenant: str) -> str:
        """The tenant's signing secret, made on first use."""
        await self._r.set(secret_key(tenant), new_secret(), nx=True)
        value = await self._r.get(secret_key(tenant))
        assert value is not None
        return bytes(value).decode()

    async def rotate_secret(self, tenant: str) -> str:
        value = new_secret()
        await self._r.set(secret_key(tenant), value)
        return value

    async def spec(self, job_id: str) -> bytes | None:
        return await self._r.hget(job_key(job_id), "spec")
