"""synthgen benchmarks against the field: one command, one process tree, one table.

  make bench                         (= python -m bench.run)
  make bench-quick                   (= python -m bench.run --quick: small N, for development)
  python -m bench.run --only throughput --only api
  python -m bench.run --peers none   (skip distilabel / Data Designer)

Sections (docs/benchmarks.md says what each figure means and the aims):
  throughput  generation rate, provider-bound: bare aiohttp loop vs synthgen vs
              distilabel vs Data Designer at concurrency 64 and 256 (also gives cpu)
  cpu         API + worker CPU per record of the synthgen runs (part of throughput)
  memory      API and worker peak RSS for a 10k and a 100k record job
  api         GET /v1/jobs/{id} at 64 connections vs a bare Litestar handler; and with a
              managed key (looked up in Redis per request) vs a bootstrap key
  tenants     a job's records/s alone vs while another tenant floods submits over its quota
  dedup       embedder alone vs a responses job with embedding dedup
  local       tokens/s of the embedded SmolLM2 through synthgen vs llama-cpp-python
  limits      provider-bound under the fleet-wide limits: in flight at the limit with 1, 2
              and 4 workers; the shared limiter on vs off (same job)
  scaling     one job on 1, 2 and 4 worker processes, CPU-bound (300-word replies)
  cache       the response cache: a job's second run vs its first (wall time, provider requests)
  datasets    one responses job of 10k and 100k records (BENCH_DATASETS_SIZES: 1M too) with
              the dataset store sealing: peak Redis (the job's keys, used_memory), API and
              worker RSS, wall time, sealed size on disk
  batch       batch mode: time per record batched (the Batch API) vs online, and the fixed
              wait a batch adds (collect window + poll)

Everything listens on 127.0.0.1; Redis is 127.0.0.1:6379/12 (flushed) or embedded.
Results go to bench/results/<timestamp>.json and a table is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from bench.common import BENCH, Stack, log

SECTIONS = ("throughput", "memory", "api", "tenants", "dedup", "local", "limits", "scaling", "cache", "datasets", "batch")


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"nproc": str(os.cpu_count()), "memory": mem, "cpu": cpu, "python": platform.python_version(),
            "kernel": platform.release()}


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", choices=SECTIONS + ("cpu",), help="run only this section (repeatable)")
    ap.add_argument("--quick", action="store_true", help="small workloads, one round: for development")
    ap.add_argument("--peers", default="distilabel,data-designer", help="comma list, or 'none'")
    ap.add_argument("--rounds", type=int, default=None, help="rounds of a/b per concurrency (default 3, quick 1)")
    ap.add_argument("--profile", action="store_true", help="py-spy the API and worker during synthgen runs")
    ap.add_argument("--diagnose", action="store_true", help="api: also measure the bare-to-synthgen handler ladder")
    ap.add_argument("--output", default=None, help="results JSON path (default bench/results/<time>.json)")
    args = ap.parse_args(argv)
    only = set(args.only or SECTIONS)
    if "cpu" in only:
        only.add("throughput")
    q = args.quick
    peers = [] if args.peers == "none" else [p for p in args.peers.split(",") if p]

    started = time.monotonic()
    now = datetime.now(timezone.utc)
    results: dict = {"date": now.isoformat(timespec="seconds"), "machine": machine(), "argv": sys.argv[1:] if argv is None else argv,
                     "quick": q, "load_before": loadavg(), "sections": {}, "errors": {}}
    log(f"synthgen bench {results['date']}  {results['machine']['nproc']} cores, {results['machine']['memory']}, "
        f"{results['machine']['cpu']}; load average {results['load_before']}")
    out_path = Path(args.output) if args.output else BENCH / "results" / f"{now.strftime('%Y%m%dT%H%M%SZ')}{'-quick' if q else ''}.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Work dir: peer logs, profiles and the stack's state; large prompt files are removed at the end.
    tmp = out_path.with_suffix("")
    tmp.mkdir(parents=True, exist_ok=True)

    def run_section(name: str, fn) -> None:
        t0 = time.monotonic()
        log(f"\n== {name} (load average {loadavg()})")
        try:
            results["sections"][name] = fn()
        except Exception as exc:  # one section failing must not lose the others
            traceback.print_exc()
            results["errors"][name] = f"{type(exc).__name__}: {exc}"
        log(f"== {name} took {time.monotonic() - t0:.0f}s")

    stack = None
    try:
        from bench import (
            api_latency,
            batch,
            cache,
            datasets,
            dedup_throughput,
            limits,
            local_model,
            memory,
            scaling,
            tenant_isolation,
            throughput,
        )

        # Peer venvs first, so a first-time build is not counted in any section.
        if "throughput" in only and peers:
            from bench import venvs

            for name in peers:
                venvs.ensure(name, log=log)
        stack = Stack(tmp, latency=0.2, local_model="local" in only, extra_providers=limits.PROVIDERS + batch.PROVIDERS).start()
        log(f"stack: model server {stack.fake}, API {stack.api}, Redis {stack.redis_url}")
        if "throughput" in only:
            run_section("throughput", lambda: throughput.section(
                stack, n=300 if q else 3000, concurrencies=[64, 256], latency=0.2,
                rounds=args.rounds or (1 if q else 3), peers=peers, logdir=tmp, profile=args.profile))
        if "memory" in only:
            run_section("memory", lambda: memory.section(
                stack, sizes=[2000, 10000] if q else [10000, 100000], latency=0.02, concurrency=512, tmp=tmp,
                profile=args.profile))
        if "api" in only:
            run_section("api", lambda: api_latency.section(
                stack, seconds=3 if q else 10, connections=64, tmp=tmp, rounds=1 if q else 2, profile=args.profile,
                diagnose=args.diagnose))
        if "tenants" in only:
            run_section("tenants", lambda: tenant_isolation.section(
                stack, n=300 if q else 2000, latency=0.05, concurrency=64, flood=16, rounds=1 if q else 3))
        if "dedup" in only:
            run_section("dedup", lambda: dedup_throughput.section(
                stack, sizes=[2000, 10000] if q else [10000, 100000], latency=0.02, concurrency=512, tmp=tmp,
                reference=results["sections"].get("memory")))
        if "local" in only:
            run_section("local", lambda: local_model.section(
                stack, n_prompts=2 if q else 6, max_tokens=32 if q else 128, rounds=1 if q else 2, tmp=tmp))
        if "limits" in only:
            run_section("limits", lambda: limits.section(stack, n=480 if q else 1600, rounds=1 if q else 3))
        if "scaling" in only:
            run_section("scaling", lambda: scaling.section(
                stack, n=1000 if q else 6000, workers=[1, 2, 4], rounds=1 if q else 3, words=300, latency=0.005,
                concurrency=64, tmp=tmp))
        if "cache" in only:
            run_section("cache", lambda: cache.section(stack, n=200 if q else 1000, concurrency=32,
                                                       rounds=1 if q else 3))
        if "batch" in only:
            run_section("batch", lambda: batch.section(stack, n=64 if q else 250, rounds=1 if q else 3))
        if "datasets" in only:
            sizes = [int(x) for x in os.environ.get("BENCH_DATASETS_SIZES", "").split(",") if x] or (
                [2000, 10000] if q else [10000, 100000])
            run_section("datasets", lambda: datasets.section(
                stack, sizes=sizes, latency=0.005, concurrency=256, words=200, tmp=tmp))
    finally:
        if stack is not None:
            stack.close()
        results["seconds"] = time.monotonic() - started
        results["load_after"] = loadavg()
        out_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
        for f in tmp.glob("prompts-*.txt"):
            f.unlink()
    from bench.report import table

    log("\n" + table(results))
    log(f"\nwhole run {results['seconds']:.0f}s; load average before {results['load_before']}, after {results['load_after']}; "
        f"results in {out_path}")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
