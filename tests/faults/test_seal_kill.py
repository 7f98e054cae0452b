"""A worker SIGKILLed in the middle of a seal (issue 13): right after it published a
Parquet segment and before Redis was advanced and trimmed (the test hook
SYNTHGEN_TEST_SEAL_KILL kills the process exactly there, once). The job, sharded over
two real worker processes, ends with exactly `target` records across segments and the
window, no duplicate by id or content, and only indexed segments on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from support import Api, Fake, Workers, responses_spec, wait_for

pytestmark = pytest.mark.faults


def test_sigkill_between_publish_and_trim_leaves_exactly_target(service_env: dict[str, str], api_url: str,
                                                                alice: Api, fake: Fake, tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    env = dict(service_env, SYNTHGEN_TEST_RECIPES="1", SYNTHGEN_TEST_SEAL_KILL="1",
               SYNTHGEN_TEST_SEAL_KILL_DONE=str(marker), SYNTHGEN_SEAL_RECORDS="40", SYNTHGEN_SEAL_SECONDS="2")
    workers = Workers(env, tmp_path)
    fake.configure(latency=0.02)
    n = 600
    try:
        workers.start(2)
        job_id = alice.submit(responses_spec(n, concurrency=4, parallelism=2)).json()["id"]
        wait_for(lambda: marker.exists(), timeout=120, what="a worker killed during a seal")
        wait_for(lambda: any(p.poll() is not None for p in workers.procs), timeout=10, what="the worker's death")
        dead = [p for p in workers.procs if p.poll() is not None]
        assert len(dead) == 1 and dead[0].returncode == -9, "exactly one worker died (SIGKILL), at the seal"
        workers.start(1)  # what a supervisor would do
        job = alice.wait(job_id, timeout=240)
        records = alice.lines(job_id, limit=97)
    finally:
        workers.stop_all()
    assert job["status"] == "succeeded", job
    assert len(records) == n == job["progress"]["kept"]
    assert len({r["id"] for r in records}) == n
    assert len({r["prompt"] for r in records}) == n
    r = redis.Redis.from_url(env["SYNTHGEN_REDIS_URL"])
    assert r.llen(f"sg:job:{job_id}:records") == 0
    segs = sorted(m.decode() for m in r.zrange(f"sg:job:{job_id}:segs:records", 0, -1))
    bounds = [tuple(int(x) for x in s.removesuffix(".parquet").split("-")) for s in segs]
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:])), "segments tile the stream"
    on_disk = sorted(p.name for p in (Path(env["SYNTHGEN_STATE_DIR"]) / "data" / job_id / "records").iterdir())
    assert on_disk == segs, "no leftover of the dead sealer, no temporary file"
