"""The job store: one Redis hash per job, its records and rejects, leases and indexes.

Keys (prefix `sg`):
- `sg:job:{id}`            hash: the authoritative job state (status, spec, counters); its
                           field grammar is store/codec.py's
- `sg:job:{id}:records`    list of JSON lines, in commit order: the live window of the records
                           stream; lines before `sealed:records` (a job hash field) are in
                           Parquet segments (store/datasets.py), and a cursor is a position
                           in the whole stream
- `sg:job:{id}:rejects`    list of JSON lines, the same way (`sealed:rejects`)
- `sg:job:{id}:segs:{kind}` sorted set: the stream's published segments, by start
- `sg:job:{id}:seal`       string with TTL: the job's seal lock (one sealer at a time)
- `sg:job:{id}:report`     string with TTL: the lock of the job's one report computation
                           (service/reports.py; the report itself is report.json in the store)
- `sg:jobs:unsealed`       set of jobs whose final seal is pending
- `sg:jobs:deleting`       set of jobs being deleted (DELETE_MARK done, keys and files not
                           yet all gone): the sweep finishes what a crash interrupted
- `sg:job:{id}:ids`        set of item ids already committed (record or reject) that belong
                           to no chunk; deleted once the job is final and sealed
                           (`sealed_final`: nothing commits any more)
- `sg:job:{id}:ids:{s}:{c}` the same for the items of chunk c of stream s, deleted when the
                           chunk is done (COMMIT says why that is safe): Redis holds the
                           guard of the chunks in flight, not of the whole job
- `sg:job:{id}:lease:{k}`  string with TTL: the worker running shard k, refreshed by heartbeat
- `sg:job:{id}:requeue:{k}` string with TTL: one reaper re-enqueues a dead shard per lease period
- `sg:job:{id}:chunks`     hash: the job's item chunks (store/shards.py: who owns which)
- `sg:job:{id}:pool:{name}` list / `:set:{name}` set / `:once:{name}` string: state a
                           recipe's items share across shards (store/shards.py)
- `sg:tenant:{t}:jobs`     sorted set of the tenant's job ids by creation time
- `sg:jobs:active`         set of jobs not yet final, scanned by the reaper
- `sg:workers`             sorted set: worker id -> time of its last heartbeat (live if recent)
- `sg:workers:exits`       hash: worker id -> how its process ended, written by its supervisor
- `sg:idem:{t}:{key}`      idempotency key -> "job_id body_hash"
- `sg:job:{id}:spot`       list: the spot-check sample (record JSON lines); `:spot:info` how it was drawn
- `sg:job:{id}:verdicts`   hash: record id -> the reviewer's verdict JSON
- `sg:job:{id}:exact`      set of exact-duplicate hashes of the job's dedup stage
- `sg:dedup:{t}:{c}:exact` the same for a tenant's shared dedup collection `c`
- `sg:job:{id}:budget`     hash: the job's hard budget as spent and reserved (store/budgets.py,
                           which also lists the tenant's daily cost keys)
- `sg:job:{id}:batches`    hash: the job's requests in provider batches (store/batches.py)
- `sg:cache:{scope}:*`     the shared response cache (store/cache.py lists its keys)
- `sg:metrics:*`           process metrics (service/metrics.py), summed by GET /metrics

Shards: a job runs as up to `parallelism` shards (`k` = 0..P-1), each held by one worker
with its own lease; RQ carries P copies of the job id and a worker's claim picks a free
shard (store/shards.py has the shard-level scripts and the whole protocol).

The client is private: every other module goes through a JobStore method (or, for
the synchronous reaper and RQ, store/queue.py), so the key grammar above is the whole
of what Redis holds.

Invariants kept by the Lua scripts, which run atomically in Redis:
- an item id is committed at most once, so a resumed worker that redoes an item
  cannot duplicate it, and a crash between two commits loses nothing already written;
- kept never exceeds target, even with several workers on one job;
- a final status is never changed again;
- a job whose worker died on it `max_crashes` times ends `failed` (worker-crashed) instead
  of being re-enqueued to take the next worker down: a death is a lease that expired
  while its holder stopped heartbeating; an expired lease of a live holder (a stall, a
  Redis outage) is re-enqueued without counting.
"""

from __future__ import annotations

import builtins
import time
from typing import Any, Literal

import msgspec
import redis.asyncio as aredis

from service import defaults
from service.store.batches import BatchStore
from service.store.budgets import BudgetStore
from service.store.cache import CacheStore
from service.store.codec import COUNTERS
from service.store.datasets import UNSEALED, DatasetFiles, Segments, job_key, list_key
from service.store.limits import LimitStore
from service.store.shards import (
    ACTIVE,
    WORKERS,
    ShardStore,
    chunk_fields,
    chunk_ids_key,
    chunks_key,
    lease_key,
    live_since,
)

P = defaults.KEY_PREFIX

# Commits a batch of items. KEYS: job, ids, records, rejects, chunks. ARGV: target, the
# committing shard, then groups of (kind, id, line, reason, stage, gen, chunk). Returns
# one code per item (1 stored, 0 already there, -1 dropped: target reached), then the
# job's kept count. Counts per reason, per stage and per generator move with the item,
# atomically; a kept record spends one of its shard's target tickets (store/shards.py).
#
# The exactly-once guard is the id's SADD: into the job's ids set, or for an item of a
# chunk ('{stream}:{index}', store/shards.py) into that chunk's own set, dropped when the
# chunk is done, so the guard holds only the chunks in flight however large the job
# grows. A chunk is done (its `o:`/`f:` field gone) only after every one of its items was
# committed, so an item of a done chunk is already there: a stalled shard that finishes
# an item of a chunk another shard completed meanwhile is answered 0, not stored twice.
COMMIT = """
local target = tonumber(ARGV[1])
local kept = tonumber(redis.call('HGET', KEYS[1], 'kept') or '0')
local tix = 'tix:' .. ARGV[2]
local out = {}
local live_of = {}  -- chunk -> in flight; the chunks hash does not change during this script
for i = 3, #ARGV, 7 do
  local kind, id, line, reason, stage, gen, chunk = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6]
  if kind == 'r' and target > 0 and tonumber(redis.call('HGET', KEYS[1], tix) or '0') > 0 then
    redis.call('HINCRBY', KEYS[1], tix, -1)
    redis.call('HINCRBY', KEYS[1], 'tix', -1)
  end
  local ids = KEYS[2]
  local live = true
  if chunk ~= '' then
    live = live_of[chunk]
    if live == nil then
      local s, c = string.match(chunk, '^([^:]+):(%d+)$')
      live = redis.call('HEXISTS', KEYS[5], s .. ':o:' .. c) == 1 or redis.call('HEXISTS', KEYS[5], s .. ':f:' .. c) == 1
      live_of[chunk] = live
    end
    ids = KEYS[2] .. ':' .. chunk
  end
  if not live or redis.call('SADD', ids, id) == 0 then
    out[#out+1] = 0
  elseif kind == 'r' then
    if target > 0 and kept >= target then
      redis.call('SREM', ids, id)
      out[#out+1] = -1
    else
      redis.call('RPUSH', KEYS[3], line)
      kept = kept + 1
      if gen ~= '' then redis.call('HINCRBY', KEYS[1], 'gen:' .. gen .. ':kept', 1) end
      out[#out+1] = 1
    end
  else
    redis.call('RPUSH', KEYS[4], line)
    redis.call('HINCRBY', KEYS[1], 'rejected', 1)
    redis.call('HINCRBY', KEYS[1], 'rej:' .. reason, 1)
    redis.call('HINCRBY', KEYS[1], 'stg:' .. stage, 1)
    if gen ~= '' then redis.call('HINCRBY', KEYS[1], 'gen:' .. gen .. ':rejected', 1) end
    out[#out+1] = 1
  end
end
redis.call('HSET', KEYS[1], 'kept', kept)
out[#out+1] = kept
return out
"""



class CommitResult(msgspec.Struct, frozen=True):
    """What a commit round trip returns: one COMMIT code per item, and the job's
    counters after it (every shard's work included), so a shard's view of the job stays
    fresh without a read of its own."""

    codes: list[int]
    kept: int
    requests: int
    calls: int
    lost: int


class CommitItem(msgspec.Struct, frozen=True, kw_only=True):
    """One item the sink commits with COMMIT: a kept record (`kind` 'r') or a reject ('x').

    `line` is the JSON line stored; `reason` and `stage` (rejects only) and `generator`
    (the label of the model that made it, '' if none) name the counters that move with it.
    """

    kind: Literal["r", "x"]
    id: str
    line: bytes
    reason: str = ""
    stage: str = ""
    generator: str = ""
    # the chunk ('{stream}:{index}') of the input item this outcome came from, '' for
    # an item of no chunk: its id is guarded by the chunk's own ids set (COMMIT)
    chunk: str = ""

    def argv(self) -> tuple[str, str, bytes, str, str, str, str]:
        """The item's group of COMMIT's ARGV, in the order the script reads it."""
        return (self.kind, self.id, self.line, self.reason, self.stage, self.generator, self.chunk)


# Moves a job to a new status unless it is final. KEYS: job, active, job id, then the
# shards' lease keys. ARGV: new status, now, field to stamp, error JSON (or ''). Returns
# the status before the call.
TRANSITION = """
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return false end
if cur == 'succeeded' or cur == 'failed' or cur == 'cancelled' then return cur end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
if ARGV[3] ~= '' and not redis.call('HGET', KEYS[1], ARGV[3]) then
  redis.call('HSET', KEYS[1], ARGV[3], ARGV[2])
end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[4]) end
if ARGV[1] == 'succeeded' or ARGV[1] == 'failed' or ARGV[1] == 'cancelled' then
  redis.call('SREM', KEYS[2], KEYS[3])
  for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
end
return cur
"""

# Cancel from the API: queued -> cancelled at once; running -> cancelling (the worker
# stops between items and finishes the transition). Returns the status before.
CANCEL = """
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return false end
if cur == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[1])
  redis.call('SREM', KEYS[2], KEYS[3])
elseif cur == 'running' then
  redis.call('HSET', KEYS[1], 'status', 'cancelling')
end
return cur
"""

# Draws (or redraws) a job's spot-check sample. KEYS: job, sample list, verdicts,
# sample info. ARGV: redraw ('1'/'0'), draw id, interim ('1'/'0'), info JSON, lines...
# Returns 1 drawn, 0 a sample exists (and no redraw was asked), -1 it has verdicts.
# The check and the replacement are one step, so a verdict can never land on a sample
# that a concurrent redraw is replacing: VERDICT checks the draw id it was given.
SPOT_DRAW = """
if redis.call('HGET', KEYS[1], 'spot_size') then
  if ARGV[1] ~= '1' then return 0 end
  if redis.call('HLEN', KEYS[3]) > 0 then return -1 end
end
redis.call('DEL', KEYS[2], KEYS[3])
for i = 5, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('SET', KEYS[4], ARGV[4])
redis.call('HSET', KEYS[1], 'spot_size', #ARGV - 4, 'spot_accepted', 0, 'spot_rejected', 0,
           'spot_draw', ARGV[2], 'spot_interim', ARGV[3])
return 1
"""

# Records a reviewer's verdict and keeps the job's counts (accepted/rejected, per
# verdict, per generator, per reason) in step, also when a reviewer changes their mind:
# the old verdict's counts are taken back first. ARGV: draw id, record id, verdict
# JSON, verdict, accepted ('1'/'0'), generator, reasons... Returns 0 when the sample
# was redrawn since the caller read it (the record may no longer be in it).
VERDICT = """
if (redis.call('HGET', KEYS[1], 'spot_draw') or '') ~= ARGV[1] then return 0 end
local function count(verdict, gen, accepted, reasons, d)
  redis.call('HINCRBY', KEYS[1], accepted and 'spot_accepted' or 'spot_rejected', d)
  redis.call('HINCRBY', KEYS[1], 'spot_v:' .. verdict, d)
  if gen ~= '' then
    redis.call('HINCRBY', KEYS[1], 'spot_gen:' .. gen .. ':n', d)
    if accepted then redis.call('HINCRBY', KEYS[1], 'spot_gen:' .. gen .. ':acc', d) end
  end
  for _, r in ipairs(reasons) do redis.call('HINCRBY', KEYS[1], 'spot_rsn:' .. r, d) end
end
local old = redis.call('HGET', KEYS[2], ARGV[2])
if old then
  local o = cjson.decode(old)
  local acc = o['accepted']
  if acc == nil then acc = o['verdict'] == 'accept' end
  local gen = o['generator']
  if type(gen) ~= 'string' then gen = '' end
  local reasons = o['reasons']
  if type(reasons) ~= 'table' then reasons = {} end
  count(o['verdict'], gen, acc, reasons, -1)
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
local reasons = {}
for i = 7, #ARGV do reasons[#reasons + 1] = ARGV[i] end
count(ARGV[4], ARGV[6], ARGV[5] == '1', reasons, 1)
return 1
"""


# The job hashes of KEYS without their `spec` field, as flat field/value lists (an empty
# list for a missing job). The API's reads of a job never need the spec (it is served by
# GET .../spec), and a spec with 100k inline prompts is 6 MB: HGETALL moved all of it
# from Redis on every poll of the job's status and for every job of a list page.
VIEW = """
local out = {}
for i, key in ipairs(KEYS) do
  local h = redis.call('HGETALL', key)
  local v = {}
  for j = 1, #h, 2 do
    if h[j] ~= 'spec' then
      v[#v+1] = h[j]
      v[#v+1] = h[j+1]
    end
  end
  out[i] = v
end
return out
"""


# Starts deleting a finished job: the job hash is marked (`deleted_at`: reads answer
# 404 from here on), the job leaves its tenant's list and the unsealed set, its
# idempotency key goes if it still names the job, and it joins the deleting set.
# KEYS: job, deleting, unsealed, webhooks due. ARGV: job id, now. Returns the status
# before ('' for a missing job); only a final job is marked.
DELETE_MARK = """
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return '' end
if cur ~= 'succeeded' and cur ~= 'failed' and cur ~= 'cancelled' then return cur end
if not redis.call('HGET', KEYS[1], 'deleted_at') then redis.call('HSET', KEYS[1], 'deleted_at', ARGV[2]) end
local tenant = redis.call('HGET', KEYS[1], 'tenant') or ''
redis.call('ZREM', '""" + P + """:tenant:' .. tenant .. ':jobs', ARGV[1])
local idem = redis.call('HGET', KEYS[1], 'idem')
if idem then
  local k = '""" + P + """:idem:' .. tenant .. ':' .. idem
  local v = redis.call('GET', k)
  if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then redis.call('DEL', k) end
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return cur
"""
DELETING = f"{P}:jobs:deleting"

# KEYS: job, its ids set, the unsealed set, its chunks hash. ARGV: job id. 1 when the
# job is final (its ids sets deleted: the job's and those of chunks never done, the job
# out of the unsealed set), 0 otherwise. A missing job is only taken out of the set.
SEALED_FINAL = """
local cur = redis.call('HGET', KEYS[1], 'status')
if cur and cur ~= 'succeeded' and cur ~= 'failed' and cur ~= 'cancelled' then return 0 end
redis.call('DEL', KEYS[2])
local h = redis.call('HKEYS', KEYS[4])
for _, f in ipairs(h) do
  local s, c = string.match(f, '^([^:]+):[of]:(%d+)$')
  if s then redis.call('DEL', KEYS[2] .. ':' .. s .. ':' .. c) end
end
redis.call('SREM', KEYS[3], ARGV[1])
return 1
"""


def records_key(job_id: str) -> str:
    return list_key(job_id, "records")


def rejects_key(job_id: str) -> str:
    return list_key(job_id, "rejects")


def ids_key(job_id: str) -> str:
    return f"{P}:job:{job_id}:ids"


def spot_key(job_id: str) -> str:
    return f"{P}:job:{job_id}:spot"


def verdicts_key(job_id: str) -> str:
    return f"{P}:job:{job_id}:verdicts"


def tenant_key(tenant: str) -> str:
    return f"{P}:tenant:{tenant}:jobs"


def idem_key(tenant: str, key: str) -> str:
    return f"{P}:idem:{tenant}:{key}"


def exact_key(job_id: str, scope: str | None) -> str:
    """The exact-dedup set of a job, or of the tenant collection `scope` ("tenant:name")."""
    return f"{P}:dedup:{scope}:exact" if scope else f"{P}:job:{job_id}:exact"


async def _batches(keys: Any, n: int = 500) -> Any:
    """Groups of up to `n` from an async iterator of keys."""
    batch: list[Any] = []
    async for k in keys:
        batch.append(k)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


def _str(raw: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}


class JobStore:
    """Async access to jobs in Redis, shared by the API and the worker."""

    def __init__(self, client: aredis.Redis, files: DatasetFiles | None = None):
        self._r = client  # private: see the module docstring
        if files is None:
            from service import settings

            files = DatasetFiles.from_settings(settings.get())
        self.segments = Segments(client, files)
        self._commit = client.register_script(COMMIT)
        self._transition = client.register_script(TRANSITION)
        self._cancel = client.register_script(CANCEL)
        self.shards = ShardStore(client)
        self.limits = LimitStore(client)
        self.budgets = BudgetStore(client)
        self.cache = CacheStore(client)
        self.batches = BatchStore(client)
        self._verdict = client.register_script(VERDICT)
        self._spot_draw = client.register_script(SPOT_DRAW)
        self._view = client.register_script(VIEW)
        self._delete_mark = client.register_script(DELETE_MARK)
        self._sealed_final = client.register_script(SEALED_FINAL)

    # -- API side ---------------------------------------------------------------------

    async def create(
        self, *, job_id: str, tenant: str, recipe: str, spec_json: bytes, spec_hash: str,
        target: int | None, seed: int, parallelism: int = 1, idempotency_key: str | None = None,
    ) -> None:
        now = time.time()
        fields: dict[str, Any] = {
            "id": job_id, "tenant": tenant, "recipe": recipe, "status": "queued",
            "spec": spec_json, "spec_hash": spec_hash, "created_at": repr(now), "seed": seed,
            "parallelism": parallelism,
            **{c: 0 for c in COUNTERS},
        }
        if target is not None:
            fields["target"] = target
        if idempotency_key is not None:  # so deleting the job can free its key
            fields["idem"] = idempotency_key
        async with self._r.pipeline(transaction=True) as p:
            p.hset(job_key(job_id), mapping=fields)
            p.zadd(tenant_key(tenant), {job_id: now})
            p.sadd(ACTIVE, job_id)
            p.sadd(UNSEALED, job_id)
            await p.execute()

    async def get(self, job_id: str, tenant: str | None = None) -> dict[str, str] | None:
        """The job hash, or None when missing or owned by another tenant."""
        raw = await self._r.hgetall(job_key(job_id))
        if not raw:
            return None
        job = _str(raw)
        if (tenant is not None and job.get("tenant") != tenant) or "deleted_at" in job:
            return None
        return job

    async def views(self, job_ids: list[str]) -> list[dict[str, str]]:
        """The job hashes without `spec` (see VIEW); {} for a missing job."""
        if not job_ids:
            return []
        flat = await self._view(keys=[job_key(j) for j in job_ids])
        return [{flat_[i].decode(): flat_[i + 1].decode() for i in range(0, len(flat_), 2)} for flat_ in flat]

    async def view(self, job_id: str, tenant: str | None) -> dict[str, str] | None:
        """The job hash without `spec`, or None when missing or owned by another tenant
        (`tenant` None: any tenant's, for an admin)."""
        (job,) = await self.views([job_id])
        if not job or (tenant is not None and job.get("tenant") != tenant) or "deleted_at" in job:
            return None
        return job

    async def spec(self, job_id: str, tenant: str | None) -> bytes | None:
        """The stored spec JSON, or None when missing or owned by another tenant."""
        owner, spec, deleted = await self._r.hmget(job_key(job_id), ["tenant", "spec", "deleted_at"])
        if owner is None or deleted is not None or (tenant is not None and owner.decode() != tenant):
            return None
        return spec

    async def list(
        self, tenant: str, *, limit: int, before: tuple[float, str] | None, status: str | None
    ) -> tuple[builtins.list[dict[str, str]], tuple[float, str] | None]:
        """Newest first. `before` is the (score, id) of the last job of the previous page."""
        out: builtins.list[dict[str, str]] = []
        max_score: float | str = "+inf"
        skip_until = None
        if before is not None:
            max_score, skip_until = before[0], before[1]
        while len(out) < limit:
            batch = await self._r.zrevrangebyscore(
                tenant_key(tenant), max_score, "-inf", start=0, num=limit * 2 + 1,
                withscores=True,
            )
            if skip_until is not None:
                # Ids sharing the boundary score sort by id descending; skip those seen.
                batch = [(m, s) for m, s in batch if not (s == max_score and m.decode() >= skip_until)]
            if not batch:
                return out, None
            hashes = await self.views([m.decode() for m, _ in batch])
            for (m, s), job in zip(batch, hashes):
                if not job or "deleted_at" in job:
                    continue
                if status and job["status"] != status:
                    max_score, skip_until = s, m.decode()
                    continue
                out.append(job)
                max_score, skip_until = s, m.decode()
                if len(out) == limit:
                    return out, (float(s), m.decode())
        return out, None

    async def cancel(self, job_id: str) -> str | None:
        prev = await self._cancel(
            keys=[job_key(job_id), ACTIVE, job_id], args=[repr(time.time())]
        )
        return prev.decode() if prev else None

    async def read(self, job_id: str, kind: str, offset: int, limit: int) -> builtins.list[bytes]:
        """Lines offset.. of the job's `kind` stream, sealed or live (store/datasets.py)."""
        return await self.segments.read(job_id, kind, offset, limit)

    async def delete(self, job_id: str, index: Any = None) -> str:
        """Delete a finished job: every key of it, its segment files and (with the dedup
        stage's vector `index`) its job-scoped collection. Returns the status it had
        ('' missing; a status not final: nothing done). Resumable: a crash part way leaves
        the job in DELETING (invisible to reads), and `delete` again finishes it."""
        prev = (await self._delete_mark(
            keys=[job_key(job_id), DELETING, UNSEALED, f"{P}:webhooks:due"],
            args=[job_id, repr(time.time())])).decode()
        if prev not in ("succeeded", "failed", "cancelled"):
            return prev
        # Files and vectors before the keys: while the job hash lives, the job stays in
        # DELETING and a retry finds it; the hash goes last.
        await self.segments.delete_files(job_id)
        if index is not None:
            await index.drop(f"job_{job_id}")
        async for batch in _batches(self._r.scan_iter(match=f"{job_key(job_id)}:*", count=1000)):
            await self._r.delete(*batch)
        async with self._r.pipeline(transaction=True) as p:
            p.delete(job_key(job_id))
            p.srem(DELETING, job_id)
            await p.execute()
        return prev

    async def deleting(self) -> builtins.list[str]:
        """Jobs whose deletion was interrupted (the sweep finishes them)."""
        return [m.decode() for m in await self._r.smembers(DELETING)]

    async def tenants(self) -> builtins.list[str]:
        """Tenants with a job list."""
        keys = [k.decode() async for k in self._r.scan_iter(match=f"{P}:tenant:*:jobs", count=1000)]
        return sorted(k[len(P) + 8:-5] for k in keys)

    async def expired(self, tenant: str, before: float, page: int = 500) -> builtins.list[str]:
        """The tenant's finished jobs that ended before `before` (retention): only jobs
        created before it can qualify, so the list is read up to there, oldest first."""
        ids = [m.decode() for m in await self._r.zrangebyscore(tenant_key(tenant), "-inf", before, start=0, num=page)]
        out: builtins.list[str] = []
        for jid, job in zip(ids, await self.views(ids)):
            fin = job.get("finished_at")
            if job.get("status") in ("succeeded", "failed", "cancelled") and fin and float(fin) < before:
                out.append(jid)
        return out

    async def job_keys(self, job_id: str) -> builtins.list[str]:
        """Every key named after the job (tests and the deletion check list them)."""
        keys = [k.decode() async for k in self._r.scan_iter(match=f"{job_key(job_id)}*", count=1000)]
        return sorted(k for k in keys if k == job_key(job_id) or k.startswith(job_key(job_id) + ":"))

    async def idempotent(self, tenant: str, key: str, job_id: str, body_hash: str) -> str | None:
        """Reserve `key` for `job_id`; if already taken, return the stored 'job_id hash'."""
        k = idem_key(tenant, key)
        value = f"{job_id} {body_hash}"
        if await self._r.set(k, value, nx=True, ex=defaults.IDEMPOTENCY_TTL_SECONDS):
            return None
        stored = await self._r.get(k)
        return stored.decode() if stored else None

    async def forget_idempotent(self, tenant: str, key: str, job_id: str) -> None:
        """Give back a key `idempotent` reserved for `job_id` that made no job (a refused
        submission), so a retry with it is a new submission."""
        k = idem_key(tenant, key)
        stored = await self._r.get(k)
        if stored is not None and stored.decode().split(" ")[0] == job_id:
            await self._r.delete(k)

    async def all_records(self, job_id: str, page: int = 5000) -> builtins.list[dict[str, Any]]:
        """All of a job's records, decoded."""
        return await self.all_lines(job_id, "records", page)

    async def all_lines(self, job_id: str, kind: str, page: int = 5000) -> builtins.list[dict[str, Any]]:
        """All of a job's records or rejects, decoded: segments, then the live window,
        in pages so Redis is never blocked long. (Whole-job readers that must stay in
        constant memory iterate `segments.iter_lines` instead.)"""
        out: builtins.list[dict[str, Any]] = []
        dec = msgspec.json.Decoder()
        async for lines in self.segments.iter_lines(job_id, kind, page):
            out.extend(dec.decode(line) for line in lines)
        return out

    async def spot_draw(self, job_id: str, lines: builtins.list[bytes], draw: str, info_json: bytes,
                        *, interim: bool, redraw: bool) -> int:
        """Store a spot-check sample: 1 drawn, 0 one exists (no redraw asked), -1 it has verdicts."""
        return int(await self._spot_draw(
            keys=[job_key(job_id), spot_key(job_id), verdicts_key(job_id), f"{spot_key(job_id)}:info"],
            args=["1" if redraw else "0", draw, "1" if interim else "0", info_json, *lines]))

    async def spot_sample(self, job_id: str) -> tuple[builtins.list[bytes], dict[bytes, bytes], bytes | None]:
        """The sample's lines, its verdicts by record id, and how it was drawn (JSON)."""
        async with self._r.pipeline(transaction=True) as p:
            p.lrange(spot_key(job_id), 0, -1)
            p.hgetall(verdicts_key(job_id))
            p.get(f"{spot_key(job_id)}:info")
            lines, verdicts, info = await p.execute()
        return lines, verdicts, info

    async def spot_verdict(self, job_id: str, draw: str, record_id: str, verdict_json: bytes, verdict: str,
                           accepted: bool, generator: str, reasons: builtins.list[str]) -> bool:
        """False when the sample was redrawn since `draw` was read."""
        return bool(await self._verdict(
            keys=[job_key(job_id), verdicts_key(job_id)],
            args=[draw, record_id, verdict_json, verdict, "1" if accepted else "0", generator, *reasons]))

    # -- worker side ------------------------------------------------------------------

    async def live_workers(self) -> int:
        return int(await self._r.zcount(WORKERS, live_since(), "+inf"))

    # -- shared -------------------------------------------------------------------------

    async def ping(self) -> None:
        await self._r.ping()

    async def flush_metrics(self, buffer: Any) -> None:
        """Push a process's buffered metrics (service.metrics.Buffer) to Redis."""
        await buffer.flush(self._r)

    async def count(self, key: str, field: bytes, by: float = 1) -> None:
        """Add `by` to one metrics counter (service.metrics' hashes)."""
        await self._r.hincrbyfloat(key, field, by)

    async def add_exact(self, set_key: str, digest: str) -> bool:
        """Record `digest` in an exact-dedup set (exact_key); False when already there."""
        return bool(await self._r.sadd(set_key, digest))

    async def gauges(self, queue_keys: tuple[str, str, str]) -> tuple[Any, ...]:
        """One read of what GET /metrics reports: (counters hash, histograms hash, queued,
        started, failed, live workers, job counts by status of the active jobs).
        `queue_keys` are RQ's (store.queue.rq_keys)."""
        from service import metrics

        queued_key, wip_key, failed_key = queue_keys
        async with self._r.pipeline(transaction=False) as p:
            p.hgetall(metrics.COUNTERS_KEY)
            p.hgetall(metrics.HISTOGRAMS_KEY)
            p.llen(queued_key)
            p.zcard(wip_key)
            p.zcard(failed_key)
            p.zcount(WORKERS, live_since(), "+inf")
            p.smembers(ACTIVE)
            counters, hists, queued, started, failed, workers, active = await p.execute()
        async with self._r.pipeline(transaction=False) as p:
            for jid in active:
                p.hget(job_key(jid.decode()), "status")
            statuses = await p.execute()
        by_status: dict[str, int] = {s: 0 for s in ("queued", "running", "cancelling")}
        for st in statuses:
            if st:
                by_status[st.decode()] = by_status.get(st.decode(), 0) + 1
        return counters, hists, queued, started, failed, workers, by_status

    async def set_note(self, job_id: str, note: str) -> None:
        """The recipe's note on a finished run (e.g. how many prompts gave no record)."""
        await self._r.hset(job_key(job_id), "note", note)

    async def status(self, job_id: str) -> str | None:
        s = await self._r.hget(job_key(job_id), "status")
        return s.decode() if s else None

    async def transition(self, job_id: str, status: str, *, stamp: str = "", error: bytes = b"") -> str | None:
        p = int(await self._r.hget(job_key(job_id), "parallelism") or 1)
        prev = await self._transition(
            keys=[job_key(job_id), ACTIVE, job_id, *(lease_key(job_id, k) for k in range(p))],
            args=[status, repr(time.time()), stamp, error],
        )
        return prev.decode() if prev else None

    async def commit(
        self, job_id: str, target: int | None, items: builtins.list[CommitItem], counters: dict[str, int],
        *, shard: int = 0, chunks_done: builtins.list[str] = [], text: dict[str, str] | None = None,
    ) -> CommitResult:
        """Commit items, add counters, set text fields and mark chunks done (each
        '{stream}:{index}': its fields of the chunks hash and its ids set deleted, after
        the items it covers), in one round trip."""
        args: builtins.list[Any] = [target or 0, shard]
        for item in items:
            args.extend(item.argv())
        async with self._r.pipeline(transaction=False) as p:
            if items:
                await self._commit(
                    keys=[job_key(job_id), ids_key(job_id), records_key(job_id), rejects_key(job_id),
                          chunks_key(job_id)],
                    args=args, client=p,
                )
            for name, n in counters.items():
                if n:
                    p.hincrby(job_key(job_id), name, n)
            if text:
                p.hset(job_key(job_id), mapping=text)
            if chunks_done:
                # Both fields: a chunk a shard left free (`f:`) while a stalled shard still
                # finished it is done too, or it would be handed out again with no guard.
                p.hdel(chunks_key(job_id), *(f for c in chunks_done for f in chunk_fields(c)))
                p.delete(*(chunk_ids_key(job_id, c) for c in chunks_done))
            p.hmget(job_key(job_id), list(CommitResult.__struct_fields__[1:]))
            res = await p.execute()
        codes = [int(x) for x in res[0][:-1]] if items else []
        return CommitResult(codes, *(int(v or 0) for v in res[-1]))

    async def sealed_final(self, job_id: str) -> bool:
        """A final job whose windows are sealed: its ids set (the commit guard, ~70 bytes
        an item, the one per-job structure that grows with the job) is dropped, and it
        leaves the unsealed set. False when the job is not final (nothing done)."""
        return bool(await self._sealed_final(keys=[job_key(job_id), ids_key(job_id), UNSEALED, chunks_key(job_id)],
                                             args=[job_id]))
