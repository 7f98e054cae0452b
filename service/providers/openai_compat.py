"""OpenAI-compatible provider over aiohttp (vLLM, llama.cpp server, Ollama, TGI, OpenAI).

Retries 429, 5xx, timeouts, connection errors and malformed 200 answers (a body that is
not JSON, is empty or has no choices: a proxy cutting a response, a server restarting
mid-write) with exponential backoff and full jitter, honouring Retry-After (seconds or
HTTP date), through the loop embedders share (service/providers/http.py); only when
retries run out does the item become a reject. Each attempt is
counted in synthgen_provider_requests_total{outcome=ok|malformed|error|http_NNN}.
401/403/404 are fatal: a wrong key or base URL will not fix itself, so the job fails
instead of burning its budget.

Two timeouts bound a call: `timeout` (total, per attempt) and `stall_timeout` (no bytes
read for that long). The stall timeout frees a lane held by a hung connection (a server
that accepted the request and went silent) without waiting for the total. A
non-streaming answer arrives in one piece when the model is done, so the stall clock
covers the model's compute time too: keep stall_timeout above the slowest single
answer you expect (the default, 60 s, covers ~2k tokens at 35 tokens/s).

Limits: each model's calls wait in that model's lane, from the worker's fleet-wide
limiter (in-flight concurrency, rpm, tpm, 429 backoff and circuit breaker shared by
every worker; worker/limiter.py) unless `limits_scope = "process"`. A request's token
estimate for tpm is its text at ~4 characters a token plus max_tokens (base.py
`estimate_tokens`), corrected by the `usage` the answer reports.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Callable

import msgspec
from msgspec import Meta

from service import defaults
from service.domain.limits import Limits
from service.providers.base import (
    CallStats,
    Completion,
    LaneSource,
    LocalLanes,
    ModelLanes,
    Provider,
    ProviderError,
    ProviderKind,
    estimate_tokens,
)
from service.providers.batches import BatchOptions, BatchState, options_of
from service.providers.http import decode_answer, post_with_retry, provider_session
from service.providers.openai_batch import Batcher

FATAL_STATUS = frozenset({401, 403, 404})


class _CompletionDetails(msgspec.Struct):
    reasoning_tokens: int = 0


class _Usage(msgspec.Struct):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    completion_tokens_details: _CompletionDetails | None = None


class _Message(msgspec.Struct):
    content: str | None = None
    # reasoning models: DeepSeek, vLLM and SGLang name it reasoning_content; OpenRouter and Ollama reasoning
    reasoning_content: str | None = None
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] | None = None


class _ChatChoice(msgspec.Struct):
    message: _Message
    finish_reason: str | None = None


class _TextChoice(msgspec.Struct):
    text: str = ""
    finish_reason: str | None = None


class _ChatResponse(msgspec.Struct):
    choices: list[_ChatChoice]
    usage: _Usage | None = None
    model: str | None = None
    system_fingerprint: str | None = None


class _TextResponse(msgspec.Struct):
    choices: list[_TextChoice]
    usage: _Usage | None = None
    model: str | None = None
    system_fingerprint: str | None = None


def _tokens(resp: Any) -> int | None:
    """The tokens an answer reports (prompt + completion), None when it reports none."""
    return resp.usage.prompt_tokens + resp.usage.completion_tokens if resp.usage is not None else None


_chat_decoder = msgspec.json.Decoder(_ChatResponse)
_text_decoder = msgspec.json.Decoder(_TextResponse)
_encoder = msgspec.json.Encoder()


class _ModelTally:
    """Attempts and retries of one call, counted per provider and model."""

    def __init__(self, stats: CallStats, provider: str, model: str):
        self._stats, self._provider, self._model = stats, provider, model

    def attempt(self, outcome: str, seconds: float) -> None:
        self._stats.request(self._provider, self._model, outcome, seconds)

    def retry(self) -> None:
        self._stats.retry(self._provider)


class OpenAICompatible:
    """A provider speaking the OpenAI chat/completions HTTP API."""

    kind = "openai-compatible"

    def __init__(
        self, *, name: str, base_url: str, models: list[str], api_key_env: str | None,
        concurrency: int, timeout: float, max_retries: int, licence: str,
        supports_raw: bool, stats: CallStats, stall_timeout: float = defaults.PROVIDER_STALL_SECONDS,
        lanes: LaneSource | None = None, limits: Callable[[str], Limits] | None = None,
        batch: BatchOptions | None = None,
    ):
        self.name = name
        self.models = models
        self.licence = licence
        self.supports_raw = supports_raw
        self._base = base_url.rstrip("/")
        self._stats = stats
        self._max_retries = max_retries
        self.batch = batch  # takes batches (batch mode), with these options; None: online only
        # One lane per model (a bucket of the fleet-wide limits, or a local window).
        self._lanes = ModelLanes(name, lanes or LocalLanes(concurrency),
                                 limits or OpenAICompatibleConfig(concurrency=concurrency).limits_for)
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(api_key_env) if api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._session = provider_session(headers, concurrency=concurrency, timeout=timeout,
                                         stall_timeout=stall_timeout)

    async def chat(self, messages: list[dict[str, str]], *, model: str, params: dict[str, Any]) -> Completion:
        body = {"model": model, "messages": messages, **params}
        chars = sum(len(m.get("content") or "") for m in messages)
        resp = await self._post("/chat/completions", body, _chat_decoder, model, estimate_tokens(chars, params))
        choice = resp.choices[0]
        m = choice.message
        c = self._completion(resp, m.content or "", choice.finish_reason, model,
                             reasoning=m.reasoning_content or m.reasoning)
        c.tool_calls = m.tool_calls
        return c

    async def complete(self, prompt: str, *, model: str, params: dict[str, Any]) -> Completion:
        body = {"model": model, "prompt": prompt, **params}
        resp = await self._post("/completions", body, _text_decoder, model, estimate_tokens(len(prompt), params))
        choice = resp.choices[0]
        return self._completion(resp, choice.text, choice.finish_reason, model)

    def batcher(self, model: str, state: BatchState) -> Batcher:
        """The batch path of `model` for one job run (providers/openai_batch.py)."""
        assert self.batch is not None
        return Batcher(session=self._session, base=self._base, name=self.name, model=model,
                       options=self.batch, state=state)

    def batch_completion(self, raw: bytes, model: str, seconds: float) -> Completion:
        """A batch output line's chat body as a Completion (counted as one request)."""
        resp, why = self._decode(raw, _chat_decoder)
        if resp is None:
            self._stats.request(self.name, model, "malformed", seconds)
            raise ProviderError(f"{self.name}: batch answer unusable: {why}")
        self._stats.request(self.name, model, "ok", seconds)
        choice = resp.choices[0]
        m = choice.message
        c = self._completion(resp, m.content or "", choice.finish_reason, model,
                             reasoning=m.reasoning_content or m.reasoning)
        c.tool_calls = m.tool_calls
        c.batch = True
        return c

    def _completion(self, resp: Any, text: str, finish: str | None, model: str,
                    reasoning: str | None = None) -> Completion:
        usage = resp.usage or _Usage()
        self._stats.tokens(self.name, model, usage.prompt_tokens, usage.completion_tokens)
        details = usage.completion_tokens_details
        return Completion(
            text=text, finish_reason=finish, tokens_in=usage.prompt_tokens,
            tokens_out=usage.completion_tokens, model=resp.model or model, reasoning=reasoning,
            tokens_reasoning=details.reasoning_tokens if details is not None else 0,
            system_fingerprint=resp.system_fingerprint,
        )

    async def _post(self, path: str, body: dict[str, Any], decoder: msgspec.json.Decoder, model: str,
                    cost: int) -> Any:
        return await post_with_retry(
            self._session, self._base + path, _encoder.encode(body), cost=cost, usage=_tokens,
            lane=self._lanes.of(model), tally=_ModelTally(self._stats, self.name, model), max_retries=self._max_retries,
            label=self.name, accept=lambda raw: self._decode(raw, decoder), fatal_status=FATAL_STATUS,
            fatal_message=lambda status, _raw: (
                f"{self.name} answered {status} for {path}; check its base_url, model and key"),
        )

    @staticmethod
    def _decode(raw: bytes, decoder: msgspec.json.Decoder) -> tuple[Any, str]:
        """The parsed answer, or (None, why it is unusable)."""
        return decode_answer(raw, decoder, lambda resp: None if resp.choices else "response has no choices")

    async def aclose(self) -> None:
        await self._lanes.aclose()
        await self._session.close()


class OpenAICompatibleConfig(ProviderKind, tag="openai-compatible", kw_only=True, forbid_unknown_fields=True):
    """`kind = "openai-compatible"`: vLLM, llama.cpp server, Ollama, TGI, OpenAI."""

    base_url: str | None = None
    api_key_env: str | None = None
    timeout: Annotated[float, Meta(gt=0)] = defaults.PROVIDER_TIMEOUT_SECONDS
    stall_timeout: Annotated[float, Meta(gt=0)] = defaults.PROVIDER_STALL_SECONDS
    max_retries: Annotated[int, Meta(ge=0, le=20)] = defaults.PROVIDER_MAX_RETRIES
    # Batch mode (docs/costs.md): the provider takes the OpenAI Batch API (/v1/files,
    # /v1/batches); a job whose deadline allows it sends its chat requests that way.
    batch: bool = False
    batch_poll_seconds: Annotated[float, Meta(gt=0)] = defaults.BATCH_POLL_SECONDS
    batch_collect_seconds: Annotated[float, Meta(ge=0)] = defaults.BATCH_COLLECT_SECONDS
    batch_max_requests: Annotated[int, Meta(ge=1, le=defaults.BATCH_MAX_REQUESTS)] = defaults.BATCH_MAX_REQUESTS
    batch_max_bytes: Annotated[int, Meta(ge=1024, le=defaults.BATCH_MAX_BYTES)] = defaults.BATCH_MAX_BYTES

    def check(self, name: str) -> None:
        if not self.base_url:
            raise ValueError(f"provider {name!r}: base_url is required")
        if not self.models:
            raise ValueError(f"provider {name!r}: models must list at least one model")

    def open(self, name: str, stats: CallStats, concurrency: int, lanes: LaneSource | None = None) -> Provider:
        return OpenAICompatible(
            name=name, base_url=self.base_url or "", models=self.models, api_key_env=self.api_key_env,
            concurrency=min(self.concurrency, concurrency), timeout=self.timeout, stall_timeout=self.stall_timeout,
            max_retries=self.max_retries, licence=self.licence, supports_raw=self.supports_raw, stats=stats,
            lanes=self.lanes(lanes, concurrency), limits=self.limits_for,
            batch=options_of(self),
        )
