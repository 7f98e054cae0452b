"""Scaling: one job on 1, 2 and 4 worker processes (issue 12).

CPU-bound: the provider is not the bound (replies of ~300 words after a few ms), so a
worker's own CPU is (HTTP client, JSON, the filters over 300 words, the commit). One
`responses` job of N prompts with `parallelism` = the number of workers, run with 1, 2
and 4 workers in rounds (1 2 4, 1 2 4, ...), records/s from submit to the final status;
the ratio to one worker is taken within each round, so a slow patch of the machine
hits the runs it shares. On this 2-core box the fake server, Redis and the API share
the cores with the workers: 2 workers can show at most ~2x, and 4 workers no more than 2.
"""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path
from typing import Any

from bench.common import CpuMeter, Stack, http_json, job_progress_line, log, prompts, run_job


def section(stack: Stack, *, n: int, workers: list[int], rounds: int, words: int, latency: float,
            concurrency: int, tmp: Path) -> dict[str, Any]:
    path = tmp / f"prompts-scaling-{n}.txt"
    path.write_text("\n".join(prompts(n)) + "\n")
    stack.prompt_files["scaling"] = path
    stack.restart_service()
    stack.set_latency(latency)
    http_json("POST", f"{stack.fake}/_control/config", {"default_words": words}, key=None)
    out: dict[str, Any] = {"n": n, "words": words, "latency": latency, "concurrency_per_shard": concurrency,
                           "runs": {str(w): [] for w in workers}}
    try:
        for r in range(rounds):
            for w in workers:
                stack.set_workers(w)
                spec = {"recipe": "responses", "generator": {"provider": "fake"}, "parallelism": w,
                        "concurrency": concurrency, "params": {"prompt_file": "scaling"}}
                # A small job first: every worker has imported and connected what a job needs.
                warm = {**spec, "params": {"prompts": prompts(16 * w)}}
                asyncio.run(run_job(stack.api, warm, read_records=False))
                pids = {f"worker{i}": pid for i, pid in enumerate(stack.worker_pids())}
                with CpuMeter(pids) as cpu:
                    secs, job, _ = asyncio.run(run_job(stack.api, spec, read_records=False, timeout=900))
                ok = job["status"] == "succeeded" and job["progress"]["kept"] == n
                rate = job["progress"]["kept"] / secs
                row = {"ok": ok, "seconds": secs, "rate": rate, "machine_cores": cpu.machine_cores,
                       "worker_cores": sum(cpu.cores.values()), "shards": job["shards"]}
                out["runs"][str(w)].append(row)
                log(f"  round {r + 1}, {w} worker(s): {rate:,.0f} records/s ({job_progress_line(job)}); "
                    f"workers used {row['worker_cores']:.2f} cores, machine {cpu.machine_cores:.2f}")
    finally:
        stack.set_workers(1)
        http_json("POST", f"{stack.fake}/_control/config", {"default_words": 40}, key=None)
    base = out["runs"][str(workers[0])]
    out["ratio"] = {}
    for w in workers:
        ratios = [run["rate"] / b["rate"] for run, b in zip(out["runs"][str(w)], base)]
        out["ratio"][str(w)] = {"median": statistics.median(ratios), "each": ratios,
                                "rate_median": statistics.median(x["rate"] for x in out["runs"][str(w)])}
    log("  records/s, median of rounds (ratio to 1 worker, same round): " + ", ".join(
        f"{w} workers {out['ratio'][str(w)]['rate_median']:,.0f} ({out['ratio'][str(w)]['median']:.2f}x)"
        for w in workers))
    return out
