"""Running one shard of a job in a worker: claim it, drive its recipe, end it, and, for
the last shard to end, settle the job's final status.

A shard is claimed with a lease (a Redis key with a TTL) that a watcher task renews;
the same task polls for cancellation, for a stop another shard asked, and for the
job's kept count, and pushes metrics. A worker that dies stops renewing, the lease
expires, and the reaper of any live worker re-enqueues the job; the next claim takes
the dead shard over and resumes its chunks from the ids already committed (a live
shard may steal them first), so nothing is lost or doubled. If the lease is lost while
running (a long stall), the run stops without touching the job: the worker that took
over owns the shard.

Redis outages: the watcher keeps polling through ConnectionErrors (the run goes on
buffering, its sink retries), takes its lease back if it expired meanwhile and nobody
took over, and the final transition is retried, so one worker alone resumes within a
second or so of Redis returning.

Shutdown (SIGTERM: a rolling restart, a scale-down, a node drain) sets DRAINING: the
run stops between items, its commits flushed, and the shard is handed back: the lease
is released and the job re-enqueued at once, still `running`, so another worker resumes
the shard from the committed ids without waiting for the lease to expire.

Ending (store/shards.py SHARD_END): a shard that finished its part ends it; while
another shard holds a lease that one settles later. When work is left that no running
shard holds (a chunk another shard gave up), the ending shard runs its recipe again to
take it. The last one reads the job hash, which sums every shard's work, and settles
the status once (pipeline/outcome.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import msgspec

from service import defaults, metrics, reports
from service.domain.errors import problem_type
from service.domain.job import FINAL, JobError
from service.pipeline.outcome import merged, settle
from service.pipeline.run import DONE, JobStats, RecipeContext, RunOutcome, Stopped
from service.recipes import RECIPES, decode_spec
from service.redact import redact
from service.settings import Settings
from service.store.budgets import DAILY_COST
from service.store.jobs import JobStore
from service.store.redis import OUTAGE, async_client, retrying
from service.worker.runtime import WorkerRuntime

log = logging.getLogger("synthgen.worker")
# Set once by the worker's warm shutdown (process.DrainingWorker); never cleared: the
# process is exiting.
DRAINING = threading.Event()


def _problem(slug: str, detail: str) -> bytes:
    """A failed job's `error`, of a catalogued problem type. The detail may quote a
    provider or an exception raised on its answer, so it is redacted."""
    t = problem_type(slug)
    return msgspec.json.encode(JobError(type=t.uri, title=t.title, status=t.status, detail=redact(detail)))


async def _watch(run: RecipeContext[Any], store: JobStore, settings: Settings, worker_id: str, buffer: metrics.Buffer,
                 quit: asyncio.Event, sealing: "Sealing | None" = None) -> None:
    """Every 0.25 s until `quit` is set (a flag, not a cancel: a cancel landing inside a
    Redis call can surface as a connection error, which this loop rides out, and a
    watcher that never ends keeps renewing a lease its shard gave up)."""
    last_renew = last_flush = time.monotonic()
    outage = False
    while True:
        try:
            await asyncio.wait_for(quit.wait(), 0.25)
            return
        except asyncio.TimeoutError:
            pass
        now = time.monotonic()
        try:
            status, stop, kept = await store.shards.poll(run.job_id)
            run.saw(kept)
            if status == "cancelling":
                run.stop("cancelled")
            elif status in FINAL:
                run.stop("final")  # a claim elsewhere found a poison shard's last death
            elif stop is not None:
                run.stop(stop)
            elif DRAINING.is_set():
                run.stop("handoff")
            elif run.deadline is not None and time.time() > run.deadline:
                await run.over_time()
            if now - last_renew >= settings.heartbeat_seconds:
                if not await store.shards.renew(run.job_id, run.shard, worker_id, settings.lease_seconds):
                    log.warning("job %s: lease of shard %d lost; another worker owns it now", run.job_id, run.shard)
                    run.stop("lease")
                last_renew = now
            if sealing is not None:
                sealing.poke()
            if now - last_flush >= defaults.METRICS_FLUSH_SECONDS:
                last_flush = now
                await store.flush_metrics(buffer)
        except OUTAGE as exc:
            # A watcher that died here would stop renewing the lease and polling cancel
            # for good, while the run itself waits out the outage.
            if not outage:
                log.warning("job %s: Redis unavailable (%s); watcher keeps trying", run.job_id, type(exc).__name__)
            outage = True
            continue
        if outage:
            log.info("job %s: Redis answered again", run.job_id)
            outage = False


async def _hand_back(job_id: str, shard: int, store: JobStore, settings: Settings, worker_id: str) -> None:
    from service.store.queue import requeue
    from service.store.redis import sync_client

    # Release first: a resumer's claim must find no lease. If the lease was already
    # lost, the worker holding it owns the shard and nothing is re-enqueued.
    if await store.shards.release(job_id, shard, worker_id):
        conn = sync_client(settings.redis_url or "")
        try:
            await asyncio.to_thread(requeue, conn, settings.queue, settings.lease_seconds, job_id, shard)
        finally:
            conn.close()
        log.info("job %s: shard %d handed back; re-enqueued to resume elsewhere", job_id, shard)


def _enqueue_copy(settings: Settings, job_id: str) -> None:
    from service.store.queue import enqueue
    from service.store.redis import sync_client

    conn = sync_client(settings.redis_url or "")
    try:
        enqueue(conn, settings.queue, job_id)
    finally:
        conn.close()


async def execute(job_id: str, runtime: WorkerRuntime) -> None:
    settings, buffer, worker_id = runtime.settings, runtime.buffer, runtime.worker_id
    client = async_client(settings.redis_url or "", max_connections=defaults.WORKER_REDIS_POOL_SIZE)
    store = JobStore(client, runtime.files)
    try:
        starving, held, free = await store.shards.starving(job_id, runtime.queue_key)
        if starving and held and free:
            # Another job waits for a worker with none, this one has a shard running: the
            # worker goes to that job, this copy to the queue's end (store/shards.py).
            await asyncio.to_thread(_enqueue_copy, settings, job_id)
            log.info("job %s: a job waiting for a worker goes first; copy re-queued", job_id)
            return
        claim = await store.shards.claim(job_id, worker_id, settings.lease_seconds, settings.max_worker_crashes)
        if not claim.ok:
            log.info("job %s: not run (%s)", job_id, claim.status)
            return
        if claim.free:  # a copy for the next free worker, behind what was queued meanwhile
            await asyncio.to_thread(_enqueue_copy, settings, job_id)
        raw = await store.get(job_id)
        assert raw is not None
        try:
            await _run(job_id, raw, store, runtime, claim.shard, claim.run)
        except Exception as exc:
            # Setting up the run failed (a spec this code cannot run, a provider that will
            # not open): fail the job now, or the reaper would re-enqueue it forever.
            log.exception("job %s: could not run", job_id)
            await store.transition(job_id, "failed", stamp="finished_at",
                                   error=_problem("job-failed", f"{type(exc).__name__}: {exc}"))
    finally:
        try:
            await store.flush_metrics(buffer)
        except OUTAGE:  # losing a few seconds of counters beats a job that never ends
            log.warning("job %s: metrics not flushed (Redis unavailable)", job_id)
        await client.aclose()


_outcome_enc = msgspec.json.Encoder()


class Sealing:
    """Seals a running job's lines into Parquet segments (store/datasets.py) in the
    background: the watcher pokes it every SEAL_CHECK_SECONDS; a whole segment is sealed
    as soon as the window holds one, and whatever the window holds every `seal_seconds`.
    Every shard of a job pokes; the job's seal lock lets one of them seal at a time."""

    def __init__(self, job_id: str, store: JobStore, settings: Settings):
        self.job_id, self.store, self.settings = job_id, store, settings
        self.task: asyncio.Task[None] | None = None
        self.last = self.checked = time.monotonic()

    def poke(self) -> None:
        now = time.monotonic()
        if now - self.checked < defaults.SEAL_CHECK_SECONDS or (self.task is not None and not self.task.done()):
            return
        self.checked = now
        partial = now - self.last >= self.settings.seal_seconds
        if partial:
            self.last = now
        self.task = asyncio.create_task(self._seal(partial))

    async def _seal(self, partial: bool) -> None:
        try:
            await self.store.segments.seal(self.job_id, every=self.settings.seal_records, partial=partial)
        except Exception as exc:  # Redis or the data store unavailable: the next poke tries again
            log.warning("job %s: seal failed (%s: %s); retried later", self.job_id, type(exc).__name__, exc)

    async def close(self) -> None:
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)


async def final_seal(job_id: str, store: JobStore, settings: Settings) -> bool:
    """Seal everything the job's windows hold (the job has ended: no shard commits any
    more), waiting out a lock a dead sealer left (its TTL). False when the store failed
    or the lock stayed taken: the sweep finishes it."""
    for _ in range(int(defaults.SEAL_LOCK_SECONDS / 0.2) + 10):
        try:
            await store.segments.seal(job_id, every=settings.seal_records, partial=True)
            if not any((await store.segments.windows(job_id)).values()):
                return True
        except Exception as exc:
            log.warning("job %s: final seal failed (%s: %s)", job_id, type(exc).__name__, exc)
            return False
        await asyncio.sleep(0.2)
    return False


async def _run(job_id: str, raw: dict[str, str], store: JobStore, runtime: WorkerRuntime, shard: int,
               run_no: int) -> None:
    settings, buffer, worker_id = runtime.settings, runtime.buffer, runtime.worker_id
    spec = decode_spec(raw["spec"].encode())
    recipe = RECIPES[spec.recipe]
    target = int(raw["target"]) if raw.get("target") else None
    stats = JobStats(buffer)
    tenant = raw.get("tenant", "")
    started = float(raw.get("started_at") or time.time())
    # A new run of this shard: what a dead predecessor's requests reserved comes back.
    await retrying(lambda: store.budgets.reset(job_id, tenant, shard), f"job {job_id}: budget")
    tenant_cap = await retrying(lambda: store.budgets.tenant_cap(tenant, settings.quotas.get(DAILY_COST, 0)),
                                f"job {job_id}: quota")
    run: RecipeContext[Any] = RecipeContext(
        job_id=job_id, spec=spec, spec_hash=raw.get("spec_hash", ""), store=store, runtime=runtime,
        stats=stats, done=set(), kept=int(raw.get("kept") or 0),
        target=target, tenant=tenant, tenant_cap=tenant_cap, started_at=started,
        seed=int(raw["seed"]) if raw.get("seed") else None,
        shard=shard, run=run_no, parallelism=int(raw.get("parallelism") or 1),
        chunk_map=await store.shards.chunk_map(job_id), counters=raw,
    )
    log.info("job %s: shard %d of %s running %s (kept %d of %s)", job_id, shard, run.parallelism, spec.recipe,
             run.kept, target)
    run.start()
    outcome: RunOutcome = DONE
    end = ""
    watcher: asyncio.Task[None] | None = None
    quit = asyncio.Event()
    sealing = Sealing(job_id, store, settings)
    try:
        while True:
            quit.clear()
            watcher = asyncio.create_task(_watch(run, store, settings, worker_id, buffer, quit, sealing))
            if raw.get("status") == "cancelling":
                run.stop("cancelled")
            elif raw.get("stop"):
                run.stop(raw["stop"])
            elif target is None or run.kept < target:
                try:
                    outcome = await recipe.run(run)
                except Stopped:
                    pass
                except Exception as exc:  # a bug or bad data: fail the job with the reason, keep the worker
                    log.exception("job %s: recipe failed", job_id)
                    await run.stop_job("error", f"{type(exc).__name__}: {exc}")
            await run.drain()
            if run.stop_reason in ("lease", "handoff") or (run.yielded and not run.stopped):
                break
            # The watcher stops renewing before the shard ends: a heartbeat after SHARD_END
            # would take the lease back and keep the job from being settled.
            quit.set()
            await watcher
            await sealing.close()  # before the end: the last shard's final seal needs the lock
            out = b"" if outcome is DONE else _outcome_enc.encode(outcome)
            end = await retrying(lambda: store.shards.end(job_id, shard, worker_id, out, settings.lease_seconds),
                                 f"job {job_id}: end")
            if end != "more":
                break
            log.info("job %s: shard %d takes work another shard left", job_id, shard)
            raw = await store.get(job_id) or {}
    finally:
        quit.set()
        if watcher is not None:
            await asyncio.gather(watcher, return_exceptions=True)
        await sealing.close()
        await run.close()
    if run.stop_reason == "lease":
        return
    if (run.stop_reason == "handoff" or (run.yielded and not run.stopped)) and \
            await store.status(job_id) not in ("cancelling", "cancelled"):
        await _hand_back(job_id, shard, store, settings, worker_id)
        return
    if end != "last":
        log.info("job %s: shard %d ended (%s) with %d kept so far", job_id, shard, end or run.stop_reason, run.kept)
        return
    note: str | None = None
    error = b""
    if await retrying(lambda: store.status(job_id), f"job {job_id}: status") == "cancelling":
        final = "cancelled"
    else:
        after = await retrying(lambda: store.get(job_id), f"job {job_id}: read") or {}
        others = [msgspec.json.decode(v, type=RunOutcome) for k, v in after.items() if k.startswith("out:")]
        settled = settle(spec, merged([outcome, *others]), after)
        final, note = settled.status, settled.note
        if settled.problem is not None:
            error = _problem(settled.problem, settled.detail or "")
    if note:
        shown = note
        await retrying(lambda: store.set_note(job_id, shown), f"job {job_id}: note")
    if final == "failed":
        log.warning("job %s failed: %s", job_id, msgspec.json.decode(error, type=JobError).detail)
    sealed = await final_seal(job_id, store, settings)
    prev = await retrying(lambda: store.transition(job_id, final, stamp="finished_at", error=error),
                          f"job {job_id}: final status")
    if sealed:
        await retrying(lambda: store.sealed_final(job_id), f"job {job_id}: sealed")
    if prev not in FINAL:
        buffer.inc("synthgen_jobs_finished", recipe=spec.recipe, status=final)
        buffer.observe("synthgen_job_duration_seconds", time.time() - started, recipe=spec.recipe, status=final)
    log.info("job %s: %s with %d kept", job_id, final, run.kept)
    if sealed:
        # The report, once, from the sealed data (service/reports.py); the API computes it
        # on a first request instead when this does not get through.
        try:
            await reports.settle(store, job_id, settings)
        except Exception as exc:
            log.warning("job %s: report not stored (%s: %s)", job_id, type(exc).__name__, exc)
