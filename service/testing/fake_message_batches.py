"""The fake server's Anthropic Message Batches API, for the anthropic kind's batch mode
(docs/costs.md, service/providers/anthropic_batch.py); the OpenAI Batch API's fake is
service/testing/fake_batches.py.

Following the public contract (docs.claude.com, Message Batches):
- every route wants the `anthropic-version` header, as /v1/messages does;
- `POST /v1/messages/batches` with `{"requests": [{"custom_id", "params"}]}`: custom_ids
  of 1-64 letters, digits, `-` and `_`, unique in the batch, `params` an object; at most
  100,000 requests (a 400 `invalid_request_error` otherwise) -> a `message_batch`,
  `processing_status` "in_progress", `request_counts` {processing, succeeded, errored,
  canceled, expired}, RFC 3339 `created_at`, `expires_at` (+24 h), `ended_at`,
  `cancel_initiated_at`, `archived_at`, `results_url` (null until it ended);
- `GET /v1/messages/batches/{id}` -> the batch; `POST .../{id}/cancel` -> "canceling",
  then "ended" with the requests not yet processed `canceled`;
- `GET .../{id}/results` (the batch's `results_url`, once ended) -> JSONL, one line a
  request, in no particular order (here: the reverse of the input's): `{"custom_id",
  "result": {"type": "succeeded", "message"} | {"type": "errored", "error": {"type":
  "error", "error": {"type", "message"}}} | {"type": "canceled"} | {"type": "expired"}}`.

Its behaviour comes from the server's live config: a batch takes `batch_seconds` to
process its requests (each answered as /v1/messages would, with the server's replies
and scripts); a request that draws one of the server's faults (`fail_first`,
`fail_rate`, ...; endpoint `messages`) or whose params the Messages API refuses is
`errored`; with `batch_expire` the batch stops half-way and the rest `expired`.
`GET /_control/stats` carries `message_batches`: batches created, request lines sent
and their distinct custom_ids (a request sent twice shows as requests > distinct).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
from typing import Any, Callable

import msgspec
from aiohttp import web

from service.testing.fake_anthropic import _error, message_for

MAX_REQUESTS = 100_000
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _now(plus: float = 0.0) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=plus)).isoformat().replace("+00:00", "Z")


class MessageBatches:
    """Message batches of one fake server, in memory (they outlive a reset, as a provider's do)."""

    def __init__(self) -> None:
        self.batches: dict[str, dict[str, Any]] = {}
        self.requests: dict[str, list[dict[str, Any]]] = {}
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.sent: list[str] = []  # every request's custom_id, in every batch created
        self.sizes: list[int] = []  # requests per batch

    def stats(self) -> dict[str, Any]:
        return {"batches": len(self.batches), "requests": len(self.sent), "distinct": len(set(self.sent)),
                "ids": list(self.batches), "sizes": self.sizes}


def routes(app: web.Application, store: MessageBatches, config: Callable[[], Any],
           reply: Callable[[str, str, dict[str, Any]], tuple[str, str]], fault: Callable[[], str | None]) -> None:
    """Add the Message Batches routes; `config()` is the server's live Config
    (`batch_seconds`, `batch_expire`), `reply(prompt, last_user, body)` its answer,
    `fault()` the fault its config draws for a request (one that gets one is errored)."""

    def versioned(handler: Callable[[web.Request], Any]) -> Callable[[web.Request], Any]:
        async def wrapped(request: web.Request) -> web.Response:
            if not request.headers.get("anthropic-version"):
                return _error(400, "anthropic-version: header is required")
            out: web.Response = await handler(request)
            return out
        return wrapped

    def found(request: web.Request) -> dict[str, Any] | None:
        return store.batches.get(request.match_info["batch_id"])

    async def create(request: web.Request) -> web.Response:
        try:
            body = msgspec.json.decode(await request.read())
        except msgspec.DecodeError as exc:
            return _error(400, f"request body is not valid JSON: {exc}")
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            return _error(400, "requests: at least one request is required")
        if len(requests) > MAX_REQUESTS:
            return _error(400, f"requests: at most {MAX_REQUESTS} requests in a batch")
        seen: set[str] = set()
        for n, item in enumerate(requests):
            cid = item.get("custom_id") if isinstance(item, dict) else None
            if not isinstance(cid, str) or not CUSTOM_ID.match(cid):
                return _error(400, f"requests.{n}.custom_id: 1-64 letters, digits, '-' or '_'")
            if cid in seen:
                return _error(400, f"requests.{n}.custom_id: {cid!r} is not unique in the batch")
            if not isinstance(item.get("params"), dict):
                return _error(400, f"requests.{n}.params: an object is required")
            seen.add(cid)
        bid = f"msgbatch_{os.urandom(12).hex()}"
        batch = {"id": bid, "type": "message_batch", "processing_status": "in_progress",
                 "request_counts": {"processing": len(requests), "succeeded": 0, "errored": 0, "canceled": 0,
                                    "expired": 0},
                 "ended_at": None, "created_at": _now(), "expires_at": _now(86400), "archived_at": None,
                 "cancel_initiated_at": None, "results_url": None}
        store.batches[bid], store.requests[bid], store.results[bid] = batch, requests, []
        store.sent.extend(r["custom_id"] for r in requests)
        store.sizes.append(len(requests))
        task = asyncio.create_task(_run(batch, f"{request.url.origin()}/v1/messages/batches/{bid}/results"))
        store.tasks.add(task)
        task.add_done_callback(store.tasks.discard)
        return web.json_response(batch)

    async def get(request: web.Request) -> web.Response:
        batch = found(request)
        return web.json_response(batch) if batch is not None else _error(404, "message batch not found")

    async def cancel(request: web.Request) -> web.Response:
        batch = found(request)
        if batch is None:
            return _error(404, "message batch not found")
        if batch["processing_status"] == "in_progress":
            batch.update(processing_status="canceling", cancel_initiated_at=_now())
        return web.json_response(batch)

    async def results(request: web.Request) -> web.Response:
        batch = found(request)
        if batch is None:
            return _error(404, "message batch not found")
        if batch["processing_status"] != "ended":
            return _error(400, "the message batch has not ended: its results are not available yet")
        lines = reversed(store.results[batch["id"]])  # any order: a client matches by custom_id
        return web.Response(body=b"".join(msgspec.json.encode(x) + b"\n" for x in lines),
                            content_type="application/x-jsonl")

    async def _run(batch: dict[str, Any], results_url: str) -> None:
        requests = store.requests[batch["id"]]
        out = store.results[batch["id"]]
        counts = batch["request_counts"]
        cfg = config()
        pause = cfg.batch_seconds / len(requests)
        stop_at = len(requests) // 2 if cfg.batch_expire else len(requests)
        for i, item in enumerate(requests):
            if batch["processing_status"] == "canceling" or i >= stop_at:
                kind = "canceled" if batch["processing_status"] == "canceling" else "expired"
                out.append({"custom_id": item["custom_id"], "result": {"type": kind}})
                counts["processing"] -= 1
                counts[kind] += 1
                continue
            await asyncio.sleep(pause)
            drawn = fault()
            message, why = (None, "") if drawn is not None else message_for(item["params"], reply)
            if message is None:
                kind, etype = ("invalid_request_error", why) if why else (
                    ("invalid_request_error", "Bad request (injected)") if drawn == "400"
                    else ("api_error", "Internal server error (injected)"))
                out.append({"custom_id": item["custom_id"], "result": {
                    "type": "errored", "error": {"type": "error", "error": {"type": kind, "message": etype}}}})
                counts["processing"] -= 1
                counts["errored"] += 1
                continue
            out.append({"custom_id": item["custom_id"], "result": {"type": "succeeded", "message": message}})
            counts["processing"] -= 1
            counts["succeeded"] += 1
        batch.update(processing_status="ended", ended_at=_now(), results_url=results_url)

    app.router.add_post("/v1/messages/batches", versioned(create))
    app.router.add_get("/v1/messages/batches/{batch_id}", versioned(get))
    app.router.add_post("/v1/messages/batches/{batch_id}/cancel", versioned(cancel))
    app.router.add_get("/v1/messages/batches/{batch_id}/results", versioned(results))
