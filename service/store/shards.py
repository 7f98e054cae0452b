"""Shards: one job worked on by several workers at once, and the state their items share.

A job runs as up to P = `parallelism` shards (fields of the job hash, store/codec.py):
- `worker:{k}` the worker holding shard k, with a lease `sg:job:{id}:lease:{k}` it
  renews every heartbeat; `runs:{k}` how many times shard k was claimed (a resumed
  shard draws new random numbers), `crashes:{k}` how many of its workers died,
  `ended:{k}` set when shard k finished its part, `out:{k}` the outcome it reported;
- `tix:{k}` target tickets held by shard k, `tix` their sum (below);
- `stop` a reason every shard must stop for (`provider`, `errors`, `error`, `budget`),
  `stop_detail` the first stopper's account of it.

RQ carries copies of the job id: one at submit, and one more each time a worker claims
a shard while others are free, so a job spreads over idle workers one at a time and
every new copy queues behind the jobs submitted meanwhile. A worker's CLAIM takes a
shard whose holder died (counting the death, as a single-shard job always did), else
one never started, else answers `busy` (every shard is held: the copy was not needed).
Workers are shared fairly between jobs (STARVING): while another job waits in the
queue with no shard running, a job that already has one running does not claim
another (the copy goes back to the queue's end) and its extra shards hand their worker
back at the end of a chunk, keeping one. The reaper re-enqueues
shards whose lease expired (REAP, per shard); a worker shutting down hands its shard
back (RELEASE). The last shard to end (SHARD_END: no other shard holds a lease and no
work is left) settles the job's final status; every other one just ends its part.

Exactly `target`, across shards: a shard takes a target slot only with a ticket, and
GRANT hands out tickets while kept + tix < target, so the shards together never have
more candidates in flight than the target still needs; a kept record's commit spends
its ticket (COMMIT in store/jobs.py), a reject gives it back to its shard, and a dead
shard's tickets return to the job when its death is counted. COMMIT's cap (kept never
exceeds target) stays the last guard.

Work is handed out in chunks (`sg:job:{id}:chunks`, one hash for all of a job's item
streams; a stream is one list of inputs a recipe iterates, named by its key prefix):
- `{s}:total`, `{s}:size`: how many chunks of how many items (set once, by the first
  shard to reach the stream; every shard computes the same from the inputs);
- `{s}:next`: the next chunk no shard has taken;
- `{s}:o:{c}` = k: chunk c in progress by shard k; `{s}:f:{c}`: chunk c started and
  then left by a shard that ended (target reached, stop): free to take again.
NEXT_CHUNK hands a shard a free chunk, else a fresh one, else steals one from a shard
whose lease expired and whose worker stopped heartbeating (a dead worker's unfinished
chunk is taken over at once, not after its shard is re-claimed). A chunk is marked done
(its fields deleted) by the sink after the outcomes of all its items are committed, in
the same pipeline, so a worker dying before that leaves the chunk to be redone: the
ids already committed are skipped, nothing is duplicated. Those ids are in the chunk's
own set (`sg:job:{id}:ids:{s}:{c}`, store/jobs.py COMMIT), deleted with the chunk's
fields: a done chunk needs no guard of its own, its absence is the guard.

Shared state (a recipe's `shared_state`): an append-only list (`sg:job:{id}:pool:{n}`,
e.g. Self-Instruct's accepted instructions) appended only by a writer who has seen every
earlier item (POOL_APPEND compares lengths, so a novelty check is never made against a
stale pool); a set (`:set:{n}`, e.g. Magpie's instructions taken); and a value computed
once per job under a lock (`:once:{n}`, e.g. PersonaHub's deduplicated personas).
"""

from __future__ import annotations

import time

import msgspec
import redis.asyncio as aredis

from service import defaults
from service.domain.errors import ERRORS_BASE

P = defaults.KEY_PREFIX
ERROR_TYPE_PREFIX = ERRORS_BASE  # the Lua scripts mint `worker-crashed` (service.domain.errors)
WORKERS = f"{P}:workers"
WORKER_EXITS = f"{P}:workers:exits"
ACTIVE = f"{P}:jobs:active"


def lease_key(job_id: str, shard: int) -> str:
    return f"{P}:job:{job_id}:lease:{shard}"


def requeue_lock_key(job_id: str, shard: int) -> str:
    return f"{P}:job:{job_id}:requeue:{shard}"


def chunks_key(job_id: str) -> str:
    return f"{P}:job:{job_id}:chunks"


def chunk_fields(chunk: str) -> tuple[str, str]:
    """The chunks-hash fields of chunk '{stream}:{index}': in progress, and left free."""
    stream, index = chunk.split(":")
    return f"{stream}:o:{index}", f"{stream}:f:{index}"


def chunk_ids_key(job_id: str, chunk: str) -> str:
    """The ids set guarding the commits of chunk '{stream}:{index}' (store/jobs.py COMMIT)."""
    return f"{P}:job:{job_id}:ids:{chunk}"


def pool_key(job_id: str, name: str) -> str:
    return f"{P}:job:{job_id}:pool:{name}"


def set_key(job_id: str, name: str) -> str:
    return f"{P}:job:{job_id}:set:{name}"


def once_key(job_id: str, name: str) -> str:
    return f"{P}:job:{job_id}:once:{name}"


def live_since(now: float | None = None) -> float:
    """Heartbeats at or after this time mean a live worker."""
    return (now or time.time()) - defaults.WORKER_LIVE_SECONDS


# Tickets of shard k go back to the job (its death, its end, its hand-back).
DROP_TICKETS = """
local function drop_tickets(job, k)
  local t = tonumber(redis.call('HGET', job, 'tix:' .. k) or '0')
  if t ~= 0 then redis.call('HINCRBY', job, 'tix', -t) end
  redis.call('HDEL', job, 'tix:' .. k)
end
"""

# A dead holder's death, counted once, by whoever finds it first (a reaper, or a claim
# that takes the shard over). 'none': no holder on record (already counted); 'alive':
# the holder still heartbeats (a stall, not a death); else the holder is forgotten, its
# tickets return, and the shard 'resume's, or at `max` deaths of this shard the job ends
# 'failed' (worker-crashed): a poison item kills every worker that takes its chunk.
DEATH = DROP_TICKETS + """
local function death(job, workers, exits, active, id, now, window, max, prefix, k)
  local holder = redis.call('HGET', job, 'worker:' .. k)
  if not holder then return 'none', '' end
  local seen = redis.call('ZSCORE', workers, holder)
  if seen and tonumber(seen) >= now - window then return 'alive', '' end
  local exit = redis.call('HGET', exits, holder) or 'no supervisor saw how it ended'
  local crashes = redis.call('HINCRBY', job, 'crashes:' .. k, 1)
  redis.call('HINCRBY', job, 'crashes', 1)
  redis.call('HDEL', job, 'worker:' .. k)
  redis.call('HSET', job, 'last_exit', exit)
  drop_tickets(job, k)
  if crashes < max then return 'resume', exit end
  local detail = 'its worker died ' .. crashes .. ' times while running it (last: ' .. exit ..
    '); the records made so far are kept'
  redis.call('HSET', job, 'status', 'failed', 'finished_at', now,
    'error', cjson.encode({type = prefix .. 'worker-crashed', title = 'The job keeps crashing its worker',
                           status = 500, detail = detail}))
  redis.call('SREM', active, id)
  return 'failed', exit
end
"""

# A worker claims a shard of a runnable job. KEYS: job, workers, exits, active, then the
# P lease keys. ARGV: worker id, lease ms, now, job id, live window s, max crashes, error
# type prefix. Returns {'ok', shard, run number, shards still free}, or {why not}: 'busy' (every shard is
# held or finished), 'missing', 'failed' (this claim found a poison shard's last death)
# or the status that forbids running.
CLAIM = DEATH + """
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return {'missing'} end
if cur ~= 'queued' and cur ~= 'running' and cur ~= 'cancelling' then return {cur} end
local me = ARGV[1]
local now = tonumber(ARGV[3])
local P = #KEYS - 4
local function take(k)
  redis.call('SET', KEYS[5 + k], me, 'PX', ARGV[2])
  if cur == 'queued' then redis.call('HSET', KEYS[1], 'status', 'running') end
  if not redis.call('HGET', KEYS[1], 'started_at') then redis.call('HSET', KEYS[1], 'started_at', ARGV[3]) end
  redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  local run = redis.call('HINCRBY', KEYS[1], 'runs:' .. k, 1)
  redis.call('HSET', KEYS[1], 'worker:' .. k, me)
  local free = 0
  for j = 0, P - 1 do
    if not redis.call('HGET', KEYS[1], 'worker:' .. j) and not redis.call('HGET', KEYS[1], 'ended:' .. j)
        and redis.call('EXISTS', KEYS[5 + j]) == 0 then free = free + 1 end
  end
  return {'ok', tostring(k), tostring(run), tostring(free)}
end
-- A shard whose worker is gone first: taking over before any reaper looked counts the
-- death here, or a claim racing the reaper would let a poison shard kill without limit.
for k = 0, P - 1 do
  local holder = redis.call('HGET', KEYS[1], 'worker:' .. k)
  if holder and not redis.call('GET', KEYS[5 + k]) then
    if holder == me then return take(k) end
    local verdict = death(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[4], now, tonumber(ARGV[5]),
                          tonumber(ARGV[6]), ARGV[7], k)
    if verdict == 'failed' then return {'failed'} end
    if verdict ~= 'alive' then return take(k) end
  end
end
for k = 0, P - 1 do
  if not redis.call('HGET', KEYS[1], 'worker:' .. k) and not redis.call('HGET', KEYS[1], 'ended:' .. k)
      and redis.call('EXISTS', KEYS[5 + k]) == 0 then
    return take(k)
  end
end
return {'busy'}
"""

# Heartbeat: extend shard k's lease while we hold it, or take it back if it expired and
# nobody took the shard meanwhile (Redis was unreachable longer than a lease: the run is
# still ours). KEYS: lease, job. ARGV: worker id, lease ms, shard. 1 held, 0 lost.
RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  local cur = redis.call('HGET', KEYS[2], 'status')
  local rec = redis.call('HGET', KEYS[2], 'worker:' .. ARGV[3])
  -- never back to a shard that ended: its part is over, and a lease would block the settling
  local over = redis.call('HGET', KEYS[2], 'ended:' .. ARGV[3])
  if (cur == 'running' or cur == 'cancelling') and (not rec or rec == ARGV[1]) and not over then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    redis.call('HSET', KEYS[2], 'worker:' .. ARGV[3], ARGV[1])
    return 1
  end
end
return 0
"""

# The reaper's decision for one shard with no lease. KEYS: job, lease, requeue lock,
# workers, exits, active. ARGV: job id, now, live window s, lock ms, max crashes, error
# type prefix, shard. Returns {action, last exit}: 'skip' (not abandoned, or another
# reaper got it this round), 'requeue' (holder alive: a stall), 'again' (no holder since
# the last death: still waiting for a claim), 'resume' (holder dead) or 'failed'.
REAP = DEATH + """
local cur = redis.call('HGET', KEYS[1], 'status')
if cur ~= 'running' and cur ~= 'cancelling' then return {'skip', ''} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'skip', ''} end
if redis.call('HGET', KEYS[1], 'ended:' .. ARGV[7]) then return {'skip', ''} end
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[4]) then return {'skip', ''} end
local verdict, exit = death(KEYS[1], KEYS[4], KEYS[5], KEYS[6], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]),
                            tonumber(ARGV[5]), ARGV[6], ARGV[7])
if verdict == 'none' then
  -- Enqueued again in case that enqueue was lost; rarely (15 lock periods), or a long
  -- stretch without workers would pile copies of the job onto the queue.
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[4]) * 15)
  return {'again', ''}
end
if verdict == 'alive' then return {'requeue', ''} end
return {verdict, exit}
"""

# Hand shard k back (worker shutting down): drop its lease only while we still hold it,
# so a worker that already took over is never robbed. KEYS: lease, job. ARGV: worker id,
# shard. Returns 1 if released.
RELEASE = DROP_TICKETS + """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  -- A hand-back is not a death: forget the holder, or the next claim would count it.
  redis.call('HDEL', KEYS[2], 'worker:' .. ARGV[2])
  drop_tickets(KEYS[2], ARGV[2])
  return 1
end
return 0
"""

# Work no running shard holds, in the chunks hash `h` (HGETALL): 'free' (a chunk left
# free, a fresh chunk, or one a dead shard holds: the caller can take it now), 'held'
# (only chunks of a shard whose worker still heartbeats: it will finish or die), or ''.
PENDING = """
local function pending(job, h, workers, now, window, lease_prefix)
  local out = ''
  for i = 1, #h, 2 do
    local f, v = h[i], h[i + 1]
    if string.find(f, ':f:', 1, true) then return 'free' end
    if string.sub(f, -6) == ':total' then
      local s = string.sub(f, 1, -7)
      local nxt = 0
      for j = 1, #h, 2 do if h[j] == s .. ':next' then nxt = tonumber(h[j + 1]) end end
      if nxt < tonumber(v) then return 'free' end
    elseif string.find(f, ':o:', 1, true) then
      if redis.call('EXISTS', lease_prefix .. v) == 0 then
        local holder = redis.call('HGET', job, 'worker:' .. v)
        local seen = holder and redis.call('ZSCORE', workers, holder)
        if seen and tonumber(seen) >= now - window then out = 'held' else return 'free' end
      else
        out = 'held'
      end
    end
  end
  return out
end
"""

# Shard k ends its part. KEYS: job, chunks, workers, then the P lease keys. ARGV: shard,
# worker id, outcome JSON ('' for none), now, live window s, lease key prefix, lease ms. Its
# chunks still in progress become free, its tickets return. Returns 'lost' (another
# worker holds the shard now: touch nothing), 'running' (another shard holds a lease:
# it will settle), 'final' (already final), 'held' (a stalled shard holds the only work
# left: it, or the reaper after its death, goes on), 'more' (work is left that this
# shard can take: run again), or 'last' (settle the job now).
SHARD_END = DROP_TICKETS + PENDING + """
local k = ARGV[1]
local mine = KEYS[4 + tonumber(k)]
if redis.call('GET', mine) ~= ARGV[2] then return 'lost' end
redis.call('DEL', mine)
redis.call('HDEL', KEYS[1], 'worker:' .. k)
redis.call('HSET', KEYS[1], 'ended:' .. k, '1')
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'out:' .. k, ARGV[3]) end
drop_tickets(KEYS[1], k)
local h = redis.call('HGETALL', KEYS[2])
for i = 1, #h, 2 do
  if h[i + 1] == k and string.find(h[i], ':o:', 1, true) then
    redis.call('HDEL', KEYS[2], h[i])
    redis.call('HSET', KEYS[2], string.gsub(h[i], ':o:', ':f:', 1), '1')
  end
end
for j = 4, #KEYS do
  if redis.call('EXISTS', KEYS[j]) == 1 then return 'running' end
end
local cur = redis.call('HGET', KEYS[1], 'status')
if cur == 'succeeded' or cur == 'failed' or cur == 'cancelled' then return 'final' end
if cur == 'cancelling' or redis.call('HGET', KEYS[1], 'stop') then return 'last' end
local target = tonumber(redis.call('HGET', KEYS[1], 'target') or '0')
if target > 0 and tonumber(redis.call('HGET', KEYS[1], 'kept') or '0') >= target then return 'last' end
local left = pending(KEYS[1], redis.call('HGETALL', KEYS[2]), KEYS[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6])
if left == 'free' then
  redis.call('HDEL', KEYS[1], 'ended:' .. k)
  redis.call('SET', mine, ARGV[2], 'PX', ARGV[7])
  redis.call('HSET', KEYS[1], 'worker:' .. k, ARGV[2])
  return 'more'
end
if left == 'held' then return 'held' end
return 'last'
"""

# Target tickets for shard k. KEYS: job. ARGV: shard, how many wanted. Returns {granted,
# kept}: at most what keeps kept + every shard's tickets <= target.
GRANT = """
local target = tonumber(redis.call('HGET', KEYS[1], 'target') or '0')
local kept = tonumber(redis.call('HGET', KEYS[1], 'kept') or '0')
local free = target - kept - tonumber(redis.call('HGET', KEYS[1], 'tix') or '0')
if free <= 0 then return {0, kept} end
local g = math.min(free, tonumber(ARGV[2]))
redis.call('HINCRBY', KEYS[1], 'tix', g)
redis.call('HINCRBY', KEYS[1], 'tix:' .. ARGV[1], g)
return {g, kept}
"""

# The next chunk of stream s for shard k. KEYS: chunks, job, workers. ARGV: stream,
# shard, total chunks, chunk size, now, live window s, lease key prefix. Returns {chunk,
# how}: a free chunk ('free'), a fresh one ('fresh'), one stolen from a dead shard
# ('stolen'), or {-1, ''} when none is left.
NEXT_CHUNK = """
local s, k = ARGV[1], ARGV[2]
if redis.call('HSETNX', KEYS[1], s .. ':total', ARGV[3]) == 1 then
  redis.call('HSET', KEYS[1], s .. ':size', ARGV[4])
end
local h = redis.call('HGETALL', KEYS[1])
local free = s .. ':f:'
for i = 1, #h, 2 do
  if string.sub(h[i], 1, #free) == free then
    local c = string.sub(h[i], #free + 1)
    redis.call('HDEL', KEYS[1], h[i])
    redis.call('HSET', KEYS[1], s .. ':o:' .. c, k)
    return {tonumber(c), 'free'}
  end
end
local total = tonumber(redis.call('HGET', KEYS[1], s .. ':total'))
local c = redis.call('HINCRBY', KEYS[1], s .. ':next', 1) - 1
if c < total then
  redis.call('HSET', KEYS[1], s .. ':o:' .. c, k)
  return {c, 'fresh'}
end
local owned = s .. ':o:'
local now, window = tonumber(ARGV[5]), tonumber(ARGV[6])
for i = 1, #h, 2 do
  local owner = h[i + 1]
  if string.sub(h[i], 1, #owned) == owned and owner ~= k and redis.call('EXISTS', ARGV[7] .. owner) == 0 then
    local holder = redis.call('HGET', KEYS[2], 'worker:' .. owner)
    local seen = holder and redis.call('ZSCORE', KEYS[3], holder)
    if not (seen and tonumber(seen) >= now - window) then
      redis.call('HSET', KEYS[1], h[i], k)
      return {tonumber(string.sub(h[i], #owned + 1)), 'stolen'}
    end
  end
end
return {-1, ''}
"""

# Whether another job waits for a worker while this one holds some. KEYS: the RQ queue.
# ARGV: this job's id, the job key prefix ("sg:job:"), how many queued entries to look
# at. Returns {1 if a queued copy belongs to a job with no shard running (never started,
# or every shard's lease gone), shards of this job holding a lease, shards of this job
# free to claim}. Fairness between
# jobs for workers: a job with a shard running gives way to a starving one (Claims
# defer, shards yield at a chunk's end), so a big job cannot keep a small one waiting
# for a worker; without anyone starving it takes every free worker (store/shards.py).
STARVING = """
local function held(jk)
  local p = tonumber(redis.call('HGET', jk, 'parallelism') or '1')
  local n = 0
  for k = 0, p - 1 do n = n + redis.call('EXISTS', jk .. ':lease:' .. k) end
  return n
end
local starving = 0
for _, rq in ipairs(redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)) do
  local job = string.match(rq, '^(.*)%-%d+$')
  if job and job ~= ARGV[1] then
    local jk = ARGV[2] .. job
    local st = redis.call('HGET', jk, 'status')
    if st == 'queued' or ((st == 'running' or st == 'cancelling') and held(jk) == 0) then
      starving = 1
      break
    end
  end
end
local mine = ARGV[2] .. ARGV[1]
local p = tonumber(redis.call('HGET', mine, 'parallelism') or '1')
local free = 0
for k = 0, p - 1 do
  if not redis.call('HGET', mine, 'worker:' .. k) and not redis.call('HGET', mine, 'ended:' .. k)
      and redis.call('EXISTS', mine .. ':lease:' .. k) == 0 then free = free + 1 end
end
return {starving, held(mine), free}
"""

# Append to a shared list only if the caller has seen all of it. KEYS: list. ARGV: the
# length the caller saw, the value. Returns {1} (appended at that position) or {0,
# items from that position on} (someone appended first: check against them, retry).
POOL_APPEND = """
local n = redis.call('LLEN', KEYS[1])
if n == tonumber(ARGV[1]) then
  redis.call('RPUSH', KEYS[1], ARGV[2])
  return {1}
end
return {0, redis.call('LRANGE', KEYS[1], tonumber(ARGV[1]), -1)}
"""


class Claim(msgspec.Struct, frozen=True):
    """A claim's answer: `shard`, its `run` number and how many shards are still `free`
    (no worker yet: the claimer enqueues a copy for the next one) when `ok`, else why not."""

    status: str
    shard: int = -1
    run: int = 0
    free: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class ShardStore:
    """The shard protocol's Redis side (see the module docstring); JobStore.shards."""

    def __init__(self, client: aredis.Redis):
        self._r = client
        self._claim = client.register_script(CLAIM)
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)
        self._end = client.register_script(SHARD_END)
        self._grant = client.register_script(GRANT)
        self._next_chunk = client.register_script(NEXT_CHUNK)
        self._pool_append = client.register_script(POOL_APPEND)
        self._starving = client.register_script(STARVING)

    async def _leases(self, job_id: str) -> list[str]:
        p = int(await self._r.hget(f"{P}:job:{job_id}", "parallelism") or 1)
        return [lease_key(job_id, k) for k in range(p)]

    async def claim(self, job_id: str, worker_id: str, lease_s: float, max_crashes: int) -> Claim:
        res = await self._claim(
            keys=[f"{P}:job:{job_id}", WORKERS, WORKER_EXITS, ACTIVE, *await self._leases(job_id)],
            args=[worker_id, int(lease_s * 1000), repr(time.time()), job_id, defaults.WORKER_LIVE_SECONDS,
                  max_crashes, ERROR_TYPE_PREFIX],
        )
        status = res[0].decode()
        return Claim(status, int(res[1]), int(res[2]), int(res[3])) if status == "ok" else Claim(status)

    async def renew(self, job_id: str, shard: int, worker_id: str, lease_s: float) -> bool:
        return bool(await self._renew(keys=[lease_key(job_id, shard), f"{P}:job:{job_id}"],
                                      args=[worker_id, int(lease_s * 1000), shard]))

    async def release(self, job_id: str, shard: int, worker_id: str) -> bool:
        return bool(await self._release(keys=[lease_key(job_id, shard), f"{P}:job:{job_id}"],
                                        args=[worker_id, shard]))

    async def end(self, job_id: str, shard: int, worker_id: str, outcome: bytes, lease_s: float) -> str:
        res = await self._end(
            keys=[f"{P}:job:{job_id}", chunks_key(job_id), WORKERS, *await self._leases(job_id)],
            args=[shard, worker_id, outcome, repr(time.time()), defaults.WORKER_LIVE_SECONDS,
                  lease_key(job_id, 0)[:-1], int(lease_s * 1000)],
        )
        return res.decode()

    async def starving(self, job_id: str, queue_key: str) -> tuple[bool, int, int]:
        """(another job waits in `queue_key` with no shard running, shards of `job_id`
        running now, shards of `job_id` free); see STARVING."""
        starving, held, free = await self._starving(keys=[queue_key], args=[job_id, f"{P}:job:",
                                                                             defaults.FAIR_QUEUE_SCAN])
        return bool(starving), int(held), int(free)

    async def grant(self, job_id: str, shard: int, want: int) -> tuple[int, int]:
        """(tickets granted, kept now)."""
        g, kept = await self._grant(keys=[f"{P}:job:{job_id}"], args=[shard, want])
        return int(g), int(kept)

    async def chunk_map(self, job_id: str) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in (await self._r.hgetall(chunks_key(job_id))).items()}

    async def next_chunk(self, job_id: str, stream: str, shard: int, total: int, size: int) -> tuple[int, str]:
        c, how = await self._next_chunk(
            keys=[chunks_key(job_id), f"{P}:job:{job_id}", WORKERS],
            args=[stream, shard, total, size, repr(time.time()), defaults.WORKER_LIVE_SECONDS,
                  lease_key(job_id, 0)[:-1]],
        )
        return int(c), how.decode() if isinstance(how, bytes) else str(how)

    async def stop(self, job_id: str, reason: str, detail: str) -> bool:
        """Ask every shard to stop (the first reason given stands); True if it was the first."""
        async with self._r.pipeline(transaction=True) as p:
            p.hsetnx(f"{P}:job:{job_id}", "stop", reason)
            p.hsetnx(f"{P}:job:{job_id}", "stop_detail", detail)
            first, _ = await p.execute()
        return bool(first)

    async def poll(self, job_id: str) -> tuple[str | None, str | None, int]:
        """(status, stop reason, kept): what a shard's watcher reads every tick."""
        status, stop, kept = await self._r.hmget(f"{P}:job:{job_id}", ["status", "stop", "kept"])
        return (status.decode() if status else None, stop.decode() if stop else None, int(kept or 0))

    async def has_committed(self, job_id: str, item_ids: list[str], chunk: str = "") -> list[bool]:
        """Which of `item_ids` are committed (kept or rejected): in the job's ids set, or
        in the ids set of their `chunk` ('{stream}:{index}') when they belong to one."""
        if not item_ids:
            return []
        if not chunk:
            return [bool(x) for x in await self._r.smismember(f"{P}:job:{job_id}:ids", item_ids)]
        async with self._r.pipeline(transaction=False) as p:
            p.smismember(f"{P}:job:{job_id}:ids", item_ids)
            p.smismember(chunk_ids_key(job_id, chunk), item_ids)
            whole, mine = await p.execute()
        return [bool(a) or bool(b) for a, b in zip(whole, mine)]

    # -- shared state ---------------------------------------------------------------

    async def pool_read(self, job_id: str, name: str, start: int) -> list[str]:
        return [v.decode() for v in await self._r.lrange(pool_key(job_id, name), start, -1)]

    async def pool_append(self, job_id: str, name: str, seen: int, value: str) -> list[str] | None:
        """None when `value` was appended at position `seen`; else the items from `seen` on."""
        res = await self._pool_append(keys=[pool_key(job_id, name)], args=[seen, value])
        if int(res[0]) == 1:
            return None
        return [v.decode() for v in res[1]]

    async def set_add(self, job_id: str, name: str, member: str) -> bool:
        return bool(await self._r.sadd(set_key(job_id, name), member))

    async def once_get(self, job_id: str, name: str) -> bytes | None:
        return await self._r.get(once_key(job_id, name))

    async def once_lock(self, job_id: str, name: str, holder: str, ttl_s: float) -> bool:
        """Take (or keep, when `holder` has it) the lock of computing `name`."""
        key = once_key(job_id, name) + ":lock"
        if await self._r.set(key, holder, nx=True, px=int(ttl_s * 1000)):
            return True
        if (await self._r.get(key) or b"").decode() == holder:
            await self._r.pexpire(key, int(ttl_s * 1000))
            return True
        return False

    async def once_set(self, job_id: str, name: str, value: bytes) -> None:
        key = once_key(job_id, name)
        async with self._r.pipeline(transaction=True) as p:
            p.set(key, value)
            p.delete(key + ":lock")
            await p.execute()
