"""Section 4: GET /v1/jobs/{id} at 64 connections, synthgen vs a bare Litestar handler.

A small finished responses job is made first; its GET body is saved and served by
bench/bare_app.py (same uvicorn settings as `synthgen serve`, no auth, no Redis).
Both servers are driven by the same load generator with the same connections and
duration: `wrk` (2 threads) when it is installed, else bench/loadgen.py (aiohttp, a
separate process). Each server gets a warm-up run, then the two alternate for the
measured rounds; the median round is reported. Loopback only, bounded in time (and
in requests for the aiohttp generator).
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import (
    KEY,
    ROOT,
    CpuMeter,
    Profiler,
    Stack,
    free_port,
    log,
    prompts,
    redis_server_pid,
    run_job,
    stop_proc,
    wait_until,
)

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not m:
        raise ValueError(f"unparsed wrk latency {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out: str) -> dict[str, Any]:
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    errs = re.search(r"Socket errors:.*", out)
    return {"requests": total, "errors": int(bad.group(1)) if bad else 0, "rps": rps, "p50_ms": p50, "p99_ms": p99,
            "socket_errors": errs.group(0) if errs else ""}


def load(url: str, seconds: float, connections: int, pids: dict[str, int] | None = None,
         key: str = KEY) -> dict[str, Any]:
    """Drive `url`; with `pids`, also the CPU those processes and the load generator used,
    per request, and the machine's CPU in use (in cores)."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with CpuMeter(pids or {}) as cpu:
        res = _load(url, seconds, connections, key)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if pids is not None and res["requests"]:
        n = res["requests"]
        gen = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        res["cpu_us_per_request"] = {**{k: 1e6 * v / n for k, v in cpu.seconds.items()}, "load generator": 1e6 * gen / n}
        res["cores"] = {**cpu.cores, "machine": cpu.machine_cores}
    return res


def _load(url: str, seconds: float, connections: int, key: str = KEY) -> dict[str, Any]:
    auth = f"Authorization: Bearer {key}"
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-H", auth, url],
                             capture_output=True, text=True, timeout=seconds + 60).stdout
        res = parse_wrk(out)
        res["tool"] = "wrk -t2"
        return res
    out = subprocess.run([sys.executable, "-m", "bench.loadgen", "--url", url, "--connections", str(connections),
                          "--seconds", str(seconds), "--header", auth],
                         capture_output=True, text=True, timeout=seconds + 60, cwd=ROOT).stdout
    res = json.loads(out.strip().splitlines()[-1])
    res["tool"] = "bench/loadgen.py (aiohttp)"
    return res


def start_bare(stack: Stack, body_file: Path, variant: str, probe_path: str, body: bytes) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = stack.env()
    proc = subprocess.Popen([sys.executable, "-m", "bench.bare_app", "--port", str(port), "--body", str(body_file),
                             "--variant", variant], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}{probe_path}"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {KEY}"})
    try:
        wait_until(lambda: urllib.request.urlopen(req, timeout=1).read() == body, what=f"the bare app ({variant})")
    except BaseException:
        stop_proc(proc)
        raise
    return proc, url


def ladder(stack: Stack, body_file: Path, path: str, body: bytes, seconds: float, connections: int,
           sg_url: str) -> list[dict[str, Any]]:
    """From the bare handler to synthgen's, one piece at a time (bench/bare_app.py)."""
    from bench.bare_app import VARIANTS

    rungs = []
    for variant in VARIANTS:
        proc, url = start_bare(stack, body_file, variant, path, body)
        try:
            load(url, 1.0, connections)
            r = load(url, seconds, connections, {"app": proc.pid})
        finally:
            stop_proc(proc)
        rungs.append({"variant": variant, **r})
        log(f"    ladder {variant:<12} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
            f"  app CPU {r['cpu_us_per_request']['app']:.0f} us/request")
    r = load(sg_url, seconds, connections, {"app": stack.api_proc.pid})
    rungs.append({"variant": "synthgen", **r})
    log(f"    ladder {'synthgen':<12} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
        f"  app CPU {r['cpu_us_per_request']['app']:.0f} us/request")
    return rungs


def spec_size(stack: Stack, small_id: str, seconds: float, connections: int) -> dict[str, Any]:
    """What a job's inline prompts cost the read routes: the job hash holds the whole spec,
    which GET /v1/jobs/{id} returns and every records page reads (HGETALL) to learn the
    job's tenant, status and counts. Compares a 10-prompt job with a 3,000-prompt one."""
    _, big, _ = asyncio.run(run_job(stack.api, {"recipe": "responses", "concurrency": 256,
                                                "generator": {"provider": "fake"}, "params": {"prompts": prompts(3000)}}))
    res: dict[str, Any] = {}
    for name, jid in (("10 prompts", small_id), ("3000 prompts", big["id"])):
        req = urllib.request.Request(f"{stack.api}/v1/jobs/{jid}", headers={"Authorization": f"Bearer {KEY}"})
        size = len(urllib.request.urlopen(req, timeout=10).read())
        status = load(f"{stack.api}/v1/jobs/{jid}", seconds, connections)
        page = load(f"{stack.api}/v1/jobs/{jid}/records?limit=1", seconds, connections)
        res[name] = {"status_bytes": size, "status_rps": status["rps"], "records_page_rps": page["rps"]}
        log(f"    job with {name:<12}: GET job {size:>7} bytes {status['rps']:7.0f} req/s | "
            f"GET records?limit=1 {page['rps']:7.0f} req/s")
    return res


def managed_key(redis_url: str, tenant: str = "bench", role: str = "read") -> str:
    """A key kept in Redis (service/store/keys.py), looked up there on every request."""
    from service.domain.access import check_role
    from service.store.keys import KeyStore
    from service.store.redis import async_client

    async def make() -> str:
        client = async_client(redis_url)
        try:
            key, _ = await KeyStore(client).create(tenant=tenant, role=check_role(role), name="bench")
            return key
        finally:
            await client.aclose()

    return asyncio.run(make())


def lookup_cost(redis_url: str, managed: str, n: int = 3000, rounds: int = 5) -> dict[str, Any]:
    """The guard's key lookup alone, in this process, one after another: a bootstrap key
    (a hash compared with the settings') against a managed key (that plus one HMGET and
    an HMAC in Redis's round trip). Wall and CPU microseconds per lookup, alternating
    batches, medians: steadier on a busy machine than the loaded GET figures."""
    from service.api.auth import Auth
    from service.api.signing import Signer
    from service.settings import from_env
    from service.store.keys import KeyStore
    from service.store.redis import async_client

    async def run() -> dict[str, list[tuple[float, float]]]:
        client = async_client(redis_url)
        auth = Auth(from_env({"SYNTHGEN_API_KEYS": f"{KEY}=bench"}), KeyStore(client), Signer(b"bench"))
        out: dict[str, list[tuple[float, float]]] = {"bootstrap key": [], "managed key": []}
        try:
            for _ in range(rounds):
                for name, key in (("bootstrap key", KEY), ("managed key", managed)):
                    wall, cpu = time.perf_counter(), time.process_time()
                    for _ in range(n):
                        assert await auth.from_key(key) is not None
                    out[name].append((1e6 * (time.perf_counter() - wall) / n, 1e6 * (time.process_time() - cpu) / n))
        finally:
            await client.aclose()
        return out

    runs = asyncio.run(run())
    res = {name: {"wall_us": statistics.median(w for w, _ in rs), "cpu_us": statistics.median(c for _, c in rs)}
           for name, rs in runs.items()}
    log(f"  key lookup alone, {n} x {rounds}: bootstrap {res['bootstrap key']['wall_us']:.0f} us wall, "
        f"{res['bootstrap key']['cpu_us']:.0f} us CPU | managed {res['managed key']['wall_us']:.0f} us wall, "
        f"{res['managed key']['cpu_us']:.0f} us CPU (this process; Redis's share is in its own CPU)")
    return res


def key_lookup(stack: Stack, url: str, seconds: float, connections: int, rounds: int,
               pids: dict[str, int]) -> dict[str, Any]:
    """GET /v1/jobs/{id} with a bootstrap key (hashed in the settings, no Redis) and with
    a managed key (one HMGET per request, so revocation is seen at once on every
    replica), alternating, side by side: the cost of the lookup."""
    managed = managed_key(stack.redis_url)
    runs: dict[str, list[dict[str, Any]]] = {"bootstrap key": [], "managed key": []}
    load(url, min(2.0, seconds), connections, key=managed)  # warm-up
    for rnd in range(rounds):
        for name, key in (("bootstrap key", KEY), ("managed key", managed)):
            r = load(url, seconds, connections, pids, key=key)
            runs[name].append(r)
            log(f"  keys round {rnd + 1}: {name:<14} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:.2f} ms  "
                f"p99 {r['p99_ms']:.2f} ms; CPU per request: "
                + ", ".join(f"{k} {v:.0f} us" for k, v in r.get("cpu_us_per_request", {}).items()))
    out: dict[str, Any] = {}
    for name, rs in runs.items():
        out[name] = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50_ms", "p99_ms")}
        out[name]["cpu_us_per_request"] = {k: statistics.median(r["cpu_us_per_request"][k] for r in rs)
                                           for k in rs[0].get("cpu_us_per_request", {})}
        out[name]["runs"] = rs
    out["ratio"] = out["managed key"]["rps"] / out["bootstrap key"]["rps"]
    out["lookup"] = lookup_cost(stack.redis_url, managed)
    log(f"  median: managed key {out['managed key']['rps']:.0f} req/s vs bootstrap key "
        f"{out['bootstrap key']['rps']:.0f} req/s = {out['ratio']:.2f}")
    return out


def section(stack: Stack, *, seconds: float, connections: int, tmp: Path, rounds: int = 2,
            profile: bool = False, diagnose: bool = False) -> dict[str, Any]:
    _, job, _ = asyncio.run(run_job(stack.api, {"recipe": "responses", "concurrency": 8,
                                                "generator": {"provider": "fake"}, "params": {"prompts": prompts(10)}}))
    url = f"{stack.api}/v1/jobs/{job['id']}"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {KEY}"})
    body = urllib.request.urlopen(req, timeout=10).read()
    body_file = tmp / "job-body.json"
    body_file.write_bytes(body)
    bare_proc, bare_url = start_bare(stack, body_file, "bytes", f"/v1/jobs/{job['id']}", body)
    try:
        for u in (bare_url, url):  # warm-up
            load(u, min(2.0, seconds), connections)
        bare_runs, sg_runs = [], []
        rpid = redis_server_pid(stack.redis_url)
        sg_pids = {"api": stack.api_proc.pid, **({"redis-server": rpid} if rpid else {})}
        for rnd in range(rounds):
            bare_runs.append(load(bare_url, seconds, connections, {"app": bare_proc.pid}))
            with Profiler({"api": stack.api_proc.pid}, tmp, "api-get", enabled=profile and rnd == rounds - 1) as prof:
                sg_runs.append(load(url, seconds, connections, sg_pids))
            if prof.enabled:
                sg_runs[-1]["profile"] = prof.top("api", 30)
            for name, r in (("bare Litestar", bare_runs[-1]), ("synthgen", sg_runs[-1])):
                log(f"  round {rnd + 1}: {name:<14} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
                    f"  ({r['requests']} requests, {r['errors']} errors); CPU per request: "
                    + ", ".join(f"{k} {v:.0f} us" for k, v in r.get("cpu_us_per_request", {}).items())
                    + f"; machine {r.get('cores', {}).get('machine', 0):.2f} cores")
    finally:
        stop_proc(bare_proc)

    def med(runs: list[dict[str, Any]]) -> dict[str, Any]:
        return {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms")}

    out = {"body_bytes": len(body), "connections": connections, "seconds": seconds, "tool": sg_runs[0]["tool"],
           "bare": {**med(bare_runs), "runs": bare_runs}, "synthgen": {**med(sg_runs), "runs": sg_runs}}
    out["ratio"] = out["synthgen"]["rps"] / out["bare"]["rps"]
    out["keys"] = key_lookup(stack, url, seconds, connections, rounds, sg_pids)
    if diagnose:
        log("  diagnosis: the bare handler plus synthgen's pieces, one at a time (bench/bare_app.py)")
        out["ladder"] = ladder(stack, body_file, f"/v1/jobs/{job['id']}", body, max(2.0, seconds / 2), connections, url)
        out["spec_size"] = spec_size(stack, job["id"], max(2.0, seconds / 2), connections)
    log(f"  median: synthgen {out['synthgen']['rps']:.0f} req/s vs bare {out['bare']['rps']:.0f} req/s = "
        f"{out['ratio']:.2f} (aim >= 0.5); body {len(body)} bytes; load generator {out['tool']}")
    return out
