"""One job on several worker processes (store/shards.py): the job's status adds up
every shard, a cancel reaches every shard at once, and a recipe's failure in one shard
stops all of them. Real API and worker processes; the SIGKILL and Redis-outage cases
are in tests/faults/."""

from __future__ import annotations

import time

from support import Api, Fake, Workers, responses_spec, wait_for


def test_three_workers_share_one_job_and_its_status_adds_them_up(alice: Api, fake: Fake, workers: Workers) -> None:
    fake.configure(latency=0.02)
    workers.start(3)
    n = 900
    job_id = alice.submit(responses_spec(n, concurrency=4, parallelism=3)).json()["id"]
    seen = wait_for(lambda: (j := alice.job(job_id))["shards"]["running"] == 3 and j, timeout=60,
                    what="three shards running")
    assert seen["shards"]["parallelism"] == 3 and seen["status"] == "running"
    job = alice.wait(job_id, timeout=120)
    assert job["status"] == "succeeded" and job["progress"]["kept"] == n
    assert job["progress"]["requests"] == n  # every shard's requests, once each
    assert sum(o["requests"] for o in job["outcomes"]) == n
    records = alice.lines(job_id)
    assert len({r["id"] for r in records}) == n == len({r["prompt"] for r in records})
    assert (job["shards"]["running"], job["shards"]["ended"]) == (0, 3)


def test_cancel_reaches_every_shard_within_seconds(alice: Api, fake: Fake, workers: Workers) -> None:
    fake.configure(latency=0.2)
    workers.start(3)
    job_id = alice.submit(responses_spec(3000, concurrency=4, parallelism=3)).json()["id"]
    wait_for(lambda: alice.job(job_id)["shards"]["running"] == 3, timeout=60, what="three shards running")
    asked = time.monotonic()
    assert alice.client.post(f"/v1/jobs/{job_id}/cancel").json()["status"] == "cancelling"
    job = alice.wait(job_id, statuses=("cancelled",), timeout=30)
    took = time.monotonic() - asked
    quiet = fake.stats()["requests"]
    time.sleep(0.5)
    assert fake.stats()["requests"] == quiet  # no shard sends anything once the job is cancelled
    assert job["shards"]["running"] == 0 and job["progress"]["kept"] < 3000
    assert len(alice.lines(job_id)) == job["progress"]["kept"]  # what the shards made is kept
    print(f"\ncancel of a 3-shard job: cancelled {took:.2f} s after the request")
    assert took < 10  # generous for a loaded box; the watchers poll every 0.25 s


def test_a_spent_error_budget_in_one_shard_stops_every_shard(alice: Api, fake: Fake, workers: Workers) -> None:
    fake.configure(latency=0.05)
    workers.start(2)
    job_id = alice.submit(responses_spec(2000, concurrency=4, parallelism=2, error_budget=0.0)).json()["id"]
    wait_for(lambda: alice.job(job_id)["shards"]["running"] == 2, timeout=60, what="two shards running")
    fake.configure(bad_request_first=1)  # one call lost, by one of the two shards: the budget (0) is spent
    job = alice.wait(job_id, timeout=60)
    assert job["status"] == "failed" and job["error"]["type"].endswith("/provider-errors"), job
    assert "lost 1 calls" in job["error"]["detail"]
    assert job["shards"]["running"] == 0 and job["progress"]["kept"] < 2000
    quiet = fake.stats()["requests"]
    time.sleep(0.5)
    assert fake.stats()["requests"] == quiet  # the other shard stopped too


def test_a_big_sharded_job_gives_a_worker_to_a_job_waiting_for_one(alice: Api, bob: Api, fake: Fake,
                                                                   workers: Workers) -> None:
    # Two workers, both running shards of one big job: a small job submitted next gets a
    # worker at the end of one of its chunks (the big job keeps the other), instead of
    # waiting for the big job to finish (~25 s).
    fake.configure(latency=0.05)
    workers.start(2)
    big = alice.submit(responses_spec(4000, concurrency=4, parallelism=2)).json()["id"]
    wait_for(lambda: alice.job(big)["shards"]["running"] == 2, timeout=60, what="both workers on the big job")
    asked = time.monotonic()
    small = bob.submit(responses_spec(20, concurrency=4)).json()["id"]
    done = bob.wait(small, timeout=60)
    took = time.monotonic() - asked
    big_then = alice.job(big)
    assert done["status"] == "succeeded" and done["progress"]["kept"] == 20
    assert big_then["status"] == "running" and big_then["progress"]["kept"] < 4000  # it did not wait for the big one
    print(f"\nsmall job beside a 2-shard job on 2 workers: done {took:.1f} s after submit")
    alice.client.post(f"/v1/jobs/{big}/cancel")
    final = alice.wait(big, timeout=60)
    assert final["status"] == "cancelled"
