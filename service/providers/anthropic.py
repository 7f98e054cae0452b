"""Anthropic Messages API provider over aiohttp (`kind = "anthropic"`).

`POST {base_url}/messages` with `x-api-key` and `anthropic-version` headers, through the
retry loop every provider shares (service/providers/http.py: 429 and 5xx retried with
Retry-After honoured, Anthropic's 529 "overloaded" retried too and told to the lane as
throttled, malformed 200s retried, 401/403/404 fatal) and the model's lane (the fleet
limiter's, worker/limiter.py, unless `limits_scope = "process"`).

The mapping from what recipes send (OpenAI-style messages and sampling):
- `system` messages become the request's top-level `system` (joined), consecutive
  messages of one role are joined (the API wants user and assistant to alternate);
- sampling: `temperature`, `top_p`, `max_tokens` (required by the API: MAX_TOKENS when
  the job sets none), `stop` as `stop_sequences`; `seed`, `presence_penalty` and
  `frequency_penalty` have no Anthropic equivalent and are not sent;
- the answer: its text blocks joined; `stop_reason` "max_tokens" becomes finish_reason
  "length" (the truncation filter rejects it), "end_turn" and "stop_sequence" "stop";
  `usage.input_tokens`/`output_tokens` are the call's tokens (cost, tpm).
Raw completion does not exist in the Messages API: `supports_raw` is false, and a
recipe needing it is refused at submit.

Batch mode (`batch = true`, docs/costs.md "Provider batch mode"): a job whose deadline
allows it sends its chat requests through the Message Batches API
(providers/anthropic_batch.py), each request's params the body above.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any, Callable

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
    RawCompletionUnsupported,
    estimate_tokens,
)
from service.providers.batches import BatchOptions, BatchState, options_of
from service.providers.http import OVERLOADED, RETRY_STATUS, decode_answer, post_with_retry, provider_session
from service.providers.openai_compat import FATAL_STATUS, _ModelTally

if TYPE_CHECKING:
    from service.providers.anthropic_batch import MessageBatcher

API_VERSION = "2023-06-01"
DEFAULT_BASE_URL = "https://api.anthropic.com/v1"
# The Message Batches API's limits per batch (the batch_max_* defaults and ceilings)
BATCH_MAX_REQUESTS = 100_000
BATCH_MAX_BYTES = 256 * 1024 * 1024
# The Messages API requires max_tokens; a job that sets none gets this (Claude models
# answer up to 8k+; a recipe's answers rarely pass 4k, and a budget reserves it).
MAX_TOKENS = 4096
RETRY = RETRY_STATUS | {OVERLOADED}
FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
          "refusal": "content_filter"}


class _Usage(msgspec.Struct):
    input_tokens: int = 0
    output_tokens: int = 0


class _Block(msgspec.Struct):
    type: str
    text: str = ""


class _Message(msgspec.Struct):
    content: list[_Block]
    stop_reason: str | None = None
    usage: _Usage | None = None
    model: str | None = None
    type: str = "message"


_decoder = msgspec.json.Decoder(_Message)
_encoder = msgspec.json.Encoder()


def _tokens(resp: _Message) -> int | None:
    return resp.usage.input_tokens + resp.usage.output_tokens if resp.usage is not None else None


def request_body(model: str, messages: list[dict[str, str]], params: dict[str, Any]) -> dict[str, Any]:
    """The Messages API body for OpenAI-style `messages` and sampling `params`."""
    system = [m.get("content") or "" for m in messages if m.get("role") == "system"]
    turns: list[dict[str, str]] = []
    for m in messages:
        role = m.get("role")
        if role == "system":
            continue
        role = "assistant" if role == "assistant" else "user"
        if turns and turns[-1]["role"] == role:
            turns[-1] = {"role": role, "content": turns[-1]["content"] + "\n\n" + (m.get("content") or "")}
        else:
            turns.append({"role": role, "content": m.get("content") or ""})
    body: dict[str, Any] = {"model": model, "messages": turns}
    if system:
        body["system"] = "\n\n".join(system)
    max_tokens = params.get("max_tokens") or params.get("max_completion_tokens")
    body["max_tokens"] = max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else MAX_TOKENS
    for key in ("temperature", "top_p", "top_k"):
        if params.get(key) is not None:
            body[key] = params[key]
    stop = params.get("stop")
    if stop:
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    return body


class Anthropic:
    """A provider speaking Anthropic's Messages API."""

    kind = "anthropic"
    supports_raw = False

    def __init__(
        self, *, name: str, base_url: str, models: list[str], api_key_env: str | None, concurrency: int,
        timeout: float, max_retries: int, licence: str, stats: CallStats, version: str = API_VERSION,
        stall_timeout: float = defaults.PROVIDER_STALL_SECONDS, lanes: LaneSource | None = None,
        limits: Callable[[str], Limits] | None = None, batch: BatchOptions | None = None,
    ):
        self.name = name
        self.models = models
        self.licence = licence
        self._base = base_url.rstrip("/")
        self._url = self._base + "/messages"
        self.batch = batch  # takes message batches (batch mode), with these options; None: online only
        self._stats = stats
        self._max_retries = max_retries
        self._lanes = ModelLanes(name, lanes or LocalLanes(concurrency),
                                 limits or AnthropicConfig(concurrency=concurrency).limits_for)
        headers = {"Content-Type": "application/json", "anthropic-version": version}
        key = os.environ.get(api_key_env) if api_key_env else None
        if key:
            headers["x-api-key"] = key
        self._session = provider_session(headers, concurrency=concurrency, timeout=timeout,
                                         stall_timeout=stall_timeout)

    async def chat(self, messages: list[dict[str, str]], *, model: str, params: dict[str, Any]) -> Completion:
        body = request_body(model, messages, params)
        chars = sum(len(m.get("content") or "") for m in messages)
        resp: _Message = await post_with_retry(
            self._session, self._url, _encoder.encode(body), cost=estimate_tokens(chars, body), usage=_tokens,
            lane=self._lanes.of(model), tally=_ModelTally(self._stats, self.name, model), max_retries=self._max_retries,
            label=self.name, accept=self._decode, fatal_status=FATAL_STATUS, retry_status=RETRY,
            fatal_message=lambda status, _raw: (
                f"{self.name} answered {status} for /messages; check its base_url, model and key"),
        )
        return self._completion(resp, model)

    def batcher(self, model: str, state: BatchState) -> MessageBatcher:
        """The batch path of `model` for one job run (providers/anthropic_batch.py)."""
        from service.providers.anthropic_batch import MessageBatcher

        assert self.batch is not None
        return MessageBatcher(session=self._session, base=self._base, name=self.name, model=model,
                              options=self.batch, state=state)

    def batch_completion(self, raw: bytes, model: str, seconds: float) -> Completion:
        """A succeeded batch result's message as a Completion (counted as one request)."""
        resp, why = self._decode(raw)
        if resp is None:
            self._stats.request(self.name, model, "malformed", seconds)
            raise ProviderError(f"{self.name}: batch answer unusable: {why}")
        self._stats.request(self.name, model, "ok", seconds)
        c = self._completion(resp, model)
        c.batch = True
        return c

    def _completion(self, resp: _Message, model: str) -> Completion:
        usage = resp.usage or _Usage()
        self._stats.tokens(self.name, model, usage.input_tokens, usage.output_tokens)
        text = "".join(b.text for b in resp.content if b.type == "text")
        finish = FINISH.get(resp.stop_reason or "", resp.stop_reason)
        return Completion(text=text, finish_reason=finish, tokens_in=usage.input_tokens,
                          tokens_out=usage.output_tokens, model=resp.model or model)

    async def complete(self, prompt: str, *, model: str, params: dict[str, Any]) -> Completion:
        raise RawCompletionUnsupported(f"{self.name}: the Messages API has no raw completion")


    @staticmethod
    def _decode(raw: bytes) -> tuple[_Message | None, str]:
        """The parsed answer, or (None, why it is unusable)."""
        return decode_answer(raw, _decoder, _without_text)

    async def aclose(self) -> None:
        await self._lanes.aclose()
        await self._session.close()



def _without_text(resp: _Message) -> str | None:
    if resp.type == "message" and any(b.type == "text" for b in resp.content):
        return None
    return "response has no text content"


class AnthropicConfig(ProviderKind, tag="anthropic", kw_only=True, forbid_unknown_fields=True):
    """`kind = "anthropic"`: Anthropic's Messages API (or a server speaking it)."""

    base_url: str = DEFAULT_BASE_URL
    api_key_env: str | None = None
    anthropic_version: str = API_VERSION
    timeout: Annotated[float, Meta(gt=0)] = defaults.PROVIDER_TIMEOUT_SECONDS
    stall_timeout: Annotated[float, Meta(gt=0)] = defaults.PROVIDER_STALL_SECONDS
    max_retries: Annotated[int, Meta(ge=0, le=20)] = defaults.PROVIDER_MAX_RETRIES
    supports_raw: bool = False
    structured_outputs: bool = False  # no response_format on the Messages API: the schema goes in the prompt
    # Batch mode (docs/costs.md): the provider takes the Message Batches API
    # (/v1/messages/batches); a job whose deadline allows it sends its chat requests that way.
    batch: bool = False
    batch_poll_seconds: Annotated[float, Meta(gt=0)] = defaults.BATCH_POLL_SECONDS
    batch_collect_seconds: Annotated[float, Meta(ge=0)] = defaults.BATCH_COLLECT_SECONDS
    batch_max_requests: Annotated[int, Meta(ge=1, le=BATCH_MAX_REQUESTS)] = BATCH_MAX_REQUESTS
    batch_max_bytes: Annotated[int, Meta(ge=1024, le=BATCH_MAX_BYTES)] = BATCH_MAX_BYTES

    def check(self, name: str) -> None:
        if not self.models:
            raise ValueError(f"provider {name!r}: models must list at least one model")
        if self.supports_raw:
            raise ValueError(f"provider {name!r}: supports_raw must be false (the Messages API has no raw completion)")

    def open(self, name: str, stats: CallStats, concurrency: int, lanes: LaneSource | None = None) -> Provider:
        return Anthropic(
            name=name, base_url=self.base_url, models=self.models, api_key_env=self.api_key_env,
            concurrency=min(self.concurrency, concurrency), timeout=self.timeout, stall_timeout=self.stall_timeout,
            max_retries=self.max_retries, licence=self.licence, stats=stats, version=self.anthropic_version,
            lanes=self.lanes(lanes, concurrency), limits=self.limits_for,
            batch=options_of(self),
        )
