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

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from service import defaults
from service.settings import Settings
from service.store import jobs as keys
from service.store.queue import enqueue, queue
from service.store.redis import sync_client

log = logging.getLogger("synthgen.worker")


def requeue(conn, settings: Settings, job_id: str) -> bool:
    """Enqueue a leaseless running job to resume it. One caller wins per lease period
    (the reapers of every worker, and a worker handing its job back), so the job is
    enqueued once, not once per worker."""
    lock = f"{keys.job_key(job_id)}:requeue"
    if conn.set(lock, "1", nx=True, px=int(settings.lease_seconds * 1000)):
        enqueue(conn, settings.queue, job_id)
        return True
    return False


def reap_once(conn, settings: Settings) -> list[str]:
    """Re-enqueue jobs that are running but whose worker stopped renewing the lease."""
    requeued = []
    for raw in conn.smembers(keys.ACTIVE):
        job_id = raw.decode()
        status = conn.hget(keys.job_key(job_id), "status")
        if status not in (b"running", b"cancelling") or conn.exists(keys.lease_key(job_id)):
            continue
        if requeue(conn, settings, job_id):
            requeued.append(job_id)
            log.warning("job %s: worker lease expired; re-enqueued to resume", job_id)
    return requeued


class DrainingWorker(SimpleWorker):
    """A SimpleWorker whose warm shutdown (first SIGTERM/SIGINT) also tells the job it
    runs to hand its work back (service.worker.execute.DRAINING) instead of running to
    the end: a rolling restart or a scale-down costs seconds, not a whole job."""

    def request_stop(self, signum, frame):  # type: ignore[no-untyped-def]
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

    tasks._process()  # load providers and imports before the first job arrives
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
