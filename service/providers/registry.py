"""Providers configured on the server (TOML), opened per job by name.

```toml
[providers.teacher]
kind = "openai-compatible"          # or "local"
base_url = "http://127.0.0.1:8001/v1"
api_key_env = "TEACHER_API_KEY"     # the key itself never enters the config or the API
models = ["llama-3.1-70b-instruct"]
concurrency = 256
timeout = 120                       # seconds per attempt, in total
stall_timeout = 60                  # seconds with no byte read (a hung connection)
max_retries = 6
supports_raw = true                 # serves /v1/completions (Self-Instruct, Magpie)
licence = "llama3.1"                # terms tag carried by every record
```
With no file configured, one provider named `local` (the embedded SmolLM2) exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service import defaults
from service.providers.base import CallStats, Provider
from service.providers.local import MODEL_ID, LocalLlama
from service.providers.openai_compat import OpenAICompatible


class ProviderConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One configured provider."""

    kind: Literal["openai-compatible", "local"]
    models: list[str] = []
    base_url: str | None = None
    api_key_env: str | None = None
    concurrency: Annotated[int, Meta(ge=1, le=4096)] = 64
    timeout: Annotated[float, Meta(gt=0)] = defaults.PROVIDER_TIMEOUT_SECONDS
    stall_timeout: Annotated[float, Meta(gt=0)] = defaults.PROVIDER_STALL_SECONDS
    max_retries: Annotated[int, Meta(ge=0, le=20)] = defaults.PROVIDER_MAX_RETRIES
    supports_raw: bool = True
    licence: str = "unknown"
    model_path: str | None = None
    n_ctx: int = 2048
    n_threads: int = 2


class ProvidersFile(msgspec.Struct, forbid_unknown_fields=True):
    providers: dict[str, ProviderConfig]


class ProviderInfo(msgspec.Struct):
    """What GET /v1/providers shows: no URLs, no keys."""

    name: str
    kind: str
    models: list[str]
    supports_raw: bool
    licence: str


EMBEDDED = {
    "local": ProviderConfig(
        kind="local", models=[MODEL_ID], concurrency=1, licence="apache-2.0", supports_raw=True
    )
}


class Registry:
    """The providers this process knows, by name."""

    def __init__(self, configs: dict[str, ProviderConfig]):
        for name, cfg in configs.items():
            if cfg.kind == "openai-compatible" and not cfg.base_url:
                raise ValueError(f"provider {name!r}: base_url is required")
            if cfg.kind == "openai-compatible" and not cfg.models:
                raise ValueError(f"provider {name!r}: models must list at least one model")
        self.configs = configs

    @classmethod
    def load(cls, path: str | None) -> "Registry":
        if not path:
            return cls(dict(EMBEDDED))
        data = msgspec.toml.decode(Path(path).read_bytes(), type=ProvidersFile)
        return cls(data.providers)

    def info(self) -> list[ProviderInfo]:
        return [
            ProviderInfo(name=n, kind=c.kind, models=c.models or [MODEL_ID], supports_raw=c.supports_raw, licence=c.licence)
            for n, c in sorted(self.configs.items())
        ]

    def default_model(self, name: str) -> str:
        cfg = self.configs[name]
        return cfg.models[0] if cfg.models else MODEL_ID

    def open(self, name: str, stats: CallStats, concurrency: int) -> Provider:
        cfg = self.configs[name]
        if cfg.kind == "local":
            return LocalLlama(
                name=name, models=cfg.models, model_path=cfg.model_path, n_ctx=cfg.n_ctx,
                n_threads=cfg.n_threads, licence=cfg.licence, stats=stats,
            )
        return OpenAICompatible(
            name=name, base_url=cfg.base_url or "", models=cfg.models, api_key_env=cfg.api_key_env,
            concurrency=min(cfg.concurrency, concurrency), timeout=cfg.timeout, stall_timeout=cfg.stall_timeout,
            max_retries=cfg.max_retries, licence=cfg.licence, supports_raw=cfg.supports_raw,
            stats=stats,
        )
