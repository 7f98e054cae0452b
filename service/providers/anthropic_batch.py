"""Batch mode for an `anthropic` provider: the Message Batches API's steps (docs/costs.md,
"Provider batch mode"); the collecting, splitting, recording, polling and resuming are
the shared `Batcher`'s (providers/batches.py).

- a request is `{"custom_id", "params"}`, params the Messages API body the online call
  would send (providers/anthropic.py `request_body`); a part is its requests inline,
  `{"requests": [...]}`, at most `batch_max_requests` requests and `batch_max_bytes`
  bytes (Anthropic's limits: 100,000 and 256 MB, the defaults);
- submit: `POST /v1/messages/batches` (the same `x-api-key` and `anthropic-version`
  headers as /v1/messages) answers the batch, `processing_status` "in_progress";
- status: `GET /v1/messages/batches/{id}`, final once "ended";
- results: the JSONL at the batch's `results_url` (fetched only on the provider's own
  host; else its documented place, `/v1/messages/batches/{id}/results`), one line a
  request: `succeeded` (its `message` is the answer), `errored` (a failed request),
  `canceled` or `expired` (not answered: sent online);
- cancel: `POST /v1/messages/batches/{id}/cancel`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgspec

from service.providers.anthropic import request_body
from service.providers.base import ProviderError
from service.providers.batches import Batcher, Polled, Result

ENDED = "ended"
_ENVELOPE = (b'{"requests":[', b"]}")


class _Batch(msgspec.Struct):
    id: str
    processing_status: str
    results_url: str | None = None


class _Outcome(msgspec.Struct):
    type: str
    message: msgspec.Raw = msgspec.Raw(b"null")
    error: dict[str, Any] | None = None


class _Line(msgspec.Struct):
    custom_id: str
    result: _Outcome


_batch_dec = msgspec.json.Decoder(_Batch)
_line_dec = msgspec.json.Decoder(_Line)
_enc = msgspec.json.Encoder()


def _why(error: dict[str, Any] | None) -> str:
    """An errored result's `{"type": "error", "error": {"type", "message"}}` in a line."""
    inner = (error or {}).get("error")
    if isinstance(inner, dict):
        return f"{inner.get('type', 'error')}: {str(inner.get('message', ''))[:200]}"
    return str(error)[:200]


class MessageBatcher(Batcher):
    """The Message Batches API's steps (module docstring)."""

    # `{"requests":[` + `]}`, less the last request's separator
    pack_overhead = len(_ENVELOPE[0]) + len(_ENVELOPE[1]) - 1

    def _encode(self, custom_id: str, body: dict[str, Any]) -> bytes:
        params = {k: v for k, v in body.items() if k not in ("model", "messages")}
        request = {"custom_id": custom_id, "params": request_body(body["model"], body["messages"], params)}
        return _enc.encode(request) + b","  # the separator, counted in the request's size

    def _pack(self, lines: list[bytes]) -> bytes:
        return _ENVELOPE[0] + b"".join(lines)[:-1] + _ENVELOPE[1]

    async def _submit(self, data: bytes) -> str:
        async with self._session.post(self._base + "/messages/batches", data=data) as resp:
            if resp.status != 200:
                raise ProviderError(f"message batch create answered {resp.status}", status=resp.status)
            batch = _batch_dec.decode(await resp.read())
        self.uploads += 1
        return batch.id

    async def _status(self, batch_id: str) -> Polled | None:
        raw = await self._get_batch(f"/messages/batches/{batch_id}", "message batch")
        if raw is None:
            return None
        batch = _batch_dec.decode(raw)
        return Polled(status=batch.processing_status, final=batch.processing_status == ENDED, batch=batch)

    def _results_path(self, batch: _Batch) -> str:
        """Where the results are: the batch's results_url when it is on the provider's own
        host (the key goes with the request), else the documented path."""
        url = batch.results_url
        if url and urlsplit(url)[:2] == urlsplit(self._base)[:2]:
            return url
        return f"/messages/batches/{batch.id}/results"

    async def _fetch(self, batch_id: str, polled: Polled) -> dict[str, Result]:
        batch: _Batch = polled.batch
        if batch.processing_status != ENDED:
            return {}  # gone before it ended: nothing answered
        raw = await self._download(self._results_path(batch))
        results: dict[str, Result] = {}
        for text in (raw or b"").splitlines():
            try:
                line = _line_dec.decode(text)
            except msgspec.DecodeError:
                continue
            kind = line.result.type
            if kind == "succeeded":
                results[line.custom_id] = ("ok", bytes(line.result.message))
            elif kind == "errored":
                results[line.custom_id] = ("error", _why(line.result.error))
            else:  # canceled, expired: not answered, sent online
                results[line.custom_id] = ("none", f"batch {batch_id}: request {kind}")
        return results

    async def _cancel_one(self, batch_id: str) -> bool:
        async with self._session.post(f"{self._base}/messages/batches/{batch_id}/cancel") as resp:
            return resp.status == 200
