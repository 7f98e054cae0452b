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
from service.store.jobs import job_key
from service.store.shards import (
    ACTIVE,
    ERROR_TYPE_PREFIX,
    REAP,
    WORKER_EXITS,
    WORKERS,
    lease_key,
    requeue_lock_key,
)

log = logging.getLogger("synthgen.worker")

TASK = "service.worker.tasks.run_job"


def queue(conn: redis.Redis, name: str) -> Queue:
    return Queue(name, connection=conn, serializer=JSONSerializer)


def enqueue(conn: redis.Redis, name: str, job_id: str, copies: int = 1) -> list[str]:
    """Put `job_id` on the queue `copies` times (one per shard a worker may take; a copy
    that finds every shard held is a no-op); every enqueue gets its own RQ job id."""
    n = conn.hincrby(job_key(job_id), "enqueues", copies)
    q = queue(conn, name)
    rq_ids = [f"{job_id}-{i}" for i in range(n - copies + 1, n + 1)]
    q.enqueue_many([
        Queue.prepare_data(TASK, (job_id,), job_id=rq_id, timeout=defaults.JOB_TIMEOUT_SECONDS,
                           result_ttl=3600, failure_ttl=7 * 24 * 3600)
        for rq_id in rq_ids
    ])
    return rq_ids


def rq_keys(name: str) -> tuple[str, str, str]:
    """RQ's keys for queue `name`: (queued list, started registry, failed registry)."""
    return f"rq:queue:{name}", f"rq:wip:{name}", f"rq:failed:{name}"


def requeue(conn: redis.Redis, name: str, lease_seconds: float, job_id: str, shard: int) -> bool:
    """Enqueue a job to resume its leaseless shard. One caller wins per lease period
    (the reapers of every worker, and a worker handing its shard back), so the shard is
    enqueued once, not once per worker."""
    if conn.set(requeue_lock_key(job_id, shard), "1", nx=True, px=int(lease_seconds * 1000)):
        enqueue(conn, name, job_id)
        return True
    return False


def leaseless_shards(conn: redis.Redis) -> list[tuple[str, int]]:
    """(job, shard) pairs of running (or cancelling) jobs whose shard was started (or
    died) and holds no lease now: the reaper's candidates. A shard never started is left
    to the queued copy that will start it. Two round trips; REAP re-checks each one."""
    active = [m.decode() for m in conn.smembers(ACTIVE)]
    if not active:
        return []
    with conn.pipeline(transaction=False) as p:
        for job_id in active:
            p.hmget(job_key(job_id), ["status", "parallelism"])
        heads = p.execute()
    running = [(job_id, int(par or 1)) for job_id, (status, par) in zip(active, heads)
               if status in (b"running", b"cancelling")]
    if not running:
        return []
    with conn.pipeline(transaction=False) as p:
        for job_id, par in running:
            p.hmget(job_key(job_id), [f for k in range(par) for f in (f"runs:{k}", f"ended:{k}")])
            for k in range(par):
                p.exists(lease_key(job_id, k))
        answers = iter(p.execute())
    out = []
    for job_id, par in running:
        fields = next(answers)
        for k in range(par):
            leased = next(answers)
            if fields[2 * k] and not fields[2 * k + 1] and not leased:
                out.append((job_id, k))
    return out


def reap(conn: redis.Redis, job_id: str, shard: int, *, lease_seconds: float, max_crashes: int) -> tuple[str, str]:
    """Run REAP on one leaseless shard: (action, how its last worker exited). The
    requeue lock inside makes one reaper win per lease period, so a dead shard is
    enqueued once."""
    action, last_exit = conn.register_script(REAP)(
        keys=[job_key(job_id), lease_key(job_id, shard), requeue_lock_key(job_id, shard), WORKERS, WORKER_EXITS,
              ACTIVE],
        args=[job_id, repr(time.time()), defaults.WORKER_LIVE_SECONDS, int(lease_seconds * 1000),
              max_crashes, ERROR_TYPE_PREFIX, shard],
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


def record_exit(conn: redis.Redis, wid: str, how: str) -> None:
    """A supervisor saw worker `wid` end `how` (the reaper quotes it in a crash's reason);
    dead now, it leaves the live set without waiting out the window."""
    with conn.pipeline(transaction=False) as p:
        p.hset(WORKER_EXITS, wid, how)
        p.zrem(WORKERS, wid)
        p.execute()


def leave(conn: redis.Redis, wid: str) -> None:
    """Drop worker `wid` from the live set: a clean exit leaves the gauge at once."""
    conn.zrem(WORKERS, wid)
