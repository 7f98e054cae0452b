"""Running one job in a worker: claim it, drive its recipe, settle its final status.

A job is claimed with a lease (a Redis key with a TTL) that a watcher task renews;
the same task polls for cancellation and pushes metrics. A worker that dies stops
renewing, the lease expires, and the reaper of any live worker re-enqueues the job;
the next run resumes from the ids already committed, so nothing is lost or doubled.
If the lease is lost while running (a long stall), the run stops without touching the
job's status: the worker that took over owns it.

Redis outages: the watcher keeps polling through ConnectionErrors (the run goes on
buffering, its sink retries), takes its lease back if it expired meanwhile and nobody
took over, and the final transition is retried, so one worker alone resumes within a
second or so of Redis returning.

Shutdown (SIGTERM: a rolling restart, a scale-down, a node drain) sets DRAINING: the
run stops between items, its commits flushed, and the job is handed back: the lease is
released and the job re-enqueued at once, still `running`, so another worker resumes it
from the committed ids without waiting for the lease to expire.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import msgspec

from service import defaults, metrics
from service.domain.errors import problem_type
from service.domain.job import JobError
from service.pipeline.outcome import settle
from service.pipeline.run import DONE, JobStats, RecipeContext, RunOutcome, Stopped
from service.recipes import RECIPES, decode_spec
from service.redact import redact
from service.settings import Settings
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


async def _watch(run: RecipeContext[Any], store: JobStore, settings: Settings, worker_id: str, buffer: metrics.Buffer) -> None:
    last_renew = last_flush = time.monotonic()
    outage = False
    while True:
        await asyncio.sleep(0.25)
        now = time.monotonic()
        try:
            if await store.status(run.job_id) == "cancelling":
                run.stop("cancelled")
            elif DRAINING.is_set():
                run.stop("handoff")
            if now - last_renew >= settings.heartbeat_seconds:
                if not await store.renew(run.job_id, worker_id, settings.lease_seconds):
                    log.warning("job %s: lease lost; another worker owns it now", run.job_id)
                    run.stop("lease")
                last_renew = now
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


async def _hand_back(job_id: str, store: JobStore, settings: Settings, worker_id: str) -> None:
    from service.store.queue import requeue
    from service.store.redis import sync_client

    # Release first: a resumer's claim must find no lease. If the lease was already
    # lost, the worker holding it owns the job and nothing is re-enqueued.
    if await store.release(job_id, worker_id):
        conn = sync_client(settings.redis_url or "")
        try:
            await asyncio.to_thread(requeue, conn, settings.queue, settings.lease_seconds, job_id)
        finally:
            conn.close()
        log.info("job %s: handed back on shutdown; re-enqueued to resume elsewhere", job_id)


async def execute(job_id: str, runtime: WorkerRuntime) -> None:
    settings, buffer, worker_id = runtime.settings, runtime.buffer, runtime.worker_id
    client = async_client(settings.redis_url or "", max_connections=defaults.WORKER_REDIS_POOL_SIZE)
    store = JobStore(client)
    try:
        claim = await store.claim(job_id, worker_id, settings.lease_seconds, settings.max_worker_crashes)
        if claim != "ok":
            log.info("job %s: not run (%s)", job_id, claim)
            return
        raw = await store.get(job_id)
        assert raw is not None
        try:
            await _run(job_id, raw, store, runtime)
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


async def _run(job_id: str, raw: dict[str, str], store: JobStore, runtime: WorkerRuntime) -> None:
    settings, buffer, worker_id = runtime.settings, runtime.buffer, runtime.worker_id
    spec = decode_spec(raw["spec"].encode())
    recipe = RECIPES[spec.recipe]
    target = int(raw["target"]) if raw.get("target") else None
    stats = JobStats(buffer)
    run: RecipeContext[Any] = RecipeContext(
        job_id=job_id, spec=spec, spec_hash=raw.get("spec_hash", ""), store=store, runtime=runtime,
        stats=stats, done=await store.committed_ids(job_id), kept=int(raw.get("kept") or 0),
        target=target, tenant=raw.get("tenant", ""),
        seed=int(raw["seed"]) if raw.get("seed") else None,
    )
    started = float(raw.get("started_at") or time.time())
    log.info("job %s: running %s (kept %d of %s)", job_id, spec.recipe, run.kept, target)
    run.start()
    watcher = asyncio.create_task(_watch(run, store, settings, worker_id, buffer))
    error: bytes = b""
    note: str | None = None
    outcome: RunOutcome = DONE
    try:
        if raw.get("status") == "cancelling":
            run.stop("cancelled")
        elif target is None or run.kept < target:
            outcome = await recipe.run(run)
    except Stopped:
        pass
    except Exception as exc:  # a bug or bad data: fail the job with the reason, keep the worker
        log.exception("job %s: recipe failed", job_id)
        error = _problem("job-failed", f"{type(exc).__name__}: {exc}")
    finally:
        watcher.cancel()
        await run.close()
    if run.stop_reason == "lease":
        return
    if run.stop_reason == "handoff" and await store.status(job_id) not in ("cancelling", "cancelled"):
        await _hand_back(job_id, store, settings, worker_id)
        return
    if run.stop_reason == "cancelled" or await retrying(lambda: store.status(job_id), f"job {job_id}: status") == "cancelling":
        final = "cancelled"
    else:
        after = await store.get(job_id) or {}
        settled = settle(run, outcome, after, bool(error))
        final, note = settled.status, settled.note
        if settled.problem is not None:
            error = _problem(settled.problem, settled.detail or "")
    if note:
        shown = note
        await retrying(lambda: store.set_note(job_id, shown), f"job {job_id}: note")
    if final == "failed":
        log.warning("job %s failed: %s", job_id, msgspec.json.decode(error, type=JobError).detail)
    prev = await retrying(lambda: store.transition(job_id, final, stamp="finished_at", error=error),
                          f"job {job_id}: final status")
    if prev not in ("succeeded", "failed", "cancelled"):
        buffer.inc("synthgen_jobs_finished", recipe=spec.recipe, status=final)
        buffer.observe("synthgen_job_duration_seconds", time.time() - started, recipe=spec.recipe, status=final)
    log.info("job %s: %s with %d kept", job_id, final, run.kept)
