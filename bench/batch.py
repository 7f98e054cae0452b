"""Section `batch`: the batch path's overhead per record (docs/costs.md, "Provider batch
mode"), side by side with the same job online.

A responses job (prompts this run has never sent, concurrency = its size, so the whole
job is one batch) runs on one worker, of N and of 4N prompts, online (no deadline,
provider `fake`, the model server answering at once) and batched (a 48 h deadline,
provider `batched`: the same server's Batch API with `batch_seconds` 0, its lines
answered back to back: what is measured is synthgen's own work around a batch, not a
provider's queue). Per round: each run's wall time (submit to last record read) and
what the model server counted (online requests, batch lines uploaded). The cost per
record of each path is the slope (t(4N) - t(N)) / 3N, which leaves out the fixed waits
(the batch path's `batch_collect_seconds` and up to one `batch_poll_seconds`, 0.2 s
each here: shown by the N-sized runs' wall time); batched minus online is the batch
path's overhead per record (JSONL building, upload, download, matching by custom_id,
against one HTTP request each).
"""

from __future__ import annotations

import asyncio
import statistics
import uuid
from typing import Any

from bench.common import Stack, http_json, log, run_job

LATENCY = 0.0
COLLECT = 0.2
POLL = 0.2
PROVIDERS = f"""
[providers.batched]
kind = "openai-compatible"
base_url = "{{fake}}/v1"
models = ["fake-model"]
concurrency = 1024
licence = "bench"
batch = true
batch_collect_seconds = {COLLECT}
batch_poll_seconds = {POLL}
"""


def _stats(stack: Stack) -> tuple[int, int]:
    s = http_json("GET", f"{stack.fake}/_control/stats", key=None)
    return int(s["requests"]), int(s["batches"]["requests"])


def _run(stack: Stack, n: int, batched: bool) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    prompts = [f"Batch bench {tag} question {i}: explain topic {i}." for i in range(n)]
    extra = {"generator": {"provider": "batched"}, "deadline": 2 * 86400} if batched else {
        "generator": {"provider": "fake"}}
    body = {"recipe": "responses", "concurrency": n, "params": {"prompts": prompts}, **extra}
    online0, lines0 = _stats(stack)
    seconds, job, read = asyncio.run(run_job(stack.api, body))
    online1, lines1 = _stats(stack)
    return {"seconds": round(seconds, 3), "online_requests": online1 - online0, "batch_lines": lines1 - lines0,
            "records": read, "status": job["status"], "batch_calls": job["cost"].get("batch_calls", 0)}


def section(stack: Stack, *, n: int, rounds: int) -> dict[str, Any]:
    stack.set_latency(LATENCY)
    http_json("POST", f"{stack.fake}/_control/config", {"batch_seconds": 0.0}, key=None)
    big = 4 * n
    rows: list[dict[str, Any]] = []
    try:
        for k in range(rounds):
            row: dict[str, Any] = {}
            for mode in ("online", "batched"):
                small_run, big_run = _run(stack, n, mode == "batched"), _run(stack, big, mode == "batched")
                row[mode] = {"small": small_run, "big": big_run,
                             "ms_per_record": round((big_run["seconds"] - small_run["seconds"]) / (big - n) * 1000, 3)}
            log(f"  round {k + 1}: online {row['online']['small']['seconds']:.2f}s / {row['online']['big']['seconds']:.2f}s "
                f"({row['online']['ms_per_record']:.2f} ms/record), batched {row['batched']['small']['seconds']:.2f}s / "
                f"{row['batched']['big']['seconds']:.2f}s ({row['batched']['ms_per_record']:.2f} ms/record; "
                f"{row['batched']['big']['batch_lines']} lines, {row['batched']['big']['online_requests']} online)")
            rows.append(row)
    finally:
        http_json("POST", f"{stack.fake}/_control/config", {"batch_seconds": 0.5}, key=None)

    def med(mode: str, field: str) -> float:
        return statistics.median(r[mode][field] for r in rows)

    return {
        "n": [n, big], "latency": LATENCY, "collect_seconds": COLLECT, "poll_seconds": POLL, "rounds": rows,
        "online_ms_per_record": med("online", "ms_per_record"), "batched_ms_per_record": med("batched", "ms_per_record"),
        "batched_small_seconds": statistics.median(r["batched"]["small"]["seconds"] for r in rows),
        "online_small_seconds": statistics.median(r["online"]["small"]["seconds"] for r in rows),
    }
