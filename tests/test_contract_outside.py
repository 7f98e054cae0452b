"""The holes an outside team found in the API contract (issue 9), each reproduced (the
burst of concurrent idempotent submissions is tests/faults/test_submissions.py).

Bodies nested 10,000 deep, a NaN cursor, spot-check
errors that named the wrong field, bytes-level errors without a place, a gateway that
echoes the provider key, jobs that "succeeded" with nothing, and a 6 MB job object.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import redis

from support import KEYS, METRICS_TOKEN, Api, Fake, LocalApi, Workers, responses_spec, wait_for

PROBLEM = "application/problem+json"
MARKER = "sk-fake-secret-value-123"  # FAKE_PROVIDER_KEY in conftest: the fake provider's key
JSON = {"Content-Type": "application/json"}


def problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    return r.json()


def fields(body: dict) -> list[str]:
    return [e["field"] for e in body.get("errors") or []]


# -- 2. unbounded inputs ----------------------------------------------------------------

DEEP = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize("body", [
    DEEP,
    '{"recipe": "responses", "generator": {"provider": "fake"}, "metadata": {"a": %s}, "params": {"prompts": ["x"]}}' % DEEP,
    '{"x": %s, "recipe": "responses"}' % DEEP,
    '{"recipe": "responses", "generator": {"provider": "fake"}, "params": {"prompts": %s}}' % DEEP,
], ids=["body", "metadata", "before-tag", "params"])
def test_bodies_nested_10000_deep_are_400_saying_where(alice: Api, body: str) -> None:
    r = alice.client.post("/v1/jobs", content=body.encode(), headers=JSON)
    b = problem(r, 400)
    assert fields(b) == ["$"] and "nested deeper than 64 levels at byte" in b["errors"][0]["message"]


def test_a_deep_spotcheck_body_is_400_too(alice: Api) -> None:
    r = alice.client.post("/v1/jobs/job_0/spotcheck", content=DEEP.encode(), headers=JSON)
    assert problem(r, 400)["type"].endswith("/too-deep")


def test_brackets_inside_strings_do_not_count_as_nesting(alice: Api) -> None:
    r = alice.submit(responses_spec(1) | {"params": {"prompts": ["[" * 5000 + "{" * 5000]}})
    assert r.status_code == 202, r.text
    alice.client.post(f"/v1/jobs/{r.json()['id']}/cancel")


@pytest.mark.parametrize("cursor", [
    "bmFuIHg",                       # "nan x": the finding (Redis: min or max is not a float)
    "aW5mIGpvYl8x",                  # "inf job_1"
    "MWUzMDAgam9iX3g",               # "1e300 job_x"
    "x" * 5000,                      # longer than any cursor this API issues
])
def test_list_cursors_that_the_api_did_not_issue_are_400(alice: Api, cursor: str) -> None:
    assert fields(problem(alice.client.get("/v1/jobs", params={"cursor": cursor}), 400)) == ["cursor"]


def test_stream_cursors_past_any_list_or_in_other_digits_are_400(alice: Api) -> None:
    import base64

    job_id = alice.submit(responses_spec(1)).json()["id"]
    for text in ("o" + "9" * 40, "o\u0661\u0662", "o-1"):
        cursor = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
        r = alice.client.get(f"/v1/jobs/{job_id}/records", params={"cursor": cursor})
        assert fields(problem(r, 400)) == ["cursor"], text
    alice.client.post(f"/v1/jobs/{job_id}/cancel")


# -- 3. errors name the field, bytes-level errors say where ---------------------------------


def test_spotcheck_and_verdict_errors_name_their_own_fields(alice: Api) -> None:
    job_id = alice.submit(responses_spec(1)).json()["id"]
    b = problem(alice.client.post(f"/v1/jobs/{job_id}/spotcheck", json={"size": 0}), 422)
    assert fields(b) == ["size"] and "recipe" not in b["detail"]
    b = problem(alice.client.post(f"/v1/jobs/{job_id}/spotcheck", json={"size": 5, "colour": 1}), 422)
    assert fields(b) == ["colour"]
    b = problem(alice.client.put(f"/v1/jobs/{job_id}/spotcheck/r1", json={"verdict": "maybe"}), 422)
    assert fields(b) == ["verdict"]
    alice.client.post(f"/v1/jobs/{job_id}/cancel")


@pytest.mark.parametrize(("raw", "where"), [
    (b'{"recipe": "responses",\x00 "target": 1}', "byte 23 (line 1, column 24)"),
    (b'{"recipe": "respon\xff\xfeses"}', "byte"),
    (b'{"recipe": "responses",\n "generator": {"provider"', "line 2"),
], ids=["nul", "invalid-utf8", "truncated"])
def test_bytes_level_errors_name_the_body_and_the_byte(alice: Api, raw: bytes, where: str) -> None:
    for path in ("/v1/jobs", "/v1/jobs/job_0/spotcheck"):
        b = problem(alice.client.post(path, content=raw, headers=JSON), 400)
        assert fields(b) == ["$"] and where in b["errors"][0]["message"], (path, b)


# -- 5. a provider echoing its key ------------------------------------------------------------


def _redis_dump(url: str) -> bytes:
    r = redis.Redis.from_url(url)
    out = []
    for key in r.scan_iter(count=1000):
        out.append(key)
        kind = r.type(key)
        if kind == b"hash":
            out.extend(b"%s=%s" % kv for kv in r.hgetall(key).items())
        elif kind == b"list":
            out.extend(r.lrange(key, 0, -1))
        elif kind == b"set":
            out.extend(r.smembers(key))
        elif kind == b"zset":
            out.extend(m for m, _ in r.zrange(key, 0, -1, withscores=True))
        elif kind == b"string":
            out.append(r.get(key) or b"")
    return b"\n".join(out)


def test_a_provider_echoing_the_key_leaves_no_trace_of_it(alice: Api, fake: Fake, worker: Workers,
                                                          redis_url: str, tmp_path: Path) -> None:
    fake.configure(bad_request_rate=1.0)
    job_id = alice.submit(responses_spec(6, concurrency=2)).json()["id"]
    job = alice.wait(job_id, timeout=60)
    assert fake.stats()["faults"]["400"] >= 1  # the gateway did echo the key
    assert job["status"] == "failed" and "'fake'" in job["error"]["detail"], job
    assert "HTTP 400" in job["error"]["detail"] and "[redacted]" in job["error"]["detail"]
    rejects = alice.lines(job_id, "rejects")
    assert rejects and all("Incorrect API key provided: [redacted]" in x["detail"] for x in rejects)
    assert all(len(x["detail"]) < 400 for x in rejects)  # a snippet, not the body
    seen = [alice.client.get(p).text for p in (
        f"/v1/jobs/{job_id}", f"/v1/jobs/{job_id}/records", f"/v1/jobs/{job_id}/rejects",
        f"/v1/jobs/{job_id}/report", f"/v1/jobs/{job_id}/spec", "/v1/jobs")]
    seen.append(httpx.get(f"{alice.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text)
    assert not [t for t in seen if MARKER in t]
    assert MARKER.encode() not in _redis_dump(redis_url)
    logs = b"".join(p.read_bytes() for p in tmp_path.glob("worker-*.log"))
    assert f"job {job_id} failed".encode() in logs and b"[redacted]" in logs  # the failure is logged...
    assert MARKER.encode() not in logs  # ...without the key


def test_no_response_debug_log_metric_webhook_or_export_holds_a_secret(service_env: dict[str, str], fake: Fake,
                                                                       redis_url: str, tmp_path: Path) -> None:
    """The marker key (the provider's, echoed back by the gateway), the API keys callers
    send, and the service's own secrets appear nowhere: not in any answer of any route,
    not in the API's or the worker's DEBUG logs, not in metrics, not in a webhook event,
    not in the spot-check export or a client-side export, not in Redis."""
    import subprocess
    import sys

    from service.testing import stack

    from support import ADMIN_KEY, ROOT, Receiver

    env = dict(service_env, SYNTHGEN_LOG_LEVEL="DEBUG", SYNTHGEN_SIGNING_SECRET="signing-secret-value-987654")
    api_log = tmp_path / "api-debug.log"
    proc, url = stack.start_api(env, open(api_log, "wb"))
    workers = Workers(env, tmp_path)
    receiver = Receiver()
    try:
        workers.start(1)
        alice, admin = Api(url, KEYS["alice"]), Api(url, ADMIN_KEY)
        made = admin.client.post("/v1/admin/keys", json={"tenant": "alice", "role": "read"}).json()
        reader = Api(url, made["key"])
        fake.configure(bad_request_rate=1.0)
        failed = alice.submit(responses_spec(4, concurrency=2, webhook={"url": receiver.url + "/hook"})).json()["id"]
        assert alice.wait(failed, timeout=60)["status"] == "failed"
        fake.reset()
        good = alice.submit(responses_spec(5, webhook={"url": receiver.url + "/hook"})).json()["id"]
        assert alice.wait(good, timeout=60)["status"] == "succeeded"
        alice.client.post(f"/v1/jobs/{good}/spotcheck", json={"size": 3})
        wait_for(lambda: len(receiver.requests) >= 2, timeout=30, what="both webhook events")
        seen = []
        for job_id in (failed, good):
            for path in ("", "/records", "/rejects", "/report", "/spec", "/webhook", "/spotcheck",
                         "/spotcheck/export"):
                seen.append(reader.client.get(f"/v1/jobs/{job_id}{path}").text)
        seen += [alice.client.get(p).text for p in ("/v1/jobs", "/v1/providers", "/v1/recipes", "/v1/webhooks/secret")]
        seen += [admin.client.get(p).text for p in ("/v1/admin/keys", "/v1/admin/tenants/alice/quotas")]
        seen.append(httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text)
        seen += [r["body"].decode() + json.dumps(r["headers"]) for r in receiver.requests]
        out = tmp_path / "export.jsonl"
        cli = subprocess.run([sys.executable, "-m", "service.cli", "export", good, "--format", "jsonl", "-o", str(out)],
                             cwd=ROOT, env=dict(env, SYNTHGEN_URL=url, SYNTHGEN_KEY=made["key"]),
                             capture_output=True, text=True, timeout=60)
        assert cli.returncode == 0, cli.stderr
        seen += [out.read_text(), cli.stdout, cli.stderr]
    finally:
        receiver.close()
        workers.stop_all()
        proc.terminate()
        proc.wait(10)
    logs = api_log.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("worker-*.log"))
    assert b" DEBUG " in logs and f"job {failed} failed".encode() in logs  # DEBUG really was on
    text = "\n".join(seen)
    assert "Incorrect API key provided: [redacted]" in text  # the echo happened, and was redacted
    secrets = [MARKER, KEYS["alice"], ADMIN_KEY, made["key"], METRICS_TOKEN, "signing-secret-value-987654"]
    for secret in secrets:
        assert secret not in text, secret
        assert secret.encode() not in logs, secret
    assert MARKER.encode() not in _redis_dump(redis_url)


def test_redaction_of_configured_values_and_key_shapes() -> None:
    from service.redact import Redactor

    r = Redactor(["my-own-secret-value", "short"])
    assert r("key my-own-secret-value here") == "key [redacted] here"
    assert r("a short word") == "a short word"  # too short to be treated as a secret
    for leaked in ("sk-proj-abcdefgh12345678", "Bearer abc.def.ghijklmnop", "hf_abcdefghijklmnop", "AKIAABCDEFGHIJKLMNOP"):
        assert "[redacted]" in r(f"x {leaked} y") and leaked not in r(f"x {leaked} y")
    snip = r.snippet(b"Incorrect API key provided: sk-" + b"a" * 500 + b"\n\x00" + b"tail" * 100)
    assert snip.startswith("Incorrect API key provided: [redacted]") and len(snip) <= 163 and "\n" not in snip


# -- 6. jobs that "succeeded" with nothing ---------------------------------------------------


def test_a_closed_port_and_an_always_400_provider_fail_naming_the_provider(local: LocalApi, fake: Fake) -> None:
    job = local.wait(local.submit(responses_spec(6) | {"generator": {"provider": "closed"}}).json()["id"], timeout=60)
    assert job["status"] == "failed", job
    assert job["error"]["type"].endswith("/provider-errors") and "'closed'" in job["error"]["detail"]
    assert "most rejects: provider_error" in job["error"]["detail"]
    fake.configure(bad_request_rate=1.0)
    job = local.wait(local.submit(responses_spec(6)).json()["id"], timeout=60)
    assert job["status"] == "failed" and job["progress"]["kept"] == 0
    assert "'fake'" in job["error"]["detail"] and "HTTP 400" in job["error"]["detail"]


def test_losses_within_the_error_budget_still_succeed(local: LocalApi, fake: Fake) -> None:
    fake.configure(bad_request_first=1)
    job = local.wait(local.submit(responses_spec(10, concurrency=1, error_budget=0.1)).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 9, job
    fake.configure(bad_request_first=1)
    job = local.wait(local.submit(responses_spec(10, concurrency=1)).json()["id"])  # default budget: 2% of 10
    assert job["status"] == "failed" and job["error"]["type"].endswith("/provider-errors"), job


def test_a_job_that_kept_nothing_fails_naming_its_dominant_reject_reason(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[{"replies": ["I'm sorry, but I cannot help with that."]}])
    job = local.wait(local.submit(responses_spec(3)).json()["id"])
    assert job["status"] == "failed" and job["progress"]["kept"] == 0
    assert job["error"]["type"].endswith("/nothing-kept")
    assert "most rejects: refusal (3 of 3)" in job["error"]["detail"], job


# -- 7. size -----------------------------------------------------------------------------------


def test_a_100k_prompt_job_reads_small_and_links_its_spec(alice: Api) -> None:
    spec = responses_spec(100_000)
    r = alice.submit(spec)
    assert r.status_code == 202, r.text[:300]
    job_id = r.json()["id"]
    assert len(r.content) < 10_000
    got = alice.client.get(f"/v1/jobs/{job_id}")
    assert len(got.content) < 10_000 and "spec" not in got.json()
    assert got.json()["links"]["spec"] == f"/v1/jobs/{job_id}/spec"
    listed = alice.client.get("/v1/jobs", params={"limit": 50})
    assert len(listed.content) < 50 * 10_000 and "Question number 99999" not in listed.text
    stored = alice.client.get(f"/v1/jobs/{job_id}/spec")
    assert stored.status_code == 200 and stored.headers["content-type"].startswith("application/json")
    assert stored.json()["params"]["prompts"] == spec["params"]["prompts"]
    bob = Api(alice.url, KEYS["bob"])
    assert problem(bob.client.get(f"/v1/jobs/{job_id}/spec"), 404)
    alice.client.post(f"/v1/jobs/{job_id}/cancel")
