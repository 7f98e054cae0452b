"""The job report's one streaming pass (service/reports.py), measured alone: N records
of ~200-word responses committed and sealed into 10k-record segments (the default
SEAL_RECORDS), then `reports.compute` over them in a fresh process, timed, with the
process's peak RSS sampled. Constant memory means the same peak at 10k and at 100k.

  BENCH_REDIS_URL=redis://127.0.0.1:6379/11 python -m bench.report_pass 10000 100000

Prints one line per size: records, seconds, records/s, peak RSS before and during the pass.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time

import msgspec


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _fill(url: str, data: str, job: str, n: int) -> None:
    from service.store.datasets import DatasetFiles
    from service.store.jobs import CommitItem, JobStore
    from service.store.redis import async_client

    client = async_client(url)
    store = JobStore(client, DatasetFiles(data))
    await store.create(job_id=job, tenant="bench", recipe="responses", spec_json=b"{}", spec_hash="h",
                       target=None, seed=1)
    rnd = random.Random(1)
    vocab = [f"w{i}" for i in range(20000)]
    for lo in range(0, n, 1000):
        items = []
        for i in range(lo, min(n, lo + 1000)):
            rec = {"id": f"r{i}", "prompt": " ".join(rnd.choices(vocab, k=20)),
                   "response": " ".join(rnd.choices(vocab, k=200)),
                   "meta": {"provider": "fake", "model": "m", "finish_reason": "stop",
                            "served": {"model": "m-1", "system_fingerprint": "fp"}}}
            items.append(CommitItem(kind="r", id=rec["id"], line=msgspec.json.encode(rec)))
        await store.commit(job, None, items, {})
        await store.segments.seal(job, every=10_000, partial=False)
    await store.segments.seal(job, every=10_000, partial=True)
    await client.aclose()


async def _measure(url: str, data: str, job: str) -> None:
    from service import reports
    from service.store.datasets import DatasetFiles
    from service.store.jobs import JobStore
    from service.store.redis import async_client

    client = async_client(url)
    store = JobStore(client, DatasetFiles(data))
    before = _rss_mb()
    t = time.perf_counter()
    rep = await reports.compute(store, job)
    dt = time.perf_counter() - t
    print(f"{rep.records} records: {dt:.1f} s, {rep.records / dt:,.0f} records/s, peak RSS {before:.0f} MB before, "
          f"{_rss_mb():.0f} MB after the pass")
    await store.delete(job)
    await client.aclose()


def main() -> None:
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    if sys.argv[1] == "--measure":
        asyncio.run(_measure(url, sys.argv[2], sys.argv[3]))
        return
    for n in (int(x) for x in sys.argv[1:]):
        with tempfile.TemporaryDirectory() as data:
            job = f"job_benchreport{n}{time.time_ns() % 10**6}"
            asyncio.run(_fill(url, data, job, n))
            subprocess.run([sys.executable, "-m", "bench.report_pass", "--measure", data, job], check=True)


if __name__ == "__main__":
    main()
