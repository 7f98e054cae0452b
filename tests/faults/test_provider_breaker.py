"""The circuit breaker with a real worker, the real API and providers that refuse
connections (tests/conftest.py): `revives` (nothing listens on its port until the test
starts a fake server there) and `dead` (never comes back; circuit_wait 4 s). Marked
`faults`: `make test-faults`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from service.testing import stack

from support import Api, Workers, responses_spec, scrape_metrics, wait_for

pytestmark = pytest.mark.faults

CIRCUIT = 'synthgen_provider_circuit_state{model="revive-model",provider="revives"}'
ERRORS = 'synthgen_provider_requests_total{model="revive-model",outcome="error",provider="revives"}'


def test_a_provider_that_refuses_connections_opens_the_circuit_and_the_job_waits_for_it(
        api_url: str, alice: Api, worker: Workers, revive_port: int, tmp_path: Path) -> None:
    job_id = alice.submit(responses_spec(20, concurrency=4, generator={"provider": "revives"})).json()["id"]
    start = time.monotonic()
    job = wait_for(lambda: (j := alice.job(job_id))["waiting_for_provider"] and j, timeout=30,
                   what="the open circuit in the job's status")
    opened_after = time.monotonic() - start
    assert job["status"] == "running"
    [w] = job["waiting_for_provider"]
    assert (w["provider"], w["model"], w["reason"]) == ("revives", "revive-model", "error")
    assert w["circuit"] in ("open", "half-open") and w["failures"] >= 5 and w["since"]
    wait_for(lambda: scrape_metrics(api_url).get(CIRCUIT, 0) >= 1, timeout=10, what="the circuit in /metrics")
    # Neither failing nor spinning: while the circuit is open only probes go out
    # (cooldown 1 s, doubling), where 4 lanes retrying would send a dozen in 6 s.
    sent = scrape_metrics(api_url).get(ERRORS, 0)
    time.sleep(6)
    m = scrape_metrics(api_url)
    probes = m.get(ERRORS, 0) - sent
    assert probes <= 4, f"{probes} requests in 6 s to a provider whose circuit is open"
    assert alice.job(job_id)["status"] == "running"
    proc, _ = stack.start_fake(tmp_path / "url", "--latency", "0.01", port=revive_port)
    try:
        back = time.monotonic()
        done = alice.wait(job_id, timeout=90)
        resumed = time.monotonic() - back
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"\ncircuit opened {opened_after:.1f} s after submit; {probes:.0f} probes in 6 s while open; "
          f"the job finished {resumed:.1f} s after the provider came back")
    assert done["status"] == "succeeded" and done["progress"]["kept"] == 20, done
    # The wait spent no retries: no item gave up.
    assert "provider_error" not in done["progress"]["rejected_by_reason"]
    assert done["waiting_for_provider"] == []
    wait_for(lambda: scrape_metrics(api_url).get(CIRCUIT) == 0, timeout=10, what="the circuit closed in /metrics")


def test_a_provider_that_never_comes_back_fails_the_job_after_circuit_wait(alice: Api, worker: Workers) -> None:
    start = time.monotonic()
    job_id = alice.submit(responses_spec(10, concurrency=2, generator={"provider": "dead"})).json()["id"]
    job = alice.wait(job_id, timeout=60)
    took = time.monotonic() - start
    print(f"\na job on a provider that never answers failed after {took:.1f} s (circuit_wait 4 s): "
          f"{job['error']['detail']}")
    assert job["status"] == "failed" and job["error"]["type"].endswith("/provider-unavailable"), job
    detail = job["error"]["detail"]
    assert "'dead'" in detail and "circuit stayed open" in detail and "last: error" in detail
    assert "provider_error" not in job["progress"]["rejected_by_reason"]  # no item burned its retries
    assert 4 <= took < 30
