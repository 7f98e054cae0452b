"""Section 6: a tenant over its quota does not slow another tenant's running job.

Tenant B (the bench key) runs a responses job against the model server; tenant A (a
managed key, limits of one job at a time and one submit a minute) floods POST /v1/jobs
from `flood` connections the whole time, so every one of its submits after the first
is a 429 from the quota check. Rounds alternate B alone and B under the flood; the
figure is B's records per second under the flood over alone (median of the rounds),
with the flood's request rate and status codes beside it.

What the flood can still take is the machine's CPU (the API answering 429s shares the
cores with the worker and the model server here); nothing of it reaches B's job
through the queue, the worker or the provider limits, which is what the quotas promise.
So each run also records the CPU the worker spent per record of B's job (the same work
with or without the flood, if the quotas hold) and the cores the API and the whole
machine were busy.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from typing import Any

import aiohttp

from bench.common import CpuMeter, Stack, log, prompts, run_job


def flood_key(redis_url: str) -> str:
    """A submit key for tenant `flood`, whose quotas are one job and one submit a minute."""
    from service.domain.access import check_role
    from service.store.keys import KeyStore
    from service.store.quotas import QuotaStore
    from service.store.redis import async_client

    async def make() -> str:
        client = async_client(redis_url)
        try:
            await QuotaStore(client).set_overrides("flood", {"concurrent_jobs": 1, "submits_per_minute": 1})
            key, _ = await KeyStore(client).create(tenant="flood", role=check_role("submit"), name="bench flood")
            return key
        finally:
            await client.aclose()

    return asyncio.run(make())


async def _flood(api: str, key: str, connections: int, stop: asyncio.Event) -> tuple[Counter[int], int, float]:
    body = json.dumps({"recipe": "responses", "generator": {"provider": "fake"},
                       "params": {"prompts": ["flood"]}}).encode()
    codes: Counter[int] = Counter()
    made: list[str] = []
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    start = time.monotonic()
    async with aiohttp.ClientSession(headers=headers) as s:
        async def one() -> None:
            while not stop.is_set():
                async with s.post(f"{api}/v1/jobs", data=body) as r:
                    codes[r.status] += 1
                    if r.status == 202:
                        made.append((await r.json())["id"])
                    else:
                        await r.read()

        await asyncio.gather(*(one() for _ in range(connections)))
        for job_id in made:  # the one job let in: out of the way
            async with s.post(f"{api}/v1/jobs/{job_id}/cancel") as r:
                await r.read()
    return codes, len(made), time.monotonic() - start


async def _under_flood(api: str, key: str, spec: dict[str, Any], connections: int
                       ) -> tuple[float, dict[str, Any], Counter[int], float]:
    stop = asyncio.Event()
    flood = asyncio.create_task(_flood(api, key, connections, stop))
    await asyncio.sleep(0.5)  # the flood is on before B's job starts
    seconds, job, _ = await run_job(api, spec, read_records=False)
    stop.set()
    codes, _, flood_seconds = await flood
    return seconds, job, codes, flood_seconds


def section(stack: Stack, *, n: int, latency: float, concurrency: int, flood: int, rounds: int) -> dict[str, Any]:
    stack.set_latency(latency)
    key = flood_key(stack.redis_url)
    spec = {"recipe": "responses", "concurrency": concurrency, "generator": {"provider": "fake"},
            "params": {"prompts": prompts(n)}}
    alone: list[float] = []
    flooded: list[float] = []
    codes: Counter[int] = Counter()
    flood_rps: list[float] = []
    cpu: dict[str, list[dict[str, float]]] = {"alone": [], "flooded": []}
    pids = stack.service_pids()

    def meter(kind: str, m: CpuMeter) -> None:
        cpu[kind].append({"worker_ms_per_record": 1000 * m.seconds["worker"] / n, "api_cores": m.cores["api"],
                          "machine_cores": m.machine_cores})

    for rnd in range(rounds):
        with CpuMeter(pids) as m:
            seconds, job, _ = asyncio.run(run_job(stack.api, spec, read_records=False))
        assert job["progress"]["kept"] == n, job["progress"]
        alone.append(n / seconds)
        meter("alone", m)
        with CpuMeter(pids) as m:
            seconds, job, got, flood_seconds = asyncio.run(_under_flood(stack.api, key, spec, flood))
        assert job["progress"]["kept"] == n, job["progress"]
        flooded.append(n / seconds)
        meter("flooded", m)
        codes.update(got)
        flood_rps.append(sum(got.values()) / flood_seconds)
        a, f = cpu["alone"][-1], cpu["flooded"][-1]
        log(f"  round {rnd + 1}: B alone {alone[-1]:7.1f} records/s | B under A's flood {flooded[-1]:7.1f} records/s"
            f" | A: {sum(got.values())} submits at {flood_rps[-1]:.0f}/s, {dict(got)} | worker CPU per record "
            f"{a['worker_ms_per_record']:.2f} vs {f['worker_ms_per_record']:.2f} ms, API {a['api_cores']:.2f} vs "
            f"{f['api_cores']:.2f} cores, machine {a['machine_cores']:.2f} vs {f['machine_cores']:.2f} cores")
    out: dict[str, Any] = {
        "n": n, "latency": latency, "concurrency": concurrency, "flood_connections": flood,
        "alone_records_per_s": statistics.median(alone), "flooded_records_per_s": statistics.median(flooded),
        "flood_submits_per_s": statistics.median(flood_rps), "flood_statuses": dict(codes),
        "rounds": {"alone": alone, "flooded": flooded}, "cpu_rounds": cpu,
        "cpu": {kind: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for kind, rs in cpu.items()}}
    out["ratio"] = out["flooded_records_per_s"] / out["alone_records_per_s"]
    c = out["cpu"]
    log(f"  median: B keeps {out['ratio']:.2f} of its throughput ({out['flooded_records_per_s']:.1f} vs "
        f"{out['alone_records_per_s']:.1f} records/s) while A sends {out['flood_submits_per_s']:.0f} submits/s, "
        f"statuses {dict(codes)}; worker CPU per record {c['alone']['worker_ms_per_record']:.2f} vs "
        f"{c['flooded']['worker_ms_per_record']:.2f} ms; API {c['flooded']['api_cores']:.2f} cores under the flood; "
        f"machine {c['alone']['machine_cores']:.2f} vs {c['flooded']['machine_cores']:.2f} cores")
    return out
