"""Settings: read once from SYNTHGEN_* environment variables.

| variable | default | meaning |
|---|---|---|
| SYNTHGEN_REDIS_URL | (unset: embedded redis-server) | Redis/Valkey URL shared by API and workers |
| SYNTHGEN_QDRANT_URL | (unset: embedded) | Qdrant server for near-duplicate detection |
| SYNTHGEN_PROVIDERS | (unset: the embedded `local` SmolLM2 provider) | path of the providers TOML file |
| SYNTHGEN_API_KEYS | (unset: embedded mode makes one key) | `key=tenant` pairs, comma separated |
| SYNTHGEN_API_KEYS_FILE | | file with one `key=tenant` per line |
| SYNTHGEN_SEED_FILES | | `name=path` pairs: seed task files jobs may name |
| SYNTHGEN_PROMPT_FILES | | `name=path` pairs: prompt files jobs may name |
| SYNTHGEN_BENCHMARKS | | `name=path` pairs: benchmark sets for decontamination (JSONL with `prompt`, or text lines) |
| SYNTHGEN_EMBEDDINGS_URL | (unset: embedded MiniLM) | OpenAI-compatible /v1 base URL serving /embeddings |
| SYNTHGEN_EMBEDDINGS_MODEL | | model name sent to that server |
| SYNTHGEN_EMBEDDINGS_KEY_ENV | | name of the env var holding that server's key |
| SYNTHGEN_EMBEDDINGS_DIM | 384 | dimension that server returns (checked on every answer) |
| SYNTHGEN_HOST / SYNTHGEN_PORT | 127.0.0.1 / 8000 | where `synthgen serve` listens |
| SYNTHGEN_STATE_DIR | .synthgen | embedded Redis data, generated API key, logs |
| SYNTHGEN_WORKERS | 1 | worker processes `synthgen serve` starts in embedded mode |
| SYNTHGEN_LEASE_SECONDS | 4 | a running job whose worker is silent this long is resumed elsewhere |
| SYNTHGEN_MAX_WORKER_CRASHES | 3 | worker deaths on one job before it ends `failed` (worker-crashed) |
| SYNTHGEN_REDIS_POOL | 64 | async Redis connections per API process; a burst waits for one (bounded) |
| SYNTHGEN_QUEUE | synthgen | RQ queue name |
| SYNTHGEN_LOG_LEVEL | INFO | log level |
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import msgspec

from service import defaults


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """All configuration of one process, read from the environment once."""

    redis_url: str | None = None
    qdrant_url: str | None = None
    providers_file: str | None = None
    # sha256(key) -> tenant; raw keys are never kept, so nothing can print them.
    api_key_hashes: dict[str, str] = {}
    seed_files: dict[str, str] = {}
    prompt_files: dict[str, str] = {}
    benchmark_files: dict[str, str] = {}
    embeddings_url: str | None = None
    embeddings_model: str | None = None
    embeddings_key_env: str | None = None
    embeddings_dim: int = 384
    host: str = "127.0.0.1"
    port: int = defaults.PORT
    state_dir: str = ".synthgen"
    workers: int = 1
    lease_seconds: float = defaults.LEASE_SECONDS
    heartbeat_seconds: float = defaults.HEARTBEAT_SECONDS
    max_worker_crashes: int = defaults.MAX_WORKER_CRASHES
    redis_pool: int = defaults.REDIS_POOL_SIZE
    queue: str = defaults.QUEUE_NAME
    log_level: str = "INFO"

    @property
    def embedded(self) -> bool:
        return not self.redis_url

    def tenant_for_key(self, key: str) -> str | None:
        return self.api_key_hashes.get(hash_key(key))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _pairs(raw: str | None, sep: str = ",") -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (raw or "").split(sep):
        part = part.strip()
        if not part or part.startswith("#"):
            continue
        name, _, value = part.partition("=")
        if not value:
            raise ValueError(f"expected name=value, got {part.split('=')[0]!r}=...")
        out[name.strip()] = value.strip()
    return out


def from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    g = lambda name, default=None: env.get(f"SYNTHGEN_{name}") or default  # noqa: E731
    keys = _pairs(g("API_KEYS"))
    if g("API_KEYS_FILE"):
        keys.update(_pairs(Path(g("API_KEYS_FILE")).read_text(), sep="\n"))
    lease = float(g("LEASE_SECONDS", defaults.LEASE_SECONDS))
    return Settings(
        redis_url=g("REDIS_URL"),
        qdrant_url=g("QDRANT_URL"),
        providers_file=g("PROVIDERS"),
        api_key_hashes={hash_key(k): t for k, t in keys.items()},
        seed_files=_pairs(g("SEED_FILES")),
        prompt_files=_pairs(g("PROMPT_FILES")),
        benchmark_files=_pairs(g("BENCHMARKS")),
        embeddings_url=g("EMBEDDINGS_URL"),
        embeddings_model=g("EMBEDDINGS_MODEL"),
        embeddings_key_env=g("EMBEDDINGS_KEY_ENV"),
        embeddings_dim=int(g("EMBEDDINGS_DIM", 384)),
        host=g("HOST", "127.0.0.1"),
        port=int(g("PORT", defaults.PORT)),
        state_dir=g("STATE_DIR", ".synthgen"),
        workers=int(g("WORKERS", 1)),
        lease_seconds=lease,
        heartbeat_seconds=min(defaults.HEARTBEAT_SECONDS, lease / 3),
        max_worker_crashes=max(1, int(g("MAX_WORKER_CRASHES", defaults.MAX_WORKER_CRASHES))),
        redis_pool=int(g("REDIS_POOL", defaults.REDIS_POOL_SIZE)),
        queue=g("QUEUE", defaults.QUEUE_NAME),
        log_level=g("LOG_LEVEL", "INFO"),
    )


@lru_cache(maxsize=1)
def get() -> Settings:
    """The process's settings, read on first use."""
    return from_env()
