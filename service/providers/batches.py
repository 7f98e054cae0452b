"""Provider batch mode, the part every provider's batch API shares (docs/costs.md,
"Provider batch mode"): collecting a job's chat requests into batches, splitting them at
the provider's limits, recording which batch holds which request, polling, handing the
answers to the waiting calls, and a restarted worker's resume.

One batcher per job run, provider and model. The job's lanes call `chat(custom_id,
body)` (body: the OpenAI-shaped chat request the run would send online: `model`,
`messages`, sampling) as they would call the chat endpoint; the requests that arrive
within `batch_collect_seconds` of each other go into one batch, split at
`batch_max_requests` requests and `batch_max_bytes` bytes, each part submitted to the
provider. The batch ids and their custom_ids go to the job's state in Redis
(`BatchState`, store/batches.py) as soon as the provider accepted the batch; a poller
asks the batch's status every `batch_poll_seconds` until it is final, fetches its results
and hands each to the call waiting on its custom_id.

A restarted worker: its first call loads the job's pending custom_ids; a call whose
custom_id is already in a batch waits for that batch (its poller starts again) instead
of sending the request again. The answers of a finished batch nobody asked for yet are
kept in memory until a call asks (the recipe re-issues the same requests in a rerun).

How a request ends: an answer (usage counted, priced at the batch discount by the
caller); a failed request (a non-fatal ProviderError: the item is lost, like an online
call out of retries); a request the batch did not answer (it expired, was cancelled or
failed) raises `NotAnswered`, and the caller sends it online.

`Batcher` does all that; a provider's API is a subclass with one method per API step
(`_encode` a request, `_pack` a part, `_submit` it, `_status` of a batch, `_fetch` its
results, `_cancel_one`): providers/openai_batch.py (OpenAI's Batch API),
providers/anthropic_batch.py (Anthropic's Message Batches).
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

_SEND_ATTEMPTS = 4

# What a waiting call is handed: ("ok", the answer's body) | ("error", why) | ("none", why)
Result = tuple[str, bytes | str]


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


class BatchFields(Protocol):
    """A provider config's batch settings (the `batch` and `batch_*` fields of its kind)."""

    batch: bool
    batch_poll_seconds: float
    batch_collect_seconds: float
    batch_max_requests: int
    batch_max_bytes: int


def options_of(cfg: BatchFields) -> BatchOptions | None:
    """The options of a config's batch mode; None when it takes no batches (`batch = false`)."""
    if not cfg.batch:
        return None
    return BatchOptions(poll_seconds=cfg.batch_poll_seconds, collect_seconds=cfg.batch_collect_seconds,
                        max_requests=cfg.batch_max_requests, max_bytes=cfg.batch_max_bytes)


class Polled(msgspec.Struct):
    """A batch's status as one poll found it: the provider's name for it, whether it is
    final (no more answers will come), and what `_fetch` needs (the batch object)."""

    status: str
    final: bool
    batch: Any = None


def split(lines: list[tuple[str, bytes]], max_requests: int, max_bytes: int) -> list[list[tuple[str, bytes]]]:
    """The encoded requests (custom_id, bytes) in parts of at most `max_requests` requests
    and `max_bytes` bytes (a single request over max_bytes goes alone; the provider refuses it)."""
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
    """The batch path of one provider and model for one job run (module docstring).
    Subclasses implement their API's steps (the methods that raise NotImplementedError)."""

    # bytes a part's payload adds to its requests' (`_pack`'s envelope): the split leaves room
    pack_overhead = 0

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
        self.uploads = 0  # payloads this batcher sent (files uploaded, batches created: tests, bench)

    # -- one method per step of the provider's API ------------------------------------

    def _encode(self, custom_id: str, body: dict[str, Any]) -> bytes:
        """One request as its part of a batch's payload (what `split` measures)."""
        raise NotImplementedError

    def _pack(self, lines: list[bytes]) -> bytes:
        """A part's requests as the payload `_submit` sends."""
        return b"".join(lines)

    async def _submit(self, data: bytes) -> str:
        """Send one payload as a batch; its id. Raise ProviderError (with its status) or
        an aiohttp error when the provider refused it or could not be reached."""
        raise NotImplementedError

    async def _status(self, batch_id: str) -> Polled | None:
        """The batch's status now; None when the provider does not know it (404). Raise
        (ProviderError, aiohttp's, msgspec's) for an answer to ask again later."""
        raise NotImplementedError

    async def _fetch(self, batch_id: str, polled: Polled) -> dict[str, Result]:
        """The results of an ended batch by custom_id (a request left out is not answered)."""
        raise NotImplementedError

    async def _cancel_one(self, batch_id: str) -> bool:
        """Ask the provider to cancel the batch; whether it took the request."""
        raise NotImplementedError

    # -- the bookkeeping -------------------------------------------------------------

    async def known(self, custom_id: str) -> bool:
        """Whether the request is already in a batch (sent by an earlier run)."""
        return custom_id in await self._load() or custom_id in self._results

    async def chat(self, custom_id: str, body: dict[str, Any]) -> bytes:
        """The answer's body for the chat request `body`, through a batch; raises
        ProviderError for a failed request, NotAnswered for a request its batch left out."""
        known = await self._load()
        result = self._results.pop(custom_id, None)
        if result is None:
            fut: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
            self._waiters[custom_id] = fut
            try:
                if custom_id in known:
                    self._poll(known[custom_id])
                else:
                    self._queue.append((custom_id, self._encode(custom_id, body)))
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
        # Requests that arrive from here on (while these upload) start a timer of their
        # own: a timer that covered them too would have flushed before they came, and
        # they would wait for ever.
        if self._flusher is asyncio.current_task():
            self._flusher = None
        for part in split(lines, self._opts.max_requests, max(1, self._opts.max_bytes - self.pack_overhead)):
            try:
                batch_id = await self._send(self._pack([line for _, line in part]))
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
        """Submit one payload, retried (not a 401, 403 or 404: a key or URL that will not change); the batch id."""
        for attempt in range(_SEND_ATTEMPTS):
            try:
                return await self._submit(data)
            except (aiohttp.ClientError, asyncio.TimeoutError, ProviderError) as exc:
                if attempt == _SEND_ATTEMPTS - 1 or (isinstance(exc, ProviderError) and exc.status in (401, 403, 404)):
                    raise
                await asyncio.sleep(min(30.0, 0.5 * 2 ** attempt))
        raise AssertionError("unreachable")

    def _poll(self, batch_id: str) -> None:
        task = self._pollers.get(batch_id)
        if task is None or task.done():
            self._pollers[batch_id] = self._spawn(self._watch(batch_id))

    def _url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self._base + path

    async def _get(self, path: str) -> tuple[int, bytes]:
        async with self._session.get(self._url(path)) as resp:
            return resp.status, await resp.read()

    async def _get_batch(self, path: str, what: str) -> bytes | None:
        """A batch object's body for a `_status` step; None when the provider no longer
        knows the batch (404); a ProviderError for any other refusal."""
        status, raw = await self._get(path)
        if status == 404:
            return None
        if status != 200:
            raise ProviderError(f"{what} status answered {status}", status=status)
        return raw

    async def _download(self, path: str) -> bytes | None:
        """A results file's bytes, retried; None when it cannot be had."""
        for attempt in range(_SEND_ATTEMPTS):
            try:
                status, raw = await self._get(path)
                if status == 200:
                    return raw
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.5 * 2 ** attempt)
        return None

    async def _watch(self, batch_id: str) -> None:
        """Poll the batch until it is final, then hand its results out."""
        last: Polled | None = None
        while True:
            try:
                polled = await self._status(batch_id)
                if polled is None:
                    break
                last = polled
                if polled.final:
                    break
            except (aiohttp.ClientError, asyncio.TimeoutError, msgspec.DecodeError, ProviderError) as exc:
                log.warning("%s: polling batch %s: %s", self.name, batch_id, exc)
            await asyncio.sleep(self._opts.poll_seconds)
        results = await self._fetch(batch_id, last) if last is not None else {}
        self._finished.add(batch_id)
        why = f"batch {batch_id} ended {last.status if last else 'missing'} without an answer for it"
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
                if await self._cancel_one(batch_id):
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
