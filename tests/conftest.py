"""Test fixtures: real Redis, the API and RQ workers as real processes, and the fake
OpenAI-compatible server on loopback (the only stand-in: no model API is reachable).

Redis: SYNTHGEN_TEST_REDIS_URL, default 127.0.0.1:6379 database 13 (flushed per
session), when it answers; otherwise an embedded redis-server started for the session.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import redis

ROOT = Path(__file__).resolve().parents[1]
# carol is schemathesis's tenant: the jobs its run makes stay apart from the other tests'.
KEYS = {"alice": "key-alice-0123456789", "bob": "key-bob-9876543210", "carol": "key-carol-5555555555"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred: Any, timeout: float = 30.0, every: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_http_ok(url: str, timeout: float = 30.0) -> None:
    def ok() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(ok, timeout=timeout, what=f"200 from {url}")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("SYNTHGEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    embedded = None
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        from service.store.redis import EmbeddedRedis

        embedded = EmbeddedRedis(str(tmp_path_factory.mktemp("redis")))
        url = embedded.url
    redis.Redis.from_url(url).flushdb()
    yield url
    if embedded:
        embedded.close()


@pytest.fixture(scope="session")
def fake_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ready = tmp_path_factory.mktemp("fake") / "url"
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.testing.fake_openai", "--port", "0", "--latency", "0.01",
         "--ready-file", str(ready)], cwd=ROOT, stdout=subprocess.DEVNULL,
    )
    url = wait_for(lambda: ready.exists() and ready.read_text().strip(), what="fake server")
    yield url
    proc.terminate()
    proc.wait(10)


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


@pytest.fixture
def fake(fake_url: str) -> Iterator[Fake]:
    f = Fake(fake_url)
    f.reset()
    yield f
    f.reset()


@pytest.fixture(scope="session")
def providers_file(tmp_path_factory: pytest.TempPathFactory, fake_url: str) -> str:
    path = tmp_path_factory.mktemp("cfg") / "providers.toml"
    path.write_text(f"""
[providers.fake]
kind = "openai-compatible"
base_url = "{fake_url}/v1"
models = ["fake-model", "fake-model-2"]
concurrency = 64
max_retries = 4
licence = "test-only"
api_key_env = "FAKE_PROVIDER_KEY"

[providers.stally]
kind = "openai-compatible"
base_url = "{fake_url}/v1"
models = ["fake-model"]
timeout = 60
stall_timeout = 1
max_retries = 4

[providers.chatonly]
kind = "openai-compatible"
base_url = "{fake_url}/v1"
models = ["fake-chat"]
supports_raw = false

# Nothing listens on this port: a provider that cannot be reached at all.
[providers.closed]
kind = "openai-compatible"
base_url = "http://127.0.0.1:{free_port()}/v1"
models = ["gone-model"]
max_retries = 1
timeout = 5

[providers.local]
kind = "local"
models = ["smollm2-135m-instruct"]
concurrency = 1
licence = "apache-2.0"
""")
    return str(path)


@pytest.fixture(scope="session")
def service_env(redis_url: str, providers_file: str, fake_url: str,
                tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    files = tmp_path_factory.mktemp("files")
    (files / "prompts.jsonl").write_text("".join(f'{{"prompt": "Registered prompt {i}"}}\n' for i in range(5)))
    (files / "seeds.jsonl").write_text("".join(
        f'{{"instruction": "Seed task number {i} about a distinct subject {i}.", '
        f'"instances": [{{"input": "", "output": "answer {i}"}}]}}\n' for i in range(4)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNTHGEN_")}
    env.update({
        "SYNTHGEN_PROMPT_FILES": f"eval-prompts={files / 'prompts.jsonl'}",
        "SYNTHGEN_SEED_FILES": f"tiny={files / 'seeds.jsonl'}",
        "SYNTHGEN_REDIS_URL": redis_url,
        "SYNTHGEN_PROVIDERS": providers_file,
        "SYNTHGEN_API_KEYS": ",".join(f"{k}={t}" for t, k in KEYS.items()),
        "SYNTHGEN_LEASE_SECONDS": "3",
        "SYNTHGEN_STATE_DIR": str(tmp_path_factory.mktemp("state")),
        "SYNTHGEN_LOG_LEVEL": "WARNING",
        "FAKE_PROVIDER_KEY": "sk-fake-secret-value-123",
        # Dedup embeds through the fake server's /v1/embeddings (hashed bag of words):
        # fast, and paraphrases sharing their words are near-duplicates.
        "SYNTHGEN_EMBEDDINGS_URL": f"{fake_url}/v1",
        "SYNTHGEN_EMBEDDINGS_MODEL": "fake-embedding",
        "PYTHONUNBUFFERED": "1",
    })
    return env


@pytest.fixture(scope="session")
def api_url(service_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = dict(service_env, SYNTHGEN_PORT=str(port))
    log = open(tmp_path_factory.mktemp("logs") / "api.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--workers", "0"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_http_ok(f"{url}/readyz")
    yield url
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)


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
            p = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], cwd=ROOT, env=self.env,
                                 stdout=log, stderr=subprocess.STDOUT)
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


@pytest.fixture
def workers(service_env: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    w = Workers(service_env, tmp_path)
    yield w
    w.stop_all()


@pytest.fixture
def worker(workers: Workers) -> Workers:
    workers.start(1)
    return workers


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
        self.proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--workers", str(self.n)],
                                     cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
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
        import json

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


@pytest.fixture
def alice(api_url: str) -> Api:
    return Api(api_url, KEYS["alice"])


@pytest.fixture
def bob(api_url: str) -> Api:
    return Api(api_url, KEYS["bob"])


def scrape_metrics(api_url: str) -> dict[str, float]:
    """/metrics as {'name{labels}': value}."""
    out = {}
    for line in httpx.get(f"{api_url}/metrics").text.splitlines():
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
