"""`synthgen serve` supervising its workers: restarts, poison jobs, `kill -9` of serve
itself in embedded mode. Every process is real (serve, workers, redis-server, the fake
provider); the crashes are real signals."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import psutil
import pytest
import redis

from support import KEYS, Api, Fake, Serve, assert_finished_intact, job_midway, responses_spec, wait_for

pytestmark = pytest.mark.faults  # ~1 min of killed processes: make test-faults


@pytest.fixture
def serve_env(service_env: dict[str, str]) -> dict[str, str]:
    env = dict(service_env)
    env.pop("SYNTHGEN_LEASE_SECONDS")  # the shipped lease/heartbeat defaults
    return env


def test_killed_worker_is_restarted_and_the_job_finishes(serve_env: dict[str, str], fake: Fake,
                                                         tmp_path: Path) -> None:
    serve = Serve(serve_env, tmp_path, workers=2).start()
    try:
        api = Api(serve.url, KEYS["alice"])
        r = redis.Redis.from_url(serve_env["SYNTHGEN_REDIS_URL"])
        fake.configure(latency=0.05)
        n = 600
        # One shard: the other worker has nothing of this job until the dead one's is resumed.
        job_id = api.submit(responses_spec(n, concurrency=4, parallelism=1)).json()["id"]
        wait_for(lambda: api.job(job_id)["progress"]["kept"] >= 50, timeout=60, what="progress")
        wait_for(lambda: len(serve.worker_pids()) == 2, what="both workers")
        holder = int(r.hget(f"sg:job:{job_id}", "worker:0").decode().rpartition(":")[2])
        assert holder in serve.worker_pids()
        os.kill(holder, signal.SIGKILL)
        killed = time.monotonic()
        time.sleep(0.3)  # what the dead worker had committed is all there will be from it
        kept = api.job(job_id)["progress"]["kept"]
        wait_for(lambda: api.job(job_id)["progress"]["kept"] > kept, timeout=60, what="the job to resume")
        recovery = time.monotonic() - killed
        print(f"\nrecovery after SIGKILL of the job's worker (the other one resumes it): {recovery:.1f} s")
        wait_for(lambda: len(p := serve.worker_pids()) == 2 and holder not in p, timeout=60, what="a new worker")
        assert_finished_intact(api, job_id, n, [])
        assert f"worker pid {holder} killed by SIGKILL" in serve.log()
        # A generous bound (a loaded CI box): the defaults aim at ~5 s (lease 4 s + reaper 1 s).
        assert recovery < 20
    finally:
        serve.stop()


def test_a_job_that_kills_its_worker_every_time_fails_after_bounded_attempts(
        serve_env: dict[str, str], fake: Fake, tmp_path: Path) -> None:
    env = dict(serve_env, SYNTHGEN_TEST_RECIPES="1", SYNTHGEN_LEASE_SECONDS="2")
    serve = Serve(env, tmp_path, workers=2).start()
    try:
        api = Api(serve.url, KEYS["alice"])
        fake.configure(latency=0.02)
        poison = api.submit({"recipe": "test-crash", "generator": {"provider": "fake"}, "target": 10,
                             "params": {"signal": "SIGSEGV"}})
        assert poison.status_code == 202, poison.text
        healthy = api.submit(responses_spec(300, concurrency=4)).json()["id"]
        job = api.wait(poison.json()["id"], timeout=120)
        assert job["status"] == "failed", job
        assert job["error"]["type"].endswith("/worker-crashed")
        assert "3 times" in job["error"]["detail"] and "killed by SIGSEGV" in job["error"]["detail"]
        # What each attempt made before dying is kept.
        made = len(api.lines(job["id"])) + len(api.lines(job["id"], "rejects"))
        assert made == 3
        other = api.wait(healthy, timeout=120)
        assert other["status"] == "succeeded" and other["progress"]["kept"] == 300, other
        assert len(re.findall(r"worker pid \d+ killed by SIGSEGV", serve.log())) == 3
        wait_for(lambda: len(serve.worker_pids()) == 2 and serve.live_workers() >= 2, timeout=60,
                 what="both workers back")
    finally:
        serve.stop()


def _embedded_redis_pid(state_dir: Path) -> int:
    settings = json.loads((state_dir / "redis.rdb.settings").read_text())
    return int(Path(settings["pidfile"]).read_text())


def test_kill_9_of_embedded_serve_and_restart_keeps_every_served_record(
        serve_env: dict[str, str], fake: Fake, tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {k: v for k, v in serve_env.items() if k != "SYNTHGEN_REDIS_URL"}
    env["SYNTHGEN_STATE_DIR"] = str(state)
    serve = Serve(env, tmp_path, workers=1).start()
    try:
        api = Api(serve.url, KEYS["alice"])
        n = 1500
        job_id, served = job_midway(api, fake, n, concurrency=8, kept=200)
        time.sleep(1.5)  # appendfsync everysec: what was acknowledged a second ago is on disk
        workers = serve.worker_pids()
        redis_pid = _embedded_redis_pid(state)
        serve.kill()
        os.kill(redis_pid, signal.SIGKILL)  # the whole machine's worth of processes dies
        wait_for(lambda: not any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie" for p in workers),
                 timeout=10, what="workers to die with serve")
        assert (state / "appendonly.aof").exists()
        serve.start()
        assert _embedded_redis_pid(state) != redis_pid
        after = {r["id"]: r for r in api.lines(job_id)}
        assert all(after.get(r["id"]) == r for r in served), "a record the API had served was lost"
        assert_finished_intact(api, job_id, n, served)
    finally:
        serve.stop()
