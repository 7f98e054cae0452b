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
earlier run; `await ctx.committed()` returns what was committed, for recipes that
rebuild state from it (Self-Instruct's pool, Evol-Instruct's chains). A recipe's
`run()` returns a `RunOutcome` (a note for the caller, or a shortfall that fails the
job); the context never reads it back from attributes the recipe set.

Units of work: every item a recipe produces has a deterministic key (an index into the
job's inputs, or a hash of the item's own text: `text_key`), so a record's id is the
same in every run and a second worker can tell a committed item from a new one. The
state an item needs beyond the spec and its key is named by the recipe's
`shared_state` (see recipes/base.py), which is what the scale-out work must share.

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
from collections import Counter, defaultdict
from types import TracebackType
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Generic, Iterable, Iterator, Sequence, TypeVar

import msgspec

from service import defaults, metrics
from service.domain.specs import GeneratorRef, JobSpecBase
from service.pipeline import formats
from service.pipeline.stages import Candidate, Stage, Verdict, build_stages
from service.providers.base import Completion, Provider, ProviderError
from service.redact import redact
from service.store.codec import attempt_counter, requests_counter, stage_entered
from service.store.jobs import CommitItem, JobStore
from service.store.redis import retrying

if TYPE_CHECKING:
    from service.worker.runtime import WorkerRuntime

log = logging.getLogger("synthgen.run")
_enc = msgspec.json.Encoder()
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

# The funnel's outcome for requests no outcome took: a lane that ended after calls
# that produced no candidate (a parse that found nothing, a provider error before
# any slot), or calls made outside any lane.
UNSETTLED = ("generate", "no_outcome")
KEPT = ("kept", "kept")


def _label(provenance: dict[str, Any] | None) -> str:
    return f"{provenance['provider']}/{provenance['model']}" if provenance else ""


class ErrorBudget:
    """Provider calls lost after retries, against the job's `error_budget`.

    The allowance is error_budget x max(target, calls made so far): a fraction of what
    the job promised, growing when a recipe needs several calls per record. One loss
    past it stops the job (stop reason "errors"), and the worker fails it naming the
    provider that lost the most calls and its dominant reason, instead of letting a
    job that silently dropped a share of its items report success.
    """

    def __init__(self, fraction: float, target: int | None):
        self.fraction = fraction
        self.target = target or 0
        self.by_provider: Counter[str] = Counter()
        self.by_reason: Counter[tuple[str, str]] = Counter()
        self.last: dict[str, str] = {}
        self.exceeded = False

    def lost(self, provider: str, exc: ProviderError, calls: int) -> bool:
        """Count one lost call; True the first time the budget is exceeded."""
        self.by_provider[provider] += 1
        self.by_reason[(provider, f"HTTP {exc.status}" if exc.status else "no usable answer")] += 1
        self.last[provider] = str(exc)
        over = sum(self.by_provider.values()) > self.fraction * max(self.target, calls)
        first = over and not self.exceeded
        self.exceeded = self.exceeded or over
        return first

    def summary(self) -> str | None:
        """'provider fake lost 6 calls (HTTP 400 x6); last: ...', for the job's problem."""
        if not self.by_provider:
            return None
        provider, n = self.by_provider.most_common(1)[0]
        reasons = ", ".join(f"{r} x{k}" for (p, r), k in self.by_reason.most_common() if p == provider)
        return f"provider {provider!r} lost {n} calls after retries ({reasons}); last error: {self.last[provider]}"


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
                     provenance: dict[str, Any] | None = None) -> None:
        self._settle()
        await self._ctx._reject(key, verdict, data, reserved=True, provenance=provenance)

    def _settle(self) -> None:
        if self.settled:
            raise RuntimeError("a slot is settled once: by one offer or one reject")
        self.settled = True


class JobStats:
    """CallStats for one job: feeds the job hash counters and the process metrics."""

    def __init__(self, buffer: metrics.Buffer):
        self.pending: defaultdict[str, int] = defaultdict(int)
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

    def take(self) -> dict[str, int]:
        out, self.pending = self.pending, defaultdict(int)
        return out


class Model:
    """One model at one provider, as a recipe calls it; carries its provenance."""

    def __init__(self, run: "RecipeContext[Any]", provider: Provider, model: str, ref: GeneratorRef):
        self.run = run
        self.provider = provider
        self.model = model
        self.ref = ref
        self.provenance = {"provider": provider.name, "model": model, "licence": provider.licence}
        self.label = f"{provider.name}/{model}"

    @property
    def supports_raw(self) -> bool:
        return self.provider.supports_raw

    def sampling(self, base: dict[str, Any]) -> dict[str, Any]:
        """The recipe's defaults `base` overridden by this generator's sampling in the spec."""
        return self.ref.sampling.over(base)

    async def chat(self, messages: list[dict[str, str]], params: dict[str, Any]) -> Completion:
        return await self.run._call(self.provider.name, self.provider.chat(messages, model=self.model, params=params))

    async def complete(self, prompt: str, params: dict[str, Any]) -> Completion:
        return await self.run._call(self.provider.name, self.provider.complete(prompt, model=self.model, params=params))


class RecipeContext(Generic[SpecT]):
    """The context a recipe runs in, typed by the recipe's spec. See the module docstring."""

    def __init__(
        self, *, job_id: str, spec: SpecT, spec_hash: str, store: JobStore, runtime: WorkerRuntime,
        stats: JobStats, done: set[str], kept: int, target: int | None, tenant: str = "",
        seed: int | None = None,
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
        self.kept = kept
        self.target = target
        self.env = runtime.env
        self.seed = seed if seed is not None else spec.seed if spec.seed is not None else random.SystemRandom().randrange(2**31)
        self.rng = random.Random(self.seed)
        self.stop_reason: str | None = None
        self.fatal: ProviderError | None = None
        self.requests_made = 0
        self.errors = ErrorBudget(spec.error_budget, target)
        self._reserved = 0
        self._queue: asyncio.Queue[CommitItem | None] = asyncio.Queue(
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
        self._sink_task = asyncio.create_task(self._sink(), name=f"sink:{self.job_id}")

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
        for provider in self._providers.values():
            await provider.aclose()

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

    def model(self, ref: GeneratorRef) -> Model:
        """A handle on `ref`; providers are opened once per run and shared by handles."""
        provider = self._providers.get(ref.provider)
        if provider is None:
            provider = self._providers[ref.provider] = self.registry.open(
                ref.provider, self.stats, self.spec.concurrency, self.runtime.lanes(self.job_id))
        return Model(self, provider, ref.model or self.registry.default_model(ref.provider), ref)

    def stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        if self._stopping is not None and not self._stopping.done():
            self._stopping.set_result(None)

    @property
    def stopped(self) -> bool:
        return self.stop_reason is not None

    def check(self) -> None:
        if self.stop_reason is not None:
            raise Stopped(self.stop_reason)

    # -- target accounting --------------------------------------------------------

    @property
    def full(self) -> bool:
        return self.target is not None and self.kept + self._reserved >= self.target

    def slot(self) -> Slot | None:
        """A slot toward target (use it as `async with`); None when the job stopped or
        kept + in-flight already reach the target."""
        if self.stopped or self.full:
            return None
        self._reserved += 1
        return Slot(self)

    def _release(self) -> None:
        self._reserved -= 1

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

    async def _call(self, provider: str, aw: Awaitable[Completion]) -> Completion:
        self.check()
        self.requests_made += 1
        call = asyncio.ensure_future(aw)
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
                self.stop("provider")
            elif self.errors.lost(provider, exc, self.requests_made):
                self.stop("errors")
            raise
        c.text = redact(c.text)  # provider text is untrusted (service.redact)
        return c

    # -- records --------------------------------------------------------------------

    def item_id(self, key: str) -> str:
        return f"{self.job_id}.{key}"

    def is_done(self, key: str) -> bool:
        """True when item `key` was committed (kept or rejected) by this or an earlier run."""
        return self.item_id(key) in self.done

    def items(self, values: Sequence[T], prefix: str = "p") -> Iterator[tuple[str, T]]:
        """(key, value) for the values not committed yet, lazily (a list of 100k pairs was
        10 MB of worker memory). Keys are `prefix` + the zero-padded index, so an item's
        key depends only on the job's inputs."""
        width = len(str(len(values)))
        for i, value in enumerate(values):
            key = f"{prefix}{i:0{width}d}"
            if not self.is_done(key):
                yield key, value

    async def committed(self, *, rejects: bool = False) -> Committed:
        """What earlier runs committed (records always; rejects when asked: they can be
        many). Read in pages, so Redis is never blocked long."""
        if not self.done:
            return Committed(self.job_id, frozenset(), [], [])
        return Committed(self.job_id, frozenset(self.done), await self.store.all_lines(self.job_id, "records"),
                         await self.store.all_lines(self.job_id, "rejects") if rejects else [])

    async def reject(self, key: str, verdict: Verdict, data: dict[str, Any], *,
                     provenance: dict[str, Any] | None = None) -> None:
        """Record a reject of an item that held no slot (e.g. a parse failure before any
        work was reserved for it); a slot's item is rejected with `slot.reject`."""
        await self._reject(key, verdict, data, reserved=False, provenance=provenance)

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
                await self._reject(c.key, verdict, c.data, reserved=reserved, provenance=source)
                return False
        if rid in self.done:  # committed meanwhile (a concurrent twin passed the stages first)
            if reserved:
                self._release()
            return False
        meta = {**source, **self._base_meta, "sampling": c.sampling, "finish_reason": c.finish_reason,
                **c.annotations, "created_at": time.time()}
        record = {"id": rid, **formats.shape(c.data, self.spec.format, meta), "meta": meta}
        self.done.add(rid)
        self.stats.outcome(*KEPT)
        await self._queue.put(CommitItem(kind="r", id=rid, line=_enc.encode(record), generator=_label(source)))
        if reserved:
            self._release()
        self.kept += 1
        return True

    async def _reject(self, key: str, verdict: Verdict, data: dict[str, Any], *, reserved: bool,
                      provenance: dict[str, Any] | None = None) -> None:
        rid = self.item_id(key)
        line = {"id": rid, "stage": verdict.stage, "reason": verdict.reason,
                "detail": verdict.detail, **data}
        if provenance:
            line["meta"] = {**provenance, "spec_hash": self.spec_hash}
        self.done.add(rid)
        # Counted on every attempt, also when `rid` is already stored (a model repeating
        # itself): the stored rejects are unique, the attempts explain the requests.
        self.stats.outcome(verdict.stage, verdict.reason)
        await self._queue.put(CommitItem(kind="x", id=rid, line=_enc.encode(line), reason=verdict.reason,
                                         stage=verdict.stage, generator=_label(provenance)))
        self.buffer.inc("synthgen_records_rejected", recipe=self.recipe, stage=verdict.stage, reason=verdict.reason)
        if reserved:
            self._release()

    # -- concurrency helpers -----------------------------------------------------------

    async def each(self, items: Iterable[tuple[Any, ...]],
                   fn: Callable[[Slot, Any], Awaitable[None]]) -> None:
        """Run fn(slot, item) over (key, ...) items with the job's concurrency, each item
        holding one target slot.

        Stops taking items when the job stops or the target is covered; an item whose
        provider call failed for good is rejected with reason provider_error.
        """
        it = iter(items)

        async def lane() -> None:
            for item in it:
                slot = self.slot()
                if slot is None:
                    return
                async with slot:
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
        settles."""
        while not self.stopped:
            await self.lanes(lane)
            if settle is not None:
                await settle()
            await self.drain()
            if self.stopped or self.kept >= (self.target or 0) or not self.budget_left():
                break
        if not self.stopped and self.target is not None and self.kept < self.target:
            return RunOutcome(shortfall=f"made {self.kept} of {self.target} after {self.requests_made} requests")
        return DONE

    # -- sink ---------------------------------------------------------------------------

    async def _sink(self) -> None:
        """Commit queued items in batches: at FLUSH_BATCH items or FLUSH_SECONDS."""
        q = self._queue
        closing = False
        while not closing:
            batch: list[CommitItem] = []
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

    async def flush(self, batch: list[CommitItem]) -> None:
        counters = self.stats.take()
        # Retried until Redis answers: a sink that died here would leave the producers
        # blocked on the full queue for good (and the job running forever).
        codes = await retrying(lambda: self.store.commit(self.job_id, self.target, batch, counters),
                               f"job {self.job_id}: commit")
        stored = sum(1 for item, code in zip(batch, codes) if item.kind == "r" and code == 1)
        dropped = sum(1 for item, code in zip(batch, codes) if item.kind == "r" and code != 1)
        if stored:
            self.buffer.inc("synthgen_records_kept", stored, recipe=self.recipe)
        if dropped:
            self.kept -= dropped
            log.info("job %s: %d records not stored (already there, or target filled by another worker)", self.job_id, dropped)

