"""Section `cache`: the shared response cache (docs/costs.md), a job run twice.

The same responses job (temperature 0, `cache: true`, prompts this run has never sent)
is submitted twice against the model server answering in LATENCY s, on one worker: the
first run asks the provider for every prompt and stores the answers; the second finds
every one in Redis. Per round: each run's wall time (submit to last record read) and
the provider requests the model server itself counted (its meter, not synthgen's), so
the second run's figures show what the cache saves. A third run of the same prompts
without `cache` is the baseline the first is compared with (the cost of writing the
cache: the first run over the baseline).
"""

from __future__ import annotations

import asyncio
import statistics
import uuid
from typing import Any

from bench.common import Stack, http_json, log, run_job

LATENCY = 0.05


def section(stack: Stack, *, n: int, concurrency: int, rounds: int) -> dict[str, Any]:
    stack.set_latency(LATENCY)
    rows: list[dict[str, Any]] = []
    for k in range(rounds):
        tag = uuid.uuid4().hex[:8]
        prompts = [f"Cached bench {tag} question {i}: explain topic {i}." for i in range(n)]

        def spec(cache: bool) -> dict[str, Any]:
            return {"recipe": "responses", "generator": {"provider": "fake", "sampling": {"temperature": 0}},
                    "concurrency": concurrency, "cache": cache, "params": {"prompts": prompts}}

        row: dict[str, Any] = {}
        for name, body in (("baseline", spec(False)), ("first", spec(True)), ("second", spec(True))):
            before = http_json("GET", f"{stack.fake}/_control/stats", key=None)["requests"]
            seconds, job, read = asyncio.run(run_job(stack.api, body))
            sent = http_json("GET", f"{stack.fake}/_control/stats", key=None)["requests"] - before
            row[name] = {"seconds": round(seconds, 3), "provider_requests": sent, "records": read,
                         "cache_hits": job["cost"]["cache_hits"], "status": job["status"]}
        log(f"  round {k + 1}: baseline {row['baseline']['seconds']:.2f}s / {row['baseline']['provider_requests']} req, "
            f"first {row['first']['seconds']:.2f}s / {row['first']['provider_requests']} req, "
            f"second {row['second']['seconds']:.2f}s / {row['second']['provider_requests']} req "
            f"({row['second']['cache_hits']} hits)")
        rows.append(row)

    def med(run: str, field: str) -> float:
        return statistics.median(r[run][field] for r in rows)

    return {
        "n": n, "concurrency": concurrency, "latency": LATENCY, "rounds": rows,
        "baseline_seconds": med("baseline", "seconds"), "first_seconds": med("first", "seconds"),
        "second_seconds": med("second", "seconds"),
        "second_over_first": round(med("second", "seconds") / med("first", "seconds"), 3),
        "first_over_baseline": round(med("first", "seconds") / med("baseline", "seconds"), 3),
        "first_requests": med("first", "provider_requests"), "second_requests": med("second", "provider_requests"),
    }
