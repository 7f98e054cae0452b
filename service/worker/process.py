"""A worker process: an RQ SimpleWorker plus the reaper thread.

SimpleWorker runs jobs in this process instead of forking a work horse per job: the
local model stays loaded, there is no fork cost per job, and a SIGKILL takes the job
down with the worker, which is exactly the case the lease + reaper recover from.
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
from service.store.queue import queue, requeue_expired
from service.store.redis import sync_client

log = logging.getLogger("synthgen.worker")


def reap_once(conn: Any, settings: Settings) -> list[str]:
    """Re-enqueue jobs that are running but whose worker stopped renewing the lease."""
    return requeue_expired(conn, settings.queue, settings.lease_seconds)


class DrainingWorker(SimpleWorker):
    """A SimpleWorker whose warm shutdown (first SIGTERM/SIGINT) also tells the job it
    runs to hand its work back (service.worker.execute.DRAINING) instead of running to
    the end: a rolling restart or a scale-down costs seconds, not a whole job."""

    def request_stop(self, signum: int, frame: Any) -> None:
        from service.worker.execute import DRAINING

        DRAINING.set()
        super().request_stop(signum, frame)


def _reaper(settings: Settings, stop: threading.Event) -> None:
    conn = sync_client(settings.redis_url or "")
    interval = min(defaults.REAPER_INTERVAL_SECONDS, settings.lease_seconds / 2)
    while not stop.is_set():
        try:
            reap_once(conn, settings)
        except Exception:  # Redis restarting: try again next round
            log.exception("reaper round failed")
        stop.wait(interval)


def run_worker(settings: Settings, burst: bool = False) -> None:
    from service.worker import tasks
    from service.worker.runtime import WorkerRuntime

    # Build the runtime (providers, imports) before the first job arrives.
    runtime = tasks.install(WorkerRuntime(settings))
    conn = sync_client(settings.redis_url or "")
    stop = threading.Event()
    threading.Thread(target=_reaper, args=(settings, stop), daemon=True, name="reaper").start()
    name = f"synthgen-{socket.gethostname()}-{os.getpid()}-{int(time.time())}"
    worker = DrainingWorker([queue(conn, settings.queue)], connection=conn, serializer=JSONSerializer, name=name)
    try:
        # RQ logs every job start and end at INFO; keep it for DEBUG and our own logger for INFO.
        rq_level = settings.log_level if settings.log_level.upper() == "DEBUG" else "WARNING"
        worker.work(burst=burst, logging_level=rq_level, with_scheduler=False)
    finally:
        stop.set()
        runtime.close()
