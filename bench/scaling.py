"""Scaling: one job on 1, 2 and 4 worker processes (issue 12).

CPU-bound: the provider is not the bound (replies of ~300 words after a few ms), so a
worker's own CPU is (HTTP client, JSON, the filters over 300 words, the commit). One
`responses` job of N prompts with `parallelism` = the number of workers, run with 1, 2
and 4 workers in rounds (1 2 4, 1 2 4, ...), records/s from submit to the final status;
the ratio to one worker is taken within each round, so a slow patch of the machine
hits the runs it shares. On this 2-core box the fake server, Redis and the API share
the cores with the workers: 2 workers can show at most ~2x, and 4 workers no more than 2.

So the section also meters the CPU every process of the stack spends per record: the
workers' (w) and the rest's (o: model server, API, Redis). With C cores, k workers can
make at most min(k / w, C / (w + o)) records/s; that ceiling over one worker's ceiling
is the ratio this machine allows, and k * w1 / wk (the workers' CPU per record as they
join) is what a machine with a core per process would show. Redis's CPU per record
bounds the fleet: one Redis serves about 1 / (its CPU per record) records/s.
"""

from __future__ import annotations

import asyncio
import os
import statistics
from pathlib import Path
from typing import Any

from bench.common import CpuMeter, Stack, http_json, job_progress_line, log, prompts, redis_server_pid, run_job


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
                others = _stack_pids(stack)
                with CpuMeter({**pids, **others}) as cpu:
                    secs, job, _ = asyncio.run(run_job(stack.api, spec, read_records=False, timeout=900))
                ok = job["status"] == "succeeded" and job["progress"]["kept"] == n
                rate = job["progress"]["kept"] / secs
                kept = max(1, job["progress"]["kept"])
                worker_s = sum(v for k, v in cpu.seconds.items() if k.startswith("worker"))
                row = {"ok": ok, "seconds": secs, "rate": rate, "machine_cores": cpu.machine_cores,
                       "worker_cores": worker_s / secs if secs else 0.0, "shards": job["shards"],
                       # CPU milliseconds per kept record: the workers' and each other process's
                       "ms_per_record": {"workers": 1000 * worker_s / kept,
                                         **{k: 1000 * cpu.seconds[k] / kept for k in others}}}
                out["runs"][str(w)].append(row)
                ms = row["ms_per_record"]
                log(f"  round {r + 1}, {w} worker(s): {rate:,.0f} records/s ({job_progress_line(job)}); "
                    f"workers used {row['worker_cores']:.2f} cores, machine {cpu.machine_cores:.2f}; CPU ms/record "
                    + ", ".join(f"{k} {v:.3f}" for k, v in ms.items()))
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
    out["ceiling"] = ceiling(out["runs"], workers, cores=os.cpu_count() or 1)
    for w in workers:
        c = out["ceiling"][str(w)]
        log(f"  {w} workers: CPU ms/record workers {c['w_ms']:.3f}, rest {c['o_ms']:.3f} (Redis {c['redis_ms']:.3f}); "
            f"this machine allows {c['machine_ratio']:.2f}x, measured {out['ratio'][str(w)]['median']:.2f}x "
            f"({out['ratio'][str(w)]['median'] / c['machine_ratio']:.0%} of it); a core per process: "
            f"{c['core_per_process_ratio']:.2f}x")
    return out


def _stack_pids(stack: Stack) -> dict[str, int]:
    pids = {"api": stack.api_proc.pid if stack.api_proc else None,
            "model_server": stack.fake_proc.pid if stack.fake_proc else None,
            "redis": redis_server_pid(stack.redis_url)}
    return {k: v for k, v in pids.items() if v is not None}


def ceiling(runs: dict[str, list[dict[str, Any]]], workers: list[int], *, cores: int) -> dict[str, Any]:
    """What the CPU per record allows, from the medians over rounds: on this machine's
    `cores`, and with a core per process (the workers' CPU per record as they join)."""
    def med(w: int, key: str) -> float:
        return statistics.median(r["ms_per_record"].get(key, 0.0) for r in runs[str(w)])

    def best(w: int) -> float:
        """records/s at most: each worker busy all the time, or every core busy all the time"""
        wk = med(w, "workers")
        ok = sum(med(w, k) for k in ("api", "model_server", "redis"))
        return min(w * 1000 / wk, cores * 1000 / (wk + ok)) if wk > 0 else 0.0

    w1, best1 = med(workers[0], "workers"), best(workers[0])
    out: dict[str, Any] = {}
    for w in workers:
        wk = med(w, "workers")
        out[str(w)] = {"w_ms": wk, "o_ms": sum(med(w, k) for k in ("api", "model_server", "redis")),
                       "redis_ms": med(w, "redis"), "machine_ratio": best(w) / best1 if best1 else 0.0,
                       "core_per_process_ratio": w * w1 / wk if wk else 0.0}
    return out
