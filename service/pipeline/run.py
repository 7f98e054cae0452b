"""One job run inside a worker: the `RecipeContext` a recipe drives, from provider call
to stored record.

A recipe calls `chat`/`complete` (or a `Model` handle), takes a target slot with
`ctx.slot()`, and settles it with `slot.offer(candidate)` or `slot.reject(...)`; its own
rejects that never held a slot (a parse failure before any work was reserved) go through
`ctx.reject`. A candidate passes the job's stages, then goes through a bounded queue to
the sink task, which commits batches to Redis (one round trip per batch) with their
counters. The queue bound is the back-pressure: if Redis slows down, the recipe's
producers wait instead of piling records up in memory.

Exactly `target`: a producer takes a slot before it spends work on a candidate; a kept
record consumes the slot, a reject frees it, and a slot left unsettled (an exception, a
`Stopped`, an early `continue`) releases itself when its `async with` block exits. The
sink's Lua commit is the last guard (kept never exceeds target) when several workers
share one job.

Resume: `ctx.is_done(key)` says whether an item was committed (kept or rejected) by an
earlier run, for the items this run asked about: `ctx.items` asks for the chunks it
takes from another run, `await ctx.refresh_done(keys)` for any keys, and `await
ctx.committed()` returns what was committed, for recipes that rebuild state from it
(Evol-Instruct's chains, PersonaHub's lineage). A shard never loads every id of a job
(a million ids were ~50 MB of worker memory). A recipe's
`run()` returns a `RunOutcome` (a note for the caller, or a shortfall that fails the
job); the context never reads it back from attributes the recipe set.

Units of work: every item a recipe produces has a deterministic key (an index into the
job's inputs, or a hash of the item's own text: `text_key`), so a record's id is the
same in every run and a second worker can tell a committed item from a new one. The
state an item needs beyond the spec and its key is named by the recipe's
`shared_state` (see recipes/base.py) and kept in Redis.

Shards (store/shards.py has the protocol): a context is one shard of its job. Several
shards, on several workers, run the same recipe at once:
- `ctx.items(values)` yields only the items of the chunks this shard claimed (a free or
  fresh chunk, or one a dead shard left), so the shards split a job's inputs between
  them, a fast one taking more;
- a target slot needs a ticket (`await ctx.slot()`), which the job grants while kept +
  every shard's tickets stay below target, so the shards never overshoot together;
- `ctx.kept`, `ctx.requests_made` and the error budget count the whole job (every
  commit round trip brings the job's counters back), and a fatal error, a spent error
  budget or request budget, or a recipe's exception stops every shard (`stop_job`);
- shared state: `ctx.shared_list(name)` (an append-only list whose appends are checked
  against all of it, e.g. Self-Instruct's novelty pool), `ctx.shared_set(name)` (e.g.
  Magpie's instructions taken) and `await ctx.once(name, compute)` (a value computed
  once per job, e.g. PersonaHub's personas);
- `ctx.rng` is this shard's own stream (shard 0's first run draws from the job's seed,
  as a single worker always did), `ctx.job_rng()` the job-wide one for draws every
  shard must agree on (Orca's schedule, UltraChat's plans).

Redis outages: the sink retries its commit until Redis answers (store.redis.retrying;
the commit is idempotent by item id), so producers wait on the full queue instead of
the run dying, and the run goes on within a second of Redis returning.

Stopping: `stop()` (cancel, lease lost, fatal provider error) also interrupts provider
calls in flight, so a hung provider cannot hold a cancelled job for timeout x retries.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections import defaultdict
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Generic,
    Iterable,
    Sequence,
    TypeVar,
)

import msgspec

from service import defaults, metrics
from service.domain.costs import NANOS_PER_USD, Price, usd
from service.domain.specs import GeneratorRef, JobSpecBase
from service.pipeline import formats, reasoning
from service.pipeline.cache import cacheable, request_hash
from service.pipeline.stages import Candidate, Stage, Verdict, build_stages
from service.providers.base import Completion, NotAnswered, Provider, ProviderError
from service.redact import redact
from service.store.budgets import NANOS_PER_CENT
from service.store.cache import GLOBAL as GLOBAL_CACHE
from service.store.codec import (
    BATCH_CALLS,
    BATCH_ONLINE,
    CACHE_HITS,
    CACHE_MISSES,
    CACHE_SAVED,
    COST,
    COST_UNPRICED,
    attempt_counter,
    cost_generator,
    cost_stage,
    lost_counter,
    requests_counter,
    stage_entered,
)
from service.store.jobs import CommitItem, JobStore
from service.store.redis import retrying

if TYPE_CHECKING:
    from service.providers.batches import Batcher
    from service.worker.runtime import WorkerRuntime

log = logging.getLogger("synthgen.run")
_enc = msgspec.json.Encoder()
_completion_dec = msgspec.json.Decoder(Completion)
SpecT = TypeVar("SpecT", bound=JobSpecBase)
T = TypeVar("T")


async def gather_all(aws: Iterable[Awaitable[Any]]) -> list[Any]:
    """Await every call (none is left running when one fails), then raise the first
    failure, a Stopped first: a recipe fanning out calls inside one item keeps
    RecipeContext.each's handling of ProviderError and Stopped."""
    results = await asyncio.gather(*aws, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise next((e for e in errors if isinstance(e, Stopped)), errors[0])
    return results


# Requests spent since the current lane's last outcome. Each lane (a task of its own,
# see RecipeContext.lanes) holds one list; the tasks a lane spawns share it, since a
# task copies its parent's context. A provider counts every HTTP request it sends
# (retries too) into it, and the next outcome settled in that lane (a kept record or a
# reject) takes the count, so the funnel's requests add up to the job's `requests`.
_spent: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("synthgen_spent", default=None)

# The chunk ('{stream}:{index}') of the `ctx.items` item the current lane works on, set by
# `each` for the duration of fn(slot, item): every outcome committed meanwhile (the item's
# record or reject, its extra verified samples) is guarded by that chunk's ids set, which
# goes when the chunk is done (store/jobs.py COMMIT). '' outside: the job's ids set.
_chunk: contextvars.ContextVar[str] = contextvars.ContextVar("synthgen_chunk", default="")

# The funnel's outcome for requests no outcome took: a lane that ended after calls
# that produced no candidate (a parse that found nothing, a provider error before
# any slot), or calls made outside any lane.
UNSETTLED = ("generate", "no_outcome")
KEPT = ("kept", "kept")
# The stop reason of a job that reached a hard budget (and its problem type's slug).
BUDGET_EXHAUSTED = "budget-exhausted"
# The stages a call's cost is charged to (Cost.stages).
GENERATION = "generation"
JUDGE = "judge"


def _label(provenance: dict[str, Any] | None) -> str:
    return f"{provenance['provider']}/{provenance['model']}" if provenance else ""


class ErrorBudget:
    """Provider calls lost after retries, against the job's `error_budget`, counted for
    the whole job: every shard's losses reach the job hash with its commits (`lost`, and
    `lost:{provider}|{reason}` per provider and reason), and each commit brings the
    job's total back (`seen`).

    The allowance is error_budget x max(target, calls made so far): a fraction of what
    the job promised, growing when a recipe needs several calls per record. One loss
    past it stops the job (stop reason "errors"), and the job fails naming the provider
    that lost the most calls and its dominant reason (pipeline/outcome.py), instead of
    letting a job that silently dropped a share of its items report success.
    """

    def __init__(self, fraction: float, target: int | None, stats: "JobStats"):
        self.fraction = fraction
        self.target = target or 0
        self.stats = stats
        self.seen = 0
        self.exceeded = False

    def lost(self, provider: str, exc: ProviderError, calls: int) -> bool:
        """Count one lost call; True the first time the budget is exceeded."""
        reason = f"HTTP {exc.status}" if exc.status else "no usable answer"
        pending = self.stats.pending
        pending["lost"] += 1
        pending[lost_counter(provider, reason)] += 1
        self.stats.text[f"lost_last:{provider}"] = str(exc)
        over = self.seen + pending["lost"] > self.fraction * max(self.target, calls)
        first = over and not self.exceeded
        self.exceeded = self.exceeded or over
        return first


class Stopped(Exception):
    """Raised inside a recipe when the run must end (cancelled, lease lost, fatal error)."""


class RunOutcome(msgspec.Struct, frozen=True):
    """What a recipe's run() tells the worker: a `note` for the caller (e.g. how many
    prompts gave no record), a `shortfall` (the recipe's account of why it made fewer
    than asked), and `inputs` when the recipe learns its number of inputs only while
    running (PersonaHub's unique personas). Which status follows is decided once, by
    pipeline/outcome.py, never by the recipe."""

    note: str | None = None
    shortfall: str | None = None
    inputs: int | None = None


DONE = RunOutcome()


class Committed(msgspec.Struct, frozen=True):
    """What earlier runs of a job committed: every id (kept or rejected), the records,
    and (when asked for) the rejects, as decoded lines. `key(line)` is the recipe's item
    key of a line (its id without the job prefix)."""

    job_id: str
    ids: frozenset[str]
    records: list[dict[str, Any]]
    rejects: list[dict[str, Any]]

    def key(self, line: dict[str, Any]) -> str:
        rid = str(line.get("id", ""))
        return rid[len(self.job_id) + 1:] if rid.startswith(self.job_id + ".") else rid


class Slot:
    """One reserved place toward the job's target, as an async context manager.

    `offer` or `reject` settles it (a kept record consumes it, a reject frees it); a
    slot still unsettled when its block exits (an exception, `Stopped`, an early
    `continue`) is released there, so no path can leak a reservation and stall `fill`.
    """

    __slots__ = ("_ctx", "settled")

    def __init__(self, ctx: "RecipeContext[Any]"):
        self._ctx = ctx
        self.settled = False

    async def __aenter__(self) -> "Slot":
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> bool:
        if not self.settled:
            self.settled = True
            self._ctx._release()
            self._ctx.stats.unsettled()  # its requests gave no outcome (a spawned task may outlive its lane)
        return False  # the exception (Stopped included) is the lane's to handle

    async def offer(self, c: Candidate) -> bool:
        """Run `c` through the stages and keep or reject it; True when kept."""
        self._settle()
        return await self._ctx._offer(c, reserved=True)

    async def reject(self, key: str, verdict: Verdict, data: dict[str, Any], *,
                     provenance: dict[str, Any] | None = None, annotations: dict[str, Any] | None = None) -> None:
        """Reject the item (freeing the slot); `annotations` (what stages learned, e.g. a
        verifier's verdict) go into the reject's meta."""
        self._settle()
        await self._ctx._reject(key, verdict, data, reserved=True, provenance=provenance, annotations=annotations)

    def _settle(self) -> None:
        if self.settled:
            raise RuntimeError("a slot is settled once: by one offer or one reject")
        self.settled = True


class JobStats:
    """CallStats for one job: feeds the job hash counters and the process metrics."""

    def __init__(self, buffer: metrics.Buffer):
        self.pending: defaultdict[str, int] = defaultdict(int)
        # Text fields of the job hash written with the next commit (the last error per provider).
        self.text: dict[str, str] = {}
        self._buf = buffer

    def request(self, provider: str, model: str, outcome: str, seconds: float) -> None:
        self.pending["requests"] += 1
        spent = _spent.get()
        if spent is None:
            self.pending[requests_counter(*UNSETTLED)] += 1
        else:
            spent[0] += 1
        self._buf.inc("synthgen_provider_requests", provider=provider, model=model, outcome=outcome)
        self._buf.observe("synthgen_provider_request_duration_seconds", seconds, provider=provider, model=model)

    def retry(self, provider: str) -> None:
        self.pending["retries"] += 1
        self._buf.inc("synthgen_provider_retries", provider=provider)

    def tokens(self, provider: str, model: str, tokens_in: int, tokens_out: int) -> None:
        self.pending["tokens_in"] += tokens_in
        self.pending["tokens_out"] += tokens_out
        self._buf.inc("synthgen_provider_tokens", tokens_in, provider=provider, model=model, direction="in")
        self._buf.inc("synthgen_provider_tokens", tokens_out, provider=provider, model=model, direction="out")

    def cost(self, provider: str, model: str, stage: str, price: Price | None, c: Completion) -> int:
        """Charge one answered call at `price` (None: unpriced, counted as such) to the
        job, its generator and `stage`; the nano-dollars charged."""
        if price is None:
            self.pending[COST_UNPRICED] += 1
            return 0
        nanos = price.nanos(c.tokens_in, c.tokens_out, batch=c.batch)
        self.pending[COST] += nanos
        self.pending[cost_generator(f"{provider}/{model}")] += nanos
        self.pending[cost_stage(stage)] += nanos
        self._buf.inc("synthgen_provider_cost_usd", nanos / NANOS_PER_USD, provider=provider, model=model,
                      stage=stage)
        return nanos

    def outcome(self, stage: str, reason: str) -> None:
        """One attempt ended in (stage, reason) (KEPT for a kept record): count it, and
        charge it the requests its lane spent since the lane's last outcome."""
        self.pending[attempt_counter(stage, reason)] += 1
        spent = _spent.get()
        if spent is not None and spent[0]:
            self.pending[requests_counter(stage, reason)] += spent[0]
            spent[0] = 0

    def unsettled(self) -> None:
        """A lane ended: requests no outcome took are charged to UNSETTLED."""
        spent = _spent.get()
        if spent is not None and spent[0]:
            self.pending[requests_counter(*UNSETTLED)] += spent[0]
            spent[0] = 0

    def take(self) -> tuple[dict[str, int], dict[str, str]]:
        out, self.pending = self.pending, defaultdict(int)
        text, self.text = self.text, {}
        return out, text


class Model:
    """One model at one provider, as a recipe calls it; carries its provenance and the
    stage its calls are charged to (`generation`, or `judge` for a judge model)."""

    def __init__(self, run: "RecipeContext[Any]", provider: Provider, model: str, ref: GeneratorRef,
                 stage: str = GENERATION):
        self.run = run
        self.provider = provider
        self.model = model
        self.ref = ref
        self.stage = stage
        self.provenance = {"provider": provider.name, "model": model, "licence": provider.licence}
        self.label = f"{provider.name}/{model}"

    def charged_to(self, stage: str) -> "Model":
        """The same model, its calls charged to `stage`."""
        return Model(self.run, self.provider, self.model, self.ref, stage)

    @property
    def supports_raw(self) -> bool:
        return self.provider.supports_raw

    def sampling(self, base: dict[str, Any]) -> dict[str, Any]:
        """The recipe's defaults `base` overridden by this generator's sampling in the spec."""
        return self.ref.sampling.over(base)

    async def chat(self, messages: list[dict[str, str]], params: dict[str, Any]) -> Completion:
        chars = sum(len(m.get("content") or "") for m in messages)
        batcher = self.run.batcher(self)
        aw = (self.provider.chat(messages, model=self.model, params=params) if batcher is None
              else self.run._batched(batcher, self, messages, params))
        return await self.run._call(self, aw, chars, params, self.run.cache_key(self, "chat", messages, params))

    async def complete(self, prompt: str, params: dict[str, Any]) -> Completion:
        return await self.run._call(self, self.provider.complete(prompt, model=self.model, params=params),
                                    len(prompt), params, self.run.cache_key(self, "completions", prompt, params))

    def worst_case(self, chars: int, params: dict[str, Any]) -> tuple[int, int]:
        """A request's most (nano-dollars, tokens), as a budget reserves it: its prompt at
        BUDGET_CHARS_PER_TOKEN characters a token plus its max_tokens (store/budgets.py)."""
        reply = params.get("max_tokens") or params.get("max_completion_tokens")
        if not isinstance(reply, int) or isinstance(reply, bool) or reply <= 0:
            reply = defaults.TOKENS_ESTIMATE_REPLY
        prompt = chars // defaults.BUDGET_CHARS_PER_TOKEN + 1
        price = self.run.registry.price(self.provider.name, self.model)
        return (price.nanos(prompt, reply) if price is not None else 0), prompt + reply

    def structured(self, messages: list[dict[str, str]]
                   ) -> tuple[list[dict[str, str]], dict[str, Any], str | None]:
        """For an output the job's `structured_output` schema governs: the messages to
        send, the request fields to add, and how the schema was given: as
        `response_format` (OpenAI structured outputs, vLLM guided decoding) to a provider
        that takes it, else in the prompt (appended to the last user turn); None when
        the job has no schema."""
        so = self.run.spec.structured_output
        if so is None:
            return messages, {}, None
        cfg = self.run.registry.configs.get(self.provider.name)
        if cfg is None or cfg.structured_outputs:
            fmt = {"type": "json_schema", "json_schema": {"name": so.name, "schema": so.schema, "strict": so.strict}}
            return messages, {"response_format": fmt}, "response_format"
        note = ("\n\nAnswer with a single JSON value and nothing else; it must be valid against this JSON "
                "Schema:\n" + _enc.encode(so.schema).decode())
        last = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=len(messages) - 1)
        out = [dict(m) for m in messages]
        out[last]["content"] = str(out[last].get("content") or "") + note
        return out, {}, "prompt"


class ChunkDone(msgspec.Struct, frozen=True):
    """A sink queue entry: `chunk` ('{stream}:{index}') is done: its fields of the chunks
    hash and its ids set are deleted after the items queued before it are committed, in
    the same round trip."""

    chunk: str


def chunk_size(n: int, parallelism: int) -> int:
    """Items per chunk for `n` inputs and P shards: about CHUNKS_PER_SHARD chunks per
    shard (a fast shard takes more, a dead one leaves little to redo), within bounds.
    Every shard computes the same from the same inputs."""
    want = -(-n // max(1, parallelism * defaults.CHUNKS_PER_SHARD))
    return max(defaults.MIN_CHUNK_ITEMS, min(defaults.MAX_CHUNK_ITEMS, want))


class _Chunk:
    __slots__ = ("index", "start", "stop", "out", "handed")

    def __init__(self, index: int, start: int, stop: int):
        self.index, self.start, self.stop = index, start, stop
        self.out = 0  # items handed out and not finished
        self.handed = False  # every item handed out


class Items(Generic[T]):
    """The items of one input stream that this shard takes: (key, value) pairs of the
    chunks it claims, lazily (a list of 100k pairs was 10 MB of worker memory), skipping
    items committed already. Shared by a run's lanes (`ctx.each` pulls from it); a
    chunk is done once every item of it was handed out and finished (`finished(key)`),
    not stopped half-way."""

    def __init__(self, ctx: "RecipeContext[Any]", values: Sequence[T], stream: str,
                 key: Callable[[int, T], str],
                 prepare: Callable[[Sequence[T], bool], Awaitable[None]] | None = None):
        if not stream or ":" in stream:
            raise ValueError(f"bad stream name {stream!r}")
        self._ctx, self._values, self._stream, self._key = ctx, values, stream, key
        self._prepare = prepare
        n = len(values)
        chunks = ctx._chunk_map
        self._size = int(chunks.get(f"{stream}:size") or chunk_size(n, ctx.parallelism))
        self._total = -(-n // self._size) if n else 0
        mine = str(ctx.shard)
        pre = f"{stream}:o:"
        self._inherited = sorted(int(f[len(pre):]) for f, v in chunks.items() if f.startswith(pre) and v == mine)
        self._cur: _Chunk | None = None
        self._pos = 0
        self._lock = asyncio.Lock()
        self._owner: dict[str, _Chunk] = {}
        self._exhausted = False

    def __aiter__(self) -> AsyncIterator[tuple[str, T]]:
        return self

    @property
    def exhausted(self) -> bool:
        """True once no chunk was left to take."""
        return self._exhausted

    async def __anext__(self) -> tuple[str, T]:
        async with self._lock:
            while True:
                cur = self._cur
                if cur is not None:
                    while self._pos < cur.stop:
                        i = self._pos
                        self._pos += 1
                        value = self._values[i]
                        key = self._key(i, value)
                        if self._ctx.is_done(key):
                            continue
                        cur.out += 1
                        cur.handed = self._pos >= cur.stop  # its last item: done once it finishes
                        self._owner[key] = cur
                        return key, value
                    cur.handed = True
                    self._settle(cur)
                    self._cur = None
                if self._exhausted or self._ctx.stopped:
                    raise StopAsyncIteration
                chunk = await self._claim()
                if chunk is None:
                    self._exhausted = True
                    raise StopAsyncIteration
                self._cur, self._pos = chunk, chunk.start

    async def _claim(self) -> _Chunk | None:
        ctx = self._ctx
        if self._inherited:
            c, how = self._inherited.pop(0), "inherited"
        elif self._total == 0 or await ctx.should_yield():
            return None
        else:
            c, how = await retrying(lambda: ctx.store.shards.next_chunk(
                ctx.job_id, self._stream, ctx.shard, self._total, self._size), f"job {ctx.job_id}: next chunk")
            if c < 0:
                return None
        start, stop = c * self._size, min(len(self._values), (c + 1) * self._size)
        if how != "fresh":  # another run worked on it: skip what that run committed
            await ctx.refresh_done((self._key(i, self._values[i]) for i in range(start, stop)),
                                   chunk=f"{self._stream}:{c}")
            log.info("job %s: shard %d took chunk %s/%d (%s)", ctx.job_id, ctx.shard, self._stream, c, how)
        if self._prepare is not None:
            await self._prepare(self._values[start:stop], how == "fresh")
        return _Chunk(c, start, stop)

    def chunk_of(self, key: str) -> str:
        """The chunk ('{stream}:{index}') of the item `key` handed out and not finished."""
        chunk = self._owner.get(key)
        return f"{self._stream}:{chunk.index}" if chunk is not None else ""

    def finished(self, key: str) -> None:
        """The item `key` handed out is finished (its outcome queued, or none to give)."""
        chunk = self._owner.pop(key, None)
        if chunk is not None:
            chunk.out -= 1
            self._settle(chunk)

    def _settle(self, chunk: _Chunk) -> None:
        if chunk.handed and chunk.out == 0 and not self._ctx.stopped:
            self._ctx.chunk_done(f"{self._stream}:{chunk.index}")


class SharedList:
    """An append-only list of strings every shard of the job sees (store/shards.py
    POOL_APPEND): `items` is the prefix of it this shard knows, in order, and `on_add`
    is called for each item as it joins `items`."""

    def __init__(self, ctx: "RecipeContext[Any]", name: str, on_add: Callable[[str], None] | None = None):
        self._ctx, self.name = ctx, name
        self.items: list[str] = []
        self._on_add = on_add

    def _merge(self, start: int, values: list[str]) -> None:
        for i, v in enumerate(values, start):
            if i == len(self.items):  # appends can come back out of order; positions make merging idempotent
                self.items.append(v)
                if self._on_add is not None:
                    self._on_add(v)

    async def sync(self) -> None:
        """Read what other shards appended."""
        ctx, start = self._ctx, len(self.items)
        self._merge(start, await retrying(lambda: ctx.store.shards.pool_read(ctx.job_id, self.name, start),
                                          f"job {ctx.job_id}: pool"))

    async def append(self, value: str, seen: int) -> bool:
        """Append `value` if the list still holds exactly the `seen` items this shard
        checked it against; else merge what came after them and return False (check
        `value` against them, and try again)."""
        ctx = self._ctx
        tail = await retrying(lambda: ctx.store.shards.pool_append(ctx.job_id, self.name, seen, value),
                              f"job {ctx.job_id}: pool")
        self._merge(seen, [value] if tail is None else tail)
        return tail is None


class SharedSet:
    """A set every shard of the job sees: `add` is True for the first adder only."""

    def __init__(self, ctx: "RecipeContext[Any]", name: str):
        self._ctx, self.name = ctx, name

    async def add(self, member: str) -> bool:
        ctx = self._ctx
        return await retrying(lambda: ctx.store.shards.set_add(ctx.job_id, self.name, member), f"job {ctx.job_id}: set")


class RecipeContext(Generic[SpecT]):
    """The context a recipe runs in (one shard of its job), typed by the recipe's spec.
    See the module docstring."""

    def __init__(
        self, *, job_id: str, spec: SpecT, spec_hash: str, store: JobStore, runtime: WorkerRuntime,
        stats: JobStats, done: set[str], kept: int, target: int | None, tenant: str = "",
        seed: int | None = None, shard: int = 0, run: int = 1, parallelism: int = 1,
        chunk_map: dict[str, str] | None = None, counters: dict[str, str] | None = None,
        tenant_cap: int = 0, started_at: float | None = None,
    ):
        self.job_id = job_id
        self.spec = spec
        self.spec_hash = spec_hash
        self.recipe = spec.recipe
        self.store = store
        self.runtime = runtime
        self.registry = runtime.registry
        self._providers: dict[str, Provider] = {}
        self.tenant = tenant
        self.stats = stats
        self.buffer = runtime.buffer
        self.done = done
        # the ids this shard added to `done` per chunk, dropped from it when the chunk is
        # done (nothing asks about a done chunk's items again): `done` holds the chunks in
        # flight, not every item of the job (a million ids were ~100 MB of worker memory)
        self._done_by_chunk: dict[str, list[str]] = defaultdict(list)
        self.target = target
        self.shard, self.run, self.parallelism = shard, run, parallelism
        self._chunk_map = chunk_map or {}
        self.env = runtime.env
        self.seed = seed if seed is not None else spec.seed if spec.seed is not None else random.SystemRandom().randrange(2**31)
        # Shard 0's first run draws from the job's seed, as one worker always did; every
        # other shard (and a resumed one) its own stream, or all would make the same draws.
        self.rng = random.Random(self.seed if shard == 0 and run <= 1 else f"{self.seed}:{shard}:{run}")
        self.stop_reason: str | None = None
        self.fatal: ProviderError | None = None
        self.yielded = False  # gave its worker to a starving job (should_yield)
        self._fair_checked = 0.0
        counters = counters or {}
        self._kept_seen = kept  # the job's kept count as last seen (every shard's)
        self._kept_queued = 0  # this shard's kept records not committed yet
        self._calls_seen = int(counters.get("calls") or 0)
        self.errors = ErrorBudget(spec.error_budget, target, stats)
        self.errors.seen = int(counters.get("lost") or 0)
        # Hard budgets (store/budgets.py): the job's own and the tenant's daily cost cap
        # (nano-dollars, 0: none); with neither, no request reserves anything.
        budget = spec.budget
        self._max_nanos = round(budget.max_cost_usd * NANOS_PER_USD) if budget and budget.max_cost_usd else 0
        self._max_tokens = budget.max_tokens or 0 if budget else 0
        self._tenant_cap = tenant_cap
        self.metered = bool(self._max_nanos or self._max_tokens or self._tenant_cap)
        self.cache_scope = GLOBAL_CACHE if runtime.settings.cache_scope == "global" else tenant
        self.deadline = (started_at or time.time()) + budget.max_seconds if budget and budget.max_seconds else None
        # Batch mode (providers/batches.py): when the job must be done by, and its batchers
        self.batch_until = spec.deadline_at(started_at or time.time())
        self._batchers: dict[str, Batcher | None] = {}
        self._batch_seen: defaultdict[str, int] = defaultdict(int)
        self._reserved = 0
        self._tickets = 0  # target tickets held and not in use (store/shards.py)
        self._no_tickets = False  # the last grant found none left for the job
        self._grant_lock = asyncio.Lock()
        self._queue: asyncio.Queue[CommitItem | ChunkDone | None] = asyncio.Queue(
            maxsize=defaults.FLUSH_BATCH * 4
        )
        self._sink_task: asyncio.Task[None] | None = None
        self._stopping: asyncio.Future[None] | None = None  # resolved by stop(); see _call
        self.generator = self.model(spec.generator)
        self._mix = [(self.model(g), g.weight) for g in spec.mix]
        self._base_meta = {"spec_hash": spec_hash, "seed": self.seed, "recipe": self.recipe}
        self.stages: list[Stage] = build_stages(spec, self)

    # -- lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        self._stopping = asyncio.get_running_loop().create_future()
        self._sink_task = asyncio.create_task(self._sink(), name=f"sink:{self.job_id}:{self.shard}")

    async def drain(self) -> None:
        """Wait until everything offered so far is committed (and `kept` is exact)."""
        await self._queue.join()

    async def close(self) -> None:
        await self._queue.put(None)
        if self._sink_task:
            await self._sink_task
        for stage in self.stages:
            closer = getattr(stage, "aclose", None)
            if closer is not None:
                await closer()
        # A shard that hands its work on (a drain, a lost lease, a yield) leaves its batches
        # running for the next run to wait on; a shard whose job is over cancels them.
        over = self.stop_reason not in ("lease", "handoff") and not (self.yielded and not self.stopped)
        for batcher in self._batchers.values():
            if batcher is not None:
                if over:
                    await batcher.cancel()
                await batcher.aclose()
        for provider in self._providers.values():
            await provider.aclose()

    def job_rng(self) -> random.Random:
        """A new generator on the job's seed: for draws every shard must make alike
        (a schedule or plan of the job's inputs that item keys depend on)."""
        return random.Random(self.seed)

    def pick(self, key: str) -> Model:
        """The generator for item `key`: drawn by weight from the job's mix (the same draw
        for the same key and seed, so a resumed run makes the same choice), else the
        job's generator."""
        if not self._mix:
            return self.generator
        r = random.Random(f"{self.seed}:{key}").random() * sum(w for _, w in self._mix)
        for m, w in self._mix:
            r -= w
            if r < 0:
                return m
        return self._mix[-1][0]

    def model(self, ref: GeneratorRef, stage: str = GENERATION) -> Model:
        """A handle on `ref`, its calls charged to `stage`; providers are opened once per
        run and shared by handles."""
        provider = self._providers.get(ref.provider)
        if provider is None:
            provider = self._providers[ref.provider] = self.registry.open(
                ref.provider, self.stats, self.spec.concurrency, self.runtime.lanes(self.job_id))
        return Model(self, provider, ref.model or self.registry.default_model(ref.provider), ref, stage)

    def stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        if self._stopping is not None and not self._stopping.done():
            self._stopping.set_result(None)

    async def stop_job(self, reason: str, detail: str = "") -> None:
        """Stop every shard of the job (the first reason given stands), this one first."""
        self.stop(reason)
        await retrying(lambda: self.store.shards.stop(self.job_id, reason, redact(detail)), f"job {self.job_id}: stop")

    @property
    def stopped(self) -> bool:
        return self.stop_reason is not None

    def check(self) -> None:
        if self.stop_reason is not None:
            raise Stopped(self.stop_reason)

    async def should_yield(self) -> bool:
        """True when this shard should hand its worker to a job waiting with none: the
        job has another shard running and a starving job waits in the queue (checked at
        most every FAIR_CHECK_SECONDS). It sets `yielded`: the shard stops taking chunks,
        finishes the items it holds, and the worker hands the shard back."""
        now = time.monotonic()
        if self.parallelism < 2 or now < self._fair_checked + defaults.FAIR_CHECK_SECONDS:
            return self.yielded
        self._fair_checked = now
        starving, held, _ = await retrying(lambda: self.store.shards.starving(self.job_id, self.runtime.queue_key),
                                           f"job {self.job_id}: fairness")
        if starving and held >= 2:
            self.yielded = True
            log.info("job %s: shard %d gives its worker to a job waiting for one", self.job_id, self.shard)
        return self.yielded

    def saw(self, kept: int) -> None:
        """The job's kept count as read from Redis (the watcher's poll)."""
        self._kept_seen = max(self._kept_seen, kept)

    # -- target accounting --------------------------------------------------------

    @property
    def kept(self) -> int:
        """Kept records of the whole job: committed (every shard's, as last seen) and
        this shard's still on their way to Redis."""
        return self._kept_seen + self._kept_queued

    @property
    def full(self) -> bool:
        """True when this shard can take no target slot now: the target is reached, or
        this shard holds no ticket and the job has none left."""
        if self.target is None:
            return False
        # Without a ticket of its own, a shard knows the job has none left when the last
        # grant said so, or when kept + its own candidates in flight already cover the
        # target (as a single worker always counted).
        return self.kept >= self.target or (self._tickets == 0 and (
            self._no_tickets or self.kept + self._reserved >= self.target))

    async def slot(self) -> Slot | None:
        """A slot toward target (use it as `async with`); None when the job stopped or
        kept + the candidates in flight (every shard's) already reach the target."""
        if self.stopped:
            return None
        if self.target is not None:
            if self._tickets == 0:
                await self._refill()
                if self._tickets == 0:
                    return None
            self._tickets -= 1
        self._reserved += 1
        return Slot(self)

    async def _refill(self) -> None:
        async with self._grant_lock:
            if self._tickets or self.stopped or self.kept + self._reserved >= (self.target or 0):
                return  # a ticket came back meanwhile, or this shard's own work covers the target
            # A lane's worth of tickets per round trip: the steady state asks once per
            # `concurrency` kept records, not once per slot.
            want = max(self.spec.concurrency, 1)
            granted, kept = await retrying(lambda: self.store.shards.grant(self.job_id, self.shard, want),
                                           f"job {self.job_id}: grant")
            self.saw(kept)
            self._tickets += granted
            self._no_tickets = granted == 0

    async def out_of_tickets(self) -> bool:
        """True when this shard has no ticket, none in use, and the job grants none: the
        shards holding the rest of the target finish it (a loop that waited for tickets
        here would spin)."""
        if self.target is None or self._tickets or self._reserved or self.kept >= self.target:
            return False
        await self._refill()
        return self._tickets == 0

    def _release(self) -> None:
        self._reserved -= 1
        if self.target is not None:
            self._tickets += 1  # a reject gives its ticket back to this shard
            self._no_tickets = False

    @property
    def requests_made(self) -> int:
        """Provider calls the whole job made (every shard's, as last seen, and this one's since)."""
        return self._calls_seen + self.stats.pending["calls"]

    def budget_left(self) -> bool:
        """False once the job spent its request budget (a model that never passes filters)."""
        cap = (self.target or 1) * defaults.MAX_REQUESTS_PER_RECORD + 20
        return self.requests_made < cap

    # -- provider calls -----------------------------------------------------------

    def sampling(self, base: dict[str, Any]) -> dict[str, Any]:
        return self.generator.sampling(base)

    async def chat(self, messages: list[dict[str, str]], params: dict[str, Any]) -> Completion:
        return await self.generator.chat(messages, params)

    async def complete(self, prompt: str, params: dict[str, Any]) -> Completion:
        return await self.generator.complete(prompt, params)

    def batcher(self, model: Model) -> Batcher | None:
        """The batch path of `model` for this run, None when it has none (the provider
        takes no batches: no `batch = true`, or a kind without a batch API: openai-compatible
        and anthropic have one)."""
        if model.label not in self._batchers:
            make = getattr(model.provider, "batcher", None)
            if make is None or getattr(model.provider, "batch", None) is None:
                self._batchers[model.label] = None
            else:
                self._batchers[model.label] = make(model.model, _BatchState(self.store, self.job_id, model.label))
        return self._batchers[model.label]

    def batching(self) -> bool:
        """The decision rule: batch while the deadline is at least BATCH_WINDOW_SECONDS off
        (a batch may take the whole 24 h window); no deadline, or a nearer one: online."""
        return self.batch_until is not None and self.batch_until - time.time() >= defaults.BATCH_WINDOW_SECONDS

    async def _batched(self, batcher: Batcher, model: Model, messages: list[dict[str, str]],
                       params: dict[str, Any]) -> Completion:
        """One chat request through the batch path when the deadline allows it (or when an
        earlier run already put it in a batch: it waits for that batch), else online. Its
        custom_id is the request's content hash, per shard, numbered when the shard repeats
        a request (a rerun numbers its requests in the same order). A request its batch
        left unanswered (expired, cancelled) is sent online."""
        h = request_hash(model.provider.name, model.model, "chat", messages, params)
        n = self._batch_seen[h]
        self._batch_seen[h] += 1
        cid = f"s{self.shard}-{h[:48]}" + (f"-{n}" if n else "")
        online = model.provider.chat(messages, model=model.model, params=params)
        if not self.batching() and not await batcher.known(cid):
            return await online
        started = time.monotonic()
        try:
            raw = await batcher.chat(cid, {"model": model.model, "messages": messages, **params})
        except NotAnswered as exc:
            log.info("job %s: %s; sent online", self.job_id, exc)
            self.stats.pending[BATCH_ONLINE] += 1
            return await online
        except BaseException:
            online.close()
            raise
        online.close()
        provider: Any = model.provider
        c: Completion = provider.batch_completion(raw, model.model, time.monotonic() - started)
        self.stats.pending[BATCH_CALLS] += 1
        return c

    def cache_key(self, model: Model, endpoint: str, payload: Any, params: dict[str, Any]) -> str | None:
        """The request's key in the shared response cache, None when this job does not
        cache it (pipeline/cache.py)."""
        if not self.spec.cache or not cacheable(self.spec.cache, params):
            return None
        return request_hash(model.provider.name, model.model, endpoint, payload, params)

    async def _call(self, model: Model, aw: Awaitable[Completion], chars: int = 0,
                    params: dict[str, Any] | None = None, key: str | None = None) -> Completion:
        provider = model.provider.name
        held: tuple[int, int] | None = None
        hit: Completion | None = None
        try:
            if self.stop_reason is None and self.deadline is not None and time.time() > self.deadline:
                await self.over_time()
            if self.stop_reason is None and key is not None:
                hit = await self._cached(model, key)
                if hit is not None:
                    return hit
            if self.stop_reason is None and self.metered:
                held = await self._reserve(model.worst_case(chars, params or {}))
        finally:
            if (self.stop_reason is not None or hit is not None) and isinstance(aw, Coroutine):
                aw.close()  # never sent: close it, or it is "never awaited" at collection
        if self.stop_reason is not None:
            if held is not None:
                await self._settle(held, 0, 0)
            raise Stopped(self.stop_reason)
        self.stats.pending["calls"] += 1
        call = asyncio.ensure_future(aw)
        spent = (0, 0)  # what the call cost, for its reservation's settlement
        try:
            if self._stopping is not None:
                # Race the call against stop(): a cancel must not wait for a provider that
                # hangs (up to timeout x retries). The cancelled call frees its lane at once.
                await asyncio.wait((call, self._stopping), return_when=asyncio.FIRST_COMPLETED)
                if not call.done():
                    call.cancel()
                    await asyncio.gather(call, return_exceptions=True)
                    raise Stopped(self.stop_reason)
            try:
                c = await call
            except ProviderError as exc:
                if exc.fatal:
                    self.fatal = exc
                    await self.stop_job("provider", str(exc))
                elif self.errors.lost(provider, exc, self.requests_made):
                    await self.stop_job("errors", f"{provider}: {exc}")
                raise
            nanos = self.stats.cost(provider, model.model, model.stage, self.registry.price(provider, model.model), c)
            spent = (nanos, c.tokens_in + c.tokens_out)
        finally:
            if held is not None:
                await self._settle(held, *spent)
        c.text = redact(c.text)  # provider text is untrusted (service.redact)
        c = reasoning.split(c)
        if c.reasoning is not None:
            c.reasoning = redact(c.reasoning)
            self.stats.pending["tokens_reasoning"] += c.tokens_reasoning
        if key is not None:
            self.stats.pending[CACHE_MISSES] += 1
            self.buffer.inc("synthgen_cache_lookups", provider=provider, model=model.model, result="miss")
            value, settings = _enc.encode(c), self.runtime.settings
            await retrying(lambda: self.store.cache.put(self.cache_scope, key, value, ttl=settings.cache_ttl_seconds,
                                                        max_entries=settings.cache_max_entries),
                           f"job {self.job_id}: cache")
        return c

    async def _cached(self, model: Model, key: str) -> Completion | None:
        """The cache's answer to the request `key` (counted as a call of the job, which
        costs nothing and saves what it would have cost), or None."""
        raw = await retrying(lambda: self.store.cache.get(self.cache_scope, key), f"job {self.job_id}: cache")
        if raw is None:
            return None
        c = _completion_dec.decode(raw)
        provider = model.provider.name
        price = self.registry.price(provider, model.model)
        saved = price.nanos(c.tokens_in, c.tokens_out) if price is not None else 0
        pending = self.stats.pending
        pending["calls"] += 1
        pending[CACHE_HITS] += 1
        pending[CACHE_SAVED] += saved
        self.buffer.inc("synthgen_cache_lookups", provider=provider, model=model.model, result="hit")
        if saved:
            self.buffer.inc("synthgen_cache_saved_usd", saved / NANOS_PER_USD, provider=provider, model=model.model)
        return c

    # -- hard budgets (store/budgets.py) ----------------------------------------------

    async def _reserve(self, worst: tuple[int, int]) -> tuple[int, int]:
        """Reserve a request's worst case (nano-dollars, tokens) against the job's budget
        and the tenant's daily cap, waiting while the requests in flight hold what it
        needs; when less than it is left, stop the job (budget-exhausted) and raise Stopped."""
        budgets = self.store.budgets
        while True:
            refusal = await retrying(lambda: budgets.reserve(
                self.job_id, self.tenant, self.shard, *worst, max_nanos=self._max_nanos,
                max_tokens=self._max_tokens, tenant_nanos=self._tenant_cap), f"job {self.job_id}: budget")
            if refusal is None:
                return worst
            if refusal.stop:
                if refusal.limit == "max_tokens":
                    detail = (f"budget max_tokens {refusal.cap} reached: {refusal.spent} tokens spent, the next "
                              f"request could take up to {worst[1]}")
                else:
                    what = (f"budget max_cost_usd {usd(refusal.cap):g}" if refusal.limit == "max_cost_usd"
                            else f"the tenant's cost_cents_per_day {refusal.cap // NANOS_PER_CENT}")
                    detail = (f"{what} reached: {usd(refusal.spent):.6f} USD spent, the next request could "
                              f"cost up to {usd(worst[0]):.6f}")
                await self.stop_job(BUDGET_EXHAUSTED, detail)
                raise Stopped(BUDGET_EXHAUSTED)
            self.check()
            await asyncio.sleep(defaults.BUDGET_WAIT_SECONDS)

    async def _settle(self, held: tuple[int, int], nanos: int, tokens: int) -> None:
        budgets = self.store.budgets
        await retrying(lambda: budgets.settle(self.job_id, self.tenant, self.shard, *held, nanos, tokens),
                       f"job {self.job_id}: budget")

    async def over_time(self) -> None:
        """Stop the job: its budget's max_seconds has passed."""
        assert self.spec.budget is not None and self.spec.budget.max_seconds is not None
        await self.stop_job(BUDGET_EXHAUSTED, f"budget max_seconds {self.spec.budget.max_seconds:g} reached")

    # -- records --------------------------------------------------------------------

    def item_id(self, key: str) -> str:
        return f"{self.job_id}.{key}"

    def is_done(self, key: str) -> bool:
        """True when item `key` was committed (kept or rejected) by this or an earlier run."""
        return self.item_id(key) in self.done

    def items(self, values: Sequence[T], prefix: str = "p", key: Callable[[int, T], str] | None = None,
              prepare: Callable[[Sequence[T], bool], Awaitable[None]] | None = None) -> Items[T]:
        """(key, value) for the values of the chunks this shard takes (see `Items`),
        committed ones skipped. Keys are `prefix` + the zero-padded index unless `key`
        makes them from (index, value); `prefix` also names the stream of chunks.
        `prepare(values, fresh)` is awaited for each chunk taken, before its items
        (`fresh` False: another run worked on it; its state may need restoring)."""
        width = len(str(len(values)))
        return Items(self, values, prefix, key or (lambda i, _v: f"{prefix}{i:0{width}d}"), prepare)

    def shared_list(self, name: str, on_add: Callable[[str], None] | None = None) -> SharedList:
        """The job's shared append-only list `name` (call `await .sync()` before use)."""
        return SharedList(self, name, on_add)

    def shared_set(self, name: str) -> SharedSet:
        return SharedSet(self, name)

    async def once(self, name: str, compute: Callable[[], Awaitable[T]], type_: type[T]) -> T:
        """The job's value `name`: computed by the first shard to get there, under a
        lock it keeps renewing (a dead computer's lock expires and another shard takes
        over), stored, and read by every other shard. A compute cut short by a stop is
        not stored."""
        holder = f"{self.shard}:{self.runtime.worker_id}:{self.run}"
        ttl = self.runtime.settings.lease_seconds
        shards = self.store.shards
        while True:
            raw = await retrying(lambda: shards.once_get(self.job_id, name), f"job {self.job_id}: once")
            if raw is not None:
                return msgspec.json.decode(raw, type=type_)
            self.check()
            if await retrying(lambda: shards.once_lock(self.job_id, name, holder, ttl), f"job {self.job_id}: once"):
                async def keep() -> None:
                    while True:
                        await asyncio.sleep(ttl / 3)
                        await shards.once_lock(self.job_id, name, holder, ttl)

                keeper = asyncio.create_task(keep())
                try:
                    value = await compute()
                finally:
                    keeper.cancel()
                self.check()
                encoded = _enc.encode(value)
                await retrying(lambda: shards.once_set(self.job_id, name, encoded), f"job {self.job_id}: once")
                return value
            await asyncio.sleep(0.2)

    async def committed(self, *, rejects: bool = False) -> Committed:
        """What earlier runs (and other shards) committed: records always; rejects when
        asked, they can be many. Read in pages, so Redis is never blocked long; their
        ids join `done`."""
        records = await self.store.all_lines(self.job_id, "records")
        rejected = await self.store.all_lines(self.job_id, "rejects") if rejects else []
        self.done.update(str(line["id"]) for line in records + rejected)
        return Committed(self.job_id, frozenset(self.done), records, rejected)

    async def refresh_done(self, keys: Iterable[str], *, chunk: str = "") -> None:
        """Learn which of the items `keys` (of `chunk`, if they belong to one) are
        committed (`done` starts empty: a shard asks about the items it takes, not
        about every item of the job)."""
        ids = [self.item_id(k) for k in keys]
        done = await retrying(lambda: self.store.shards.has_committed(self.job_id, ids, chunk),
                              f"job {self.job_id}: ids")
        found = [i for i, d in zip(ids, done) if d]
        self.done.update(found)
        if chunk:
            self._done_by_chunk[chunk].extend(found)

    def chunk_done(self, chunk: str) -> None:
        """Every item of `chunk` was handed out and finished: mark it done after their
        outcomes (the sink's next round trip), and forget its ids."""
        self._queue.put_nowait(ChunkDone(chunk))
        self.done.difference_update(self._done_by_chunk.pop(chunk, ()))

    def _mark_done(self, rid: str) -> str:
        """Add `rid` to `done`; returns the chunk the current lane's item belongs to."""
        self.done.add(rid)
        chunk = _chunk.get()
        if chunk:
            self._done_by_chunk[chunk].append(rid)
        return chunk

    async def reject(self, key: str, verdict: Verdict, data: dict[str, Any], *,
                     provenance: dict[str, Any] | None = None) -> None:
        """Record a reject of an item that held no slot (e.g. a parse failure before any
        work was reserved for it); a slot's item is rejected with `slot.reject`."""
        await self._reject(key, verdict, data, reserved=False, provenance=provenance)

    async def offer(self, c: Candidate) -> bool:
        """Offer a candidate that holds no slot of its own (an item's extra verified
        samples, pipeline/verify.py keep "all"); the commit's cap still keeps kept <= target."""
        return await self._offer(c, reserved=False)

    async def _offer(self, c: Candidate, *, reserved: bool) -> bool:
        rid = self.item_id(c.key)
        if rid in self.done:
            if reserved:
                self._release()
            return False
        source = c.provenance or self.generator.provenance
        for stage in self.stages:
            self.stats.pending[stage_entered(stage.name)] += 1
            verdict = await stage.check(c)
            if verdict is not None:
                await self._reject(c.key, verdict, c.data, reserved=reserved, provenance=source,
                                   annotations=c.annotations)
                return False
        if rid in self.done:  # committed meanwhile (a concurrent twin passed the stages first)
            if reserved:
                self._release()
            return False
        meta = {**source, **self._base_meta, "sampling": c.sampling, "finish_reason": c.finish_reason,
                **c.annotations, **({"served": c.served} if c.served else {}), "created_at": time.time()}
        record = {"id": rid, **formats.shape(c.data, self.spec.format, meta), "meta": meta}
        chunk = self._mark_done(rid)
        self.stats.outcome(*KEPT)
        self._kept_queued += 1
        if reserved:
            self._reserved -= 1  # its ticket travels with the record; the commit spends it
        await self._queue.put(CommitItem(kind="r", id=rid, line=_enc.encode(record), generator=_label(source),
                                         chunk=chunk))
        return True

    async def _reject(self, key: str, verdict: Verdict, data: dict[str, Any], *, reserved: bool,
                      provenance: dict[str, Any] | None = None, annotations: dict[str, Any] | None = None) -> None:
        rid = self.item_id(key)
        line = {"id": rid, "stage": verdict.stage, "reason": verdict.reason,
                "detail": verdict.detail, **data}
        if provenance or annotations:
            line["meta"] = {**(provenance or {}), "spec_hash": self.spec_hash, **(annotations or {})}
        chunk = self._mark_done(rid)
        # Counted on every attempt, also when `rid` is already stored (a model repeating
        # itself): the stored rejects are unique, the attempts explain the requests.
        self.stats.outcome(verdict.stage, verdict.reason)
        await self._queue.put(CommitItem(kind="x", id=rid, line=_enc.encode(line), reason=verdict.reason,
                                         stage=verdict.stage, generator=_label(provenance), chunk=chunk))
        self.buffer.inc("synthgen_records_rejected", recipe=self.recipe, stage=verdict.stage, reason=verdict.reason)
        if reserved:
            self._release()

    # -- concurrency helpers -----------------------------------------------------------

    async def each(self, items: Iterable[tuple[Any, ...]] | AsyncIterable[tuple[Any, ...]],
                   fn: Callable[[Slot, Any], Awaitable[None]]) -> None:
        """Run fn(slot, item) over (key, ...) items with the job's concurrency, each item
        holding one target slot.

        Stops taking items when the job stops or the target is covered; an item whose
        provider call failed for good is rejected with reason provider_error. Items from
        `ctx.items` are told when each one is finished, so their chunks can be marked done.
        """
        if isinstance(items, AsyncIterable):
            ait = aiter(items)
        else:
            async def over(values: Iterable[tuple[Any, ...]]) -> AsyncIterator[tuple[Any, ...]]:
                for v in values:
                    yield v
            ait = over(items)
        finished = getattr(items, "finished", None)
        chunk_of = items.chunk_of if isinstance(items, Items) else None
        taking = asyncio.Lock()  # one lane at a time advances a plain iterator

        async def lane() -> None:
            while True:
                slot = await self.slot()
                if slot is None:
                    return
                async with slot:
                    try:
                        async with taking:
                            item = await anext(ait)
                    except StopAsyncIteration:
                        return
                    if chunk_of is not None:
                        _chunk.set(chunk_of(item[0]))
                    try:
                        await fn(slot, item)
                    except ProviderError as exc:
                        # A loss that exhausted the error budget is still this item's reject.
                        if self.stopped and self.stop_reason != "errors":
                            return
                        if not slot.settled:
                            await slot.reject(item[0], Verdict.from_error("generate", "provider_error", exc), {})
                        if self.stopped:
                            return
                _chunk.set("")
                if finished is not None:
                    finished(item[0])

        await self.lanes(lane)

    async def lanes(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Run `concurrency` copies of a producer loop until they return; a lane that
        meets `Stopped` ends there (its slot, if any, released itself)."""
        async def guarded() -> None:
            _spent.set([0])  # this lane's own count (guarded runs as a task of its own)
            try:
                await fn()
            except Stopped:
                return
            finally:
                self.stats.unsettled()

        await asyncio.gather(*(guarded() for _ in range(self.spec.concurrency)))

    async def fill(self, lane: Callable[[], Awaitable[None]],
                   settle: Callable[[], Awaitable[None]] | None = None) -> RunOutcome:
        """Run producer lanes until `target` records are kept, the job stops or its
        request budget is spent; a shortfall when the target was not reached. Lanes
        return once no slot is left, but a reserved candidate can still be rejected
        later and free its slot, so the lanes start again until the committed count
        settles. A shard whose lanes find no ticket left while it holds none in flight
        leaves the rest to the shards that hold them."""
        while not self.stopped:
            await self.lanes(lane)
            if settle is not None:
                await settle()
            await self.drain()
            if self.stopped or self.kept >= (self.target or 0):
                break
            if not self.budget_left():
                await self.stop_job("budget", f"made {self.kept} of {self.target} after {self.requests_made} requests")
                break
            if await self.out_of_tickets():
                break
        if self.target is not None and self.kept < self.target and (not self.stopped or self.stop_reason == "budget"):
            return RunOutcome(shortfall=f"made {self.kept} of {self.target} after {self.requests_made} requests")
        return DONE

    # -- sink ---------------------------------------------------------------------------

    async def _sink(self) -> None:
        """Commit queued items in batches: at FLUSH_BATCH items or FLUSH_SECONDS."""
        q = self._queue
        closing = False
        while not closing:
            batch: list[CommitItem | ChunkDone] = []
            item = await q.get()
            if item is None:
                closing = True
            else:
                batch.append(item)
                deadline = time.monotonic() + defaults.FLUSH_SECONDS
                while len(batch) < defaults.FLUSH_BATCH:
                    try:
                        nxt = q.get_nowait()
                    except asyncio.QueueEmpty:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            break
                        try:
                            nxt = await asyncio.wait_for(q.get(), left)
                        except asyncio.TimeoutError:
                            break
                    if nxt is None:
                        closing = True
                        break
                    batch.append(nxt)
            await self.flush(batch)
            for _ in range(len(batch) + closing):
                q.task_done()

    async def flush(self, batch: list[CommitItem | ChunkDone]) -> None:
        items = [i for i in batch if isinstance(i, CommitItem)]
        done = [i.chunk for i in batch if isinstance(i, ChunkDone)]
        counters, text = self.stats.take()
        # Retried until Redis answers: a sink that died here would leave the producers
        # blocked on the full queue for good (and the job running forever).
        res = await retrying(lambda: self.store.commit(self.job_id, self.target, items, counters, shard=self.shard,
                                                       chunks_done=done, text=text),
                             f"job {self.job_id}: commit")
        records = [code for item, code in zip(items, res.codes) if item.kind == "r"]
        stored = sum(1 for code in records if code == 1)
        dropped = len(records) - stored
        self._kept_queued -= len(records)
        self._kept_seen = max(self._kept_seen, res.kept)
        self._calls_seen = max(self._calls_seen, res.calls)
        self.errors.seen = max(self.errors.seen, res.lost)
        if not self.metered and counters.get(COST):
            # A metered run charged the tenant's day per request; this one in bulk.
            tokens = counters.get("tokens_in", 0) + counters.get("tokens_out", 0)
            await retrying(lambda: self.store.budgets.settle(self.job_id, self.tenant, self.shard, 0, 0,
                                                             counters[COST], tokens), f"job {self.job_id}: spend")
        if stored:
            self.buffer.inc("synthgen_records_kept", stored, recipe=self.recipe)
        if dropped:
            log.info("job %s: %d records not stored (already there, or target filled by another shard)",
                     self.job_id, dropped)


class _BatchState:
    """A batcher's state in the job's Redis hash (store/batches.py), for one provider/model."""

    def __init__(self, store: JobStore, job_id: str, where: str):
        self._store, self._job, self._where = store, job_id, where

    async def record(self, batch_id: str, custom_ids: list[str]) -> None:
        await retrying(lambda: self._store.batches.record(self._job, self._where, batch_id, custom_ids),
                       f"job {self._job}: batches")

    async def pending(self) -> dict[str, str]:
        out: dict[str, str] = await retrying(lambda: self._store.batches.pending(self._job, self._where),
                                             f"job {self._job}: batches")
        return out

    async def forget(self, custom_ids: list[str]) -> None:
        await retrying(lambda: self._store.batches.forget(self._job, custom_ids), f"job {self._job}: batches")
