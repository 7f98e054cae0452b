"""A worker told to stop (SIGTERM: rolling restart, scale-down, node drain) hands its
running job back at once instead of finishing it or waiting to be killed: the job is
resumed by another worker well before its lease would have expired, with every record
exactly once."""

from __future__ import annotations

import signal
import time

from support import Api, Workers, responses_spec, wait_for


def test_sigterm_hands_the_running_job_back(alice: Api, fake, workers: Workers, redis_url: str) -> None:
    import redis

    from service.store.shards import lease_key

    r = redis.Redis.from_url(redis_url)
    fake.configure(latency=0.05)
    (first,) = workers.start(1)
    job_id = alice.submit(responses_spec(200, concurrency=2)).json()["id"]
    wait_for(lambda: alice.job(job_id)["progress"]["kept"] >= 10, what="the job under way")
    first.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    first.wait(15)
    stopped_after = time.monotonic() - t0
    at_stop = alice.job(job_id)
    # Handed back, not abandoned: no lease left to expire (it lasts 3 s) and the job is
    # already waiting on the queue for the next worker.
    assert not r.exists(lease_key(job_id, 0))
    assert any(m.decode().startswith(job_id) for m in r.lrange("rq:queue:synthgen", 0, -1))
    # Handed back, not finished; with its only worker gone the job says it waits for one.
    assert at_stop["status"] == "waiting_for_worker" and at_stop["progress"]["kept"] < 200
    print(f"\nworker stopped {stopped_after:.1f} s after SIGTERM")
    assert stopped_after < 10, f"the worker took {stopped_after:.1f}s to stop"
    workers.start(1)
    # Resumed without waiting for the lease (SYNTHGEN_LEASE_SECONDS=3 in tests; the
    # reaper would add up to lease/2 more): the new worker is kept busy within ~2 s.
    wait_for(lambda: alice.job(job_id)["progress"]["kept"] > at_stop["progress"]["kept"], timeout=30,
             what="the job resumed")
    done = alice.wait(job_id, timeout=90)
    assert done["status"] == "succeeded" and done["progress"]["kept"] == 200
    ids = [r["id"] for r in alice.lines(job_id)]
    assert len(ids) == len(set(ids)) == 200
