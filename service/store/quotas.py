"""Per-tenant quota state in Redis, shared by every API replica; the limits themselves
are declared in service/quotas.py.

Keys (prefix `sg`):
- `sg:tenant:{t}:quotas`            hash: limit name -> the tenant's own value (admin API,
                                    `synthgen quotas set`); absent: the deployment default
- `sg:quota:{t}:{name}`             string: a `rate` limit's theoretical arrival time (GCRA)
- `sg:quota:{t}:{name}:{yyyymmdd}`  string: a `daily` limit's use on that UTC day (2-day TTL)
- `sg:quota:{t}:{name}:jobs`        sorted set: a `concurrent` limit's jobs -> admission time

ADMIT checks every limit of a submission and, only when all pass, charges them all, in
one atomic step: two replicas admitting at once cannot both take the last place, and a
submission refused by one limit is not charged by another.

When does a job stop counting toward `concurrent`? Counted from the store, with no
hook in the worker: a job leaves `sg:jobs:active` (store/jobs.py) in the same Lua step
that makes it final (TRANSITION, CANCEL, REAP's worker-crashed), so ADMIT drops every
member that is no longer active before counting. A member admitted but not yet created
(its job hash does not exist yet) is kept for ORPHAN_SECONDS, then dropped: a submit that
died between admission and creation gives its place back.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import redis.asyncio as aredis

from service import defaults
from service.store.jobs import ACTIVE, job_key

P = defaults.KEY_PREFIX
Kind = Literal["rate", "concurrent", "daily", "per_job", "retention"]
# An admitted job whose hash never appeared is dropped from `concurrent` after this long.
ORPHAN_SECONDS = 60

# KEYS: overrides hash, active set, then one key per limit. ARGV: now, job id, job key
# prefix, orphan seconds, then per limit (name, kind, default, amount, period). A `rate`
# period is its window; a `daily` period is the time left in the day (the retry wait).
# Returns {} when admitted (and charged), else {name, limit, retry_after, used, never}:
# `never` is '1' when the amount alone exceeds the limit (retrying cannot help).
# A limit of 0 is no limit; `daily` and `concurrent` are charged even then, so a limit
# set later counts what is already in use.
ADMIT = """
local now, job, prefix, orphan = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local plan = {}
local n = (#ARGV - 4) / 5
for i = 1, n do
  local a = 4 + (i - 1) * 5
  local name, kind, amount, period = ARGV[a+1], ARGV[a+2], tonumber(ARGV[a+4]), tonumber(ARGV[a+5])
  local limit = tonumber(redis.call('HGET', KEYS[1], name) or ARGV[a+3])
  local key = KEYS[2 + i]
  local used = 0
  local refuse, wait = false, 0
  if kind == 'rate' then
    if limit > 0 then
      local tat = tonumber(redis.call('GET', key) or '0')
      if tat < now then tat = now end
      local new = tat + amount * period / limit
      if new - period > now then refuse, wait = true, new - period - now end
      plan[i] = new
    end
  elseif kind == 'daily' then
    used = tonumber(redis.call('GET', key) or '0')
    if limit > 0 and (used + amount > limit or used >= limit) then refuse, wait = true, period end
  elseif kind == 'concurrent' then
    local members = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    for j = 1, #members, 2 do
      local id, since = members[j], tonumber(members[j + 1])
      if redis.call('SISMEMBER', KEYS[2], id) == 0 and
         (redis.call('EXISTS', prefix .. id) == 1 or since < now - orphan) then
        redis.call('ZREM', key, id)
      end
    end
    used = redis.call('ZCARD', key)
    if limit > 0 and used + amount > limit then refuse, wait = true, period end
  elseif kind == 'per_job' then
    if limit > 0 and amount > limit then refuse = true end
  end
  if refuse then
    local never = (limit > 0 and amount > limit) and '1' or '0'
    return {name, tostring(limit), tostring(wait), tostring(used), never}
  end
end
for i = 1, n do
  local a = 4 + (i - 1) * 5
  local kind, amount, period = ARGV[a+2], tonumber(ARGV[a+4]), tonumber(ARGV[a+5])
  local key = KEYS[2 + i]
  if kind == 'rate' and plan[i] then
    redis.call('SET', key, tostring(plan[i]), 'PX', math.ceil((plan[i] - now + 1) * 1000))
  elseif kind == 'daily' and amount > 0 then
    redis.call('INCRBY', key, amount)
    redis.call('EXPIRE', key, 2 * 86400)
  elseif kind == 'concurrent' then
    redis.call('ZADD', key, now, job)
  end
end
return {}
"""


def overrides_key(tenant: str) -> str:
    return f"{P}:tenant:{tenant}:quotas"


def usage_key(tenant: str, name: str, kind: Kind, day: str) -> str:
    if kind == "daily":
        return f"{P}:quota:{tenant}:{name}:{day}"
    if kind == "concurrent":
        return f"{P}:quota:{tenant}:{name}:jobs"
    return f"{P}:quota:{tenant}:{name}"


def utc_day(now: float) -> str:
    return time.strftime("%Y%m%d", time.gmtime(now))


class QuotaStore:
    """The Redis side of the quotas: admit-and-charge, charge, usage, overrides."""

    def __init__(self, client: aredis.Redis):
        self._r = client
        self._admit = client.register_script(ADMIT)

    async def admit(self, tenant: str, job_id: str, limits: list[tuple[str, Kind, int, int, float]],
                    now: float) -> tuple[str, int, float, int, bool] | None:
        """Check `limits` [(name, kind, default, amount, period)] for one submission and
        charge them all if every one passes. None when admitted, else the refusal:
        (name, limit, retry after, in use, never)."""
        day = utc_day(now)
        keys = [overrides_key(tenant), ACTIVE, *(usage_key(tenant, n, k, day) for n, k, _, _, _ in limits)]
        args: list[Any] = [repr(now), job_id, job_key(""), ORPHAN_SECONDS]
        for name, kind, default, amount, period in limits:
            args += [name, kind, default, amount, repr(period)]
        res = await self._admit(keys=keys, args=args)
        if not res:
            return None
        name, limit, wait, used, never = (x.decode() for x in res)
        return name, int(limit), float(wait), int(used), never == "1"

    async def charge(self, tenant: str, name: str, amount: int, now: float | None = None) -> None:
        """Add use to a `daily` limit after the fact (what a job spent as it ran)."""
        key = usage_key(tenant, name, "daily", utc_day(now or time.time()))
        async with self._r.pipeline(transaction=True) as p:
            p.incrby(key, amount)
            p.expire(key, 2 * 86400)
            await p.execute()

    async def usage(self, tenant: str, limits: list[tuple[str, Kind]], now: float) -> dict[str, int]:
        """What the tenant uses now of each `daily` and `concurrent` limit."""
        day = utc_day(now)
        out: dict[str, int] = {}
        for name, kind in limits:
            key = usage_key(tenant, name, kind, day)
            if kind == "daily":
                out[name] = int(await self._r.get(key) or 0)
            elif kind == "concurrent":
                members = [m.decode() for m in await self._r.zrange(key, 0, -1)]
                active = await self._r.smismember(ACTIVE, members) if members else []
                out[name] = sum(1 for a in active if a)
        return out

    async def overrides(self, tenant: str) -> dict[str, int]:
        raw = await self._r.hgetall(overrides_key(tenant))
        return {k.decode(): int(v) for k, v in raw.items()}

    async def set_overrides(self, tenant: str, values: dict[str, int | None]) -> dict[str, int]:
        """Set the tenant's own values (None: back to the deployment default)."""
        key = overrides_key(tenant)
        async with self._r.pipeline(transaction=True) as p:
            for name, value in values.items():
                if value is None:
                    p.hdel(key, name)
                else:
                    p.hset(key, name, value)
            await p.execute()
        return await self.overrides(tenant)
