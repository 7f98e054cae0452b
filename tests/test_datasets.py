"""The dataset store (issue 13): records and rejects sealed into Parquet segments and
trimmed from Redis, read back seamlessly, deleted whole.

The store tests run twice: on the directory backend and on the S3 backend against
moto's standalone S3 server on loopback (no S3 is reachable here). Real Redis.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import msgspec
import pytest
import redis

from service.settings import Settings
from service.store.datasets import DatasetFiles, segment_name
from service.store.jobs import CommitItem, JobStore
from service.store.redis import async_client
from service.testing.harness import ScriptedProvider, run_recipe

from support import KEYS, LocalApi, responses_spec


@pytest.fixture(scope="module")
def s3_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    pytest.importorskip("s3fs")
    pytest.importorskip("moto")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    opts = {"key": "testing", "secret": "testing", "client_kwargs": {"endpoint_url": endpoint,
                                                                      "region_name": "us-east-1"}}
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:  # the bucket, once the server answers (moto takes an unsigned PUT)
            try:
                httpx.put(f"{endpoint}/synthgen-test", timeout=5).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        yield {"url": "s3://synthgen-test/data", "options": opts}
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(params=["dir", "s3"])
def files(request: pytest.FixtureRequest, tmp_path: Path) -> DatasetFiles:
    if request.param == "dir":
        return DatasetFiles(str(tmp_path / "data"))
    s3 = request.getfixturevalue("s3_url")
    return DatasetFiles(f"{s3['url']}/{tmp_path.name}", s3["options"])


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def item(job: str, i: int, kind: str = "r") -> CommitItem:
    rid = f"{job}.p{i:04d}"
    line = msgspec.json.encode({"id": rid, "n": i, "text": f"answer {i} " + "word " * 20})
    return CommitItem(kind=kind, id=rid, line=line, reason="refusal" if kind == "x" else "",
                      stage="refusal" if kind == "x" else "")


async def new_job(store: JobStore, job_id: str, tenant: str = "t1") -> None:
    await store.create(job_id=job_id, tenant=tenant, recipe="responses", spec_json=b"{}", spec_hash="h",
                       target=None, seed=1)


async def commit(store: JobStore, job_id: str, lo: int, hi: int, kind: str = "r") -> None:
    await store.commit(job_id, None, [item(job_id, i, kind) for i in range(lo, hi)], {})


async def read_all(store: JobStore, job_id: str, kind: str = "records", page: int = 7) -> list[dict[str, Any]]:
    return await store.all_lines(job_id, kind, page)


def _job_id(n: int) -> str:
    return f"job_{time.time_ns():016x}{n:08x}"[:28]


def test_seal_trims_redis_and_reads_stay_seamless(redis_url: str, files: DatasetFiles) -> None:
    async def go() -> None:
        client = async_client(redis_url)
        store = JobStore(client, files)
        job = _job_id(1)
        try:
            await new_job(store, job)
            await commit(store, job, 0, 25)
            await commit(store, job, 100, 104, kind="x")
            # A cursor taken before the seal: the reader's position 10.
            before = await store.read(job, "records", 10, 5)
            assert await store.segments.seal(job, every=10, partial=False) == 20
            assert await store.segments.windows(job) == {"records": 5, "rejects": 4}
            assert await store.segments.segments(job, "records") == [segment_name(0, 10), segment_name(10, 20)]
            # The same position after the seal: the same lines, now from a segment.
            assert await store.read(job, "records", 10, 5) == before
            # A page that spans a segment and the live window.
            page = await store.read(job, "records", 17, 6)
            assert [json.loads(x)["n"] for x in page] == list(range(17, 23))
            await commit(store, job, 25, 31)
            assert await store.segments.seal(job, every=10, partial=True) == 15  # 11 records + 4 rejects
            assert await store.segments.windows(job) == {"records": 0, "rejects": 0}
            recs = await read_all(store, job)
            assert [r["n"] for r in recs] == list(range(31))  # every record once, in order
            assert [r["n"] for r in await read_all(store, job, "rejects")] == list(range(100, 104))
            assert await store.read(job, "records", 31, 5) == []
            # Only published segments, no temporary file left behind.
            names = sorted(Path(p).name for p in files.files(job))
            assert names == sorted([segment_name(0, 10), segment_name(10, 20), segment_name(20, 30),
                                    segment_name(30, 31), segment_name(0, 4)])
        finally:
            await store.delete(job)
            await client.aclose()

    run(go())


def test_a_sealer_dying_between_publish_and_trim_loses_and_doubles_nothing(redis_url: str,
                                                                            files: DatasetFiles) -> None:
    """The crash window: a segment published, Redis not advanced. The next sealer
    starts at the same offset (here with a longer range: the leftover is replaced)."""
    async def go() -> None:
        client = async_client(redis_url)
        store = JobStore(client, files)
        job = _job_id(2)
        try:
            await new_job(store, job)
            await commit(store, job, 0, 12)
            lines = await store.read(job, "records", 0, 8)
            ids = [json.loads(x)["id"] for x in lines]
            await asyncio.to_thread(files.write, job, "records", 0, ids, lines)  # ...and the sealer died
            assert await store.segments.sealed(job) == {"records": 0, "rejects": 0}
            assert [r["n"] for r in await read_all(store, job)] == list(range(12))
            assert await store.segments.seal(job, every=10, partial=True) == 12
            assert [r["n"] for r in await read_all(store, job)] == list(range(12))
            assert sorted(Path(p).name for p in files.files(job)) == [segment_name(0, 10), segment_name(10, 12)]
            # A second seal of an already advanced offset does nothing.
            assert await store.segments.seal(job, every=10, partial=True) == 0
            # Two sealers at once: the lock lets one through.
            await commit(store, job, 12, 40)
            a, b = await asyncio.gather(store.segments.seal(job, every=10, partial=True),
                                        store.segments.seal(job, every=10, partial=True))
            assert sorted([a, b]) == [0, 28]
            recs = await read_all(store, job)
            assert [r["n"] for r in recs] == list(range(40)) and len({r["id"] for r in recs}) == 40
        finally:
            await store.delete(job)
            await client.aclose()

    run(go())


def test_delete_removes_every_key_and_file_and_nothing_of_other_jobs(redis_url: str, files: DatasetFiles) -> None:
    async def go() -> None:
        client = async_client(redis_url)
        store = JobStore(client, files)
        gone, kept = _job_id(3), _job_id(4)
        try:
            for job in (gone, kept):
                await new_job(store, job)
                await commit(store, job, 0, 15)
                await commit(store, job, 50, 53, kind="x")
                await store.segments.seal(job, every=10, partial=False)
            assert await store.delete(gone) == "queued"  # not final: nothing done
            assert await store.job_keys(gone)
            for job in (gone, kept):
                await store.transition(job, "succeeded", stamp="finished_at")
            keys_before = await store.job_keys(kept)
            files_before = files.files(kept)
            assert files.files(gone) and any(k.endswith(":segs:records") for k in await store.job_keys(gone))
            assert await store.delete(gone) == "succeeded"
            assert await store.job_keys(gone) == []
            assert files.files(gone) == []
            assert await store.view(gone, None) is None
            assert gone.encode() not in await client.zrange("sg:tenant:t1:jobs", 0, -1)
            # The other job: every key and file as it was, its lines intact.
            assert await store.job_keys(kept) == keys_before
            assert files.files(kept) == files_before
            assert [r["n"] for r in await read_all(store, kept)] == list(range(15))
            assert await store.delete(gone) == ""  # already gone
        finally:
            await store.delete(kept)
            await client.aclose()

    run(go())


def test_a_chunks_commit_guard_goes_with_the_chunk_and_a_late_commit_stores_nothing(redis_url: str,
                                                                                   tmp_path: Path) -> None:
    """The exactly-once guard of a chunk's items is the chunk's own ids set while it is in
    flight, and the chunk's absence once it is done: a stalled shard that finishes items
    of a chunk another shard completed stores nothing (store/jobs.py COMMIT)."""
    async def go() -> None:
        client = async_client(redis_url)
        store = JobStore(client, DatasetFiles(str(tmp_path / "data")))
        job = _job_id(5)
        sets = f"sg:job:{job}:ids"
        try:
            await new_job(store, job)
            assert await store.shards.next_chunk(job, "p", 0, 3, 4) == (0, "fresh")
            batch = [msgspec.structs.replace(item(job, i), chunk="p:0") for i in range(4)]
            assert (await store.commit(job, None, batch[:3], {})).codes == [1, 1, 1]
            assert await client.scard(f"{sets}:p:0") == 3 and not await client.exists(sets)
            assert await store.shards.has_committed(job, [x.id for x in batch], "p:0") == [True, True, True, False]
            # The chunk is done with its last item: fields and set go in the same round trip.
            assert (await store.commit(job, None, batch[3:], {}, chunks_done=["p:0"])).codes == [1]
            assert not await client.exists(f"{sets}:p:0")
            assert not [f for f in await client.hkeys(f"sg:job:{job}:chunks") if f.startswith(b"p:o:0")]
            # A stalled shard's late outcomes of that chunk: already there, nothing stored.
            late = [msgspec.structs.replace(item(job, i), chunk="p:0") for i in (1, 3)]
            assert (await store.commit(job, None, late, {})).codes == [0, 0]
            assert [r["n"] for r in await read_all(store, job)] == [0, 1, 2, 3]
            assert not await client.exists(f"{sets}:p:0")
            # A chunk left free by a shard that ended (`f:`) keeps its guard, and done
            # removes both fields: it is never handed out again.
            assert await store.shards.next_chunk(job, "p", 0, 3, 4) == (1, "fresh")
            one = msgspec.structs.replace(item(job, 4), chunk="p:1")
            assert (await store.commit(job, None, [one], {})).codes == [1]
            await client.hdel(f"sg:job:{job}:chunks", "p:o:1")
            await client.hset(f"sg:job:{job}:chunks", "p:f:1", "1")
            assert (await store.commit(job, None, [one], {})).codes == [0]
            assert (await store.commit(job, None, [], {}, chunks_done=["p:1"])).codes == []
            assert await store.shards.next_chunk(job, "p", 1, 3, 4) == (2, "fresh")
            assert await store.shards.next_chunk(job, "p", 1, 3, 4) == (-1, "")
            # Chunks never done keep their sets until the final job is sealed.
            two = msgspec.structs.replace(item(job, 8), chunk="p:2")
            assert (await store.commit(job, None, [two], {})).codes == [1]
            await store.transition(job, "succeeded", stamp="finished_at")
            assert await store.sealed_final(job)
            assert not await client.exists(f"{sets}:p:2") and not await client.exists(sets)
        finally:
            await store.delete(job)
            await client.aclose()

    run(go())


def test_a_running_job_holds_the_commit_guard_of_its_chunks_in_flight_only(redis_url: str, tmp_path: Path) -> None:
    """While a job of 8 chunks runs on one lane, Redis holds the ids set of the chunk
    in flight (and at most the one before it, until the sink's round trip): the guard does
    not grow with the job. The provider looks at Redis at every call."""
    r = redis.Redis.from_url(redis_url)
    before = set(r.scan_iter(match="sg:job:*:ids:*"))
    seen: list[set[bytes]] = []

    def reply(call: Any) -> str:
        seen.append(set(r.scan_iter(match="sg:job:*:ids:*")) - before)
        return f"A careful answer to: {call.text}"

    prompts = [f"Explain topic {i}." for i in range(256)]  # CHUNKS_PER_SHARD 8: 8 chunks of 32
    done = run_recipe({"recipe": "responses", "generator": {"provider": "m"}, "params": {"prompts": prompts},
                       "concurrency": 1, "parallelism": 1}, redis_url=redis_url,
                      providers={"m": ScriptedProvider(reply, latency=0.01)},  # the sink commits between calls
                      settings=Settings(state_dir=str(tmp_path)))
    assert done.job.status == "succeeded" and len({x["id"] for x in done.records}) == 256
    assert max(len(s) for s in seen) <= 2
    assert len(set().union(*seen)) >= 6  # sets came and went, one chunk after another
    assert not list(r.scan_iter(match=f"sg:job:{done.job.id}:ids*"))


def test_a_job_run_with_small_segments_keeps_every_record_once(redis_url: str, tmp_path: Path) -> None:
    """The worker seals as it runs and at the end (SEAL_RECORDS 7): the finished job's
    windows are empty, its records all in segments, the same as an unsealed run's."""
    prompts = [f"Explain topic {i}." for i in range(40)]

    def reply(call: Any) -> str:
        if "topic 3." in call.text:
            return "I'm sorry, but I can't help with that."
        return f"A careful answer to: {call.text}"

    settings = Settings(state_dir=str(tmp_path), seal_records=7, seal_seconds=0.5)
    done = run_recipe({"recipe": "responses", "generator": {"provider": "m"}, "params": {"prompts": prompts},
                       "parallelism": 2}, redis_url=redis_url, providers={"m": ScriptedProvider(reply)},
                      settings=settings, workers=2)
    assert done.job.status == "succeeded"
    assert len(done.records) == 39 == done.job.progress.kept
    assert sorted(r["prompt"] for r in done.records) == sorted(p for p in prompts if p != "Explain topic 3.")
    assert [r["reason"] for r in done.rejects] == ["refusal"]
    r = redis.Redis.from_url(redis_url)
    assert r.llen(f"sg:job:{done.job.id}:records") == 0 and r.llen(f"sg:job:{done.job.id}:rejects") == 0
    assert int(r.hget(f"sg:job:{done.job.id}", "sealed:records") or 0) == 39
    assert not r.sismember("sg:jobs:unsealed", done.job.id)
    assert not r.exists(f"sg:job:{done.job.id}:ids")  # the commit guard goes with the job's end
    segs = sorted((tmp_path / "data" / done.job.id / "records").iterdir())
    assert len(segs) >= 39 // 7


def test_cursor_taken_before_a_seal_serves_every_record_once_after_it(local: LocalApi, redis_url: str,
                                                                     service_env: dict[str, str]) -> None:
    """Through the API: a page, then a seal, then the rest from the cursor."""
    job_id = local.submit(responses_spec(3)).json()["id"]  # queued: the test commits its lines itself

    async def commit_and(seal: bool, lo: int, hi: int) -> None:
        from service.settings import from_env

        client = async_client(redis_url)
        store = JobStore(client, DatasetFiles.from_settings(from_env(service_env)))
        try:
            if hi > lo:
                await commit(store, job_id, lo, hi)
            if seal:
                await store.segments.seal(job_id, every=8, partial=False)
        finally:
            await client.aclose()

    run(commit_and(False, 0, 20))
    first = local.client.get(f"/v1/jobs/{job_id}/records", params={"limit": 5})
    assert first.status_code == 200
    cursor = first.headers["x-next-cursor"]
    run(commit_and(True, 20, 30))  # seals 0-8, 8-16, 16-24 under the reader's feet
    out = [json.loads(x)["n"] for x in first.text.splitlines()]
    while cursor:
        page = local.client.get(f"/v1/jobs/{job_id}/records", params={"cursor": cursor, "limit": 4})
        assert page.status_code == 200, page.text
        lines = [json.loads(x)["n"] for x in page.text.splitlines()]
        if not lines:
            break
        out.extend(lines)
        cursor = page.headers["x-next-cursor"]
    assert out == list(range(30))


def test_delete_through_the_api(local: LocalApi, redis_url: str) -> None:
    job_id = local.submit(responses_spec(4), **{"Idempotency-Key": f"del-{time.time_ns()}"}).json()["id"]
    # A job still queued or running cannot be deleted.
    r = local.client.delete(f"/v1/jobs/{job_id}")
    assert r.status_code == 409 and r.json()["type"].endswith("job-not-final"), r.text
    job = local.wait(job_id)
    assert job["status"] == "succeeded" and job["expires_at"] is None
    assert len(local.lines(job_id)) == 4
    # Another tenant's job is a 404, as a missing one.
    bob = local.client.delete(f"/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {KEYS['bob']}"})
    assert bob.status_code == 404
    assert local.client.delete(f"/v1/jobs/{job_id}").status_code == 204
    assert local.client.get(f"/v1/jobs/{job_id}").status_code == 404
    assert local.client.get(f"/v1/jobs/{job_id}/records").status_code == 404
    assert local.client.delete(f"/v1/jobs/{job_id}").status_code == 404
    r2 = redis.Redis.from_url(redis_url)
    assert [k for k in r2.scan_iter(match=f"sg:job:{job_id}*")] == []
    assert not any(job_id.encode() in m for m in r2.zrange("sg:tenant:alice:jobs", 0, -1))


def test_exports_round_trip_and_the_card_matches_the_job(local: LocalApi, tmp_path: Path) -> None:
    import io
    import tarfile

    import pyarrow.parquet as pq

    spec = responses_spec(30)
    job_id = local.submit(spec).json()["id"]
    job = local.wait(job_id)
    assert job["status"] == "succeeded"
    records = local.lines(job_id)
    ids = [r["id"] for r in records]

    lines = local.client.get(f"/v1/jobs/{job_id}/export", params={"format": "jsonl"})
    assert lines.status_code == 200 and lines.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(x) for x in lines.text.splitlines()] == records

    pq_resp = local.client.get(f"/v1/jobs/{job_id}/export", params={"format": "parquet"})
    assert pq_resp.status_code == 200
    table = pq.read_table(io.BytesIO(pq_resp.content))
    assert table.num_rows == len(records) == job["progress"]["kept"]
    assert table.column("id").to_pylist() == ids
    assert table.column("response").to_pylist() == [r["response"] for r in records]

    chat = local.client.get(f"/v1/jobs/{job_id}/export", params={"format": "jsonl", "output": "sharegpt"})
    first = json.loads(chat.text.splitlines()[0])
    assert first["id"] == ids[0]
    assert [t["from"] for t in first["conversations"]] == ["human", "gpt"]
    assert first["conversations"][1]["value"] == records[0]["response"]

    bad = local.client.get(f"/v1/jobs/{job_id}/export", params={"format": "xlsx"})
    assert bad.status_code == 400 and "format" in bad.text

    hf = local.client.get(f"/v1/jobs/{job_id}/export", params={"format": "hf"})
    assert hf.status_code == 200 and hf.headers["content-type"].startswith("application/x-tar")
    with tarfile.open(fileobj=io.BytesIO(hf.content)) as tar:
        names = sorted(tar.getnames())
        tar.extractall(tmp_path / "hf", filter="data")
    assert names == ["README.md", "data/train-00000-of-00001.parquet"]
    back = pq.read_table(tmp_path / "hf" / "data" / "train-00000-of-00001.parquet")
    assert back.column("id").to_pylist() == ids
    card = (tmp_path / "hf" / "README.md").read_text()
    front = card.split("---")[1]
    assert "num_examples: %d" % len(records) in front and "path: \"data/train-*\"" in front
    assert "synthetic" in front
    stored_spec = local.client.get(f"/v1/jobs/{job_id}/spec").json()
    p = job["progress"]
    assert f"seed `{job['seed']}`" in card and job["spec_hash"] in card
    assert json.dumps({**stored_spec, "seed": job["seed"]}, indent=2) in card  # the spec to run it again
    assert f"kept {p['kept']}, rejected {p['rejected']}" in card
    for reason, n in p["rejected_by_reason"].items():
        assert f"- {reason}: {n}" in card
    for label, g in job["generators"].items():
        assert f"| {label} | " in card and f"| {g['kept']} | {g['rejected']} |" in card
    report = local.client.get(f"/v1/jobs/{job_id}/report").json()
    d = report["response_words"]
    assert f"median {d['p50']:g}" in card and f"mean {d['mean']:g}" in card
    assert f"distinct-1 {report['response_diversity']['distinct_1']:g}" in card
    assert f"| data/train-00000-of-00001.parquet | {len(records)} | " in card


def test_the_sweep_seals_finished_jobs_and_deletes_expired_ones(redis_url: str, tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    from service.datasets import sweep
    from service.quotas import Quotas
    from service.store.quotas import QuotaStore

    settings = Settings(redis_url=redis_url, state_dir=str(tmp_path), seal_records=10)
    tenant, other = f"ret{time.time_ns() % 10**9}", f"keep{time.time_ns() % 10**9}"

    async def go() -> None:
        client = async_client(redis_url)
        store = JobStore(client, DatasetFiles.from_settings(settings))
        quotas = Quotas(QuotaStore(client), {})
        old, fresh, kept = _job_id(5), _job_id(6), _job_id(7)
        try:
            for job, t in ((old, tenant), (fresh, tenant), (kept, other)):
                await new_job(store, job, t)
                await commit(store, job, 0, 13)
                await store.transition(job, "succeeded", stamp="finished_at")
            await client.hset(f"sg:job:{old}", "finished_at", repr(time.time() - 3 * 86400))
            await client.zadd(f"sg:tenant:{tenant}:jobs", {old: time.time() - 3 * 86400})
            await QuotaStore(client).set_overrides(tenant, {"retention_days": 2})
            with caplog.at_level("INFO", logger="synthgen.audit"):
                done = await sweep(store, settings, quotas)
            assert done["expired"] == 1 and done["sealed"] >= 2
            assert await store.job_keys(old) == [] and DatasetFiles.from_settings(settings).files(old) == []
            assert f"deleted job {old} of tenant {tenant} by retention sweep" in caplog.text
            # The others: sealed (their windows were left in Redis), not deleted.
            for job in (fresh, kept):
                assert await store.segments.windows(job) == {"records": 0, "rejects": 0}
                assert [r["n"] for r in await read_all(store, job)] == list(range(13))
            # The other tenant keeps its jobs (retention 0) however old.
            assert (await sweep(store, settings, quotas, now=time.time() + 10 * 86400))["expired"] == 1  # fresh
            assert await store.view(kept, None) is not None
        finally:
            await QuotaStore(client).set_overrides(tenant, {"retention_days": None})
            for job in (old, fresh, kept):
                await store.delete(job)
            await client.aclose()

    run(go())


def test_expires_at_follows_the_tenants_retention(local: LocalApi) -> None:
    from support import ADMIN_KEY

    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    job_id = local.submit(responses_spec(2)).json()["id"]
    job = local.wait(job_id)
    assert job["expires_at"] is None
    try:
        r = local.client.put("/v1/admin/tenants/alice/quotas", json={"limits": {"retention_days": 3}}, headers=admin)
        assert r.status_code == 200, r.text
        job = local.client.get(f"/v1/jobs/{job_id}").json()
        from datetime import datetime, timedelta

        def at(s: str) -> datetime:
            return datetime.fromisoformat(s.replace("Z", "+00:00"))

        assert at(job["expires_at"]) - at(job["finished_at"]) == timedelta(days=3)
        listed = local.client.get("/v1/jobs", params={"limit": 5}).json()["data"]
        assert next(j for j in listed if j["id"] == job_id)["expires_at"] == job["expires_at"]
    finally:
        local.client.put("/v1/admin/tenants/alice/quotas", json={"limits": {"retention_days": None}}, headers=admin)


def test_push_needs_the_operators_token_and_uploads_the_layout(local: LocalApi, tmp_path: Path) -> None:
    """No Hub is reachable here: without a token the route says so (409); the upload
    itself is checked against the layout it is handed (huggingface_hub's HfApi calls)."""
    import io
    import tarfile

    from service.exports import push_folder

    job_id = local.wait(local.submit(responses_spec(3)).json()["id"])["id"]
    r = local.client.post(f"/v1/jobs/{job_id}/push", json={"repo_id": "org/synthetic-set"})
    assert r.status_code == 409 and r.json()["type"].endswith("/hub-not-configured"), r.text
    bad = local.client.post(f"/v1/jobs/{job_id}/push", json={"repo_id": "no slash"})
    assert bad.status_code == 422 and "repo_id" in bad.text

    hf = local.client.get(f"/v1/jobs/{job_id}/export", params={"format": "hf"})
    with tarfile.open(fileobj=io.BytesIO(hf.content)) as tar:
        tar.extractall(tmp_path, filter="data")

    class Api:
        calls: list[tuple[str, dict[str, Any]]] = []

        def create_repo(self, repo_id: str, **kw: Any) -> None:
            self.calls.append(("create_repo", {"repo_id": repo_id, **kw}))

        def upload_folder(self, **kw: Any) -> Any:
            files = sorted(str(p.relative_to(kw["folder_path"])) for p in Path(kw["folder_path"]).rglob("*")
                           if p.is_file())
            self.calls.append(("upload_folder", {**kw, "files": files}))
            return type("CommitInfo", (), {"commit_url": "https://hub.example/commit/1"})()

    api = Api()
    url = push_folder(str(tmp_path), "org/synthetic-set", "hf_token", private=True, message="m", api=api)
    assert url == "https://hub.example/commit/1"
    (c1, k1), (c2, k2) = api.calls
    assert c1 == "create_repo" and k1 == {"repo_id": "org/synthetic-set", "repo_type": "dataset", "private": True,
                                          "exist_ok": True}
    assert c2 == "upload_folder" and k2["repo_type"] == "dataset" and k2["repo_id"] == "org/synthetic-set"
    assert k2["files"] == ["README.md", "data/train-00000-of-00001.parquet"]
