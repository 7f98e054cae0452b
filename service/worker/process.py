"""A worker process: an RQ SimpleWorker plus the heartbeat-and-reaper thread.

SimpleWorker runs jobs in this process instead of forking a work horse per job: the
local model stays loaded, there is no fork cost per job, and a SIGKILL takes the job
down with the worker, which is exactly the case the lease + reaper recover from.

The thread beats `sg:workers` every WORKER_HEARTBEAT_SECONDS (the live-worker gauge,
and how a reaper tells a dead lease holder from a stalled one) and reaps. The reaper
also runs in every API process (`synthgen serve`), so abandoned jobs are resumed, or
failed as poison, even while no worker is alive. Every SWEEP_SECONDS it also runs the
datasets sweep (service/datasets.py: final seals left over, retention, interrupted
deletions).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from service import defaults
from service.settings import Settings
from service.store.queue import beat, enqueue, leaseless_shards, leave, queue, reap
from service.store.redis import sync_client

log = logging.getLogger("synthgen.worker")


def worker_id(pid: int | None = None) -> str:
    """How a worker process names itself in leases and sg:workers."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def reap_once(conn, settings: Settings) -> list[str]:
    """Re-enqueue running jobs whose shard's lease expired; fail those whose shards keep
    killing workers."""
    requeued = []
    for job_id, shard in leaseless_shards(conn):
        action, last_exit = reap(conn, job_id, shard, lease_seconds=settings.lease_seconds,
                                 max_crashes=settings.max_worker_crashes)
        if action == "failed":
            log.error("job %s: failed, the worker of shard %d died %d times on it (last: %s)", job_id, shard,
                      settings.max_worker_crashes, last_exit)
        elif action != "skip":
            enqueue(conn, settings.queue, job_id)
            requeued.append(job_id)
            if action == "again":
                log.debug("job %s: shard %d still unclaimed; enqueued again", job_id, shard)
            else:
                why = "worker stalled" if action == "requeue" else f"worker died: {last_exit}"
                log.warning("job %s: shard %d lease expired (%s); re-enqueued to resume", job_id, shard, why)
    return requeued


class DrainingWorker(SimpleWorker):
    """A SimpleWorker whose warm shutdown (first SIGTERM/SIGINT) also tells the job it
    runs to hand its work back (service.worker.execute.DRAINING) instead of running to
    the end: a rolling restart or a scale-down costs seconds, not a whole job."""

    def request_stop(self, signum: int, frame: Any) -> None:
        from service.worker.execute import DRAINING

        DRAINING.set()
        super().request_stop(signum, frame)


def reaper(settings: Settings, stop: threading.Event, wid: str | None = None) -> None:
    """Heartbeat (when `wid` is given) and reap until `stop` is set."""
    conn = sync_client(settings.redis_url or "")
    interval = min(defaults.REAPER_INTERVAL_SECONDS, defaults.WORKER_HEARTBEAT_SECONDS, settings.lease_seconds / 2)
    judge_after = 0.0
    sweep_at = time.monotonic() + defaults.SWEEP_SECONDS / 4
    while not stop.is_set():
        try:
            if wid:
                beat(conn, wid)
            # After an outage every heartbeat in Redis is stale: judging leases before the
            # live workers have beaten again would count them as dead (a false crash).
            if time.monotonic() >= judge_after:
                reap_once(conn, settings)
            if time.monotonic() >= sweep_at:
                sweep_at = time.monotonic() + defaults.SWEEP_SECONDS
                from service.datasets import sweep_once

                swept = sweep_once(settings)
                if any(swept.values()):
                    log.info("datasets sweep: %s", swept)
        except Exception:  # Redis restarting: try again next round
            log.warning("reaper round failed", exc_info=log.isEnabledFor(logging.DEBUG))
            judge_after = time.monotonic() + defaults.WORKER_LIVE_SECONDS
        stop.wait(interval)
    if wid:
        try:
            leave(conn, wid)
        except Exception:
            pass


def run_worker(settings: Settings, burst: bool = False) -> None:
    from service.worker import tasks
    from service.worker.runtime import WorkerRuntime

    # Build the runtime (providers, redaction, imports) before the first job arrives.
    runtime = tasks.install(WorkerRuntime(settings, worker_id=worker_id()))
    # The job code too (recipes, datasketch, numpy: ~1 s idle, 18 s measured on a loaded
    # 2-core box): imported lazily it delayed a takeover after a worker death by as much.
    import service.worker.execute  # noqa: F401
    from service.providers.local import LocalConfig, start_probe

    for cfg in runtime.registry.configs.values():
        if isinstance(cfg, LocalConfig):
            start_probe(cfg.model_path, cfg.n_threads)
    conn = sync_client(settings.redis_url or "")
    stop = threading.Event()
    beat = threading.Thread(target=reaper, args=(settings, stop, worker_id()), daemon=True, name="reaper")
    beat.start()
    name = f"synthgen-{socket.gethostname()}-{os.getpid()}-{int(time.time())}"
    worker = DrainingWorker([queue(conn, settings.queue)], connection=conn, serializer=JSONSerializer, name=name)
    try:
        # RQ logs every job start and end at INFO; keep it for DEBUG and our own logger for INFO.
        rq_level = settings.log_level if settings.log_level.upper() == "DEBUG" else "WARNING"
        worker.work(burst=burst, logging_level=rq_level, with_scheduler=False)
    finally:
        stop.set()
        beat.join(2)
        runtime.close()
