"""Section `limits`: provider-bound generation under the fleet-wide provider limits.

One provider with a concurrency limit of LIMIT (`capped`), the model server answering
in LATENCY s (so the limit, not the CPU, bounds throughput: LIMIT / LATENCY records/s
at most), and jobs that ask for more than the limit (concurrency 2 x LIMIT each):

a. 1, 2 and 4 worker processes on ONE job with `parallelism` = the number of workers
   (each worker runs a shard at concurrency 2 x LIMIT). The model server's own meter
   gives the peak and time-averaged requests in flight: with the fleet limit they stay
   at LIMIT however many workers join. The same runs on `capped-process`
   (limits_scope = "process": every worker process limits itself, as before the fleet
   limits) show what the fleet limit prevents: W x LIMIT in flight.
b. The same job on one worker with the shared limiter on (`capped`) and off
   (`capped-process`), alternating rounds: records/s on / off (aim >= 0.9).
Also the limiter's Redis calls per provider request, from /metrics.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import urllib.request
from typing import Any

import redis

from bench.common import METRICS_TOKEN, Stack, http_json, log, prompts, run_job, wait_until

LIMIT = 16
LATENCY = 0.1
PROVIDERS = f"""
[providers.capped]
kind = "openai-compatible"
base_url = "{{fake}}/v1"
models = ["fake-model"]
concurrency = {LIMIT}
licence = "bench"

[providers.capped-process]
kind = "openai-compatible"
base_url = "{{fake}}/v1"
models = ["fake-model"]
concurrency = {LIMIT}
limits_scope = "process"
licence = "bench"
"""


def scrape(api: str) -> dict[str, float]:
    out = {}
    req = urllib.request.Request(f"{api}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
    return out


def total(m: dict[str, float], name: str, provider: str) -> float:
    return sum(v for k, v in m.items() if k.partition("{")[0] == name and f'provider="{provider}"' in k)


def live_workers(api: str) -> int:
    return int(http_json("GET", f"{api}/readyz", key=None)["checks"]["workers"])


def spec(provider: str, items: list[str], shards: int) -> dict[str, Any]:
    return {"recipe": "responses", "concurrency": 2 * LIMIT, "generator": {"provider": provider},
            "parallelism": shards, "params": {"prompts": items}}


def run_jobs(stack: Stack, provider: str, n: int, jobs: int = 1, shards: int = 1) -> dict[str, Any]:
    """`jobs` concurrent jobs sharing n prompts, each as `shards` shards, on `provider`;
    the model server's meter."""
    items = prompts(n)
    parts = [items[k::jobs] for k in range(jobs)]
    before = scrape(stack.api)
    stack.meter_reset()

    async def go() -> list[tuple[float, dict[str, Any], int]]:
        return await asyncio.gather(*(run_job(stack.api, spec(provider, part, shards)) for part in parts))

    start = time.monotonic()
    results = asyncio.run(go())
    wall = time.monotonic() - start
    meter = stack.meter()
    time.sleep(1.2)  # the workers push their metrics every second
    after = scrape(stack.api)
    kept = sum(job["progress"]["kept"] for _, job, _ in results)
    if any(job["status"] != "succeeded" for _, job, _ in results) or kept != n:
        raise RuntimeError(f"limits run on {provider}: {[job['status'] for _, job, _ in results]}, kept {kept} of {n}")
    requests = total(after, "synthgen_provider_requests_total", provider) - total(
        before, "synthgen_provider_requests_total", provider)
    calls = total(after, "synthgen_provider_limiter_calls_total", provider) - total(
        before, "synthgen_provider_limiter_calls_total", provider)
    return {"records": kept, "seconds": wall, "rate": kept / wall, "peak_inflight": meter["peak_inflight"],
            "mean_inflight": meter["mean_inflight"], "requests": requests,
            "calls_per_request": calls / requests if requests else 0.0}


def section(stack: Stack, *, n: int, rounds: int) -> dict[str, Any]:
    stack.set_latency(LATENCY)
    out: dict[str, Any] = {"limit": LIMIT, "latency": LATENCY, "n": n, "ideal_rate": LIMIT / LATENCY,
                           "by_workers": {}, "on_off": {}}
    r = redis.Redis.from_url(stack.redis_url)
    try:
        run_jobs(stack, "capped", min(n, 4 * LIMIT))  # warm-up: imports, connections
        for workers in (1, 2, 4):
            stack.set_workers(workers)
            wait_until(lambda: r.scard("rq:workers") >= workers and live_workers(stack.api) >= workers,
                       what=f"{workers} workers")
            row = {scope: run_jobs(stack, provider, n, shards=workers)
                   for scope, provider in (("fleet", "capped"), ("process", "capped-process"))}
            out["by_workers"][str(workers)] = row
            f, p = row["fleet"], row["process"]
            log(f"  {workers} worker(s), one job of {workers} shard(s) at concurrency {2 * LIMIT}, limit {LIMIT}: "
                f"fleet limit: peak in flight {f['peak_inflight']} (mean {f['mean_inflight']:.1f}), "
                f"{f['rate']:.1f} rec/s, {f['calls_per_request']:.2f} Redis calls/request; "
                f"per-process limit: peak {p['peak_inflight']} (mean {p['mean_inflight']:.1f}), {p['rate']:.1f} rec/s")
        stack.set_workers(1)
        wait_until(lambda: live_workers(stack.api) == 1, what="one worker left")
        on, off = [], []
        for k in range(rounds):
            pair = [("fleet", "capped"), ("process", "capped-process")]
            for scope, provider in (pair if k % 2 == 0 else pair[::-1]):
                res = run_jobs(stack, provider, n)
                (on if scope == "fleet" else off).append(res)
                log(f"    round {k + 1}: limiter {'on ' if scope == 'fleet' else 'off'} {res['rate']:.1f} rec/s "
                    f"(peak in flight {res['peak_inflight']}, mean {res['mean_inflight']:.1f})")
        med_on = statistics.median(x["rate"] for x in on)
        med_off = statistics.median(x["rate"] for x in off)
        out["on_off"] = {"on": on, "off": off, "rate_on": med_on, "rate_off": med_off, "ratio": med_on / med_off}
        log(f"  one job, one worker: shared limiter on {med_on:.1f} rec/s, off {med_off:.1f} rec/s: "
            f"on/off {med_on / med_off:.3f} (aim >= 0.9); ideal {LIMIT / LATENCY:.0f} rec/s")
    finally:
        stack.set_workers(1)
    return out
