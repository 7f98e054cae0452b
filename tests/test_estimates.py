"""Estimates (docs/costs.md, domain/estimate.py): POST /v1/jobs/estimate runs the spec on
a sample with real provider calls and projects the whole job; running jobs show their
projected remaining cost and time."""

from __future__ import annotations

import pytest

from service.domain.estimate import project, remaining, wilson

from support import Api, Fake, Workers, wait_for

REFUSAL = "I'm sorry, but I can't help with that."


def prompts(n: int) -> list[str]:
    # Every 4th prompt is refused by the fake provider: a known reject rate of 25%.
    return [f"Question {i}: explain topic {i} in some detail" + (" (refuse)" if i % 4 == 3 else "") for i in range(n)]


def estimate(api: Api, spec: dict[str, object]) -> dict[str, object]:
    """POST /v1/jobs/estimate, then (202: the sample still runs, or no worker was up yet)
    poll the sample's estimate until the sample ended, as a client does."""
    r = api.client.post("/v1/jobs/estimate", json=spec)
    assert r.status_code in (200, 202), r.text
    est = r.json()
    if r.status_code == 202:
        path = f"/v1/jobs/{est['sample_job']}/estimate"
        wait_for(lambda: api.client.get(path).json()["status"] not in ("queued", "running"), what="the sample")
        est = api.client.get(path).json()
    return est


def test_an_estimate_lands_within_20_percent_of_the_real_jobs_cost_and_requests(alice: Api, fake: Fake,
                                                                                worker: Workers) -> None:
    fake.configure(scripts=[{"match": r"\(refuse\)", "replies": [REFUSAL]}])
    spec = {"recipe": "responses", "generator": {"provider": "priced"}, "target": 90, "concurrency": 4,
            "params": {"prompts": prompts(300)}}
    est = estimate(alice, spec)
    assert est["object"] == "job.estimate" and est["status"] == "succeeded" and est["target"] == 90
    sample = alice.job(est["sample_job"])
    assert sample["progress"]["kept"] == 20 and est["sample_kept"] == 20
    real = alice.wait(alice.submit(spec).json()["id"])
    assert real["status"] == "succeeded" and real["progress"]["kept"] == 90
    requests, cost = real["progress"]["requests"], real["cost"]["usd"]
    assert requests in (119, 120)  # 90 kept at a 75% yield
    assert abs(est["requests"]["value"] - requests) <= 0.2 * requests, (est["requests"], requests)
    assert abs(est["cost_usd"]["value"] - cost) <= 0.2 * cost, (est["cost_usd"], cost)
    assert est["requests"]["low"] <= requests <= est["requests"]["high"]
    assert est["yield"]["low"] <= 0.75 <= est["yield"]["high"]
    assert est["seconds"]["value"] > 0 and est["tokens"]["value"] > 0
    # The sample is a job of its own: the real job's records are only its own.
    assert len(alice.lines(real["id"])) == 90
    again = alice.client.get(f"/v1/jobs/{est['sample_job']}/estimate").json()
    assert again["requests"] == est["requests"]
    assert alice.client.get(f"/v1/jobs/{real['id']}/estimate").status_code == 404


def test_an_estimate_of_a_job_without_target_projects_its_kept_records(alice: Api, fake: Fake,
                                                                       worker: Workers) -> None:
    fake.configure(scripts=[{"match": r"\(refuse\)", "replies": [REFUSAL]}])
    est = estimate(alice, {"recipe": "responses", "generator": {"provider": "priced"},
                           "params": {"prompts": prompts(200)}})
    assert est["inputs"] == 200 and est["target"] is None
    assert est["kept"]["low"] <= 150 <= est["kept"]["high"]
    assert est["requests"]["value"] == 200


def test_a_running_job_shows_its_projected_remaining_cost_and_time(alice: Api, fake: Fake, worker: Workers) -> None:
    fake.configure(latency=0.05)
    job_id = alice.submit({"recipe": "responses", "generator": {"provider": "priced"}, "target": 200,
                           "concurrency": 2, "params": {"prompts": prompts(400)}}).json()["id"]
    wait_for(lambda: alice.job(job_id)["progress"]["kept"] >= 10, what="some records")
    job = alice.job(job_id)
    cost, kept = job["cost"], job["progress"]["kept"]
    assert job["status"] == "running" and 0 < cost["remaining_usd"] and 0 < cost["remaining_seconds"]
    # Per kept record so far, times the records still to make.
    assert cost["remaining_usd"] == pytest.approx(cost["usd"] / kept * (200 - kept), rel=0.2)
    alice.client.post(f"/v1/jobs/{job_id}/cancel")
    assert alice.wait(job_id)["cost"]["remaining_usd"] is None


def test_projection_arithmetic() -> None:
    low, high = wilson(15, 20)
    assert low < 0.75 < high and round(low, 3) == 0.531 and round(high, 3) == 0.888
    est = project(sample_job="j", status="succeeded", kept=20, rejected=5, requests=25, tokens=2500,
                  nanos=25_000_000, seconds=5.0, target=100, inputs=None, shards=2, rpm=None)
    assert est.requests.value == 125 and est.cost_usd.value == 0.125 and est.tokens.value == 12500
    assert est.requests.low < 125 < est.requests.high
    assert est.seconds is not None and est.seconds.value == 12.5  # 5 requests/s per shard, 2 shards
    paced = project(sample_job="j", status="succeeded", kept=20, rejected=5, requests=25, tokens=2500,
                    nanos=25_000_000, seconds=5.0, target=100, inputs=None, shards=2, rpm=60)
    assert paced.seconds is not None and paced.seconds.value == 125  # rpm 60: one a second
    assert remaining(kept=10, target=100, nanos=1_000_000_000, elapsed=20.0) == (9.0, 180.0)
    assert remaining(kept=0, target=100, nanos=0, elapsed=1.0) == (None, None)
