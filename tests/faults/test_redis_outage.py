"""Redis stopped for 10 s mid-job with ONE worker, then started again (AOF on): the job
completes with exactly its target, every record served before the outage intact, and a
job submitted afterwards runs too. Its own redis-server on a free port, never the shared
one; marked `faults` (about a minute): `make test-faults`, run by .ci/run."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest
import redis

from support import KEYS, Api, Fake, Serve, assert_finished_intact, free_port, job_midway, responses_spec, wait_for

pytestmark = pytest.mark.faults


class RedisServer:
    """A redis-server of this test's own, stopped and started by it."""

    def __init__(self, data: Path):
        self.data = data
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.data), "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
            stdout=subprocess.DEVNULL)
        wait_for(lambda: self._pings(), timeout=20, what="redis-server up")

    def _pings(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.exceptions.RedisError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if not shutil.which("redis-server"):
        pytest.skip("no redis-server binary on PATH")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_one_worker_rides_out_a_10s_redis_outage(service_env: dict[str, str], own_redis: RedisServer,
                                                 fake: Fake, tmp_path: Path) -> None:
    env = dict(service_env, SYNTHGEN_REDIS_URL=own_redis.url)
    env.pop("SYNTHGEN_LEASE_SECONDS")
    serve = Serve(env, tmp_path, workers=1).start()
    try:
        api = Api(serve.url, KEYS["alice"])
        n = 3000
        job_id, served = job_midway(api, fake, n, concurrency=16, kept=500)
        requests_before = fake.stats()["requests"]
        own_redis.stop()
        down = time.monotonic()
        r = api.client.get(f"/v1/jobs/{job_id}")
        assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
        time.sleep(10)
        # Back-pressure held: producers waited on the sink instead of spending requests.
        assert fake.stats()["requests"] - requests_before < 1024 + 64
        own_redis.start()
        back = time.monotonic()
        assert_finished_intact(api, job_id, n, served)
        print(f"\noutage {back - down:.1f} s; job done {time.monotonic() - back:.1f} s after Redis returned")
        # The worker is free again: a new job runs to the end.
        second = api.wait(api.submit(responses_spec(20, concurrency=4)).json()["id"], timeout=60)
        assert second["status"] == "succeeded" and second["progress"]["kept"] == 20
    finally:
        serve.stop()


def test_a_sharded_job_on_three_workers_rides_out_a_10s_redis_outage(
        service_env: dict[str, str], own_redis: RedisServer, fake: Fake, tmp_path: Path) -> None:
    env = dict(service_env, SYNTHGEN_REDIS_URL=own_redis.url)
    env.pop("SYNTHGEN_LEASE_SECONDS")
    serve = Serve(env, tmp_path, workers=3).start()
    try:
        api = Api(serve.url, KEYS["alice"])
        n = 3000
        fake.configure(latency=0.05)
        job_id = api.submit(responses_spec(n, concurrency=8, parallelism=3)).json()["id"]
        wait_for(lambda: api.job(job_id)["shards"]["running"] == 3, timeout=60, what="three shards running")
        wait_for(lambda: api.job(job_id)["progress"]["kept"] >= 300, timeout=60, what="progress")
        served = api.lines(job_id)
        own_redis.stop()
        down = time.monotonic()
        time.sleep(10)
        own_redis.start()
        back = time.monotonic()
        job = assert_finished_intact(api, job_id, n, served)
        assert len({r["prompt"] for r in api.lines(job_id)}) == n  # no content twice
        print(f"\n3 shards: outage {back - down:.1f} s; job done {time.monotonic() - back:.1f} s after Redis "
              f"returned; deaths counted {int(redis.Redis.from_url(own_redis.url).hget(f'sg:job:{job_id}', 'crashes') or 0)}; "
              f"shards ended {job['shards']['ended']}")
    finally:
        serve.stop()
