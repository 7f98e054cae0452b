"""A job's provider batches in Redis (batch mode, docs/costs.md): which batch each of
its requests went into, so a worker that restarts waits on that batch instead of
sending the request again.

Keys (prefix `sg`):
- `sg:job:{id}:batches`  hash: `{custom_id}` -> `{provider}/{model} {batch_id}` for every
                         request sent in a batch whose answer no call has taken yet
                         (BATCH_STATE_TTL_SECONDS from the last batch sent)

A batcher records a batch's requests right after the provider accepted the batch
(POST /v1/batches answered its id), in one HSET; it forgets a request (HDEL) once a
call took its answer. The window between the provider's answer and the HSET (one round
trip) is the only one in which a SIGKILL makes the next run send those requests again.
"""

from __future__ import annotations

import redis.asyncio as aredis

from service import defaults

P = defaults.KEY_PREFIX


def batches_key(job_id: str) -> str:
    return f"{P}:job:{job_id}:batches"


class BatchStore:
    """Record, list and forget a job's batched requests (see the module docstring)."""

    def __init__(self, client: aredis.Redis):
        self._r = client

    async def record(self, job_id: str, where: str, batch_id: str, custom_ids: list[str]) -> None:
        key = batches_key(job_id)
        value = f"{where} {batch_id}"
        async with self._r.pipeline(transaction=True) as pipe:
            for i in range(0, len(custom_ids), 1000):
                pipe.hset(key, mapping={cid: value for cid in custom_ids[i:i + 1000]})
            pipe.expire(key, defaults.BATCH_STATE_TTL_SECONDS)
            await pipe.execute()

    async def pending(self, job_id: str, where: str) -> dict[str, str]:
        """custom_id -> batch_id of the requests sent to `where` (provider/model) and not taken."""
        raw = await self._r.hgetall(batches_key(job_id))
        out = {}
        for k, v in raw.items():
            w, _, bid = v.decode().rpartition(" ")
            if w == where:
                out[k.decode()] = bid
        return out

    async def forget(self, job_id: str, custom_ids: list[str]) -> None:
        if custom_ids:
            await self._r.hdel(batches_key(job_id), *custom_ids)
