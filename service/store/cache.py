"""The shared response cache in Redis: a provider's answer to a request, found again by
the request's content, by every worker of every job of the same scope.

Keys (prefix `sg`; `{s}` is the scope: the tenant's name, or `*` when the operator shares
one cache between tenants, SYNTHGEN_CACHE_SCOPE=global):
- `sg:cache:{s}:{h}`      string with TTL: the answer (a Completion as JSON) of the request
                          whose content hash is `h` (pipeline/cache.py `request_hash`)
- `sg:cache:{s}:index`    sorted set: `h` -> its place in the order of storing; bounds the entries
- `sg:cache:{s}:seq`      counter: the last place given (a clock would tie within a millisecond)

PUT stores an answer and, past SYNTHGEN_CACHE_MAX_ENTRIES entries in the scope, drops
the oldest (an expired entry is dropped from the index the same way, as its turn
comes), in one atomic step, so concurrent writers cannot push the index past its bound.
Two workers that miss the same request at once both call the provider and both store
the same content: the cache saves repeats across runs, it does not coalesce requests
in flight.
"""

from __future__ import annotations

import redis.asyncio as aredis

from service import defaults

P = defaults.KEY_PREFIX
GLOBAL = "*"

# KEYS: entry, index, seq. ARGV: hash, value, ttl (s), max entries, entry key prefix.
PUT = """
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #old, 2 do redis.call('DEL', ARGV[5] .. old[i]) end
end
return over
"""


def entry_prefix(scope: str) -> str:
    return f"{P}:cache:{scope}:"


def index_key(scope: str) -> str:
    return f"{P}:cache:{scope}:index"


class CacheStore:
    """GET and PUT of cached answers (see the module docstring)."""

    def __init__(self, client: aredis.Redis):
        self._r = client
        self._put = client.register_script(PUT)

    async def get(self, scope: str, h: str) -> bytes | None:
        value: bytes | None = await self._r.get(entry_prefix(scope) + h)
        return value

    async def put(self, scope: str, h: str, value: bytes, *, ttl: float, max_entries: int) -> None:
        prefix = entry_prefix(scope)
        await self._put(keys=[prefix + h, index_key(scope), f"{P}:cache:{scope}:seq"],
                        args=[h, value, max(1, int(ttl)), max(1, max_entries), prefix])

    async def size(self, scope: str) -> int:
        return int(await self._r.zcard(index_key(scope)))
