"""Fleet-wide provider limits: one bucket per (provider, model), shared by every worker
process on every machine through one Lua script (EXCHANGE) per limiter call.

Keys (prefix `sg`; `{b}` is the bucket id, the JSON array `["provider","model"]`, so no
provider or model name can make two buckets share a key):
- `sg:lim:{b}`            hash: the bucket's state (fields below)
- `sg:lim:{b}:permits`    sorted set: permit id `{job}|{seq}` -> expiry (ms, Redis's clock)
- `sg:lim:{b}:jobs`       hash: job id -> permits it holds
- `sg:lim:{b}:wait`       sorted set: job id -> when (ms) it last asked for more than it got
- `sg:lim:buckets`        set of the bucket ids in use (GET /metrics reads them)
- `sg:lim:open`           hash: bucket id -> JSON of its circuit while not closed (job status)

State fields of `sg:lim:{b}`: `cap rpm tpm` (the limits the last caller sent: the
providers file is read by every process, the bucket only echoes it for /metrics),
`win` (the adaptive in-flight window, 1..cap), `streak` (successes since it last
grew), `seq` (the last permit's number), `dseq` (`seq` at the last halving), `tat_r
tat_t` (GCRA theoretical arrival times of rpm and tpm, ms), `pause` (no grant before
this, ms: the latest Retry-After), `cb` (closed | open | half), `cf` (consecutive
failures) and `cf0` (when that run began), `until` (an open circuit's end of
cooldown), `cool` (its cooldown, ms), `probe` (the half-open probe's permit), `since`
(when the circuit opened), `why` (the last failure's outcome label).

Invariants kept by EXCHANGE, which runs atomically in Redis:
- permits held never exceed `win` <= `cap` at the moment of a grant (a permit's expiry
  and release only ever lower the count), so the fleet's in-flight requests toward a
  bucket stay within its concurrency whatever the number of workers;
- `jobs` counts exactly the permits in `permits` per job: a permit leaves both at once,
  whether released, or expired because its holder stopped renewing it (a SIGKILLed
  worker's permits free themselves after LIMIT_PERMIT_TTL_SECONDS);
- a 429 halves the window once per window of requests in flight: the 429s of permits
  granted before the last halving (sent under the old window) do not halve it again;
- at most one request goes to a circuit that is not closed (the half-open probe); a
  success (or any answer) closes it, a failure reopens it with twice the cooldown;
- fair share: while a job that holds less than `floor(win / active jobs)` waits, no
  other job takes a permit beyond that share; otherwise permits go to whoever asks
  (unused share is lent out), so a big job cannot starve a small one and an idle
  share is never wasted.
Times are Redis's own (TIME), so workers' clocks never need to agree.
"""

from __future__ import annotations

import time
from typing import Any, Iterable

import msgspec
import redis.asyncio as aredis

from service import defaults
from service.domain.job import rfc3339
from service.domain.limits import Limits, ProviderWait

P = defaults.KEY_PREFIX
BUCKETS = f"{P}:lim:buckets"
OPEN = f"{P}:lim:open"

# How an attempt ended, as a lane reports it with the permit it gives back:
OK = "ok"                # a usable answer: the window may grow, the circuit closes
THROTTLED = "throttled"  # 429: the window halves (once per window of requests)
FAILED = "failed"        # no answer, 5xx, malformed: counts toward opening the circuit
REFUSED = "refused"      # another 4xx: the provider is up (the circuit closes), nothing else
NONE = "none"            # cancelled or never sent: says nothing about the provider

# One limiter call: give back permits (with how their attempts ended), renew the ones
# still held, and ask for new ones. KEYS: state, permits, jobs, wait, buckets, open.
# ARGV: bucket id, job, cap, rpm, tpm (0: none), circuit failures, circuit span ms,
# cooldown ms, max cooldown ms, permit ttl ms, wait ttl ms, burst ms, reserve ms, max
# pause ms; then three MessagePack arrays (one argument each, however many attempts
# they carry: encoding hundreds of arguments cost the worker more than the script): the
# releases, each [id, outcome, label, retry-after ms, token estimate, tokens reported or
# -1, keep 1|0]; the ids to renew; a token estimate per ask. Returns {granted (id, delay ms, ...), reason the rest were
# denied ('' | concurrency | fair_share | rpm | tpm | paused | circuit), wait ms (0:
# unknown), window, circuit, the last failure's label, handoff 1|0}. A grant's delay is
# its paced send time (<= reserve ms ahead); `handoff` 1 lets the caller pass a permit
# whose attempt succeeded straight to its job's next attempt (reporting it with keep),
# until its next call says otherwise.
EXCHANGE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local S, PERMITS, JOBS, WAIT = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local bucket, job = ARGV[1], ARGV[2]
local cap, rpm, tpm = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local cb_n, cb_span, cool0, cool_max = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local ttl, wait_ttl, burst, reserve = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
local pause_max = tonumber(ARGV[14])
local releases, renewals, asks = cmsgpack.unpack(ARGV[15]), cmsgpack.unpack(ARGV[16]), cmsgpack.unpack(ARGV[17])
local nwant = #asks

local f = redis.call('HMGET', S, 'win', 'streak', 'dseq', 'seq', 'tat_r', 'tat_t', 'pause', 'cb', 'cf', 'cf0',
                     'until', 'cool', 'probe', 'since', 'why')
local win = math.min(tonumber(f[1]) or cap, cap)
local streak, dseq, seq = tonumber(f[2]) or 0, tonumber(f[3]) or 0, tonumber(f[4]) or 0
local tat_r, tat_t, pause = tonumber(f[5]) or 0, tonumber(f[6]) or 0, tonumber(f[7]) or 0
local cb, cf, cf0, until_ = f[8] or 'closed', tonumber(f[9]) or 0, tonumber(f[10]) or 0, tonumber(f[11]) or 0
local cool, probe, since, why = tonumber(f[12]) or cool0, f[13] or '', tonumber(f[14]) or 0, f[15] or ''

local function drop(id)
  local owner = string.match(id, '^(.*)|%d+$')
  if owner and redis.call('HINCRBY', JOBS, owner, -1) <= 0 then redis.call('HDEL', JOBS, owner) end
end
local function trip(label)
  if cb == 'closed' then since, cool = now, cool0 elseif cb == 'half' then cool = math.min(cool * 2, cool_max) end
  cb, until_, probe, why = 'open', now + cool, '', label
end
local function close()
  cb, cf, probe, cool, since = 'closed', 0, '', cool0, 0
end

-- Give back: each permit with how its attempt ended (`keep` '1': a report only, the
-- permit was handed to the job's next attempt).
for _, r in ipairs(releases) do
  local id, kind, label, ra, est, act, keep = r[1], r[2], r[3], r[4], r[5], r[6], r[7]
  if keep == 0 and redis.call('ZREM', PERMITS, id) == 1 then drop(id) end
  local pseq = tonumber(string.match(id, '|(%d+)$')) or 0
  if kind == 'ok' or kind == 'refused' then
    cf = 0
    if cb ~= 'closed' then close() end
    if kind == 'ok' and win < cap then
      streak = streak + 1
      if streak >= win then win, streak = win + 1, 0 end
    end
  elseif kind == 'throttled' then
    cf = 0
    -- Sent under the current window: halve it. Sent before the last halving: already paid for.
    if pseq > dseq then win, dseq, streak = math.max(1, math.floor(win / 2)), seq, 0 end
    if tpm > 0 then tat_t = tat_t - est * 60000 / tpm end
  elseif kind == 'failed' then
    if cb == 'half' then
      if id == probe then trip(label) end
    elseif cb == 'closed' then
      if cf == 0 then cf0 = now end
      cf, why = cf + 1, label
      if cf >= cb_n and now - cf0 >= cb_span then trip(label) end
    end
  elseif id == probe then
    cb, until_, probe = 'open', now, ''
  end
  if ra > 0 then pause = math.max(pause, now + math.min(ra, pause_max)) end
  if tpm > 0 and act >= 0 then tat_t = tat_t + (act - est) * 60000 / tpm end
end

-- Renew what the caller still holds; expire what nobody renewed.
for _, id in ipairs(renewals) do
  redis.call('ZADD', PERMITS, 'XX', now + ttl, id)
end
local dead = redis.call('ZRANGEBYSCORE', PERMITS, '-inf', now)
if #dead > 0 then
  for _, id in ipairs(dead) do
    drop(id)
    if id == probe then cb, until_, probe = 'open', now, '' end
  end
  redis.call('ZREMRANGEBYSCORE', PERMITS, '-inf', now)
end
redis.call('ZREMRANGEBYSCORE', WAIT, '-inf', now - wait_ttl)

-- Fair share: the share of each job holding or waiting, and whether a job other than
-- this one waits while holding less than its share (then nobody else takes beyond theirs).
local function fairness(width)
  local held, seen, count = {}, {}, 0
  local h = redis.call('HGETALL', JOBS)
  for k = 1, #h, 2 do
    held[h[k]] = tonumber(h[k + 1])
    if not seen[h[k]] then seen[h[k]], count = true, count + 1 end
  end
  local waiting = redis.call('ZRANGE', WAIT, 0, -1)
  for _, j in ipairs(waiting) do
    if not seen[j] then seen[j], count = true, count + 1 end
  end
  if not seen[job] then count = count + 1 end
  local share = math.max(1, math.floor(width / count))
  for _, j in ipairs(waiting) do
    if j ~= job and (held[j] or 0) < share then return share, true, held[job] or 0 end
  end
  return share, false, held[job] or 0
end

-- Ask.
local granted, reason, wait = {}, '', 0
local width = math.floor(win)
if nwant == 0 then
  redis.call('ZREM', WAIT, job)
else
  local n, probing = nwant, false
  if cb == 'open' then
    if now < until_ then
      reason, wait, n = 'circuit', until_ - now, 0
    else
      probing, n = true, 1  -- the cooldown is over: one probe, the rest wait for its answer
      if nwant > 1 then reason = 'circuit' end
    end
  elseif cb == 'half' then
    reason, n = 'circuit', 0
  end
  if n > 0 and pause > now then reason, wait, n = 'paused', pause - now, 0 end
  if n > 0 then
    local room = width - redis.call('ZCARD', PERMITS)
    local allowed = room
    if room > 0 then
      local share, starving, mine = fairness(width)
      if starving then allowed = math.min(room, share - mine) end
    end
    if allowed < n then
      if allowed < room then reason = 'fair_share' else reason = 'concurrency' end
      n = math.max(0, allowed)
    end
  end
  local Tr, Tt = 0, 0
  if rpm > 0 then Tr = 60000 / rpm end
  if tpm > 0 then Tt = 60000 / tpm end
  for k = 1, n do
    local est = asks[k]
    local d, limit = 0, ''
    if Tr > 0 and math.max(tat_r, now) - burst - now > d then d, limit = math.max(tat_r, now) - burst - now, 'rpm' end
    if Tt > 0 and math.max(tat_t, now) - burst - now > d then d, limit = math.max(tat_t, now) - burst - now, 'tpm' end
    if d > reserve then
      reason, wait = limit, d - reserve
      break
    end
    if Tr > 0 then tat_r = math.max(tat_r, now) + Tr end
    if Tt > 0 then tat_t = math.max(tat_t, now) + est * Tt end
    seq = seq + 1
    local id = job .. '|' .. seq
    redis.call('ZADD', PERMITS, now + d + ttl, id)
    redis.call('HINCRBY', JOBS, job, 1)
    granted[#granted + 1] = id
    granted[#granted + 1] = math.ceil(d)
    if probing then cb, probe = 'half', id end
  end
  if #granted < 2 * nwant then redis.call('ZADD', WAIT, now, job) else redis.call('ZREM', WAIT, job) end
end

-- Handoff: may this job pass a permit whose attempt succeeded straight to its next
-- attempt, without giving it back? Only while nothing else would decide otherwise: the
-- circuit closed, no pause, no pacing, the bucket within its window, nobody starving.
local handoff = 0
if cb == 'closed' and pause <= now and rpm == 0 and tpm == 0 and redis.call('ZCARD', PERMITS) <= width then
  local _, starving = fairness(width)
  if not starving then handoff = 1 end
end

redis.call('HSET', S, 'win', win, 'streak', streak, 'dseq', dseq, 'seq', seq, 'tat_r', tat_r, 'tat_t', tat_t,
           'pause', pause, 'cb', cb, 'cf', cf, 'cf0', cf0, 'until', until_, 'cool', cool, 'probe', probe,
           'since', since, 'why', why, 'cap', cap, 'rpm', rpm, 'tpm', tpm)
redis.call('SADD', KEYS[5], bucket)
if cb == 'closed' then
  redis.call('HDEL', KEYS[6], bucket)
else
  redis.call('HSET', KEYS[6], bucket, cjson.encode({state = cb, since = since, ['until'] = until_, failures = cf,
                                                    reason = why}))
end
return {granted, reason, math.ceil(wait), win, cb, why, handoff}
"""

CIRCUIT_STATES = {"closed": 0, "half": 1, "open": 2}


def bucket_id(provider: str, model: str) -> str:
    return msgspec.json.encode([provider, model]).decode()


def bucket_key(bucket: str, suffix: str = "") -> str:
    return f"{P}:lim:{bucket}{suffix}"


def _keys(bucket: str) -> list[str]:
    return [bucket_key(bucket), bucket_key(bucket, ":permits"), bucket_key(bucket, ":jobs"),
            bucket_key(bucket, ":wait"), BUCKETS, OPEN]


_pack = msgspec.msgpack.Encoder().encode


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def forget(client: Any) -> int:
    """Drop every bucket's state (a synchronous client): its window, pause, circuit and
    permits. For tests, whose fake provider starts each test as a new provider, and for
    an operator who must reopen a provider at once. Returns the keys deleted."""
    keys = list(client.scan_iter(match=f"{P}:lim:*", count=1000))
    return int(client.delete(*keys)) if keys else 0


class Release(msgspec.Struct, frozen=True):
    """A permit given back, with how its attempt ended (OK ... NONE), the provider's
    Retry-After (seconds, 0 if none), the token estimate it was granted with and the
    tokens the answer reported (-1: unknown). `keep`: only a report, the permit was
    handed to the next attempt of its job (see EXCHANGE's `handoff`)."""

    id: str
    outcome: str = NONE
    label: str = ""
    retry_after: float = 0.0
    estimate: int = 0
    tokens: int = -1
    keep: bool = False


class Exchange(msgspec.Struct, frozen=True):
    """What one EXCHANGE answered: (permit id, seconds until its send time) per grant, in
    ask order; why the rest were denied and for how long (0.0: unknown); the bucket's
    window and circuit (closed | open | half) after the call, the outcome label of its
    last failure (`why`), and whether the caller may hand permits on (`handoff`)."""

    granted: list[tuple[str, float]]
    reason: str
    wait: float
    window: int
    circuit: str
    why: str = ""
    handoff: bool = False


class BucketState(msgspec.Struct, frozen=True):
    """One bucket as GET /metrics reports it."""

    provider: str
    model: str
    inflight: int
    concurrency: int
    window: int
    rpm: int
    tpm: int
    circuit: int  # CIRCUIT_STATES


class LimitStore:
    """The Redis side of the fleet-wide provider limits. See the module docstring."""

    def __init__(self, client: aredis.Redis):
        self._r = client
        self._exchange = client.register_script(EXCHANGE)

    async def exchange(
        self, provider: str, model: str, job: str, limits: Limits, *, releases: Iterable[Release] = (),
        renew: Iterable[str] = (), asks: Iterable[int] = (), permit_ttl: float = defaults.LIMIT_PERMIT_TTL_SECONDS,
    ) -> Exchange:
        """One round trip: give back `releases`, renew `renew`, ask one permit per token
        estimate in `asks`."""
        bucket = bucket_id(provider, model)
        rel, ren, ask = list(releases), list(renew), list(asks)
        args: list[Any] = [
            bucket, job, limits.concurrency, limits.rpm or 0, limits.tpm or 0, limits.circuit_failures,
            _ms(limits.circuit_seconds), _ms(limits.circuit_cooldown), _ms(max(limits.circuit_cooldown,
                                                                             defaults.CIRCUIT_MAX_COOLDOWN_SECONDS)),
            _ms(permit_ttl), _ms(defaults.LIMIT_WAIT_TTL_SECONDS), _ms(defaults.LIMIT_BURST_SECONDS),
            _ms(defaults.LIMIT_RESERVE_SECONDS), _ms(defaults.PROVIDER_MAX_BACKOFF_SECONDS),
            _pack([(r.id, r.outcome, r.label, _ms(r.retry_after), r.estimate, r.tokens, int(r.keep)) for r in rel]),
            _pack(ren), _pack(ask),
        ]
        granted, reason, wait, window, circuit, why, handoff = await self._exchange(keys=_keys(bucket), args=args)
        pairs = [(granted[k].decode(), int(granted[k + 1]) / 1000) for k in range(0, len(granted), 2)]
        return Exchange(granted=pairs, reason=reason.decode(), wait=int(wait) / 1000, window=int(window),
                        circuit=circuit.decode(), why=why.decode(), handoff=bool(handoff))

    async def snapshot(self) -> list[BucketState]:
        """Every bucket in use: permits held now, limits, window, circuit."""
        buckets = sorted(m.decode() for m in await self._r.smembers(BUCKETS))
        if not buckets:
            return []
        now = _ms(time.time())
        async with self._r.pipeline(transaction=False) as p:
            for b in buckets:
                p.hmget(bucket_key(b), ["cap", "win", "rpm", "tpm", "cb"])
                p.zcount(bucket_key(b, ":permits"), now, "+inf")
            answers = await p.execute()
        out = []
        for k, b in enumerate(buckets):
            (cap, win, rpm, tpm, cb), inflight = answers[2 * k], answers[2 * k + 1]
            provider, model = msgspec.json.decode(b)
            out.append(BucketState(
                provider=provider, model=model, inflight=int(inflight), concurrency=int(cap or 0),
                window=int(float(win or 0)), rpm=int(rpm or 0), tpm=int(tpm or 0),
                circuit=CIRCUIT_STATES.get((cb or b"closed").decode(), 0)))
        return out

    async def waits(self, job_ids: list[str]) -> dict[str, list[ProviderWait]]:
        """The open circuits each job is waiting on: it asked the bucket since the circuit
        opened and has not been served since. One read when no circuit is open (the
        usual case), two otherwise."""
        opened = await self._r.hgetall(OPEN)
        if not opened or not job_ids:
            return {}
        circuits = [(b.decode(), msgspec.json.decode(v)) for b, v in opened.items()]
        async with self._r.pipeline(transaction=False) as p:
            for b, _ in circuits:
                for j in job_ids:
                    p.zscore(bucket_key(b, ":wait"), j)
            scores = await p.execute()
        fresh = _ms(time.time() - 2 * defaults.LIMIT_WAIT_TTL_SECONDS)
        out: dict[str, list[ProviderWait]] = {}
        k = 0
        for b, c in circuits:
            provider, model = msgspec.json.decode(b)
            for j in job_ids:
                score = scores[k]
                k += 1
                if score is None or score < max(c["since"], fresh):
                    continue
                out.setdefault(j, []).append(ProviderWait(
                    provider=provider, model=model, circuit="half-open" if c["state"] == "half" else "open",
                    since=rfc3339(c["since"] / 1000) if c["since"] else None,
                    retry_at=rfc3339(c["until"] / 1000) if c["state"] == "open" else None,
                    failures=int(c["failures"]), reason=c["reason"]))
        return out
