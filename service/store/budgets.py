"""Hard budgets in Redis: a job's `budget` (cost, tokens) and a tenant's daily cost cap,
shared by every worker of every shard through one Lua script per request (RESERVE) and
one when its answer is in (SETTLE).

Keys (prefix `sg`; amounts in nano-dollars, domain/costs.py):
- `sg:job:{id}:budget`  hash: `spent reserved tok_spent tok_reserved`, and per shard k
                        `res:{k} rtok:{k}` (what that shard's requests in flight reserved)
- `sg:quota:{t}:cost_cents_per_day:{yyyymmdd}:n`  hash: the tenant's spend that UTC day:
                        `spent reserved`, `res:{job}:{k}` per job shard (2-day TTL)
- `sg:quota:{t}:cost_cents_per_day:{yyyymmdd}`  string: the same spend in whole cents, the
                        daily quota's counter that ADMIT reads (store/quotas.py), so a
                        tenant over its cap cannot submit more that day

How the overshoot is bounded: before a request is sent, RESERVE adds its worst case
(its prompt at BUDGET_CHARS_PER_TOKEN characters a token plus its max_tokens, at the
model's price) to `reserved`, atomically, and only if `spent + reserved + estimate`
stays within every cap; SETTLE then swaps the reservation for the answer's real cost.
So the requests in flight on every worker together can never spend more than the cap
(as long as each answer costs no more than its estimate), and a refusal comes in two
kinds: `wait` when the in-flight requests' reservations are what stands in the way
(they settle, usually below their worst case, and the request asks again), `stop` when
even `spent + estimate` is over the cap: less than one request's worth is left, and the
job stops. A job therefore ends within one request's worst case below its cap.

A worker that dies with requests in flight leaves their reservations behind; the next
run of that shard clears them (RESET, at claim), so a crash cannot shrink a budget for
good. A request cancelled in flight is settled at 0 (no usage came back).
"""

from __future__ import annotations

import time
from typing import Any

import redis.asyncio as aredis

from service import defaults

P = defaults.KEY_PREFIX
# The daily quota (service/quotas.py LIMITS) the tenant's cost counts toward.
DAILY_COST = "cost_cents_per_day"
NANOS_PER_CENT = 10_000_000
DAY_SECONDS = 86400

# KEYS: job budget, tenant day hash. ARGV: shard field, job id, estimate (nanos), estimate
# (tokens), max cost (nanos, 0: none), max tokens (0: none), tenant cap (nanos, 0: none).
# Returns {'ok'} (reserved), or {'wait'|'stop', limit name, spent, reserved, cap}.
RESERVE = """
local jb, th = KEYS[1], KEYS[2]
local f, job = ARGV[1], ARGV[2]
local est, etok = tonumber(ARGV[3]), tonumber(ARGV[4])
local caps = {{'max_cost_usd', jb, 'spent', 'reserved', est, tonumber(ARGV[5])},
              {'max_tokens', jb, 'tok_spent', 'tok_reserved', etok, tonumber(ARGV[6])},
              {'cost_cents_per_day', th, 'spent', 'reserved', est, tonumber(ARGV[7])}}
for _, c in ipairs(caps) do
  local name, key, sf, rf, amount, cap = c[1], c[2], c[3], c[4], c[5], c[6]
  if cap > 0 then
    local spent = tonumber(redis.call('HGET', key, sf) or '0')
    local reserved = tonumber(redis.call('HGET', key, rf) or '0')
    if spent + reserved + amount > cap then
      local how = (spent + amount > cap) and 'stop' or 'wait'
      return {how, name, tostring(spent), tostring(reserved), tostring(cap)}
    end
  end
end
redis.call('HINCRBY', jb, 'reserved', est)
redis.call('HINCRBY', jb, 'res:' .. f, est)
redis.call('HINCRBY', jb, 'tok_reserved', etok)
redis.call('HINCRBY', jb, 'rtok:' .. f, etok)
redis.call('HINCRBY', th, 'reserved', est)
redis.call('HINCRBY', th, 'res:' .. job .. ':' .. f, est)
redis.call('EXPIRE', th, 2 * 86400)
return {'ok'}
"""

# KEYS: job budget, tenant day hash, tenant day cents. ARGV: shard field, job id, the
# reservation to give back (nanos, tokens; never more than the shard still holds: a
# RESET in between took it already), the real cost (nanos, tokens).
SETTLE = """
local jb, th, cents = KEYS[1], KEYS[2], KEYS[3]
local f, job = ARGV[1], ARGV[2]
local est, etok, cost, tok = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function give(key, total, field, amount)
  local held = tonumber(redis.call('HGET', key, field) or '0')
  local back = math.min(amount, held)
  if back > 0 then
    redis.call('HINCRBY', key, field, -back)
    redis.call('HINCRBY', key, total, -back)
  end
end
give(jb, 'reserved', 'res:' .. f, est)
give(jb, 'tok_reserved', 'rtok:' .. f, etok)
give(th, 'reserved', 'res:' .. job .. ':' .. f, est)
redis.call('HINCRBY', jb, 'spent', cost)
redis.call('HINCRBY', jb, 'tok_spent', tok)
local spent = redis.call('HINCRBY', th, 'spent', cost)
redis.call('EXPIRE', th, 2 * 86400)
redis.call('SET', cents, math.floor(spent / 10000000), 'EX', 2 * 86400)
return spent
"""

# KEYS: job budget, tenant day hash. ARGV: shard field, job id. A new run of a shard:
# what its dead predecessor's requests reserved is given back.
RESET = """
local jb, th, f, job = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
for _, pair in ipairs({{jb, 'reserved', 'res:' .. f}, {jb, 'tok_reserved', 'rtok:' .. f},
                       {th, 'reserved', 'res:' .. job .. ':' .. f}}) do
  local held = tonumber(redis.call('HGET', pair[1], pair[3]) or '0')
  if held > 0 then
    redis.call('HINCRBY', pair[1], pair[2], -held)
    redis.call('HDEL', pair[1], pair[3])
  end
end
return 0
"""


def budget_key(job_id: str) -> str:
    return f"{P}:job:{job_id}:budget"


def _day(now: float) -> str:
    return time.strftime("%Y%m%d", time.gmtime(now))


def tenant_cents_key(tenant: str, now: float) -> str:
    """The daily quota's counter (store/quotas.py usage_key for DAILY_COST)."""
    return f"{P}:quota:{tenant}:{DAILY_COST}:{_day(now)}"


def tenant_day_key(tenant: str, now: float) -> str:
    return tenant_cents_key(tenant, now) + ":n"


class Refusal:
    """A reservation refused: `stop` (less than the request is left) or not (wait for
    the requests in flight to settle); the limit's name and its state, in its unit."""

    __slots__ = ("stop", "limit", "spent", "reserved", "cap")

    def __init__(self, stop: bool, limit: str, spent: int, reserved: int, cap: int):
        self.stop, self.limit, self.spent, self.reserved, self.cap = stop, limit, spent, reserved, cap


class BudgetStore:
    """RESERVE, SETTLE and RESET (see the module docstring), and the tenant's daily cap."""

    def __init__(self, client: aredis.Redis):
        self._r = client
        self._reserve = client.register_script(RESERVE)
        self._settle = client.register_script(SETTLE)
        self._reset = client.register_script(RESET)

    async def reserve(self, job_id: str, tenant: str, shard: int, est_nanos: int, est_tokens: int, *,
                      max_nanos: int, max_tokens: int, tenant_nanos: int) -> Refusal | None:
        """Reserve a request's worst case; None when reserved, else the refusal."""
        now = time.time()
        res = await self._reserve(keys=[budget_key(job_id), tenant_day_key(tenant, now)],
                                  args=[shard, job_id, est_nanos, est_tokens, max_nanos, max_tokens, tenant_nanos])
        if res[0] == b"ok":
            return None
        how, limit, spent, reserved, cap = (x.decode() for x in res)
        return Refusal(how == "stop", limit, int(float(spent)), int(float(reserved)), int(float(cap)))

    async def settle(self, job_id: str, tenant: str, shard: int, est_nanos: int, est_tokens: int,
                     nanos: int, tokens: int) -> None:
        """Give the reservation back and charge the request's real cost."""
        now = time.time()
        await self._settle(keys=[budget_key(job_id), tenant_day_key(tenant, now), tenant_cents_key(tenant, now)],
                           args=[shard, job_id, est_nanos, est_tokens, nanos, tokens])

    async def reset(self, job_id: str, tenant: str, shard: int) -> None:
        """Clear what an earlier run of this shard left reserved (a new run starts)."""
        await self._reset(keys=[budget_key(job_id), tenant_day_key(tenant, time.time())], args=[shard, job_id])

    async def tenant_cap(self, tenant: str, default: int) -> int:
        """The tenant's daily cost cap in nano-dollars (its own value over `default`, in
        cents; 0: none)."""
        own = await self._r.hget(f"{P}:tenant:{tenant}:quotas", DAILY_COST)
        return int(own if own is not None else default) * NANOS_PER_CENT

    async def spent(self, job_id: str) -> dict[str, Any]:
        raw = await self._r.hgetall(budget_key(job_id))
        return {k.decode(): int(v) for k, v in raw.items()}
