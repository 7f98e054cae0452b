"""The fleet-wide provider limits with real worker processes, the real API and the fake
provider's own meter of requests in flight (issue 12's fault tests 2 and 5).

Provider `limited` (tests/conftest.py): concurrency 6, stall timeout 1 s, 12 retries,
its own model (`limited-model`), so the fake server's meter of that model counts only
these jobs. Without the lead's sharding on this branch, several jobs run at once (one
per worker process) so that every worker calls the provider. Marked `faults`: `make
test-faults`."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from support import Api, Fake, Workers, responses_spec, scrape_metrics, wait_for

pytestmark = pytest.mark.faults

LIMIT = 6  # provider `limited`'s concurrency


def peak(fake: Fake) -> int:
    return int(fake.stats()["inflight"]["by_model"].get("limited-model", {}).get("peak", 0))


def live_workers(api_url: str) -> int:
    return int(httpx.get(f"{api_url}/readyz").json()["checks"]["workers"])


def metric(m: dict[str, float], name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    want = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(v for k, v in m.items() if k.partition("{")[0] == name and all(w in k for w in want))


def delta(after: dict[str, float], before: dict[str, float], name: str, **labels: str) -> float:
    return metric(after, name, **labels) - metric(before, name, **labels)


def assert_complete(api: Api, job: dict[str, Any], n: int) -> None:
    assert job["status"] == "succeeded", job
    records = api.lines(job["id"])
    assert job["progress"]["kept"] == n == len(records) == len({r["id"] for r in records})
    # Nothing lost to transient faults: no item gave up after its retries.
    assert "provider_error" not in job["progress"]["rejected_by_reason"], job["progress"]


def test_three_workers_ride_out_a_faulty_provider_within_its_limit(
        api_url: str, alice: Api, bob: Api, fake: Fake, workers: Workers) -> None:
    workers.start(3)
    wait_for(lambda: live_workers(api_url) >= 3, timeout=60, what="three live workers")
    before = scrape_metrics(api_url)
    fake.configure(latency=0.05, latency_jitter=0.03, fail_rate=0.2, fail_status=503, rate_limit_rate=0.1,
                   retry_after=0.2, hang_rate=0.05, malformed_rate=0.05)
    n = 120
    spec = responses_spec(n, concurrency=8, generator={"provider": "limited"})
    start = time.monotonic()
    ids = [alice.submit(spec).json()["id"], alice.submit(spec).json()["id"], bob.submit(spec).json()["id"]]
    jobs = [api.wait(j, timeout=300) for api, j in zip((alice, alice, bob), ids)]
    took = time.monotonic() - start
    for api, job in zip((alice, alice, bob), jobs):
        assert_complete(api, job, n)
    stats = fake.stats()
    high = peak(fake)
    time.sleep(1.5)  # workers push their metrics every second
    after = scrape_metrics(api_url)
    retries = sum(j["progress"]["retries"] for j in jobs)
    requests = sum(j["progress"]["requests"] for j in jobs)
    calls = delta(after, before, "synthgen_provider_limiter_calls_total", provider="limited")
    faults = stats["faults"]
    print(f"\n3 workers, 3 jobs x {n} records against `limited` (limit {LIMIT}) with 20% 503, 10% 429 "
          f"(Retry-After 0.2 s), 5% hangs, 5% malformed: done in {took:.1f} s; {requests} requests, {retries} "
          f"retries; faults {faults}; peak in flight on the fake's meter {high} (limit {LIMIT}); limiter "
          f"{calls / requests:.2f} Redis calls per request; held back: "
          + ", ".join(f"{r} {delta(after, before, 'synthgen_provider_throttled_total', provider='limited', reason=r):.0f}"
                      for r in ("concurrency", "fair_share", "paused", "circuit")))
    assert 2 <= high <= LIMIT, f"the fleet had {high} requests in flight against a limit of {LIMIT}"
    assert faults["500"] and faults["429"] and faults["hang"] and faults["malformed"]
    # Retries and every fault's outcome are visible in /metrics.
    assert delta(after, before, "synthgen_provider_retries_total", provider="limited") == retries >= sum(
        faults.values())
    for outcome in ("http_503", "http_429", "malformed", "error"):
        assert delta(after, before, "synthgen_provider_requests_total", provider="limited", outcome=outcome) > 0
    # A 429's Retry-After held back requests of every worker, not only the one that got it.
    assert delta(after, before, "synthgen_provider_throttled_total", provider="limited", reason="paused") > 0


def test_two_tenants_share_a_provider_at_its_limit(api_url: str, alice: Api, bob: Api, fake: Fake,
                                                   workers: Workers) -> None:
    workers.start(2)
    wait_for(lambda: live_workers(api_url) >= 2, timeout=60, what="two live workers")
    fake.configure(latency=0.1)
    big = alice.submit(responses_spec(2000, concurrency=16, generator={"provider": "limited"})).json()["id"]
    wait_for(lambda: alice.job(big)["progress"]["kept"] >= 30, timeout=60, what="the big job under way")
    at_start = alice.job(big)["progress"]["kept"]
    start = time.monotonic()
    small = bob.submit(responses_spec(30, concurrency=16, generator={"provider": "limited"})).json()["id"]
    done = bob.wait(small, timeout=60)
    took = time.monotonic() - start
    big_then = alice.job(big)
    alice.client.post(f"/v1/jobs/{big}/cancel")
    assert alice.wait(big, timeout=30)["status"] == "cancelled"
    high = peak(fake)
    made = big_then["progress"]["kept"] - at_start
    print(f"\ntwo tenants on `limited` (limit {LIMIT}, 0.1 s per answer): bob's 30-record job took {took:.1f} s "
          f"(at its fair share of {LIMIT // 2}: {30 / (LIMIT // 2) * 0.1:.1f} s of answers) while alice's "
          f"2000-record job kept {made} more; peak in flight {high} of {LIMIT}")
    assert_complete(bob, done, 30)
    # Both progress: the small job finished while the big one was still running, and the
    # big one kept working meanwhile.
    assert big_then["status"] == "running" and big_then["progress"]["kept"] < 2000
    assert made > 0
    assert high <= LIMIT
    # Starved, the small job would wait for the big one (2000 x 0.1 s / 6 = 33 s).
    assert took < 15, f"the small job took {took:.1f} s beside the big one"
