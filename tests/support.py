"""Test helpers shared by the test modules (import them from here, not from conftest):
the API client a tenant uses, the fake provider's control client, worker processes,
and the in-process twin of the API + worker (`LocalApi`, built on
service/testing/harness.py).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx

from service.testing.harness import LocalWorker
from service.testing.stack import free_port, synthgen, wait_for, wait_http_ok

ROOT = Path(__file__).resolve().parents[1]
# carol is schemathesis's tenant: the jobs its run makes stay apart from the other tests'.
KEYS = {"alice": "key-alice-0123456789", "bob": "key-bob-9876543210", "carol": "key-carol-5555555555"}
# The operator's key (tenant "ops", role admin) and Prometheus' token, in the test stack's settings.
ADMIN_KEY = "key-admin-0000000000"
METRICS_TOKEN = "metrics-token-4242424242"

__all__ = ["ADMIN_KEY", "KEYS", "METRICS_TOKEN", "ROOT", "Api", "Fake", "LocalApi", "Receiver", "Serve", "Workers", "adjust_example", "assert_finished_intact",
           "doc_sections", "examples", "free_port", "job_midway", "responses_spec", "scrape_metrics", "wait_for",
           "wait_http_ok"]


class Fake:
    """Controls the fake provider between tests."""

    def __init__(self, url: str):
        self.url = url

    def configure(self, **config: Any) -> dict[str, Any]:
        r = httpx.post(f"{self.url}/_control/config", json=config)
        r.raise_for_status()
        return r.json()

    def reset(self) -> None:
        httpx.post(f"{self.url}/_control/reset").raise_for_status()

    def requests(self, limit: int = 100) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/_control/requests", params={"limit": limit}).json()

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_control/stats").json()

    def batch(self, batch_id: str) -> dict[str, Any]:
        """A batch of its Batch API (service/testing/fake_batches.py)."""
        return httpx.get(f"{self.url}/v1/batches/{batch_id}").json()

    def message_batch(self, batch_id: str) -> dict[str, Any]:
        """A batch of its Message Batches API (service/testing/fake_message_batches.py)."""
        return httpx.get(f"{self.url}/v1/messages/batches/{batch_id}",
                         headers={"anthropic-version": "2023-06-01"}).json()


class Workers:
    """Worker processes started and killed by a test."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, n: int = 1) -> list[subprocess.Popen[bytes]]:
        started = []
        for _ in range(n):
            log = open(self.log_dir / f"worker-{len(self.procs)}.log", "wb")
            p = synthgen(["worker"], self.env, log)
            self.procs.append(p)
            started.append(p)
        return started

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


class Api:
    """A tenant's view of the API."""

    def __init__(self, url: str, key: str):
        self.url = url
        self.client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30)

    def submit(self, spec: dict[str, Any], **headers: str) -> httpx.Response:
        return self.client.post("/v1/jobs", json=spec, headers=headers)

    def job(self, job_id: str) -> dict[str, Any]:
        r = self.client.get(f"/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def wait(self, job_id: str, statuses: tuple[str, ...] = ("succeeded", "failed", "cancelled"), timeout: float = 60) -> dict[str, Any]:
        return wait_for(lambda: (j := self.job(job_id))["status"] in statuses and j, timeout=timeout,
                        what=f"job {job_id} to reach {statuses}")

    def lines(self, job_id: str, kind: str = "records", limit: int | None = None) -> list[dict[str, Any]]:
        out, cursor = [], None
        while True:
            params: dict[str, Any] = {}
            if cursor:
                params["cursor"] = cursor
            if limit:
                params["limit"] = limit
            r = self.client.get(f"/v1/jobs/{job_id}/{kind}", params=params)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"].startswith("application/x-ndjson")
            page = [json.loads(line) for line in r.text.splitlines()]
            out.extend(page)
            cursor = r.headers["x-next-cursor"]
            if not cursor or not page:
                return out


class _TenantClient:
    """A tenant's view of one shared in-process client: its bearer key on every request."""

    def __init__(self, client: Any, key: str):
        self._client = client
        self._auth = {"Authorization": f"Bearer {key}"}

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        kw["headers"] = {**self._auth, **(kw.get("headers") or {})}
        return self._client.request(method, url, **kw)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)


class LocalApi(Api):
    """A tenant's view of the app served in this process (Litestar's TestClient), whose
    queued jobs run in this process too (`LocalWorker`) when the test waits for them.
    The same routes, validation, store and worker code as the subprocess stack; no
    ports, no process start-up, no polling for a worker to pick a job up."""

    def __init__(self, client: Any, key: str, worker: LocalWorker):
        self.url = str(client.base_url)
        self.client = _TenantClient(client, key)  # type: ignore[assignment]
        self.worker = worker

    def wait(self, job_id: str, statuses: tuple[str, ...] = ("succeeded", "failed", "cancelled"),
             timeout: float = 60) -> dict[str, Any]:
        self.worker.drain()
        return super().wait(job_id, statuses, timeout)


class Serve:
    """A `synthgen serve` of a test's own (embedded mode unless env has a Redis URL),
    with its supervised workers: killed, restarted and inspected by the test."""

    def __init__(self, env: dict[str, str], log_dir: Path, workers: int = 1):
        self.env = dict(env)
        self.port = free_port()
        self.env["SYNTHGEN_PORT"] = str(self.port)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.n = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> "Serve":
        self.starts += 1
        log = open(self.log_dir / f"serve-{self.starts}.log", "wb")
        self.proc = synthgen(["serve", "--workers", str(self.n)], self.env, log)
        wait_http_ok(f"{self.url}/readyz", timeout=60)
        return self

    def log(self) -> str:
        return (self.log_dir / f"serve-{self.starts}.log").read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        import psutil

        assert self.proc is not None
        return sorted(c.pid for c in psutil.Process(self.proc.pid).children()
                      if "worker" in " ".join(c.cmdline()))

    def live_workers(self) -> int:
        return int(httpx.get(f"{self.url}/readyz").json()["checks"]["workers"])

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def scrape_metrics(api_url: str) -> dict[str, float]:
    """/metrics as {'name{labels}': value}."""
    out = {}
    for line in httpx.get(f"{api_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def job_midway(api: Api, fake: Fake, n: int, concurrency: int, kept: int) -> tuple[str, list[dict[str, Any]]]:
    """Submit an n-prompt responses job (50 ms per answer), wait until `kept` records are
    in, return its id and the records the API served by then."""
    fake.configure(latency=0.05)
    job_id = api.submit(responses_spec(n, concurrency=concurrency)).json()["id"]
    wait_for(lambda: api.job(job_id)["progress"]["kept"] >= kept, timeout=120, what="progress")
    served = api.lines(job_id)
    assert len(served) >= kept
    return job_id, served


def assert_finished_intact(api: Api, job_id: str, n: int, served: list[dict[str, Any]]) -> dict[str, Any]:
    """The job succeeded with exactly n distinct records, every earlier-served one unchanged."""
    job = api.wait(job_id, timeout=180)
    assert job["status"] == "succeeded", job
    records = api.lines(job_id)
    assert len(records) == n == len({r["id"] for r in records}) == job["progress"]["kept"]
    after = {r["id"]: r for r in records}
    assert all(after.get(r["id"]) == r for r in served), "a record the API had served was lost or changed"
    return job


def responses_spec(n: int, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "recipe": "responses",
        "generator": {"provider": "fake"},
        "params": {"prompts": [f"Question number {i}: explain topic {i} in detail." for i in range(n)]},
    }
    spec.update(extra)
    return spec


DOC = (ROOT / "docs" / "recipes.md").read_text()
DISTINCT = [{"provider": "fake", "model": "fake-model"}, {"provider": "fake", "model": "fake-model-2"},
            {"provider": "chatonly", "model": "fake-chat"}]
EXAMPLE_TARGET = 4


def doc_sections() -> dict[str, str]:
    parts = re.split(r"^## ", DOC, flags=re.M)[1:]
    return {p.split("\n", 1)[0].strip(): p for p in parts}


def examples() -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(recipe, spec, the section's example record) for every spec block in docs/recipes.md."""
    out = []
    for name, body in doc_sections().items():
        blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", body, re.S)]
        specs = [b for b in blocks if "recipe" in b]
        # Whole specs given inline in the prose (`{"recipe": ...}`) are examples too.
        specs += [json.loads(b) for b in re.findall(r'`(\{"recipe".*?\})`', body, re.S)]
        records = [b for b in blocks if "id" in b and "recipe" not in b]
        for spec in specs:
            out.append((name, spec, records[0] if records else None))
    return out


def adjust_example(spec: dict[str, Any]) -> dict[str, Any]:
    """A docs example for the test providers: every provider `fake` (UltraFeedback's
    completers the distinct test models), `target` at most EXAMPLE_TARGET."""
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "provider" in node:
                return {**{k: walk(v) for k, v in node.items() if k not in ("provider", "model")},
                        "provider": "fake"}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out = walk(spec)
    params = out.setdefault("params", {})
    if out["recipe"] == "magpie" and params.get("template", "auto") == "auto":
        # "auto" reads the family from the documented model id, which the fake does not
        # serve (the embedded `local` model, SmolLM2, is chatml).
        from service.recipes.magpie import detect_family

        params["template"] = detect_family(spec["generator"].get("model") or "") or "chatml"
    if "target" in out:
        out["target"] = min(out["target"], EXAMPLE_TARGET)
    if "completers" in params:
        params["completers"] = DISTINCT
        params["k"] = min(params.get("k", 4), len(DISTINCT))
    return out


class Receiver:
    """A webhook receiver on loopback (a thread): keeps every request it gets (path,
    headers, body) and answers 500 to the first `fail_first` of them, 200 after."""

    def __init__(self, fail_first: int = 0):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[dict[str, Any]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                code = 500 if len(receiver.requests) <= receiver.fail_first else 200
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MemoryBatchState:
    """A batcher's BatchState in memory (a run's is the job's Redis hash, store/batches.py)."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    async def record(self, batch_id: str, custom_ids: list[str]) -> None:
        self.ids.update(dict.fromkeys(custom_ids, batch_id))

    async def pending(self) -> dict[str, str]:
        return dict(self.ids)

    async def forget(self, custom_ids: list[str]) -> None:
        for cid in custom_ids:
            self.ids.pop(cid, None)

