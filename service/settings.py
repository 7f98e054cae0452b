"""Settings: read once from SYNTHGEN_* environment variables.

Every variable is declared once, in `SETTINGS` (name, default as documented, help);
`from_env` reads them from there, and the README's configuration table is
`markdown_table()` (tests/test_registries.py fails when the two differ).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

import msgspec

from service import defaults
from service.domain.access import Role, check_role, check_tenant


class BootstrapKey(msgspec.Struct, frozen=True):
    """A key from SYNTHGEN_API_KEYS(_FILE): its tenant and role (`key=tenant[:role]`)."""

    tenant: str
    role: Role


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """All configuration of one process, read from the environment once."""

    redis_url: str | None = None
    qdrant_url: str | None = None
    providers_file: str | None = None
    # sha256(key) -> its tenant and role; raw keys are never kept, so nothing can print them.
    api_key_hashes: dict[str, BootstrapKey] = {}
    seed_files: dict[str, str] = {}
    prompt_files: dict[str, str] = {}
    tool_files: dict[str, str] = {}
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
    parallelism: int = defaults.PARALLELISM
    max_parallelism: int = defaults.MAX_PARALLELISM
    redis_pool: int = defaults.REDIS_POOL_SIZE
    queue: str = defaults.QUEUE_NAME
    log_level: str = "INFO"
    signing_secret: str | None = None
    metrics_token: str | None = None
    quotas: dict[str, int] = {}
    outbound_hosts: list[str] = []
    outbound_private: list[str] = []
    cache_ttl_seconds: float = defaults.CACHE_TTL_SECONDS
    cache_max_entries: int = defaults.CACHE_MAX_ENTRIES
    cache_scope: str = "tenant"
    data_url: str | None = None
    seal_records: int = defaults.SEAL_RECORDS
    seal_seconds: float = defaults.SEAL_SECONDS
    hf_token: str | None = None

    @property
    def embedded(self) -> bool:
        return not self.redis_url

    def bootstrap_key(self, key: str) -> tuple[str, BootstrapKey] | None:
        """(hash, entry) of a bootstrap key, or None. Every entry is compared, in constant
        time, so the time taken says nothing about how close a guess came."""
        digest, found = hash_key(key), None
        for h, entry in self.api_key_hashes.items():
            if hmac.compare_digest(h, digest):
                found = (h, entry)
        return found

    def tenant_for_key(self, key: str) -> str | None:
        found = self.bootstrap_key(key)
        return found[1].tenant if found else None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _bootstrap(value: str) -> BootstrapKey:
    tenant, _, role = value.partition(":")
    return BootstrapKey(tenant=check_tenant(tenant.strip()), role=check_role(role.strip() or "submit"))


def _at_least_one(raw: str) -> int:
    """A count that must be 1 or more: anything lower is taken as 1."""
    return max(1, int(raw))


def _cache_scope(raw: str) -> str:
    if raw not in ("tenant", "global"):
        raise ValueError(f"{raw!r} is not one of tenant, global")
    return raw


def _quotas(raw: str) -> dict[str, int]:
    from service.quotas import parse_quotas

    return parse_quotas(raw)


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _networks(raw: str) -> list[str]:
    import ipaddress

    return [str(ipaddress.ip_network(part, strict=False)) for part in _list(raw)]


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


class Setting(msgspec.Struct, frozen=True):
    """One SYNTHGEN_* variable: the `field` of Settings it sets (None when it feeds
    another field, e.g. API_KEYS_FILE), how its text is read, what it means, and what
    leaving it unset does when the field's default does not say it."""

    name: str
    field: str | None
    parse: Callable[[str], Any]
    help: str
    unset: str = ""

    @property
    def env(self) -> str:
        return f"SYNTHGEN_{self.name}"

    @property
    def shown_default(self) -> str:
        """The default column of the README: the field's default, or the unset text."""
        default = _FIELD_DEFAULTS.get(self.field or "")
        if self.unset or default in (None, "", msgspec.NODEFAULT):
            return self.unset
        return f"{default:g}" if isinstance(default, float) else str(default)


_FIELD_DEFAULTS = {f.name: f.default for f in msgspec.structs.fields(Settings)}

SETTINGS: tuple[Setting, ...] = (
    Setting("REDIS_URL", "redis_url", str, "Redis/Valkey URL shared by API and workers", "unset: embedded redis-server"),
    Setting("QDRANT_URL", "qdrant_url", str, "Qdrant server for embedding dedup, shared by all workers",
            "unset: embedded index"),
    Setting("PROVIDERS", "providers_file", str, "path of the providers TOML file", "unset: the embedded `local` SmolLM2"),
    Setting("API_KEYS", None, _pairs, "bootstrap keys: `key=tenant[:role]` pairs, comma separated (role: `submit` "
            "unless named; docs/security.md)", "unset: embedded mode makes one admin key"),
    Setting("API_KEYS_FILE", None, str, "file with one `key=tenant[:role]` per line"),
    Setting("SEED_FILES", "seed_files", _pairs, "`name=path` pairs of seed task files (JSONL) jobs may name"),
    Setting("PROMPT_FILES", "prompt_files", _pairs,
            "`name=path` pairs of prompt files (JSONL with `prompt`, or text lines)"),
    Setting("TOOL_FILES", "tool_files", _pairs,
            "`name=path` pairs of Python tool modules the tool-calls recipe may run in the code sandbox"),
    Setting("BENCHMARKS", "benchmark_files", _pairs,
            "`name=path` pairs of benchmark sets for decontamination (JSONL with `prompt`, or text lines)"),
    Setting("EMBEDDINGS_URL", "embeddings_url", str, "OpenAI-compatible /v1 base URL serving /embeddings, for dedup",
            "unset: embedded MiniLM"),
    Setting("EMBEDDINGS_MODEL", "embeddings_model", str, "model name sent to that server"),
    Setting("EMBEDDINGS_KEY_ENV", "embeddings_key_env", str, "name of the variable holding that server's key"),
    Setting("EMBEDDINGS_DIM", "embeddings_dim", int, "dimension that server returns (checked on every answer)"),
    Setting("HOST", "host", str, "where `synthgen serve` listens"),
    Setting("PORT", "port", int, "the port `synthgen serve` listens on"),
    Setting("STATE_DIR", "state_dir", str, "embedded Redis data, the generated API key, logs"),
    Setting("WORKERS", "workers", int, "worker processes `synthgen serve` starts in embedded mode"),
    Setting("LEASE_SECONDS", "lease_seconds", float,
            "a running job whose worker is silent this long is resumed elsewhere"),
    Setting("MAX_WORKER_CRASHES", "max_worker_crashes", _at_least_one,
            "worker deaths on one job before it ends `failed` (`worker-crashed`)"),
    Setting("PARALLELISM", "parallelism", _at_least_one,
            "shards a job runs as when its spec names none (scaled down for small jobs: one per "
            f"{defaults.RECORDS_PER_SHARD} records); each shard runs on its own worker"),
    Setting("MAX_PARALLELISM", "max_parallelism", _at_least_one,
            "the most shards a spec's `parallelism` may ask for"),
    Setting("REDIS_POOL", "redis_pool", int,
            "async Redis connections per API process; a burst waits (up to 10 s) for a free one instead of failing"),
    Setting("QUEUE", "queue", str, "RQ queue name"),
    Setting("LOG_LEVEL", "log_level", str, "log level"),
    Setting("SIGNING_SECRET", "signing_secret", str,
            "secret the API signs cursors, review links and sessions with (the same on every replica)",
            "unset: one made once, kept in Redis"),
    Setting("SIGNING_SECRET_FILE", None, str, "file holding the signing secret"),
    Setting("METRICS_TOKEN", "metrics_token", str, "bearer token Prometheus sends to `/metrics`",
            "unset: `/metrics` takes only an admin key"),
    Setting("METRICS_TOKEN_FILE", None, str, "file holding the metrics token"),
    Setting("QUOTAS", "quotas", _quotas, "default per-tenant quotas, `name=value` pairs (0: no limit; "
            "names and defaults in docs/security.md)", "the built-in defaults"),
    Setting("OUTBOUND_HOSTS", "outbound_hosts", _list,
            "hosts a job's webhook may call (`hooks.example.com`, `*.example.com`), comma separated",
            "unset: no webhooks"),
    Setting("OUTBOUND_PRIVATE", "outbound_private", _networks,
            "private, loopback or link-local networks (CIDR) an allowed host may still resolve to",
            "unset: none"),
    Setting("CACHE_TTL_SECONDS", "cache_ttl_seconds", float,
            "how long the shared response cache keeps an answer (jobs with `cache`; docs/costs.md)"),
    Setting("CACHE_MAX_ENTRIES", "cache_max_entries", _at_least_one,
            "answers the response cache keeps per tenant (or in all, global scope); the oldest go first"),
    Setting("CACHE_SCOPE", "cache_scope", _cache_scope,
            "`tenant`: each tenant's jobs share their own cache; `global`: every tenant's jobs share one"),
    Setting("DATA_URL", "data_url", str, "where sealed records and rejects live (Parquet segments; any fsspec URL, "
            "`s3://bucket/prefix` included; docs/datasets.md), shared by API and workers",
            "unset: `{STATE_DIR}/data`"),
    Setting("SEAL_RECORDS", "seal_records", _at_least_one,
            "lines per sealed segment: Redis holds about this many of a job's records (and rejects) at most"),
    Setting("SEAL_SECONDS", "seal_seconds", float,
            "a running job's lines are sealed at least this often, even short of a whole segment"),
    Setting("HF_TOKEN", "hf_token", str, "Hugging Face token `POST /v1/jobs/{id}/push` uploads datasets with "
            "(write access to the target repos; docs/datasets.md)", "unset: no push"),
    Setting("HF_TOKEN_FILE", None, str, "file holding the Hugging Face token"),
)


def markdown_table() -> str:
    """The README's configuration table, from SETTINGS."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.env}` | {s.shown_default} | {s.help} |" for s in SETTINGS]
    return "\n".join(rows)


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `env` (default: os.environ); an empty variable counts as unset.
    Defaults are the Settings fields' own: nothing is written twice."""
    env = dict(os.environ if env is None else env)
    raw = {s.name: env.get(s.env) or None for s in SETTINGS}
    fields: dict[str, Any] = {}
    for s in SETTINGS:
        value = raw[s.name]
        if s.field is not None and value is not None:
            try:
                fields[s.field] = s.parse(value)
            except ValueError as exc:
                raise ValueError(f"{s.env}: {exc}") from None
    keys = _pairs(raw["API_KEYS"])
    if raw["API_KEYS_FILE"]:
        keys.update(_pairs(Path(raw["API_KEYS_FILE"]).read_text(), sep="\n"))
    try:
        fields["api_key_hashes"] = {hash_key(k): _bootstrap(v) for k, v in keys.items()}
    except ValueError as exc:
        raise ValueError(f"SYNTHGEN_API_KEYS: {exc}") from None
    for name, field in (("SIGNING_SECRET_FILE", "signing_secret"), ("METRICS_TOKEN_FILE", "metrics_token"),
                        ("HF_TOKEN_FILE", "hf_token")):
        path = raw[name]
        if path and field not in fields:  # a secret from a mounted file (a Kubernetes/compose secret)
            fields[field] = Path(path).read_text().strip() or None
    lease = fields.get("lease_seconds", defaults.LEASE_SECONDS)
    fields["heartbeat_seconds"] = min(defaults.HEARTBEAT_SECONDS, lease / 3)
    return Settings(**fields)


@lru_cache(maxsize=1)
def get() -> Settings:
    """The process's settings, read on first use."""
    return from_env()
