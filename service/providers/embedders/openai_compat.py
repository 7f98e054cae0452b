"""The `openai-compatible` embedder kind (production): any `/v1/embeddings` server (TEI,
vLLM, Ollama, OpenAI), batched requests over aiohttp, retried on 429/5xx with backoff
that honours Retry-After (the loop providers share: service/providers/http.py).

- `base_url` follows the providers file convention: it includes the version prefix
  (``http://host:8080/v1``); the embedder posts to ``{base_url}/embeddings``.
- `dim` is required: the vector index has to be created with it before the first call.
  Every answer is checked against it; the request does not send OpenAI's `dimensions`
  field, because TEI/Ollama reject or ignore it.
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

import aiohttp
import msgspec
import numpy as np

from service import defaults
from service.providers.base import ProviderError, Slots
from service.providers.embedders.base import DEFAULT_BATCH_SIZE, Embedder, EmbedderKind, normalise_rows
from service.providers.http import post_with_retry
from service.redact import snippet

# Embedding requests in flight at once per OpenAIEmbedder.
DEFAULT_CONCURRENCY = 4
FATAL_EMBED_STATUS = frozenset({400, 401, 403, 404, 422})


class OpenAIEmbedderConfig(EmbedderKind, frozen=True, kw_only=True, forbid_unknown_fields=True,
                           tag="openai-compatible"):
    """An OpenAI-compatible /v1/embeddings server."""

    base_url: str
    model: str
    dim: int
    api_key_env: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    max_retries: int = defaults.PROVIDER_MAX_RETRIES
    timeout: float = defaults.PROVIDER_TIMEOUT_SECONDS

    def check(self) -> None:
        for field in ("base_url", "model", "dim"):
            if getattr(self, field) in (None, ""):
                raise ValueError(f"{field} is required for kind 'openai-compatible'")
        if not 1 <= self.dim <= 65536:
            raise ValueError("dim must be between 1 and 65536")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.timeout <= 0:
            raise ValueError("timeout must be > 0")

    def open(self) -> Embedder:
        return OpenAIEmbedder(
            base_url=self.base_url, model=self.model, dim=self.dim, api_key_env=self.api_key_env,
            batch_size=self.batch_size, concurrency=self.concurrency, max_retries=self.max_retries,
            timeout=self.timeout,
        )


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
