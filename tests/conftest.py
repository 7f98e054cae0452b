"""Test fixtures: real Redis, the fake OpenAI-compatible server on loopback (the only
stand-in: no model API is reachable), and the service two ways:

- in process (`local`, `local_bob`): the app under Litestar's TestClient and the jobs
  run by an in-process RQ burst worker (service/testing/harness.py). Recipe and stage
  tests use these: same routes, validation, store and worker code, no process start-up.
- as real processes (`alice`, `bob`, `worker`, `workers`; service/testing/stack.py):
  for the API contract, leases, kills, and the embedded model.

Redis: SYNTHGEN_TEST_REDIS_URL, default 127.0.0.1:6379 database 13 (flushed per
session), when it answers; otherwise an embedded redis-server started for the session.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any, Iterator

import pytest

from service.testing import stack
from service.testing.harness import LocalWorker

from support import ADMIN_KEY, KEYS, METRICS_TOKEN, Api, Fake, LocalApi, Workers


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, embedded = stack.open_redis(os.environ.get("SYNTHGEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/13"),
                                     tmp_path_factory.mktemp("redis"))
    yield url
    if embedded:
        embedded.close()


@pytest.fixture(scope="session")
def fake_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = stack.start_fake(tmp_path_factory.mktemp("fake") / "url", "--latency", "0.01")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def fake(fake_url: str, redis_url: str) -> Iterator[Fake]:
    """The fake provider, reset: a new provider to the fleet limiter too (no circuit
    opened, window narrowed or pause set by an earlier test's faults)."""
    import redis

    from service.store.limits import forget

    f = Fake(fake_url)
    f.reset()
    with redis.Redis.from_url(redis_url) as conn:
        forget(conn)
    yield f
    f.reset()


@pytest.fixture(scope="session")
def revive_port() -> int:
    """Nothing listens here until a test starts a fake server on it: provider `revives`,
    a provider that is down and comes back."""
    return stack.free_port()


@pytest.fixture(scope="session")
def providers_file(tmp_path_factory: pytest.TempPathFactory, fake_url: str, revive_port: int) -> str:
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
base_url = "http://127.0.0.1:{stack.free_port()}/v1"
models = ["gone-model"]
max_retries = 1
timeout = 5

# Takes no response_format: a job's structured_output schema goes in its prompt.
[providers.plain]
kind = "openai-compatible"
base_url = "{fake_url}/v1"
models = ["fake-model"]
structured_outputs = false
# Priced (docs/costs.md): its jobs show a cost; fake-model-2 has no price.
[providers.priced]
kind = "openai-compatible"
base_url = "{fake_url}/v1"
models = ["fake-model", "fake-model-2"]

[providers.priced.prices.fake-model]
input = 3.0
output = 15.0

# Anthropic's Messages API, served by the same fake server (/v1/messages).
[providers.claude]
kind = "anthropic"
base_url = "{fake_url}/v1"
models = ["fake-claude"]
api_key_env = "FAKE_PROVIDER_KEY"
licence = "test-only"

[providers.claude.prices.fake-claude]
input = 3.0
output = 15.0

# Batch mode (docs/costs.md): takes the OpenAI Batch API; polled fast for the tests.
[providers.batcher]
kind = "openai-compatible"
base_url = "{fake_url}/v1"
models = ["fake-model"]
batch = true
batch_poll_seconds = 0.1
batch_collect_seconds = 0.3

[providers.batcher.prices.fake-model]
input = 3.0
output = 15.0
batch_discount = 0.5

# The same with files of at most 4 requests (the split).
[providers.batcher-small]
kind = "openai-compatible"
base_url = "{fake_url}/v1"
models = ["fake-model"]
batch = true
batch_poll_seconds = 0.1
batch_collect_seconds = 0.3
batch_max_requests = 4

# Batch mode on the anthropic kind: Message Batches (/v1/messages/batches) of the fake.
[providers.claude-batcher]
kind = "anthropic"
base_url = "{fake_url}/v1"
models = ["fake-claude"]
api_key_env = "FAKE_PROVIDER_KEY"
batch = true
batch_poll_seconds = 0.1
batch_collect_seconds = 0.3

[providers.claude-batcher.prices.fake-claude]
input = 3.0
output = 15.0
batch_discount = 0.5

# The same with batches of at most 4 requests (the split).
[providers.claude-batcher-small]
kind = "anthropic"
base_url = "{fake_url}/v1"
models = ["fake-claude"]
batch = true
batch_poll_seconds = 0.1
batch_collect_seconds = 0.3
batch_max_requests = 4

# Reserved for bob: to any other tenant it does not exist.
[providers.bobs]
kind = "openai-compatible"
base_url = "{fake_url}/v1"
models = ["fake-model"]
tenants = ["bob"]

# Fleet-wide limits under faults (tests/faults/): its own model, so the fake server's
# meter of it counts only these jobs' requests.
[providers.limited]
kind = "openai-compatible"
base_url = "{fake_url}/v1"
models = ["limited-model"]
concurrency = 6
timeout = 10
stall_timeout = 1
max_retries = 12

# Down until a test starts a fake server on its port; then back.
[providers.revives]
kind = "openai-compatible"
base_url = "http://127.0.0.1:{revive_port}/v1"
models = ["revive-model"]
timeout = 5
circuit_cooldown = 1
circuit_wait = 120

# Never comes back: a job gives up on it after circuit_wait.
[providers.dead]
kind = "openai-compatible"
base_url = "http://127.0.0.1:{stack.free_port()}/v1"
models = ["dead-model"]
timeout = 5
circuit_cooldown = 1
circuit_wait = 4

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
        "SYNTHGEN_API_KEYS": ",".join([*(f"{k}={t}" for t, k in KEYS.items()), f"{ADMIN_KEY}=ops:admin"]),
        "SYNTHGEN_METRICS_TOKEN": METRICS_TOKEN,
        # No quota by default (a test sets a tenant's own with the admin API); webhooks
        # may reach the test receivers on loopback only because these two say so.
        "SYNTHGEN_QUOTAS": "submits_per_minute=0,concurrent_jobs=0,records_per_day=0",
        "SYNTHGEN_OUTBOUND_HOSTS": "127.0.0.1",
        "SYNTHGEN_OUTBOUND_PRIVATE": "127.0.0.1/32",
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
    log = open(tmp_path_factory.mktemp("logs") / "api.log", "wb")
    proc, url = stack.start_api(service_env, log)
    yield url
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)


@pytest.fixture
def workers(service_env: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    w = Workers(service_env, tmp_path)
    yield w
    w.stop_all()


@pytest.fixture
def worker(workers: Workers) -> Workers:
    workers.start(1)
    return workers


@pytest.fixture
def alice(api_url: str) -> Api:
    return Api(api_url, KEYS["alice"])


@pytest.fixture
def bob(api_url: str) -> Api:
    return Api(api_url, KEYS["bob"])




@pytest.fixture(scope="session")
def local_service(service_env: dict[str, str]) -> Iterator[tuple[Any, LocalWorker]]:
    """The app in this process (TestClient) and an in-process worker on its own queue
    (so it never takes a job queued for the subprocess workers)."""
    from litestar.testing import TestClient

    from service.api.app import create_app
    from service.settings import from_env
    from service.worker.runtime import WorkerRuntime

    settings = from_env({**service_env, "SYNTHGEN_QUEUE": "synthgen-local"})
    # The provider reads its key from this process's environment, as a worker would.
    os.environ.setdefault("FAKE_PROVIDER_KEY", service_env["FAKE_PROVIDER_KEY"])
    worker = LocalWorker(WorkerRuntime(settings, worker_id="local"))
    with TestClient(create_app(settings), timeout=30) as client:
        yield client, worker
    worker.close()


@pytest.fixture
def local(local_service: tuple[Any, LocalWorker]) -> LocalApi:
    """Alice, against the in-process service."""
    return LocalApi(local_service[0], KEYS["alice"], local_service[1])


@pytest.fixture
def local_bob(local_service: tuple[Any, LocalWorker]) -> LocalApi:
    return LocalApi(local_service[0], KEYS["bob"], local_service[1])
