"""Section `datasets`: one responses job of 10k, 100k (and 1M) records with the dataset
store sealing as it runs (issue 13). Redis should hold a bounded window, not the job.

For each size the API and the worker are restarted (fresh processes), the model server
answers ~200-word replies at low latency, and one responses job over a registered
prompt file runs while its records are read back over HTTP in pages of 10,000 (as in
the memory section). Sampled every 0.25 s until the last record was read:
- Redis: `used_memory` of the server (shared with whatever else uses it: the peak minus
  the value before the job is what the job added) and, precisely, every key of the job
  (MEMORY USAGE of its records and rejects windows, its ids sets: the job's and those
  of its chunks in flight, its hash, and the rest: chunks, segments, leases);
- RSS of the API and the worker.
The samplers go on until the worker has stored the job's report (computed once, from
the segments, when the job ends), so the peaks include that pass. Then the wall time,
the sealed size on disk and the Redis window left at the end.

  python -m bench.run --only datasets            (10k, 100k)
  BENCH_DATASETS_SIZES=10000,100000,1000000 python -m bench.run --only datasets
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import redis

from bench.common import RssSampler, Stack, http_json, log, prompts, run_job

MiB = 1024 * 1024


class RedisSampler:
    """Peak `used_memory` and peak memory of one job's keys, sampled in a thread."""

    def __init__(self, url: str, every: float = 0.25):
        self.r = redis.Redis.from_url(url)
        self.every = every
        self.job_id: str | None = None
        # Jobs that exist before the measured one (the warm-up job): the sampler waits for
        # a new one (a 1M-prompt submit takes seconds to check; taking the newest job at
        # once measured the warm-up job instead, in the 15:33 run).
        self.before = {m.decode() for m in self.r.zrange("sg:tenant:bench:jobs", 0, -1)}
        self.base = int(self.r.info("memory")["used_memory"])
        self.peak_used = self.base
        self.peak_job = 0
        self.peak_parts: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _job(self) -> str | None:
        if self.job_id is None:
            ids = [m.decode() for m in self.r.zrevrange("sg:tenant:bench:jobs", 0, 0)]
            self.job_id = ids[0] if ids and ids[0] not in self.before else None
        return self.job_id

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.peak_used = max(self.peak_used, int(self.r.info("memory")["used_memory"]))
                job = self._job()
                if job is None:
                    continue
                parts = {"records": 0, "rejects": 0, "ids": 0, "hash": 0, "other": 0}
                for key in [f"sg:job:{job}".encode(), *self.r.scan_iter(match=f"sg:job:{job}:*", count=1000)]:
                    parts[_part(key.decode()[len(f"sg:job:{job}"):])] += int(self.r.memory_usage(key, samples=5) or 0)
                total = sum(parts.values())
                if total > self.peak_job:
                    self.peak_job, self.peak_parts = total, parts
            except redis.RedisError:
                pass

    def __enter__(self) -> "RedisSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)


def _part(suffix: str) -> str:
    """Which part of the job's keys `sg:job:{id}{suffix}` is: its windows, its commit
    guard (the job's ids set and its chunks' ids sets), its hash, or the rest."""
    if suffix in (":records", ":rejects"):
        return suffix[1:]
    if suffix == ":ids" or suffix.startswith(":ids:"):
        return "ids"
    return "hash" if suffix == "" else "other"


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def section(stack: Stack, *, sizes: list[int], latency: float, concurrency: int, words: int, tmp: Path) -> dict[str, Any]:
    files = {}
    for n in sizes:
        path = tmp / f"prompts-ds-{n}.txt"
        path.write_text("\n".join(prompts(n)) + "\n")
        files[f"ds{n}"] = path
    stack.prompt_files.update(files)
    out: dict[str, Any] = {"latency": latency, "concurrency": concurrency, "words": words, "by_size": {}}
    for n in sizes:
        stack.restart_service()
        stack.set_latency(latency)
        http_json("POST", f"{stack.fake}/_control/config", {"default_words": words}, key=None)
        spec = {"recipe": "responses", "concurrency": concurrency, "generator": {"provider": "fake"},
                "params": {"prompt_file": f"ds{n}"}}
        asyncio.run(run_job(stack.api, {**spec, "params": {"prompts": prompts(20)}}))  # warm both processes
        pids = stack.service_pids()
        report = Path(stack.env()["SYNTHGEN_STATE_DIR"]) / "data" / "{}" / "report.json"
        with RssSampler(pids) as rss, RedisSampler(stack.redis_url) as red:
            secs, job, read = asyncio.run(run_job(stack.api, spec, timeout=7200))
            # The worker that settled the job computes its report once, from the sealed
            # segments (service/reports.py): its peak memory belongs to the job's.
            t0 = time.monotonic()
            while not Path(str(report).format(job["id"])).exists() and time.monotonic() - t0 < 3600:
                time.sleep(0.5)
            report_secs = time.monotonic() - t0
        kept = job["progress"]["kept"]
        r = redis.Redis.from_url(stack.redis_url)
        window = r.llen(f"sg:job:{job['id']}:records") + r.llen(f"sg:job:{job['id']}:rejects")
        sealed = _du(Path(stack.env()["SYNTHGEN_STATE_DIR"]) / "data" / job["id"])
        row = {
            "records": kept, "read": read, "ok": job["status"] == "succeeded" and read == kept == n,
            "seconds": secs, "rate": kept / secs,
            "redis_used_memory_peak_mib": red.peak_used / MiB,
            "redis_used_memory_added_mib": (red.peak_used - red.base) / MiB,
            "redis_job_keys_peak_mib": red.peak_job / MiB,
            "redis_job_keys_peak_parts_mib": {k: v / MiB for k, v in red.peak_parts.items()},
            "redis_window_left": window,
            "peak_rss_mib": {k: v / MiB for k, v in rss.peak.items()},
            "sealed_bytes": sealed, "sealed_bytes_per_record": sealed / max(kept, 1),
            "report_seconds_after_last_read": report_secs,
        }
        out["by_size"][str(n)] = row
        log(f"  {n:>8} records: {'ok' if row['ok'] else 'NOT OK ' + job['status']}, {secs:,.0f} s "
            f"({kept / secs:,.0f} rec/s); Redis: job keys peak {row['redis_job_keys_peak_mib']:.1f} MiB "
            f"({', '.join(f'{k} {v:.1f}' for k, v in row['redis_job_keys_peak_parts_mib'].items())}), used_memory "
            f"+{row['redis_used_memory_added_mib']:.1f} MiB; RSS API {row['peak_rss_mib']['api']:.0f} MiB, worker "
            f"{row['peak_rss_mib']['worker']:.0f} MiB; sealed {sealed / MiB:.1f} MiB "
            f"({row['sealed_bytes_per_record']:.0f} B/record); window left {window}; report stored "
            f"{report_secs:.0f} s after the last read")
    # The aim is flat from the next-to-largest size to the largest (100k -> 1M): the
    # smallest job's window is the whole job, sealed only at its end.
    small, large = str(sizes[-2] if len(sizes) > 1 else sizes[0]), str(sizes[-1])
    a, b = out["by_size"][small], out["by_size"][large]
    out["ratio_between"] = [int(small), int(large)]
    out["ratio"] = {
        "redis_job_keys": b["redis_job_keys_peak_mib"] / max(a["redis_job_keys_peak_mib"], 1e-9),
        "api_rss": b["peak_rss_mib"]["api"] / a["peak_rss_mib"]["api"],
        "worker_rss": b["peak_rss_mib"]["worker"] / a["peak_rss_mib"]["worker"],
    }
    log(f"  {large} / {small}: Redis job keys {out['ratio']['redis_job_keys']:.2f}x, API RSS "
        f"{out['ratio']['api_rss']:.2f}x, worker RSS {out['ratio']['worker_rss']:.2f}x")
    stack.restart_service()
    return out
