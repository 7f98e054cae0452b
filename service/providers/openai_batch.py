"""Batch mode for an openai-compatible provider: a job's chat requests sent through the
OpenAI Batch API (docs/costs.md, "Provider batch mode").

One `Batcher` per job run, provider and model. The job's lanes call `chat(custom_id,
body)` as they would call the chat endpoint; the requests that arrive within
`batch_collect_seconds` of each other go into one JSONL input file (one request a line:
`custom_id`, `method`, `url`, `body`), split at `batch_max_requests` lines and
`batch_max_bytes` bytes, each file uploaded (`POST /v1/files`, purpose `batch`) and
made a batch (`POST /v1/batches`, window 24h). The batch ids and their custom_ids go to
the job's state in Redis (`BatchState`, store/batches.py) as soon as the provider
accepted the batch; a poller asks the batch's status every `batch_poll_seconds` until it
is final, downloads its output and error files and hands each line to the call waiting
on its custom_id.

A restarted worker: its first call loads the job's pending custom_ids; a call whose
custom_id is already in a batch waits for that batch (its poller starts again) instead
of sending the request again. The answers of a finished batch nobody asked for yet are
kept in memory until a call asks (the recipe re-issues the same requests in a rerun).

How a request ends: a line of the output file is its answer (usage counted, priced at
the batch discount by the caller); a line of the error file is a failed request (a
non-fatal ProviderError: the item is lost, like an online call out of retries); a
request the batch did not answer (it expired, was cancelled or failed) raises
`NotAnswered`, and the caller sends it online.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import aiohttp
import msgspec

from service import defaults
from service.providers.base import NotAnswered, ProviderError

log = logging.getLogger(__name__)

FINAL = frozenset({"completed", "expired", "cancelled", "failed"})
ENDPOINT = "/v1/chat/completions"
_UPLOAD_ATTEMPTS = 4


class BatchState(Protocol):
    """Where a batcher keeps what survives its worker: custom_id -> batch id."""

    async def record(self, batch_id: str, custom_ids: list[str]) -> None: ...
    async def pending(self) -> dict[str, str]: ...
    async def forget(self, custom_ids: list[str]) -> None: ...


class BatchOptions(msgspec.Struct, frozen=True):
    """A provider's batch settings (its `batch_*` fields in the providers file)."""

    poll_seconds: float = defaults.BATCH_POLL_SECONDS
    collect_seconds: float = defaults.BATCH_COLLECT_SECONDS
    max_requests: int = defaults.BATCH_MAX_REQUESTS
    max_bytes: int = defaults.BATCH_MAX_BYTES


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

# What a waiting call is handed: ("ok", chat body) | ("error", why) | ("none", why)
Result = tuple[str, bytes | str]


def split(lines: list[tuple[str, bytes]], max_requests: int, max_bytes: int) -> list[list[tuple[str, bytes]]]:
    """The request lines (custom_id, JSONL line) in files of at most `max_requests` lines
    and `max_bytes` bytes (a single line over max_bytes goes alone; the provider refuses it)."""
    files: list[list[tuple[str, bytes]]] = []
    size = 0
    for cid, line in lines:
        if not files or len(files[-1]) >= max_requests or (files[-1] and size + len(line) > max_bytes):
            files.append([])
            size = 0
        files[-1].append((cid, line))
        size += len(line)
    return files


class Batcher:
    """The batch path of one provider and model for one job run (module docstring)."""

    def __init__(self, *, session: aiohttp.ClientSession, base: str, name: str, model: str,
                 options: BatchOptions, state: BatchState):
        self._session, self._base, self.name, self.model = session, base, name, model
        self._opts, self._state = options, state
        self._known: dict[str, str] | None = None  # custom_id -> batch id (loaded once)
        self._load_lock = asyncio.Lock()
        self._waiters: dict[str, asyncio.Future[Result]] = {}
        self._results: dict[str, Result] = {}
        self._queue: list[tuple[str, bytes]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._pollers: dict[str, asyncio.Task[None]] = {}
        self._finished: set[str] = set()  # batches seen final
        self.uploads = 0  # files this batcher uploaded (tests, bench)

    async def known(self, custom_id: str) -> bool:
        """Whether the request is already in a batch (sent by an earlier run)."""
        return custom_id in await self._load() or custom_id in self._results

    async def chat(self, custom_id: str, body: dict[str, Any]) -> bytes:
        """The chat answer's body for the request `body`, through a batch; raises
        ProviderError for a failed line, NotAnswered for a request its batch left out."""
        known = await self._load()
        result = self._results.pop(custom_id, None)
        if result is None:
            fut: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
            self._waiters[custom_id] = fut
            try:
                if custom_id in known:
                    self._poll(known[custom_id])
                else:
                    self._queue.append((custom_id, _enc.encode(
                        {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}) + b"\n"))
                    if len(self._queue) >= self._opts.max_requests:
                        self._spawn(self._flush())
                    elif self._flusher is None or self._flusher.done():
                        self._flusher = self._spawn(self._flush(self._opts.collect_seconds))
                result = await fut
            finally:
                if self._waiters.get(custom_id) is fut:
                    del self._waiters[custom_id]
        known.pop(custom_id, None)
        await self._state.forget([custom_id])
        kind, value = result
        if kind == "ok":
            assert isinstance(value, bytes)
            return value
        if kind == "error":
            raise ProviderError(f"{self.name}: batch request failed: {value!s}")
        raise NotAnswered(str(value))

    async def _load(self) -> dict[str, str]:
        if self._known is None:
            async with self._load_lock:
                if self._known is None:
                    self._known = await self._state.pending()
        return self._known

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _flush(self, after: float = 0.0) -> None:
        if after:
            await asyncio.sleep(after)
        lines, self._queue = self._queue, []
        for part in split(lines, self._opts.max_requests, self._opts.max_bytes):
            try:
                batch_id = await self._send(b"".join(line for _, line in part))
            except Exception as exc:  # noqa: BLE001 - nothing sent: the requests go online
                log.warning("%s: batch not sent (%s); its %d requests go online", self.name, exc, len(part))
                self._deliver({cid: ("none", f"batch not sent: {exc}") for cid, _ in part})
                continue
            cids = [cid for cid, _ in part]
            # Recorded once the provider took it: a restart from here on waits on it.
            await self._state.record(batch_id, cids)
            known = await self._load()
            for cid in cids:
                known[cid] = batch_id
            self._poll(batch_id)

    async def _send(self, data: bytes) -> str:
        """Upload one input file and make it a batch; the batch id."""
        for attempt in range(_UPLOAD_ATTEMPTS):
            try:
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
            except (aiohttp.ClientError, asyncio.TimeoutError, ProviderError) as exc:
                if attempt == _UPLOAD_ATTEMPTS - 1 or (isinstance(exc, ProviderError) and exc.status in (401, 403, 404)):
                    raise
                await asyncio.sleep(min(30.0, 0.5 * 2 ** attempt))
        raise AssertionError("unreachable")

    def _poll(self, batch_id: str) -> None:
        task = self._pollers.get(batch_id)
        if task is None or task.done():
            self._pollers[batch_id] = self._spawn(self._watch(batch_id))

    async def _get(self, path: str) -> tuple[int, bytes]:
        async with self._session.get(self._base + path) as resp:
            return resp.status, await resp.read()

    async def _watch(self, batch_id: str) -> None:
        """Poll the batch until it is final, then hand its lines out."""
        batch: _Batch | None = None
        while True:
            try:
                status, raw = await self._get(f"/batches/{batch_id}")
                if status == 404:
                    break
                if status == 200:
                    batch = _batch_dec.decode(raw)
                    if batch.status in FINAL:
                        break
            except (aiohttp.ClientError, asyncio.TimeoutError, msgspec.DecodeError) as exc:
                log.warning("%s: polling batch %s: %s", self.name, batch_id, exc)
            await asyncio.sleep(self._opts.poll_seconds)
        results: dict[str, Result] = {}
        for file_id in (batch.output_file_id, batch.error_file_id) if batch is not None else ():
            if file_id is None:
                continue
            for attempt in range(_UPLOAD_ATTEMPTS):
                try:
                    status, raw = await self._get(f"/files/{file_id}/content")
                    if status == 200:
                        break
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(0.5 * 2 ** attempt)
            else:
                continue
            for text in raw.splitlines():
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
        self._finished.add(batch_id)
        why = f"batch {batch_id} ended {batch.status if batch else 'missing'} without an answer for it"
        known = await self._load()
        for cid, bid in list(known.items()):
            if bid == batch_id and cid not in results:
                results[cid] = ("none", why)
        for cid in [c for c in self._waiters if known.get(c) == batch_id and c not in results]:
            results[cid] = ("none", why)
        self._deliver(results)

    def _deliver(self, results: dict[str, Result]) -> None:
        for cid, result in results.items():
            fut = self._waiters.pop(cid, None)
            if fut is not None and not fut.done():
                fut.set_result(result)
            else:
                self._results[cid] = result

    async def cancel(self) -> list[str]:
        """Cancel at the provider every batch of the job this run knows that is not final
        (the job is over: a cancel, a budget, its target made): what they answered so far
        is charged, the rest is not. Best effort; the batch ids it asked to cancel."""
        open_ids = {bid for bid in (self._known or {}).values()} | set(self._pollers)
        asked = []
        for batch_id in sorted(open_ids - self._finished):
            try:
                async with self._session.post(f"{self._base}/batches/{batch_id}/cancel") as resp:
                    if resp.status == 200:
                        asked.append(batch_id)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.warning("%s: cancelling batch %s: %s", self.name, batch_id, exc)
        return asked

    async def aclose(self) -> None:
        """Stop polling (the batches go on at the provider; a new run waits on them)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for fut in self._waiters.values():
            if not fut.done():
                fut.cancel()

