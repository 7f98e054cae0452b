"""The fake server's Anthropic Messages API: `POST /v1/messages` on the same server as
the OpenAI-compatible endpoints (service/testing/fake_openai.py), sharing its latency,
faults, scripted replies, counters and request log (endpoint name `messages`), so a
test drives both kinds with the same `/_control/config`.

It follows the public contract (docs.anthropic.com, Messages): `anthropic-version`
required, `model`, `max_tokens` and a non-empty `messages` of `user`/`assistant` turns
required, `system` top-level; the answer is a `message` with `content` text blocks,
`stop_reason` (`end_turn`, `max_tokens` when the reply was cut at max_tokens,
`stop_sequence`) and `usage` (`input_tokens`, `output_tokens`, counted as words);
errors are `{"type": "error", "error": {"type", "message"}}`: 400
`invalid_request_error`, 429 `rate_limit_error` with `retry-after`, 5xx `api_error`,
and a configured `fail_status` of 529 is `overloaded_error`. Its Message Batches
(`/v1/messages/batches`) are service/testing/fake_message_batches.py.
"""

from __future__ import annotations

import os
from typing import Any, Awaitable, Callable

import msgspec
from aiohttp import web

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
               429: "rate_limit_error", 529: "overloaded_error"}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    kind = ERROR_TYPES.get(status, "api_error")
    body = msgspec.json.encode({"type": "error", "error": {"type": kind, "message": message}})
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def handler(state_key: Any, admit: Callable[[web.Request, str], Awaitable[dict[str, Any] | web.Response]],
            ) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``POST /v1/messages`` for the fake server whose state is at `state_key` and whose
    `admit` counts, logs, delays and injects faults (fake_openai's, passed in: that module
    may run as __main__, a second copy of its state key)."""

    async def messages(request: web.Request) -> web.Response:
        return await _messages(request, request.app[state_key], admit)

    return messages


async def _messages(request: web.Request, state: Any,
                    admit: Callable[[web.Request, str], Awaitable[dict[str, Any] | web.Response]]) -> web.Response:
    if not request.headers.get("anthropic-version"):
        return _error(400, "anthropic-version: header is required")
    body = await admit(request, "messages")
    if isinstance(body, web.Response):
        if body.status == 200:  # a malformed 200, served as is
            return body
        try:
            message = msgspec.json.decode(body.body)["error"]["message"]  # type: ignore[arg-type]
        except (msgspec.DecodeError, KeyError, TypeError):
            message = "error"
        return _error(body.status, message, {k: v for k, v in body.headers.items() if k.lower().startswith("retry")})
    message, why = message_for(body, lambda prompt, last_user, oa: state.reply("chat", prompt, last_user, oa))
    if message is None:
        return _error(400, why)
    return web.Response(body=msgspec.json.encode(message), content_type="application/json")


def message_for(body: dict[str, Any], reply: Callable[[str, str, dict[str, Any]], tuple[str, str]],
                ) -> tuple[dict[str, Any] | None, str]:
    """The `message` answering the Messages request `body` (`reply(prompt, last_user,
    OpenAI-style body)` is the server's text and finish reason), or (None, why the request
    is invalid): for /v1/messages and a message batch's requests alike."""
    turns = body.get("messages")
    if not isinstance(body.get("model"), str):
        return None, "model: Field required"
    if not isinstance(body.get("max_tokens"), int) or isinstance(body.get("max_tokens"), bool):
        return None, "max_tokens: Field required"
    if not isinstance(turns, list) or not turns:
        return None, "messages: at least one message is required"
    texts, last_user = [], ""
    system = body.get("system")
    if system is not None:
        texts.append(_text(system))
    for turn in turns:
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            return None, "messages: roles must be 'user' or 'assistant' (system is a top-level field)"
        texts.append(_text(turn.get("content")))
        if turn["role"] == "user":
            last_user = texts[-1]
    prompt = "\n".join(texts)
    oa = dict(body)
    if "stop_sequences" in body:
        oa["stop"] = body["stop_sequences"]
    text, finish = reply(prompt, last_user, oa)
    stop_reason = "max_tokens" if finish == "length" else "end_turn"
    return {
        "id": f"msg_{os.urandom(12).hex()}", "type": "message", "role": "assistant", "model": body["model"],
        "content": [{"type": "text", "text": text}], "stop_reason": stop_reason, "stop_sequence": None,
        "usage": {"input_tokens": len(prompt.split()), "output_tokens": len(text.split())},
    }, ""
