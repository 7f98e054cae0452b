"""A fake OpenAI-compatible model server for tests and benchmarks.

It speaks real HTTP (aiohttp.web) on loopback, sleeps for a configurable
latency before every model answer and can inject faults (500, 429, hangs, and a gateway's 400 that echoes the caller's key,
as "Incorrect API key provided: sk-..." does), so client code is
exercised the way a real provider would exercise it, but deterministically
and without a model.

Model endpoints: ``GET /v1/models``, ``POST /v1/chat/completions``,
``POST /v1/completions`` and ``POST /v1/embeddings`` (hashed bag-of-words
vectors, so texts sharing words are close), and Anthropic's ``POST /v1/messages``
(service/testing/fake_anthropic.py), sharing the same config, faults and counters; and
OpenAI's Files and Batch API (service/testing/fake_batches.py: ``/v1/files``,
``/v1/batches``; ``batch_seconds``, ``batch_expire``) and Anthropic's Message Batches
(service/testing/fake_message_batches.py: ``/v1/messages/batches``, the same settings).
Replies are a deterministic function of the prompt unless scripted.

Control endpoints (no auth): ``GET|POST /_control/config`` (latency,
latency_jitter, fail_rate, rate_limit_rate, bad_request_rate, malformed_rate, hang_rate,
retry_after, fail_status, fail_first, rate_limit_first, bad_request_first, malformed_first, hang_first,
default_words, context_tokens, follow_formats, reasoning_content, fault_endpoints, scripts, batch_seconds,
batch_expire),
``POST /_control/reset``, ``GET /_control/stats`` and
``GET /_control/requests?limit=N``. The stats carry the server's own meter of requests
in flight on the model endpoints (``inflight``: now and peak, in all, per endpoint and
per model, plus the time-averaged count), so a test or benchmark measures what a fleet
of clients really sent at once, whatever the clients believe. A malformed answer is a 200 whose body is, in
turn, truncated JSON, empty, or JSON without choices; a hang accepts the request and
never answers. With ``follow_formats`` (or ``--follow-formats``)
unscripted replies take the format each recipe's prompt asks for (numbered task
lists, ``Score: N``, ``Rating:`` blocks, template prefixes; see format_replies.py), so
every recipe yields records against it.

Structured outputs and tools, as OpenAI's API has them: a chat request with
``response_format`` ``{"type": "json_schema", "json_schema": {"schema": ...}}`` (or
``json_object``) that no rule scripts is answered with a JSON instance of the schema
(the smallest valid one the server can build: ``schema_instance``); a request with
``tools`` that no rule scripts is answered with a ``tool_calls`` message calling the
first tool (``tool_choice`` naming one picks it) with arguments made the same way.
Scripted replies are served as they are, so a test can script a reply that breaks the
schema. With ``reasoning_content`` on, a reply opening with ``<think>...</think>`` is
served as a reasoning model's: the block in ``message.reasoning_content`` and its words
counted in ``usage.completion_tokens_details.reasoning_tokens``.

It is a documented part of the product, shipped in the wheel: try the service, a
client or a recipe without a model with ``synthgen fake-provider --port 8001
--latency 0.2`` (or ``python -m service.testing.fake_openai``) and a provider of kind
"openai-compatible" at its /v1; it prints ``READY http://HOST:PORT`` once listening. In-process, use
:func:`start`; the state lives at ``runner.app[STATE_KEY]``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import hashlib
import math
import os
import random
import re
import signal
import socket
import time
from collections import deque
from typing import Any

import msgspec
from aiohttp import web

from service.testing import fake_anthropic, fake_batches, fake_message_batches, format_replies

MODEL_ID = "fake-model"
EMBEDDING_MODEL_ID = "fake-embedding"
DEFAULT_DIMENSIONS = 384
HANG_SECONDS = 3600.0
LOG_SIZE = 10_000
ENDPOINTS = ("chat", "completions", "embeddings", "messages")

_encode = msgspec.json.Encoder().encode
_WORDS = re.compile(r"\w+")
_NON_SPACE = re.compile(r"\S+")
_STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been "
    "it its this that these those i you he she we they me my your our their what which "
    "who how why when where do does did not no so than then there here can will would "
    "should could about into over please write give make tell cannot sorry unable explain "
    "describe briefly".split()
)
_VOCABULARY = (
    "system data model method result value process change level example point group "
    "problem fact market service report number question answer reason pattern study "
    "design source record detail approach effect practice evidence quality structure "
    "clear simple careful useful important practical specific general common direct "
    "shows explains supports describes suggests improves measures compares builds "
    "often usually carefully clearly quickly together also further first second next "
    "time people work world area part case way plan step story theory view range "
    "across within between through during after before under along around"
).split()

_BYTE_TO_WORD = [_VOCABULARY[i % len(_VOCABULARY)] for i in range(256)]


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=_encode(obj), status=status, headers=headers,
                        content_type="application/json")


def _error(status: int, message: str, kind: str = "invalid_request_error",
           headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return _json(body, status, headers)


class InFlight:
    """Requests in flight on the model endpoints, counted by the server: now and peak,
    in all and per endpoint and per model; the time-averaged count; the first request
    in and the last answer out (time.monotonic(), shared by every process on the
    machine, so a client can line them up with its own clock)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.now = 0
        self.peak = 0
        self.by: dict[tuple[str, str], list[int]] = {}  # (endpoint|model, name) -> [now, peak]
        self.area = 0.0  # integral of `now` over time
        self.last = 0.0
        self.first_start: float | None = None
        self.last_end: float | None = None
        self.requests = 0
        self.errors = 0

    def _tick(self, t: float) -> None:
        if self.last:
            self.area += self.now * (t - self.last)
        self.last = t

    def enter(self, endpoint: str, model: str) -> None:
        t = time.monotonic()
        self._tick(t)
        if self.first_start is None:
            self.first_start = t
        self.now += 1
        self.requests += 1
        self.peak = max(self.peak, self.now)
        for key in (("endpoint", endpoint), ("model", model)):
            c = self.by.setdefault(key, [0, 0])
            c[0] += 1
            c[1] = max(c[1], c[0])

    def leave(self, endpoint: str, model: str, ok: bool) -> None:
        t = time.monotonic()
        self._tick(t)
        self.now -= 1
        self.last_end = t
        self.errors += not ok
        for key in (("endpoint", endpoint), ("model", model)):
            self.by[key][0] -= 1

    def snapshot(self) -> dict[str, Any]:
        window = (self.last_end - self.first_start) if self.first_start and self.last_end else 0.0
        return {
            "current": self.now, "peak": self.peak, "mean": (self.area / window) if window > 0 else 0.0,
            "window_seconds": window, "first_start": self.first_start, "last_end": self.last_end,
            "requests": self.requests, "errors": self.errors,
            **{f"by_{kind}": {name: {"current": c[0], "peak": c[1]} for (k, name), c in sorted(self.by.items())
                              if k == kind} for kind in ("endpoint", "model")},
        }


class _ModelField(msgspec.Struct):
    model: str = ""


def _model_of(raw: bytes) -> str:
    try:
        return msgspec.json.decode(raw, type=_ModelField).model or "-"
    except msgspec.DecodeError:
        return "-"


def _hash(text: str, size: int = 8) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=size).digest()


@dataclasses.dataclass
class Config:
    """Live, mutable behaviour settings of the fake server."""

    latency: float = 0.0
    latency_jitter: float = 0.0
    fail_rate: float = 0.0
    rate_limit_rate: float = 0.0
    bad_request_rate: float = 0.0
    malformed_rate: float = 0.0
    hang_rate: float = 0.0
    retry_after: float = 0.1
    fail_status: int = 500  # the status of a `fail_rate`/`fail_first` fault (500-599)
    fail_first: int = 0
    rate_limit_first: int = 0
    bad_request_first: int = 0
    hang_first: int = 0
    malformed_first: int = 0
    default_words: int = 40
    context_tokens: int = 0  # 0: no limit; else a 400 context_length_exceeded past it
    follow_formats: bool = False
    batch_seconds: float = 0.5  # a batch's time from in_progress to finalizing (service/testing/fake_batches.py)
    batch_expire: bool = False  # batches stop half-way and expire, keeping what they answered
    # A chat reply opening with a <think> block is served as a reasoning model's:
    # the block in `reasoning_content`, its words as usage's reasoning_tokens.
    reasoning_content: bool = False
    # the model identity answers report: `served_model` ("" echoes the request's model)
    # and `system_fingerprint` ("" leaves it out), to test a silent model update
    served_model: str = ""
    system_fingerprint: str = ""
    fault_endpoints: list[str] = dataclasses.field(default_factory=lambda: ["chat", "completions", "messages"])
    scripts: list[dict[str, Any]] = dataclasses.field(default_factory=list)


_FLOATS = ("latency", "latency_jitter", "fail_rate", "rate_limit_rate", "bad_request_rate", "malformed_rate",
           "hang_rate", "retry_after", "batch_seconds")
_INTS = ("fail_first", "rate_limit_first", "bad_request_first", "malformed_first", "hang_first", "default_words",
         "context_tokens", "fail_status")
# The bodies of malformed 200 answers, served in turn.
MALFORMED_BODIES = (b'{"id": "cmpl-cut", "choices": [{"index": 0, "mess', b"", b'{"id": "cmpl-empty", "choices": []}')


@dataclasses.dataclass
class Rule:
    """One scripted-reply rule; ``pos`` is the index of the next reply."""

    pattern: re.Pattern[str] | None
    endpoint: str
    replies: list[str]
    echo: bool
    cycle: bool
    finish_reason: str | None
    pos: int = 0

    @classmethod
    def parse(cls, raw: Any) -> Rule:
        """Validate a rule given as JSON; raises ValueError when malformed."""
        if not isinstance(raw, dict):
            raise ValueError("each script rule must be an object")
        endpoint = raw.get("endpoint", "any")
        if endpoint not in ("chat", "completions", "any"):
            raise ValueError(f"bad rule endpoint {endpoint!r}")
        replies, echo = raw.get("replies", []), bool(raw.get("echo", False))
        if not isinstance(replies, list) or not all(isinstance(r, str) for r in replies):
            raise ValueError("rule 'replies' must be a list of strings")
        if not replies and not echo:
            raise ValueError("a rule needs non-empty 'replies' or 'echo': true")
        match = raw.get("match")
        try:
            pattern = re.compile(match, re.DOTALL) if match is not None else None
        except (re.error, TypeError) as exc:
            raise ValueError(f"bad rule regex {match!r}: {exc}") from None
        finish = raw.get("finish_reason")
        return cls(pattern, endpoint, replies, echo, bool(raw.get("cycle", True)),
                   finish if isinstance(finish, str) else None)


class FakeState:
    """Configuration, counters, scripted rules and the request log of one server."""

    def __init__(self, latency: float = 0.0, follow_formats: bool = False) -> None:
        self.base_latency = latency
        self.base_follow = follow_formats
        self.batches = fake_batches.Batches()  # files and batches outlive a reset, as a provider's do
        self.message_batches = fake_message_batches.MessageBatches()  # Anthropic's, likewise
        self.reset()

    def reset(self) -> None:
        """Restore default config (CLI latency and format mode) and clear the log and counters."""
        self.config = Config(latency=self.base_latency, follow_formats=self.base_follow)
        self.rules: list[Rule] = []
        self.log: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)
        self.requests = 0
        self.by_endpoint = dict.fromkeys(ENDPOINTS, 0)
        self.faults = {"500": 0, "429": 0, "400": 0, "hang": 0, "malformed": 0}  # "500": every injected 5xx
        self.replies = 0
        self.inflight = InFlight()

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial config atomically; raises ValueError on bad input."""
        new = dataclasses.replace(self.config)
        rules = self.rules
        for key, value in changes.items():
            if key in _FLOATS or key in _INTS:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError(f"{key} must be a number")
                if value < 0 or (key.endswith("_rate") and value > 1) or (key == "fail_status"
                                                                           and not 500 <= value <= 599):
                    raise ValueError(f"{key} out of range")
                setattr(new, key, float(value) if key in _FLOATS else int(value))
            elif key in ("follow_formats", "batch_expire", "reasoning_content"):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
                setattr(new, key, value)
            elif key in ("served_model", "system_fingerprint"):
                if not isinstance(value, str) or len(value) > 200:
                    raise ValueError(f"{key} must be a string")
                setattr(new, key, value)
            elif key == "fault_endpoints":
                if not isinstance(value, list) or any(v not in ENDPOINTS for v in value):
                    raise ValueError(f"fault_endpoints must be a subset of {ENDPOINTS}")
                new.fault_endpoints = list(value)
            elif key == "scripts":
                if not isinstance(value, list):
                    raise ValueError("scripts must be a list of rules")
                rules = [Rule.parse(raw) for raw in value]
                new.scripts = value
            else:
                raise ValueError(f"unknown config key {key!r}")
        self.config, self.rules = new, rules

    def unscripted(self, prompt: str, last_user: str, body: dict[str, Any]) -> str:
        """A reply no rule scripted: the deterministic default, or with `follow_formats`
        the format the recipe's prompt asks for (service/testing/format_replies.py),
        varied per request as a sampling model's would be."""
        if not self.config.follow_formats:
            return default_reply(prompt, self.config.default_words, last_user)
        return following_reply(prompt, last_user, body.get("seed"), self.replies, self.config.default_words)

    def stats(self) -> dict[str, Any]:
        """Counters as served by ``GET /_control/stats``."""
        return {"requests": self.requests, "by_endpoint": self.by_endpoint,
                "faults": self.faults, "replies": self.replies, "inflight": self.inflight.snapshot(),
                "batches": self.batches.stats(), "message_batches": self.message_batches.stats()}

    def next_fault(self, endpoint: str) -> str | None:
        """Decide (and count) the fault for a request arriving now, if any."""
        cfg = self.config
        if endpoint not in cfg.fault_endpoints:
            return None
        fault = None
        # The first-N counters are spent in this order, one request each.
        for counter, name in (("hang_first", "hang"), ("fail_first", "500"), ("rate_limit_first", "429"),
                              ("bad_request_first", "400"), ("malformed_first", "malformed")):
            left = getattr(cfg, counter)
            if left > 0:
                setattr(cfg, counter, left - 1)
                fault = name
                break
        else:
            # One draw for all rates, so they add up as the fault mix asks.
            x = random.random()
            for name, rate in (("500", cfg.fail_rate), ("429", cfg.rate_limit_rate), ("400", cfg.bad_request_rate),
                               ("malformed", cfg.malformed_rate), ("hang", cfg.hang_rate)):
                if x < rate:
                    fault = name
                    break
                x -= rate
        if fault:
            self.faults[fault] += 1
        return fault

    def delay(self) -> float:
        """Latency to apply to the current request, jitter included."""
        cfg = self.config
        if not cfg.latency_jitter:
            return cfg.latency
        return max(0.0, cfg.latency + random.uniform(-cfg.latency_jitter, cfg.latency_jitter))

    def scripted(self, endpoint: str, prompt: str) -> bool:
        """Whether a rule would answer this request (the rule is not spent)."""
        return any(rule.endpoint in ("any", endpoint) and (rule.pattern is None or rule.pattern.search(prompt))
                   and (rule.echo or rule.cycle or rule.pos < len(rule.replies)) for rule in self.rules)

    def reply(self, endpoint: str, prompt: str, last_user: str,
              body: dict[str, Any]) -> tuple[str, str]:
        """The reply text and finish_reason for a generation request."""
        self.replies += 1
        finish = "stop"
        for rule in self.rules:
            if rule.endpoint not in ("any", endpoint):
                continue
            if rule.pattern is not None and rule.pattern.search(prompt) is None:
                continue
            if rule.echo:
                text = last_user
            else:
                if rule.pos >= len(rule.replies):
                    if not rule.cycle:
                        continue
                    rule.pos = 0
                text = rule.replies[rule.pos]
                rule.pos += 1
                if "{" in text:
                    text = text.replace("{n}", str(self.replies))
                    text = text.replace("{prompt_hash}", _hash(prompt, 4).hex())
            finish = rule.finish_reason or "stop"
            break
        else:
            text = self.unscripted(prompt, last_user, body)
        text = _apply_stop(text, body.get("stop"))
        limit = body.get("max_tokens", body.get("max_completion_tokens"))
        if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
            text, cut = _truncate(text, limit)
            if cut:
                finish = "length"
        return text, finish


def following_reply(prompt: str, last_user: str, seed: Any, n: int, words: int = 40) -> str:
    """The format-following mode's reply: the recipe format `prompt` asks for
    (format_replies.py), else the default reply; varied by the request's sampling
    `seed`, or by `n` (a per-server reply count) when the request has none."""
    variety = f"seed:{seed}" if isinstance(seed, int) and not isinstance(seed, bool) else f"n:{n}"
    return format_replies.reply(prompt, last_user, variety) or default_reply(f"{prompt}\x00{variety}", words, last_user)


def default_reply(prompt: str, n_words: int, focus: str | None = None) -> str:
    """A deterministic, prompt-seeded, refusal-free reply of ``n_words`` words.

    It names up to three content words of ``focus`` (default: the prompt).
    """
    topic: list[str] = []
    for match in _WORDS.finditer((prompt if focus is None else focus).lower()):
        word = match.group()
        if len(word) > 3 and word not in _STOPWORDS and word not in topic:
            topic.append(word)
            if len(topic) == 3:
                break
    words = ["Here", "is", "a", "considered", "answer", "about", *(topic or ["this", "topic"])]
    words[-1] += "."
    extra: list[str] = []
    block = prompt.encode("utf-8", "replace")
    while len(extra) < n_words - len(words):  # chained hashes pick the filler words
        block = hashlib.blake2b(block, digest_size=64).digest()
        extra.extend(map(_BYTE_TO_WORD.__getitem__, block))
    extra = extra[:max(0, n_words - len(words))]
    for i in range(0, len(extra), 9):
        extra[i] = extra[i].capitalize()
        if i:
            extra[i - 1] += "."
    words = (words + extra)[:n_words]
    text = " ".join(words)
    return text if not text or text.endswith(".") else text + "."


def _apply_stop(text: str, stop: Any) -> str:
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    cut = len(text)
    for s in stops:
        if isinstance(s, str) and s:
            at = text.find(s)
            if 0 <= at < cut:
                cut = at
    return text[:cut]


def _truncate(text: str, limit: int) -> tuple[str, bool]:
    if len(text.split()) <= limit:
        return text, False
    end = 0
    for count, match in enumerate(_NON_SPACE.finditer(text), 1):
        if count > limit:
            return text[:end], True
        end = match.end()
    return text, False


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multi-part content: keep the text parts
        return "\n".join(p.get("text", "") for p in content
                         if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


@functools.lru_cache(maxsize=131072)
def _bucket(token: str, dims: int) -> tuple[int, float]:
    h = int.from_bytes(_hash(token), "little")
    return h % dims, (1.0 if h >> 63 else -1.0)


def embed(text: str, dims: int = DEFAULT_DIMENSIONS) -> list[float]:
    """Signed hashed bag-of-words vector of ``text``, L2-normalised."""
    tokens = _WORDS.findall(text.lower())
    vec = [0.0] * dims
    for token in [t for t in tokens if t not in _STOPWORDS] or tokens or [""]:
        index, sign = _bucket(token, dims)
        vec[index] += sign
    norm = math.sqrt(sum(v * v for v in vec))
    if norm == 0.0:  # all hashes cancelled out: fall back to a fixed unit vector
        vec[_bucket("", dims)[0]], norm = 1.0, 1.0
    return [v / norm for v in vec]


STATE_KEY = web.AppKey("fake_openai_state", FakeState)


async def _admit(request: web.Request, endpoint: str) -> dict[str, Any] | web.Response:
    """Count, parse, log, wait and inject faults; a dict body means 'go on'."""
    state = request.app[STATE_KEY]
    state.requests += 1
    state.by_endpoint[endpoint] += 1
    try:
        body = msgspec.json.decode(await request.read())
    except msgspec.DecodeError as exc:
        return _error(400, f"request body is not valid JSON: {exc}")
    if not isinstance(body, dict):
        return _error(400, "request body must be a JSON object")
    state.log.append({"endpoint": endpoint, "body": body})
    fault = state.next_fault(endpoint) if not body.get("stream") else None
    wait = state.delay()
    if wait:
        await asyncio.sleep(wait)
    if body.get("stream"):
        return _error(400, "stream=true is not supported by the fake server")
    if fault == "hang":
        await asyncio.sleep(HANG_SECONDS)
    if fault == "429":
        after = state.config.retry_after
        headers = {"Retry-After": f"{after:g}", "retry-after-ms": str(round(after * 1000))}
        return _error(429, "Rate limit reached (injected)", "rate_limit_error", headers)
    if fault == "malformed":
        body_bytes = MALFORMED_BODIES[(state.faults["malformed"] - 1) % len(MALFORMED_BODIES)]
        return web.Response(body=body_bytes, status=200, content_type="application/json")
    if fault == "400":
        key = request.headers.get("Authorization", "").partition(" ")[2]
        return _error(400, f"Incorrect API key provided: {key}. You can find your API key at "
                      "https://example.invalid/keys (injected)", "invalid_request_error")
    if fault is not None:
        return _error(state.config.fail_status, "Server error (injected)", "server_error")
    return body


def _completion(body: dict[str, Any], obj: str, choice: dict[str, Any], n_in: int,
                n_out: int, reasoning_tokens: int = 0, config: Config | None = None) -> web.Response:
    prefix = "chatcmpl" if obj == "chat.completion" else "cmpl"
    usage: dict[str, Any] = {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}
    if reasoning_tokens:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    out: dict[str, Any] = {
        "id": f"{prefix}-{os.urandom(6).hex()}", "object": obj, "created": int(time.time()),
        "model": (config.served_model if config else "") or body.get("model") or MODEL_ID,
        "choices": [choice], "usage": usage,
    }
    if config is not None and config.system_fingerprint:
        out["system_fingerprint"] = config.system_fingerprint
    return _json(out)


_THINK = re.compile(r"\s*<think>(.*?)</think>", re.S)


def schema_instance(schema: Any, depth: int = 0) -> Any:
    """The smallest instance of a JSON Schema the fake can build: required properties
    only, each from its `enum`/`const`/`default`/type (minimum and minLength honoured).
    Enough for the schemas tests use; not a general generator."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return schema_instance(schema[key][0], depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: schema_instance(props.get(k, {}), depth + 1) for k in schema.get("required", [])}
    if kind == "array":
        return [schema_instance(schema.get("items", {}), depth + 1) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "x" * max(1, schema.get("minLength", 1))


def _format_instance(fmt: Any) -> Any:
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return schema_instance((fmt.get("json_schema") or {}).get("schema", {}))
    return {}


def tool_call(tools: list[Any], choice: Any) -> dict[str, Any]:
    """A call of the tool `choice` names, else of the first tool, with arguments made
    from its parameters' schema."""
    named = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    fns = [t.get("function", {}) for t in tools if isinstance(t, dict)]
    fn = next((f for f in fns if f.get("name") == named), fns[0] if fns else {})
    args = schema_instance(fn.get("parameters", {"type": "object"}))
    return {"id": f"call_{os.urandom(6).hex()}", "type": "function",
            "function": {"name": fn.get("name", "tool"), "arguments": _encode(args).decode()}}


def _over_context(request: web.Request, prompt: str, body: dict[str, Any]) -> web.Response | None:
    """llama.cpp's server answers a prompt plus max_tokens beyond its context with this 400
    (tokens counted as words here)."""
    limit = request.app[STATE_KEY].config.context_tokens
    n_in = len(prompt.split())
    asked = body.get("max_tokens")
    n_out = asked if isinstance(asked, int) else 0
    if not limit or n_in + n_out <= limit:
        return None
    body_ = {"error": {"message": f"This model's maximum context length is {limit} tokens. However, you requested "
                       f"{n_in + n_out} tokens ({n_in} in the messages, {n_out} in the completion). Please reduce "
                       "the length of the messages or completion.", "type": "invalid_request_error",
                       "param": "messages", "code": "context_length_exceeded"}}
    return _json(body_, 400)


async def chat_completions(request: web.Request) -> web.Response:
    """``POST /v1/chat/completions``."""
    body = await _admit(request, "chat")
    if isinstance(body, web.Response):
        return body
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _error(400, "'messages' must be a non-empty list")
    texts: list[str] = []
    last_user = ""
    for message in messages:
        if isinstance(message, dict):
            texts.append(_content_text(message.get("content")))
            if message.get("role") == "user":
                last_user = texts[-1]
    prompt = "\n".join(texts)
    state = request.app[STATE_KEY]
    scripted = state.scripted("chat", prompt)
    text, finish = state.reply("chat", prompt, last_user, body)
    answer: dict[str, Any] = {"role": "assistant", "content": text}
    reasoning_words = 0
    tools = body.get("tools")
    if not scripted and isinstance(tools, list) and tools and body.get("tool_choice") != "none":
        answer = {"role": "assistant", "content": None, "tool_calls": [tool_call(tools, body.get("tool_choice"))]}
        finish = "tool_calls"
    elif not scripted and (fmt := body.get("response_format")) is not None:
        text = _encode(_format_instance(fmt)).decode()
        answer["content"] = text
    elif state.config.reasoning_content and (m := _THINK.match(text)):
        answer = {"role": "assistant", "reasoning_content": m.group(1).strip(), "content": text[m.end():].lstrip()}
        reasoning_words = len(m.group(1).split())
    choice = {"index": 0, "message": answer, "logprobs": None, "finish_reason": finish}
    if (too_long := _over_context(request, prompt, body)) is not None:
        return too_long
    return _completion(body, "chat.completion", choice, len(prompt.split()), len(text.split()),
                       reasoning_tokens=reasoning_words, config=state.config)


async def completions(request: web.Request) -> web.Response:
    """``POST /v1/completions`` (raw text completion)."""
    body = await _admit(request, "completions")
    if isinstance(body, web.Response):
        return body
    prompt = body.get("prompt", "")
    if isinstance(prompt, list):
        prompt = "\n".join(p for p in prompt if isinstance(p, str))
    prompt = prompt if isinstance(prompt, str) else ""
    text, finish = request.app[STATE_KEY].reply("completions", prompt, prompt, body)
    choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
    if (too_long := _over_context(request, prompt, body)) is not None:
        return too_long
    return _completion(body, "text_completion", choice, len(prompt.split()), len(text.split()),
                       config=request.app[STATE_KEY].config)


async def embeddings(request: web.Request) -> web.Response:
    """``POST /v1/embeddings``."""
    body = await _admit(request, "embeddings")
    if isinstance(body, web.Response):
        return body
    raw = body.get("input")
    inputs = [raw] if isinstance(raw, str) else raw
    if not isinstance(inputs, list) or not inputs:
        return _error(400, "'input' must be a string or a non-empty list of strings")
    dims = body.get("dimensions", DEFAULT_DIMENSIONS)
    if isinstance(dims, bool) or not isinstance(dims, int) or not 1 <= dims <= 16384:
        return _error(400, "'dimensions' must be an integer between 1 and 16384")
    texts = [t if isinstance(t, str) else str(t) for t in inputs]
    data = [{"object": "embedding", "index": i, "embedding": embed(text, dims)}
            for i, text in enumerate(texts)]
    n_in = sum(len(t.split()) for t in texts)
    return _json({"object": "list", "data": data, "model": body.get("model") or EMBEDDING_MODEL_ID,
                  "usage": {"prompt_tokens": n_in, "total_tokens": n_in}})


async def list_models(request: web.Request) -> web.Response:
    """``GET /v1/models``."""
    data = [{"id": m, "object": "model", "created": 0, "owned_by": "synthgen-fake", "permissions": []}
            for m in (MODEL_ID, EMBEDDING_MODEL_ID)]
    return _json({"object": "list", "data": data})


async def control_config(request: web.Request) -> web.Response:
    """``GET|POST /_control/config``: read or partially update the config."""
    state = request.app[STATE_KEY]
    if request.method == "POST":
        try:
            changes = msgspec.json.decode(await request.read() or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("config body must be a JSON object")
            state.update(changes)
        except (msgspec.DecodeError, ValueError) as exc:
            return _error(400, str(exc))
    return _json(dataclasses.asdict(state.config))


async def control_reset(request: web.Request) -> web.Response:
    """``POST /_control/reset``."""
    state = request.app[STATE_KEY]
    state.reset()
    return _json(dataclasses.asdict(state.config))


async def control_stats(request: web.Request) -> web.Response:
    """``GET /_control/stats``."""
    return _json(request.app[STATE_KEY].stats())


async def control_requests(request: web.Request) -> web.Response:
    """``GET /_control/requests?limit=N``: the last N logged model requests."""
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        return _error(400, "limit must be an integer")
    log = request.app[STATE_KEY].log
    return _json(list(log)[-limit:] if limit > 0 else [])


def _metered(endpoint: str, handler: Any) -> Any:
    """`handler` counted in the state's InFlight meter from its body's arrival to its
    answer (or to its cancellation: a client that hung up)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        meter = request.app[STATE_KEY].inflight
        model = _model_of(await request.read())
        meter.enter(endpoint, model)
        ok = False
        try:
            resp = await handler(request)
            ok = resp.status < 400
            return resp
        finally:
            meter.leave(endpoint, model, ok)

    return wrapped


def build_app(state: FakeState) -> web.Application:
    """The aiohttp application serving ``state``."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[STATE_KEY] = state
    app.router.add_get("/v1/models", list_models)
    app.router.add_post("/v1/chat/completions", _metered("chat", chat_completions))
    app.router.add_post("/v1/completions", _metered("completions", completions))
    app.router.add_post("/v1/embeddings", _metered("embeddings", embeddings))
    fake_batches.routes(app, state.batches, lambda: state.config,
                        lambda prompt, last_user, body: state.reply("chat", prompt, last_user, body),
                        lambda: state.next_fault("chat"))
    fake_message_batches.routes(app, state.message_batches, lambda: state.config,
                                lambda prompt, last_user, body: state.reply("chat", prompt, last_user, body),
                                lambda: state.next_fault("messages"))
    app.router.add_post("/v1/messages", _metered("messages", fake_anthropic.handler(STATE_KEY, _admit)))  # Anthropic's API
    app.router.add_route("*", "/_control/config", control_config)
    app.router.add_post("/_control/reset", control_reset)
    app.router.add_get("/_control/stats", control_stats)
    app.router.add_get("/_control/requests", control_requests)
    return app


async def start(host: str = "127.0.0.1", port: int = 0,
                latency: float = 0.0, follow_formats: bool = False) -> tuple[web.AppRunner, str]:
    """Start serving in the running loop; returns the runner and the base URL."""
    runner = web.AppRunner(build_app(FakeState(latency, follow_formats)), access_log=None, handle_signals=False,
                           shutdown_timeout=1.0, handler_cancellation=True)
    await runner.setup()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        site = web.SockSite(runner, sock, backlog=4096)
        await site.start()
    except BaseException:
        sock.close()
        await runner.cleanup()
        raise
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    return runner, f"http://{shown}:{sock.getsockname()[1]}"


async def _serve(args: argparse.Namespace) -> None:
    runner, url = await start(args.host, args.port, args.latency, args.follow_formats)
    try:
        if args.ready_file:
            tmp = f"{args.ready_file}.tmp{os.getpid()}"
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(url)
            os.replace(tmp, args.ready_file)
        print(f"READY {url}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible model server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per model request")
    parser.add_argument("--follow-formats", action="store_true",
                        help="answer in each recipe's expected format (see service/testing/format_replies.py)")
    parser.add_argument("--ready-file", help="write the base URL here once listening")
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(args))
    else:
        uvloop.run(_serve(args))


if __name__ == "__main__":
    main()
