"""The SDKs against a live API and RQ worker (real Redis, the fake provider): the Python
client (clients/python, sync and async) and the TypeScript client (clients/typescript,
node's own test runner), plus the generated code's freshness against openapi.json."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from support import KEYS, ROOT, Api, Workers, responses_spec, wait_for

synthgen_client = pytest.importorskip("synthgen_client", reason="clients/python is not installed (make install does)")
from synthgen_client import (  # noqa: E402
    AsyncSynthgenClient,
    Conflict,
    InvalidRequest,
    NotFound,
    RateLimited,
    RetryPolicy,
    SynthgenClient,
)

TS = ROOT / "clients" / "typescript"


@pytest.fixture
def sdk(api_url: str) -> Iterator[SynthgenClient]:
    with SynthgenClient(api_url, KEYS["alice"]) as c:
        yield c


def test_python_sdk_submit_wait_and_every_record(sdk: SynthgenClient, alice: Api, worker: Workers) -> None:
    job = sdk.submit(responses_spec(37))
    assert job["status"] in ("queued", "waiting_for_worker")  # the worker may not have beaten yet
    seen: list[dict[str, Any]] = []
    done = sdk.wait(job["id"], on_progress=seen.append, interval=0.1, timeout=60)
    assert done["status"] == "succeeded" and done["progress"]["kept"] == 37
    assert seen and seen[-1]["status"] == "succeeded"
    records = list(sdk.records(job["id"], limit=5))  # 8 pages
    assert [r["id"] for r in records] == [r["id"] for r in alice.lines(job["id"])]
    assert len({r["id"] for r in records}) == 37
    assert job["id"] in {j["id"] for j in sdk.jobs(limit=1)}


def test_python_sdk_async_reads_records_while_the_job_runs(api_url: str, alice: Api, fake, worker: Workers) -> None:
    fake.configure(latency=0.05)

    async def go() -> tuple[dict[str, Any], list[dict[str, Any]], int]:
        async with AsyncSynthgenClient(api_url, KEYS["alice"]) as c:
            job = await c.submit(responses_spec(30, concurrency=2))
            got, while_running = [], 0
            async for rec in c.records(job["id"], limit=4, poll=0.05):
                got.append(rec)
                if (await c.get(job["id"]))["status"] == "running":
                    while_running += 1
            return await c.get(job["id"]), got, while_running

    final, records, while_running = asyncio.run(go())
    assert final["status"] == "succeeded"
    assert while_running > 0  # the iterator really followed a running job
    assert [r["id"] for r in records] == [r["id"] for r in alice.lines(final["id"])]
    assert len(records) == final["progress"]["kept"] == 30


def test_python_sdk_cancel_and_typed_errors(sdk: SynthgenClient, fake, worker: Workers) -> None:
    fake.configure(latency=0.05)
    job = sdk.submit(responses_spec(300, concurrency=1))
    wait_for(lambda: sdk.get(job["id"])["progress"]["kept"] > 0, what="a first record")
    assert sdk.cancel(job["id"])["status"] in ("cancelling", "cancelled")
    done = sdk.wait(job["id"], interval=0.1, timeout=30)
    assert done["status"] == "cancelled" and 0 < done["progress"]["kept"] < 300
    with pytest.raises(Conflict) as conflict:
        sdk.cancel(job["id"])
    assert conflict.value.status == 409 and conflict.value.problem["job_status"] == "cancelled"

    with pytest.raises(InvalidRequest) as bad:
        sdk.submit(responses_spec(1, target=0))
    assert bad.value.status == 422
    assert [e.field for e in bad.value.errors] == ["target"]
    with pytest.raises(NotFound):
        sdk.get("no-such-job")


def test_same_idempotency_key_is_one_job(sdk: SynthgenClient) -> None:
    a = sdk.submit(responses_spec(2), idempotency_key="sdk-idem-1")
    b = sdk.submit(responses_spec(2), idempotency_key="sdk-idem-1")
    assert a["id"] == b["id"]


class _Flaky(BaseHTTPRequestHandler):
    """429 with Retry-After: 1 for the first `fail` requests, then a job."""

    fail = 1
    seen: list[tuple[float, bytes, str | None]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append((time.monotonic(), body, self.headers.get("Idempotency-Key")))
        if len(self.seen) <= self.fail:
            self._send(429, {"type": "x/rate-limited", "title": "Too many requests", "status": 429},
                       {"Retry-After": "1"})
        else:
            self._send(202, {"id": "j1", "status": "queued"})

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("fail, retries, ok", [(1, 5, True), (3, 2, False)])
def test_429_is_retried_after_retry_after(fail: int, retries: int, ok: bool) -> None:
    _Flaky.fail, _Flaky.seen = fail, []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        with SynthgenClient(f"http://127.0.0.1:{srv.server_port}", "k", retry=RetryPolicy(retries=retries)) as c:
            if ok:
                assert c.submit({"recipe": "responses"})["id"] == "j1"
            else:
                with pytest.raises(RateLimited):
                    c.submit({"recipe": "responses"})
    finally:
        srv.shutdown()
    seen = _Flaky.seen
    assert len(seen) == (fail + 1 if ok else retries + 1)
    assert all(b - a >= 0.95 for (a, _, _), (b, _, _) in zip(seen, seen[1:]))  # waited Retry-After
    assert len({(body, key) for _, body, key in seen}) == 1 and seen[0][2]  # same body and key


def test_the_sdk_names_a_quota_at_once_and_a_missing_role(api_url: str, alice: Api) -> None:
    """A 429 whose Retry-After is beyond the retry policy's longest wait (a daily quota)
    is raised at once, naming the limit; a key lacking the role raises Forbidden."""
    from synthgen_client import Forbidden

    from support import ADMIN_KEY

    admin = Api(api_url, ADMIN_KEY)
    key = admin.client.post("/v1/admin/keys", json={"tenant": "sdk-quota", "role": "submit"}).json()["key"]
    reader = admin.client.post("/v1/admin/keys", json={"tenant": "sdk-quota", "role": "read"}).json()["key"]
    admin.client.put("/v1/admin/tenants/sdk-quota/quotas", json={"limits": {"records_per_day": 2}})
    spec = {"recipe": "responses", "generator": {"provider": "fake"}, "params": {"prompts": ["a", "b"]}}
    with SynthgenClient(api_url, key) as c:
        job = c.submit(spec)
        began = time.monotonic()
        with pytest.raises(RateLimited) as over:
            c.submit(spec)
        assert time.monotonic() - began < 5
        assert over.value.problem["quota"]["name"] == "records_per_day" and over.value.kind == "quota-exceeded"
        c.cancel(job["id"])
    with SynthgenClient(api_url, reader) as c, pytest.raises(Forbidden):
        c.submit(spec)


def test_generated_clients_are_fresh() -> None:
    """`make clients` output matches openapi/openapi.json (regenerate when this fails)."""
    r = subprocess.run([sys.executable, str(ROOT / "clients" / "generate.py"), "--check"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_sdk_surface_leaves_out_operational_routes() -> None:
    import synthgen_api.api as generated

    modules = {p.stem for p in (ROOT / "clients/python/synthgen_api/api").rglob("*.py")}
    assert {"create_job", "get_job", "cancel_job", "list_job_records"} <= modules
    assert not modules & {"metrics", "healthz", "readyz", "review_page"}, modules
    schema = (TS / "src" / "schema.d.ts").read_text()
    assert '"/v1/jobs/{job_id}/records"' in schema and '"/metrics"' not in schema and '"/healthz"' not in schema
    assert generated


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_typescript_client_against_the_live_api(api_url: str, worker: Workers) -> None:
    if not (TS / "node_modules").is_dir():
        pytest.fail("clients/typescript/node_modules is missing: make install runs npm ci there")
    env = dict(os.environ, SYNTHGEN_TEST_URL=api_url, SYNTHGEN_TEST_KEY=KEYS["alice"])
    r = subprocess.run(["npm", "test", "--silent"], cwd=TS, env=env, capture_output=True, text=True, timeout=240)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "# fail 0" in out and "# skipped 0" in out and "# pass 7" in out, out
