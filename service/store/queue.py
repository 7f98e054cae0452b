"""The RQ queue and the synchronous side of the store that the reaper thread uses: the
re-enqueue, the search for leaseless jobs, REAP, and the worker heartbeats. RQ carries
only job ids (JSON serializer); the job hash is the truth. RQ's own key names are spelt
here, and only here; synthgen's come from store/jobs.py."""

from __future__ import annotations

import logging
import time

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from service import defaults
from service.store.jobs import (
    ACTIVE,
    ERROR_TYPE_PREFIX,
    REAP,
    WORKER_EXITS,
    WORKERS,
    job_key,
    lease_key,
    requeue_lock_key,
)

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


def leaseless_jobs(conn: redis.Redis) -> list[str]:
    """Active jobs that are running (or cancelling) with no lease: the reaper's candidates.
    A snapshot in one round trip; REAP re-checks each one atomically."""
    active = [m.decode() for m in conn.smembers(ACTIVE)]
    if not active:
        return []
    with conn.pipeline(transaction=False) as p:
        for job_id in active:
            p.hget(job_key(job_id), "status")
            p.exists(lease_key(job_id))
        answers = p.execute()
    return [job_id for i, job_id in enumerate(active)
            if answers[2 * i] in (b"running", b"cancelling") and not answers[2 * i + 1]]


def reap(conn: redis.Redis, job_id: str, *, lease_seconds: float, max_crashes: int) -> tuple[str, str]:
    """Run REAP on one leaseless job: (action, how its last worker exited). The requeue
    lock inside makes one reaper win per lease period, so a dead job is enqueued once."""
    action, last_exit = conn.register_script(REAP)(
        keys=[job_key(job_id), lease_key(job_id), requeue_lock_key(job_id), WORKERS, WORKER_EXITS, ACTIVE],
        args=[job_id, repr(time.time()), defaults.WORKER_LIVE_SECONDS, int(lease_seconds * 1000),
              max_crashes, ERROR_TYPE_PREFIX],
    )
    return action.decode(), last_exit.decode()


def beat(conn: redis.Redis, wid: str) -> None:
    """Record that worker `wid` is alive now."""
    now = time.time()
    with conn.pipeline(transaction=False) as p:
        p.zadd(WORKERS, {wid: now})
        # Entries of workers gone for an hour only cost memory.
        p.zremrangebyscore(WORKERS, "-inf", now - 3600)
        p.execute()


def leave(conn: redis.Redis, wid: str) -> None:
    """Drop worker `wid` from the live set: a clean exit leaves the gauge at once."""
    conn.zrem(WORKERS, wid)
