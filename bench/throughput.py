"""Sections 1 and 2: provider-bound generation throughput, and service CPU per record.

The same workload (N prompts, model latency L, concurrency C) goes to the same model
server through four systems:
  a. a bare aiohttp loop (C lanes, one request each at a time): the floor;
  b. synthgen end to end: POST /v1/jobs (responses recipe, filters on, dedup off) ->
     RQ worker -> provider calls -> records committed to Redis -> every record read
     back over HTTP; the clock runs from the POST to the last record read;
  c. distilabel 1.5.x TextGeneration with OpenAILLM (bench/peers/distilabel_run.py);
  d. NeMo Data Designer 0.9.x, one LLM text column (bench/peers/data_designer_run.py).
Peers run in their own venvs; their clock is their run call (pipeline start to the
dataset in memory/on disk), interpreter start and imports excluded.

For every run the model server's meter reports the concurrency the client actually
achieved (time-averaged and peak requests in flight) and the request window (first
request in to last answer out), so a peer that does not reach C shows it.

Section 2 comes from the synthgen runs: CPU seconds (user + system) the API and
worker processes used during the run, divided by the records made.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench import venvs
from bench.common import BENCH, CpuMeter, Profiler, Stack, http_json, log, prompts, run_job

PEER_SCRIPTS = {"distilabel": BENCH / "peers" / "distilabel_run.py",
                "data-designer": BENCH / "peers" / "data_designer_run.py"}


async def bare_loop(base: str, items: list[str], concurrency: int) -> float:
    """C lanes over a shared iterator, one request in flight per lane."""
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as session:
        it = iter(items)
        ok = 0

        async def lane() -> None:
            nonlocal ok
            for p in it:
                body = {"model": "fake-model", "messages": [{"role": "user", "content": p}],
                        "temperature": 0.7, "max_tokens": 1024}
                async with session.post(f"{base}/v1/chat/completions", json=body) as r:
                    data = json.loads(await r.read())
                    ok += bool(data["choices"][0]["message"]["content"])

        start = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    if ok != len(items):
        raise RuntimeError(f"bare loop: {ok} of {len(items)} succeeded")
    return elapsed


def synthgen_spec(items: list[str], concurrency: int) -> dict[str, Any]:
    return {"recipe": "responses", "concurrency": concurrency, "generator": {"provider": "fake"},
            "params": {"prompts": items}}


def _pids(stack: Stack, service: bool = True) -> dict[str, int]:
    pids = {"model_server": stack.fake_proc.pid, "harness": os.getpid()}
    if service:
        pids.update(stack.service_pids())
    return pids


def _cpu(meter: CpuMeter, records: int) -> dict[str, Any]:
    return {"machine_cores": meter.machine_cores, "cores": meter.cores,
            "ms_per_record": {k: 1000 * v / records for k, v in meter.seconds.items()}}


def run_bare(stack: Stack, items: list[str], c: int) -> dict[str, Any]:
    stack.meter_reset()
    with CpuMeter(_pids(stack, service=False)) as cpu:
        secs = asyncio.run(bare_loop(stack.fake, items, c))
    return {"records": len(items), "seconds": secs, "rate": len(items) / secs, "meter": stack.meter(),
            "cpu": _cpu(cpu, len(items))}


def run_synthgen(stack: Stack, items: list[str], c: int) -> dict[str, Any]:
    stack.meter_reset()
    with CpuMeter(_pids(stack)) as cpu:
        secs, job, read = asyncio.run(run_job(stack.api, synthgen_spec(items, c)))
    kept = job["progress"]["kept"]
    if job["status"] != "succeeded" or read != kept or kept != len(items):
        raise RuntimeError(f"synthgen run: status {job['status']}, kept {kept}, read {read} of {len(items)}")
    meter = stack.meter()
    clock = job["bench_clock"]
    res = {"records": kept, "seconds": secs, "rate": kept / secs, "meter": meter, "cpu": _cpu(cpu, kept),
           # POST -> first provider request, and last provider answer -> last record read
           "startup_seconds": meter["first_start"] - clock["posted"], "tail_seconds": clock["done"] - meter["last_end"]}
    res["cpu_ms_per_record"] = {k: res["cpu"]["ms_per_record"][k] for k in ("api", "worker")}
    return res


def run_peer(stack: Stack, name: str, python: Path, prompts_file: Path, n: int, c: int, logdir: Path) -> dict[str, Any]:
    stack.meter_reset()
    logfile = logdir / f"{name}-c{c}.log"
    cmd = [str(python), str(PEER_SCRIPTS[name]), "--base-url", f"{stack.fake}/v1", "--n", str(n),
           "--concurrency", str(c), "--prompts", str(prompts_file)]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with logfile.open("w") as err:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, timeout=900, cwd=logdir)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of the peer's whole process tree (interpreter start and imports included).
    peer_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"exit {proc.returncode}; see {logfile}"}
    out = json.loads(lines[-1])
    out["rate"] = out["records"] / out["seconds"]
    out["meter"] = stack.meter()
    out["process_seconds"] = wall
    out["cpu"] = {"peer_cpu_seconds": peer_cpu, "peer_cores": peer_cpu / wall,
                  "ms_per_record": {"peer": 1000 * peer_cpu / max(1, out["records"])}}
    return out


def describe(run: dict[str, Any]) -> str:
    if "error" in run:
        return f"failed: {run['error']}"
    m = run["meter"]
    extra = ""
    if "cpu" in run and "peer_cores" in run["cpu"]:
        extra = (f"; its processes used {run['cpu']['peer_cpu_seconds']:.1f} CPU s in {run['process_seconds']:.1f} s "
                 f"({run['cpu']['ms_per_record']['peer']:.1f} ms/record, imports included)")
    elif "cpu" in run:
        extra = f"; machine CPU {run['cpu']['machine_cores']:.2f} cores, model server {run['cpu']['cores']['model_server']:.2f}"
    if "startup_seconds" in run:
        extra += f"; POST->first request {run['startup_seconds']:.2f}s, last answer->last record read {run['tail_seconds']:.2f}s"
    return (f"{run['rate']:8.1f} rec/s  ({run['records']} in {run['seconds']:.2f}s; in flight mean {m['mean_inflight']:.0f}, "
            f"peak {m['peak_inflight']}; request window {m['window_seconds']:.2f}s{extra})")


def section(stack: Stack, *, n: int, concurrencies: list[int], latency: float, rounds: int,
            peers: list[str], logdir: Path, profile: bool = False) -> dict[str, Any]:
    stack.set_latency(latency)
    items = prompts(n)
    prompts_file = logdir / "prompts.json"
    prompts_file.write_text(json.dumps(items))
    peer_py: dict[str, Path] = {}
    skipped: dict[str, str] = {}
    for name in peers:
        py, info = venvs.ensure(name, log=log)
        if py is None:
            skipped[name] = info
            log(f"  SKIP {name}: {info}")
        else:
            peer_py[name] = py
            log(f"  {name} {info} ready ({py})")
    # Warm-up: connections, imports and caches on both sides of a and b.
    warm = items[: min(300, n)]
    run_bare(stack, warm, concurrencies[0])
    run_synthgen(stack, warm, concurrencies[0])
    out: dict[str, Any] = {"n": n, "latency": latency, "rounds": rounds, "by_concurrency": {}, "skipped": skipped}
    for c in concurrencies:
        log(f"\n  concurrency {c} (latency-bound ideal {c / latency:.0f} rec/s, {n} prompts)")
        bare, sg = [], []
        for rnd in range(rounds):
            b = run_bare(stack, items, c)
            # The last round is profiled when asked (py-spy slows what it samples a little).
            with Profiler(stack.service_pids(), logdir, f"throughput-c{c}", enabled=profile and rnd == rounds - 1) as prof:
                s = run_synthgen(stack, items, c)
            if prof.enabled:
                s["profile"] = {name: prof.top(name, 25) for name in prof.files}
            bare.append(b)
            sg.append(s)
            log(f"    round {rnd + 1}: a bare     {describe(b)}")
            log(f"    round {rnd + 1}: b synthgen {describe(s)}")
            log(f"             synthgen CPU: API {s['cpu_ms_per_record']['api']:.3f} ms/record, "
                f"worker {s['cpu_ms_per_record']['worker']:.3f} ms/record")
        peer_runs: dict[str, Any] = {}
        for name, py in peer_py.items():
            r = run_peer(stack, name, py, prompts_file, n, c, logdir)
            peer_runs[name] = r
            log(f"    {'c' if name == 'distilabel' else 'd'} {name:<13} {describe(r)}")
            if "setting" in r:
                log(f"      setting: {r['setting']}")
        med = lambda runs, key: statistics.median(r[key] for r in runs)  # noqa: E731
        res = {
            "bare": {"rate": med(bare, "rate"), "runs": bare},
            "synthgen": {"rate": med(sg, "rate"), "runs": sg,
                         "cpu_ms_per_record": {k: statistics.median(r["cpu_ms_per_record"][k] for r in sg)
                                               for k in ("api", "worker")}},
            "peers": peer_runs,
        }
        b_rate, s_rate = res["bare"]["rate"], res["synthgen"]["rate"]
        res["ratio_b_a"] = s_rate / b_rate
        for name, key in (("distilabel", "ratio_b_c"), ("data-designer", "ratio_b_d")):
            r = peer_runs.get(name)
            res[key] = s_rate / r["rate"] if r and "rate" in r else None
        log(f"    medians: a {b_rate:.1f}  b {s_rate:.1f} rec/s;  b/a {res['ratio_b_a']:.3f}"
            + "".join(f"  {k[-3:]} {res[k]:.2f}" for k in ("ratio_b_c", "ratio_b_d") if res[k] is not None))
        out["by_concurrency"][str(c)] = res
    # CPU per record grows with the text each record carries (filters scan it, Redis and
    # the API move it): one more synthgen run at the last concurrency with 300-word
    # replies instead of the model server's default 40.
    c = concurrencies[-1]
    http_json("POST", f"{stack.fake}/_control/config", {"default_words": 300}, key=None)
    try:
        long_run = run_synthgen(stack, items, c)
    finally:
        http_json("POST", f"{stack.fake}/_control/config", {"default_words": 40}, key=None)
    out["long_replies"] = {"words": 300, "concurrency": c, **long_run}
    log(f"\n  300-word replies, c={c}: b synthgen {describe(long_run)}")
    log(f"             synthgen CPU: API {long_run['cpu_ms_per_record']['api']:.3f} ms/record, "
        f"worker {long_run['cpu_ms_per_record']['worker']:.3f} ms/record")
    return out
