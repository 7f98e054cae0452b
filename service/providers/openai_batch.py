"""Batch mode for an openai-compatible provider: the OpenAI Batch API's steps
(docs/costs.md, "Provider batch mode"); the collecting, splitting, recording, polling
and resuming are the shared `Batcher`'s (providers/batches.py).

- a request is one JSONL line (`custom_id`, `method` POST, `url` /v1/chat/completions,
  `body`); a part is its lines, at most `batch_max_requests` lines and `batch_max_bytes`
  bytes (OpenAI's limits: 50,000 and 200 MB, the defaults);
- submit: the file uploaded (`POST /v1/files`, purpose `batch`) and made a batch
  (`POST /v1/batches`, window 24h);
- status: `GET /v1/batches/{id}`, final once completed, expired, cancelled or failed;
- results: its output file (a line with status 200 is the chat answer) and error file
  (any other line is a failed request);
- cancel: `POST /v1/batches/{id}/cancel`.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import msgspec

from service.providers.base import ProviderError
from service.providers.batches import Batcher as _Batcher
from service.providers.batches import BatchOptions, BatchState, Polled, Result, split

__all__ = ["ENDPOINT", "FINAL", "BatchOptions", "BatchState", "Batcher", "split"]

FINAL = frozenset({"completed", "expired", "cancelled", "failed"})
ENDPOINT = "/v1/chat/completions"


class _Response(msgspec.Struct):
    status_code: int = 0
    body: msgspec.Raw = msgspec.Raw(b"null")


class _Line(msgspec.Struct):
    custom_id: str
    response: _Response | None = None
    error: dict[str, Any] | None = None


class _Batch(msgspec.Struct):
    id: str
    status: str
    output_file_id: str | None = None
    error_file_id: str | None = None


_line_dec = msgspec.json.Decoder(_Line)
_batch_dec = msgspec.json.Decoder(_Batch)
_enc = msgspec.json.Encoder()


class Batcher(_Batcher):
    """The OpenAI Batch API's steps (module docstring)."""

    def _encode(self, custom_id: str, body: dict[str, Any]) -> bytes:
        return _enc.encode({"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}) + b"\n"

    async def _submit(self, data: bytes) -> str:
        form = aiohttp.FormData()
        form.add_field("purpose", "batch")
        form.add_field("file", data, filename="requests.jsonl", content_type="application/jsonl")
        payload = form()
        async with self._session.post(self._base + "/files", data=payload,
                                      headers={"Content-Type": payload.content_type}) as resp:
            if resp.status != 200:
                raise ProviderError(f"upload answered {resp.status}", status=resp.status)
            file_id = (await resp.json())["id"]
        self.uploads += 1
        async with self._session.post(self._base + "/batches", data=_enc.encode(
                {"input_file_id": file_id, "endpoint": ENDPOINT, "completion_window": "24h",
                 "metadata": {"synthgen_model": self.model}})) as resp:
            if resp.status != 200:
                raise ProviderError(f"batch create answered {resp.status}", status=resp.status)
            return str((await resp.json())["id"])

    async def _status(self, batch_id: str) -> Polled | None:
        raw = await self._get_batch(f"/batches/{batch_id}", "batch")
        if raw is None:
            return None
        batch = _batch_dec.decode(raw)
        return Polled(status=batch.status, final=batch.status in FINAL, batch=batch)

    async def _fetch(self, batch_id: str, polled: Polled) -> dict[str, Result]:
        batch: _Batch = polled.batch
        results: dict[str, Result] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id is None:
                continue
            raw = await self._download(f"/files/{file_id}/content")
            for text in (raw or b"").splitlines():
                try:
                    line = _line_dec.decode(text)
                except msgspec.DecodeError:
                    continue
                r = line.response
                if r is not None and r.status_code == 200:
                    results[line.custom_id] = ("ok", bytes(r.body))
                else:
                    detail = line.error or (bytes(r.body)[:200].decode(errors="replace") if r is not None else "")
                    why = f"status {r.status_code if r is not None else 'none'}: {detail}"
                    results[line.custom_id] = ("error", why)
        return results

    async def _cancel_one(self, batch_id: str) -> bool:
        async with self._session.post(f"{self._base}/batches/{batch_id}/cancel") as resp:
            return resp.status == 200
