"""Throughput of a `responses` job against the fake provider, side by side with a bare
aiohttp loop making the same requests, in one run on one machine.

  .venv/bin/python bench/responses_throughput.py --rounds 3 [--n 3000 --concurrency 256 --latency 0.2]

The first, single-comparison benchmark, kept for quick a/b checks at any size; `make
bench` (bench/run.py, docs/benchmarks.md) runs this comparison and the rest of the field.

Both sides send N chat requests with the same payload shape at the same concurrency to
the same fake OpenAI-compatible server (latency L). synthgen is timed from the POST of
the job over HTTP until its last record has been read back over HTTP; the bare loop
from its first request to its last response. Rounds alternate the two sides, and the
ratio of the medians is printed. Filters are on (the job's defaults), dedup is off.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import redis

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise SystemExit("bench: a component did not start in time")


def prompts(n: int) -> list[str]:
    return [f"Question {i}: explain, with an example, how topic number {i} works." for i in range(n)]


async def bare_loop(base: str, items: list[str], concurrency: int) -> float:
    """The floor: the same requests from a plain aiohttp client, no service around it."""
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
    assert ok == len(items), f"bare loop: {ok} of {len(items)} succeeded"
    return elapsed


async def synthgen_job(api: str, items: list[str], concurrency: int) -> tuple[float, dict]:
    """POST the job, poll it, read every record back; the clock stops at the last record."""
    headers = {"Authorization": f"Bearer {KEY}"}
    spec = {"recipe": "responses", "concurrency": concurrency, "generator": {"provider": "fake"},
            "params": {"prompts": items}}
    payload = json.dumps(spec).encode()
    async with aiohttp.ClientSession(headers=headers) as s:
        start = time.perf_counter()
        async with s.post(f"{api}/v1/jobs", data=payload, headers={"Content-Type": "application/json"}) as r:
            assert r.status == 202, await r.text()
            job_id = (await r.json())["id"]
        read, cursor = 0, ""
        while True:
            async with s.get(f"{api}/v1/jobs/{job_id}/records", params={"cursor": cursor, "limit": 10000} if cursor else {"limit": 10000}) as r:
                body = await r.read()
                cursor = r.headers["X-Next-Cursor"]
            read += body.count(b"\n")
            if not cursor:
                break
            if not body:
                await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - start
        async with s.get(f"{api}/v1/jobs/{job_id}") as r:
            job = await r.json()
    assert job["status"] == "succeeded" and read == job["progress"]["kept"] == len(items), job["progress"]
    return elapsed, job


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="synthgen-bench-"))
    procs: list[subprocess.Popen] = []
    embedded = None
    try:
        redis_url = "redis://127.0.0.1:6379/12"
        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
        except redis.exceptions.ConnectionError:
            sys.path.insert(0, str(ROOT))
            from service.store.redis import EmbeddedRedis

            embedded = EmbeddedRedis(str(tmp / "redis"))
            redis_url = embedded.url
        redis.Redis.from_url(redis_url).flushdb()

        ready = tmp / "fake-url"
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "service.testing.fake_openai", "--port", "0", "--latency", str(args.latency),
             "--ready-file", str(ready)], cwd=ROOT, stdout=subprocess.DEVNULL))
        wait_until(lambda: ready.exists() and ready.read_text().strip())
        fake = ready.read_text().strip()
        (tmp / "providers.toml").write_text(
            f'[providers.fake]\nkind = "openai-compatible"\nbase_url = "{fake}/v1"\n'
            f'models = ["fake-model"]\nconcurrency = {args.concurrency}\n')
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNTHGEN_")}
        env.update(SYNTHGEN_REDIS_URL=redis_url, SYNTHGEN_PROVIDERS=str(tmp / "providers.toml"),
                   SYNTHGEN_API_KEYS=f"{KEY}=bench", SYNTHGEN_PORT=str(port), SYNTHGEN_LOG_LEVEL="WARNING",
                   SYNTHGEN_STATE_DIR=str(tmp / "state"))
        procs.append(subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--workers", "0"], cwd=ROOT, env=env))
        procs.append(subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], cwd=ROOT, env=env))
        api = f"http://127.0.0.1:{port}"
        import urllib.request

        wait_until(lambda: urllib.request.urlopen(f"{api}/readyz", timeout=1).status == 200)
        wait_until(lambda: redis.Redis.from_url(redis_url).scard("rq:workers") >= 1)

        items = prompts(args.n)
        # Warm-up: connections, imports, JIT-free Python caches on both sides.
        asyncio.run(bare_loop(fake, items[:300], args.concurrency))
        asyncio.run(synthgen_job(api, items[:300], args.concurrency))

        bare, sg = [], []
        for rnd in range(args.rounds):
            b = asyncio.run(bare_loop(fake, items, args.concurrency))
            s, job = asyncio.run(synthgen_job(api, items, args.concurrency))
            bare.append(args.n / b)
            sg.append(args.n / s)
            print(f"round {rnd + 1}: bare {args.n / b:7.1f} rec/s   synthgen {args.n / s:7.1f} rec/s   "
                  f"ratio {b / s:.3f}", flush=True)
        ideal = args.concurrency / args.latency
        mb, ms = statistics.median(bare), statistics.median(sg)
        print()
        print(f"workload: {args.n} prompts, latency {args.latency}s, concurrency {args.concurrency} "
              f"(latency-bound ideal {ideal:.0f} rec/s); filters on, dedup off")
        print(f"bare aiohttp loop   median {mb:7.1f} rec/s")
        print(f"synthgen end to end median {ms:7.1f} rec/s  (HTTP submit -> last record read over HTTP)")
        print(f"ratio synthgen / bare = {ms / mb:.3f}   (aim >= 0.9)")
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if embedded:
            embedded.close()


if __name__ == "__main__":
    main()
