"""The API contract: problem+json errors naming the field, auth and tenancy,
idempotency, cursors. Bad input never produces a 500 and never changes stored jobs."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from support import Api, responses_spec

PROBLEM = "application/problem+json"


def assert_problem(r: httpx.Response, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


@pytest.mark.parametrize(
    ("spec", "status", "field"),
    [
        ({**responses_spec(2), "target": "two"}, 422, "target"),
        ({**responses_spec(2), "target": 0}, 422, "target"),
        ({**responses_spec(2), "target": 10**9}, 422, "target"),
        ({**responses_spec(2), "concurrency": -1}, 422, "concurrency"),
        ({**responses_spec(2), "recipe": "no-such-recipe"}, 422, "recipe"),
        ({**responses_spec(2), "generator": {"provider": "nope"}}, 422, "generator.provider"),
        ({**responses_spec(2), "generator": {"provider": "fake", "model": "gpt-9"}}, 422, "generator.model"),
        ({**responses_spec(2), "generator": {"provider": 5}}, 422, "generator.provider"),
        ({**responses_spec(2), "generator": {"provider": "fake", "sampling": {"temperature": 9}}}, 422,
         "generator.sampling.temperature"),
        ({"recipe": "responses", "params": {"prompts": ["x"]}}, 422, "generator"),
        ({**responses_spec(2), "surprise": 1}, 422, "surprise"),
        ({**responses_spec(2), "params": {"prompts": "not a list"}}, 422, "params.prompts"),
        ({**responses_spec(2), "params": {}}, 422, "params.prompts"),
        ({**responses_spec(2), "target": 3}, 422, "target"),
        ({**responses_spec(2), "params": {"prompt_file": "unregistered"}}, 422, "params.prompt_file"),
        ({"recipe": "self-instruct", "generator": {"provider": "fake"}}, 422, "target"),
        ({"recipe": "self-instruct", "target": 5, "generator": {"provider": "chatonly"}}, 422, "generator.provider"),
        ({"recipe": "alpaca", "target": 5, "generator": {"provider": "fake"}, "params": {"seed_file": "nope"}}, 422,
         "params.seed_file"),
        ([1, 2, 3], 422, None),
    ],
)
def test_invalid_specs_get_422_naming_the_field(alice: Api, spec, status, field) -> None:
    body = assert_problem(alice.submit(spec), status, field)
    assert body["instance"] == "/v1/jobs"


def test_chat_mode_self_instruct_is_accepted_on_a_chat_only_provider(alice: Api) -> None:
    spec = {"recipe": "self-instruct", "target": 1, "generator": {"provider": "chatonly"}, "params": {"mode": "chat"}}
    r = alice.submit(spec)
    assert r.status_code == 202, r.text
    alice.client.post(f"/v1/jobs/{r.json()['id']}/cancel")


def test_malformed_json_wrong_type_and_huge_bodies(alice: Api) -> None:
    r = alice.client.post("/v1/jobs", content=b'{"recipe": "responses",', headers={"Content-Type": "application/json"})
    assert_problem(r, 400)
    r = alice.client.post("/v1/jobs", content=b"recipe=responses", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(r, 415)
    big = json.dumps(responses_spec(1) | {"params": {"prompts": ["x" * (10 * 1024 * 1024)]}}).encode()
    r = alice.client.post("/v1/jobs", content=big, headers={"Content-Type": "application/json"})
    assert_problem(r, 413)


def test_bad_query_parameters_are_400_not_500(alice: Api) -> None:
    assert_problem(alice.client.get("/v1/jobs", params={"limit": 0}), 400, "limit")
    assert_problem(alice.client.get("/v1/jobs", params={"limit": "many"}), 400)
    assert_problem(alice.client.get("/v1/jobs", params={"cursor": "%%%"}), 400, "cursor")
    assert_problem(alice.client.get("/v1/jobs", params={"status": "sleeping"}), 400)
    assert_problem(alice.client.get("/v1/nothing-here"), 404)


def test_bad_input_does_not_touch_stored_jobs(alice: Api) -> None:
    r = alice.submit(responses_spec(3))
    assert r.status_code == 202
    before = alice.job(r.json()["id"])
    for bad in ({**responses_spec(2), "target": 0}, {"recipe": "x"}):
        alice.submit(bad)
    after = alice.job(before["id"])
    assert after["spec_hash"] == before["spec_hash"] and after["created_at"] == before["created_at"]
    alice.client.post(f"/v1/jobs/{before['id']}/cancel")


def test_auth_is_required_and_tenants_are_isolated(api_url: str, alice: Api, bob: Api) -> None:
    assert_problem(httpx.get(f"{api_url}/v1/jobs"), 401)
    assert_problem(httpx.get(f"{api_url}/v1/recipes", headers={"Authorization": "Bearer wrong"}), 401)
    r = alice.submit(responses_spec(2))
    job_id = r.json()["id"]
    assert r.headers["location"] == f"/v1/jobs/{job_id}"
    for path in (f"/v1/jobs/{job_id}", f"/v1/jobs/{job_id}/records", f"/v1/jobs/{job_id}/rejects"):
        assert_problem(bob.client.get(path), 404)
    assert_problem(bob.client.post(f"/v1/jobs/{job_id}/cancel"), 404)
    assert job_id not in [j["id"] for j in bob.client.get("/v1/jobs").json()["data"]]
    assert alice.job(job_id)["status"] in ("queued", "running", "waiting_for_worker", "succeeded")
    alice.client.post(f"/v1/jobs/{job_id}/cancel")


def test_idempotency_key(alice: Api, bob: Api) -> None:
    spec = responses_spec(2)
    first = alice.submit(spec, **{"Idempotency-Key": "idem-1"})
    again = alice.submit(spec, **{"Idempotency-Key": "idem-1"})
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert_problem(alice.submit(responses_spec(3), **{"Idempotency-Key": "idem-1"}), 422)
    # Keys are scoped per tenant.
    assert bob.submit(spec, **{"Idempotency-Key": "idem-1"}).json()["id"] != first.json()["id"]
    # Concurrent requests with one key create one job.
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: alice.submit(spec, **{"Idempotency-Key": "idem-race"}), range(8)))
    assert {r.status_code for r in results} <= {200, 202}
    assert len({r.json()["id"] for r in results}) == 1
    assert sum(r.status_code == 202 for r in results) == 1


def test_list_jobs_pages_with_cursor_and_status_filter(alice: Api) -> None:
    ids = [alice.submit(responses_spec(1)).json()["id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = alice.client.get("/v1/jobs", params=params).json()
        assert len(page["data"]) <= 2
        seen += [j["id"] for j in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in ids] == list(reversed(ids))
    queued = alice.client.get("/v1/jobs", params={"status": "queued", "limit": 500}).json()["data"]
    assert all(j["status"] in ("queued", "waiting_for_worker") for j in queued)  # no worker in this test
    for i in ids:
        alice.client.post(f"/v1/jobs/{i}/cancel")
    cancelled = alice.client.get("/v1/jobs", params={"status": "cancelled", "limit": 500}).json()["data"]
    assert set(ids) <= {j["id"] for j in cancelled}


def test_cancel_of_a_queued_job_and_of_a_final_job(alice: Api) -> None:
    job_id = alice.submit(responses_spec(1)).json()["id"]
    r = alice.client.post(f"/v1/jobs/{job_id}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    body = assert_problem(alice.client.post(f"/v1/jobs/{job_id}/cancel"), 409)
    assert body["job_status"] == "cancelled"


def test_catalogue_routes_hide_urls_and_keys(alice: Api, fake_url: str) -> None:
    recipes = alice.client.get("/v1/recipes").json()["data"]
    names = {r["name"] for r in recipes}
    assert {"responses", "self-instruct", "alpaca"} <= names
    si = next(r for r in recipes if r["name"] == "self-instruct")
    assert "rouge_threshold" in json.dumps(si["spec_schema"])
    r = alice.client.get("/v1/providers")
    text = r.text
    assert fake_url not in text and "sk-fake-secret" not in text and "FAKE_PROVIDER_KEY" not in text
    fake = next(p for p in r.json()["data"] if p["name"] == "fake")
    assert fake["kind"] == "openai-compatible" and fake["models"] == ["fake-model", "fake-model-2"]


def test_health_request_id_and_docs(api_url: str) -> None:
    assert httpx.get(f"{api_url}/healthz").json()["status"] == "ok"
    r = httpx.get(f"{api_url}/readyz", headers={"X-Request-Id": "abc-123"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "abc-123"
    assert len(httpx.get(f"{api_url}/healthz").headers["x-request-id"]) >= 8
    assert httpx.get(f"{api_url}/docs/openapi.json").json()["info"]["title"] == "synthgen"


def test_redis_down_is_503_with_retry_after(service_env: dict, tmp_path) -> None:
    import subprocess
    import sys

    from support import KEYS, ROOT, free_port, wait_http_ok

    port = free_port()
    env = dict(service_env, SYNTHGEN_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", SYNTHGEN_PORT=str(port))
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--workers", "0"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http_ok(f"{url}/healthz")
        r = httpx.get(f"{url}/readyz")
        assert r.status_code == 503 and r.headers["retry-after"]
        api = Api(url, KEYS["alice"])
        r = api.submit(responses_spec(1))
        assert_problem(r, 503)
        assert r.headers["retry-after"]
        assert_problem(api.client.get("/v1/jobs/job_x"), 503)
    finally:
        proc.terminate()
        proc.wait(10)
