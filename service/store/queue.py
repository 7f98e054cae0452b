"""The RQ queue and the reaper's re-enqueue. RQ carries only job ids (JSON serializer);
the job hash is the truth. RQ's own key names are spelt here, and only here."""

from __future__ import annotations

import logging

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from service import defaults
from service.store.jobs import job_key, requeue_lock_key

log = logging.getLogger("synthgen.worker")

TASK = "service.worker.tasks.run_job"


def queue(conn: redis.Redis, name: str) -> Queue:
    return Queue(name, connection=conn, serializer=JSONSerializer)


def enqueue(conn: redis.Redis, name: str, job_id: str) -> str:
    """Put `job_id` on the queue; every enqueue of one job gets its own RQ job id."""
    n = conn.hincrby(job_key(job_id), "enqueues", 1)
    rq_id = f"{job_id}-{n}"
    queue(conn, name).enqueue(
        TASK, job_id, job_id=rq_id, job_timeout=defaults.JOB_TIMEOUT_SECONDS,
        result_ttl=3600, failure_ttl=7 * 24 * 3600,
    )
    return rq_id


def rq_keys(name: str) -> tuple[str, str, str]:
    """RQ's keys for queue `name`: (queued list, started registry, failed registry)."""
    return f"rq:queue:{name}", f"rq:wip:{name}", f"rq:failed:{name}"


def requeue(conn: redis.Redis, name: str, lease_seconds: float, job_id: str) -> bool:
    """Enqueue a leaseless running job to resume it. One caller wins per lease period
    (the reapers of every worker, and a worker handing its job back), so the job is
    enqueued once, not once per worker."""
    if conn.set(requeue_lock_key(job_id), "1", nx=True, px=int(lease_seconds * 1000)):
        enqueue(conn, name, job_id)
        return True
    return False
