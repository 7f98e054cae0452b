"""The RQ queue. RQ carries only job ids (JSON serializer); the job hash is the truth."""

from __future__ import annotations

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from service import defaults
from service.store.jobs import job_key

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
