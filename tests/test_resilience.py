"""Faults a provider or a worker throws at a job: malformed answers, hung connections,
cancel during a hang, dead workers in the gauge. Real worker processes, real HTTP to the
fake provider, real Redis."""

from __future__ import annotations

import time

import httpx

from support import Api, Fake, Workers, responses_spec, scrape_metrics, wait_for


def test_malformed_answers_are_retried_and_no_record_is_lost(api_url: str, alice: Api, fake: Fake,
                                                             worker: Workers) -> None:
    before = scrape_metrics(api_url)
    fake.configure(malformed_rate=0.05, malformed_first=3)  # truncated JSON, empty body, no choices
    n = 200
    job = alice.wait(alice.submit(responses_spec(n, concurrency=8)).json()["id"], timeout=120)
    assert job["status"] == "succeeded", job
    faults = fake.stats()["faults"]["malformed"]
    assert faults >= 3
    assert job["progress"]["kept"] == n == len(alice.lines(job["id"]))
    assert "provider_error" not in job["progress"]["rejected_by_reason"]
    assert job["progress"]["retries"] >= faults
    time.sleep(1.5)  # workers push metrics every second
    after = scrape_metrics(api_url)
    key = 'synthgen_provider_requests_total{model="fake-model",outcome="malformed",provider="fake"}'
    assert after[key] - before.get(key, 0) == faults


def test_malformed_answers_become_rejects_only_when_retries_run_out(alice: Api, fake: Fake, worker: Workers) -> None:
    fake.configure(malformed_rate=1.0)
    job = alice.wait(alice.submit(responses_spec(2, concurrency=1)).json()["id"], timeout=90)
    rejects = alice.lines(job["id"], "rejects")
    # The job's error budget may end it after the first lost item; each loss took every retry.
    assert job["progress"]["kept"] == 0 and rejects
    assert job["progress"]["rejected_by_reason"] == {"provider_error": len(rejects)}
    assert job["progress"]["requests"] == 5 * len(rejects)  # max_retries = 4 in the test providers file
    assert all("gave up after 5 attempts" in x["detail"] for x in rejects), rejects


def test_hung_connection_frees_its_lane_after_the_stall_timeout(alice: Api, fake: Fake, worker: Workers) -> None:
    # Provider `stally`: total timeout 60 s, stall timeout 1 s. Two hung requests must
    # cost about a second each plus backoff, not a minute each.
    fake.configure(hang_first=2)
    start = time.monotonic()
    spec = responses_spec(4, concurrency=1, generator={"provider": "stally"})
    job = alice.wait(alice.submit(spec).json()["id"], timeout=60)
    took = time.monotonic() - start
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 4, job
    assert fake.stats()["faults"]["hang"] == 2
    assert job["progress"]["retries"] == 2 and job["progress"]["requests"] == 6
    assert took < 30, f"{took:.1f}s: the hung requests waited for more than the stall timeout"


def test_cancel_interrupts_calls_to_a_hanging_provider(alice: Api, fake: Fake, worker: Workers) -> None:
    fake.configure(hang_rate=1.0)  # every request hangs; provider timeout 120 s x 5 attempts
    job_id = alice.submit(responses_spec(50, concurrency=4)).json()["id"]
    wait_for(lambda: fake.stats()["faults"]["hang"] >= 4 and alice.job(job_id)["status"] == "running",
             timeout=30, what="requests hanging")
    start = time.monotonic()
    assert alice.client.post(f"/v1/jobs/{job_id}/cancel").status_code == 200
    job = alice.wait(job_id, timeout=20)
    took = time.monotonic() - start
    assert job["status"] == "cancelled", job
    assert took < 10, f"cancel took {took:.1f}s"
    assert "provider_error" not in job["progress"]["rejected_by_reason"]


def test_worker_gauge_counts_live_workers_after_a_sigkill(api_url: str, workers: Workers, redis_url: str) -> None:
    import redis

    from service import defaults
    from service.store.jobs import WORKERS

    def gauge() -> float:
        return scrape_metrics(api_url)["synthgen_workers"]

    def only_beating() -> bool:
        # A worker an earlier test SIGKILLed stays in the gauge for WORKER_LIVE_SECONDS
        # after its last heartbeat (live ones beat every second): the base is read once
        # none is left, or it would drop under the test's feet.
        now = time.time()
        seen = redis.Redis.from_url(redis_url).zrangebyscore(WORKERS, now - defaults.WORKER_LIVE_SECONDS, "+inf",
                                                               withscores=True)
        return all(now - beat < defaults.WORKER_HEARTBEAT_SECONDS * 1.5 for _, beat in seen)

    wait_for(only_beating, timeout=10, what="workers stopped by earlier tests to leave the gauge")
    base = gauge()
    first, _ = workers.start(2)
    wait_for(lambda: gauge() == base + 2, timeout=60, what="two live workers")
    readyz = httpx.get(f"{api_url}/readyz").json()
    assert readyz["checks"]["workers"] == str(int(base) + 2)
    workers.kill(first)
    killed = time.monotonic()
    wait_for(lambda: gauge() == base + 1, timeout=15, what="the killed worker to leave the gauge")
    assert time.monotonic() - killed < 10
