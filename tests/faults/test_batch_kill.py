"""A batch job (docs/costs.md, "Provider batch mode") whose worker is SIGKILLed between
the batch's submission and its completion, on the OpenAI Batch API and on Anthropic's
Message Batches: the next worker finds the job's requests in the batch recorded in Redis
and waits for it instead of sending them again; the job ends with exactly `target`
records, nothing sent online, no request sent twice. Real processes: RQ workers, the
fake server's batch APIs, Redis."""

from __future__ import annotations

import uuid

import pytest
import redis

from support import Api, Fake, Workers, responses_spec, wait_for

pytestmark = pytest.mark.faults


def test_a_worker_killed_while_its_batch_runs_ends_with_target_records_uploaded_once(
        alice: Api, fake: Fake, workers: Workers, redis_url: str) -> None:
    n = 20
    fake.configure(batch_seconds=6.0)  # the window the kill lands in
    r = redis.Redis.from_url(redis_url)
    before = fake.stats()["batches"]
    tag = uuid.uuid4().hex[:8]
    spec = responses_spec(n, generator={"provider": "batcher"}, concurrency=n, deadline=2 * 86400,
                          params={"prompts": [f"Killed batch {tag} question {i}?" for i in range(n)]})
    (first,) = workers.start(1)
    job_id = alice.submit(spec).json()["id"]
    wait_for(lambda: r.hlen(f"sg:job:{job_id}:batches") == n, timeout=60, what="the batch recorded")
    uploaded = fake.stats()["batches"]
    assert uploaded["requests"] - before["requests"] == n
    batch_id = uploaded["ids"][-1]
    assert fake.batch(batch_id)["status"] in ("validating", "in_progress")  # not done yet
    workers.kill(first)
    workers.start(1)
    job = alice.wait(job_id, timeout=120)
    records = alice.lines(job_id)
    after = fake.stats()["batches"]
    assert job["status"] == "succeeded", job
    assert len(records) == n == job["progress"]["kept"]
    assert len({rec["prompt"] for rec in records}) == n
    assert after["requests"] - before["requests"] == n  # no request uploaded twice
    assert after["distinct"] - before["distinct"] == n
    assert job["cost"]["batch_calls"] == n and job["cost"]["batch_online"] == 0  # nor sent online
    assert r.hlen(f"sg:job:{job_id}:batches") == 0  # every answer taken


def test_a_worker_killed_while_its_message_batch_runs_ends_with_target_records_sent_once(
        alice: Api, fake: Fake, workers: Workers, redis_url: str) -> None:
    """The same on the anthropic kind (Message Batches, providers/anthropic_batch.py)."""
    n = 20
    fake.configure(batch_seconds=6.0)
    r = redis.Redis.from_url(redis_url)
    before = fake.stats()["message_batches"]
    online = fake.stats()["by_endpoint"]["messages"]
    tag = uuid.uuid4().hex[:8]
    spec = responses_spec(n, generator={"provider": "claude-batcher"}, concurrency=n, deadline=2 * 86400,
                          params={"prompts": [f"Killed message batch {tag} question {i}?" for i in range(n)]})
    (first,) = workers.start(1)
    job_id = alice.submit(spec).json()["id"]
    wait_for(lambda: r.hlen(f"sg:job:{job_id}:batches") == n, timeout=60, what="the batch recorded")
    sent = fake.stats()["message_batches"]
    assert sent["requests"] - before["requests"] == n
    batch_id = sent["ids"][-1]
    assert fake.message_batch(batch_id)["processing_status"] == "in_progress"  # not done yet
    workers.kill(first)
    workers.start(1)
    job = alice.wait(job_id, timeout=120)
    records = alice.lines(job_id)
    after = fake.stats()["message_batches"]
    assert job["status"] == "succeeded", job
    assert len(records) == n == job["progress"]["kept"]
    assert len({rec["prompt"] for rec in records}) == n
    assert after["requests"] - before["requests"] == n and after["batches"] == sent["batches"]  # none sent twice
    assert job["cost"]["batch_calls"] == n and job["cost"]["batch_online"] == 0
    assert fake.stats()["by_endpoint"]["messages"] == online  # nor sent online
    assert r.hlen(f"sg:job:{job_id}:batches") == 0
