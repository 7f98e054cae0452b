"""Providers configured on the server (TOML), opened per job by name.

```toml
[providers.teacher]
kind = "openai-compatible"          # or "anthropic" (Messages API), "local"
base_url = "http://127.0.0.1:8001/v1"
api_key_env = "TEACHER_API_KEY"     # the key itself never enters the config or the API
models = ["llama-3.1-70b-instruct", "llama-3.1-8b-instruct"]
concurrency = 256                   # requests in flight, fleet-wide, per model (adapts down on 429)
rpm = 6000                          # requests per minute, fleet-wide, per model (optional)
tpm = 2000000                       # tokens per minute, fleet-wide, per model (optional)
limits_scope = "fleet"              # or "process": each worker process limits itself (no rpm/tpm/breaker)
circuit_failures = 5                # failed attempts in a row (over >= circuit_seconds) open the circuit
circuit_seconds = 1.0
circuit_cooldown = 5.0              # then one probe after this (doubling per failed probe, <= 60 s)
circuit_wait = 600                  # a job waits this long on an open circuit, then fails provider-unavailable
timeout = 120                       # seconds per attempt, in total
stall_timeout = 60                  # seconds with no byte read (a hung connection)
max_retries = 6
supports_raw = true                 # serves /v1/completions (Self-Instruct, Magpie)
structured_outputs = true           # takes response_format json_schema (else the schema goes in the prompt)
licence = "llama3.1"                # terms tag carried by every record
batch = false                       # true: takes the OpenAI Batch API (/v1/files, /v1/batches; the
                                    # anthropic kind: Message Batches, /v1/messages/batches); a job
                                    # whose `deadline` is >= 24 h away batches its chat requests
                                    # (batch_poll_seconds, batch_collect_seconds, batch_max_requests,
                                    # batch_max_bytes: docs/costs.md, "Provider batch mode")

[providers.teacher.model_limits."llama-3.1-8b-instruct"]
concurrency = 512                   # a model's own limits override the provider's
rpm = 20000

[providers.teacher.prices."llama-3.1-70b-instruct"]
input = 0.60                        # US dollars per million prompt tokens
output = 0.80                       # per million answer tokens
batch_discount = 0.5                # its batch endpoint's price is half (optional)
```
The limits apply to each model separately and are shared by every worker on every
machine through Redis (docs/operations.md, "Provider limits"). A tpm request counts
its text at ~4 characters a token plus its max_tokens until the answer's usage says.
With no file configured, one provider named `local` (the embedded SmolLM2) exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Union

import msgspec

from service.domain.costs import Price
from service.providers.anthropic import AnthropicConfig
from service.providers.base import CallStats, LaneSource, Provider, ProviderKind
from service.providers.local import MODEL_ID, LocalConfig
from service.providers.openai_compat import OpenAICompatibleConfig

# Every provider kind, registered once: its config class (tagged with the kind's name)
# checks and opens itself.
KINDS: tuple[type[ProviderKind], ...] = (OpenAICompatibleConfig, AnthropicConfig, LocalConfig)
ProviderConfig = Union[KINDS]  # type: ignore[valid-type]


class ProvidersFile(msgspec.Struct, forbid_unknown_fields=True):
    providers: dict[str, ProviderConfig]


class ProviderInfo(msgspec.Struct):
    """What GET /v1/providers shows: no URLs, no keys."""

    name: str
    kind: str
    models: list[str]
    supports_raw: bool
    licence: str


EMBEDDED: dict[str, ProviderKind] = {
    "local": LocalConfig(models=[MODEL_ID], concurrency=1, licence="apache-2.0", supports_raw=True)
}


class Registry:
    """The providers this process knows, by name."""

    def __init__(self, configs: dict[str, ProviderKind]):
        for name, cfg in configs.items():
            cfg.check(name)
            cfg.check_limits(name)
        self.configs = configs

    @classmethod
    def load(cls, path: str | None) -> "Registry":
        if not path:
            return cls(dict(EMBEDDED))
        data = msgspec.toml.decode(Path(path).read_bytes(), type=ProvidersFile)
        return cls(data.providers)

    def info(self, tenant: str | None = None) -> list[ProviderInfo]:
        """The providers `tenant` may use (None: all)."""
        return [
            ProviderInfo(name=n, kind=c.kind, models=c.default_models(), supports_raw=c.supports_raw, licence=c.licence)
            for n, c in sorted(self.configs.items()) if c.usable_by(tenant)
        ]

    def price(self, name: str, model: str) -> Price | None:
        """What `model` at provider `name` costs; None when no price is configured."""
        cfg = self.configs.get(name)
        return cfg.price(model) if cfg is not None else None

    def default_model(self, name: str) -> str:
        return self.configs[name].default_models()[0]

    def open(self, name: str, stats: CallStats, concurrency: int, lanes: LaneSource | None = None) -> Provider:
        """Provider `name` for one job run: `concurrency` is the job's, `lanes` the worker's
        fleet limiter bound to the job (None: limits kept in this process)."""
        return self.configs[name].open(name, stats, concurrency, lanes)
