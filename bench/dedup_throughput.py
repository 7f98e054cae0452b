"""Section 5: embedding dedup, the embedder alone vs the dedup stage in a job.

Needs the embedding dedup stage's modules (service.providers.embedders and
service.store.vectors); until they are importable the section is skipped with a
message saying so.

1. Embedder alone: the OpenAI-compatible embedder pointed at the model server's
   /v1/embeddings embeds N texts (the replies the model server gives to the N
   prompts) in batches of 64, one batch at a time: the pattern the dedup stage uses
   (it embeds one gathered batch at a time so each batch sees everything kept before).
2. The stage in a job: a responses job over N prompts with
   {"dedup": {"field": "response", "exact": false, "embedding": {"threshold": 0.95}}},
   timed from POST to the job's end (records are not read back, to time the stage and
   not the reader); the same job without dedup is the reference (the memory section's
   run of that size when it used the same latency and concurrency, else a new run).
A job still running after `job_timeout` seconds is cancelled and its rate so far is
reported, marked as such.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from pathlib import Path
from typing import Any

from bench.common import Stack, http_json, log, prompts, run_job

DEDUP = {"field": "response", "exact": False, "embedding": {"threshold": 0.95}}
BATCH = 64


def unavailable() -> str | None:
    """Why the section cannot run, or None when it can."""
    for mod in ("service.providers.embedders", "service.store.vectors"):
        try:
            importlib.import_module(mod)
        except Exception as exc:  # ImportError, or the module failing on import
            return f"{mod} is not importable ({type(exc).__name__}: {exc}); the embedding dedup stage has not landed"
    return None


def open_embedder(stack: Stack) -> Any:
    """The OpenAI-compatible embedder aimed at the model server, as the worker builds it."""
    from service.providers import embedders

    env = stack.env()
    if hasattr(embedders, "open_embedder_for"):
        from service import settings as settings_mod

        return embedders.open_embedder_for(settings_mod.from_env(env))
    cfg = embedders.EmbedderConfig(kind="openai-compatible", base_url=env["SYNTHGEN_EMBEDDINGS_URL"],
                                   model=env["SYNTHGEN_EMBEDDINGS_MODEL"], dim=int(env["SYNTHGEN_EMBEDDINGS_DIM"]))
    return embedders.open_embedder(cfg)


async def embedder_alone(stack: Stack, texts: list[str]) -> float:
    emb = open_embedder(stack)
    try:
        await emb.embed(texts[:BATCH])  # warm-up: connection, first-call setup
        start = time.perf_counter()
        for i in range(0, len(texts), BATCH):
            vecs = await emb.embed(texts[i:i + BATCH])
            assert len(vecs) == len(texts[i:i + BATCH])
        return time.perf_counter() - start
    finally:
        await emb.aclose()


def job(stack: Stack, n: int, concurrency: int, dedup: bool, timeout: float) -> dict[str, Any]:
    spec: dict[str, Any] = {"recipe": "responses", "concurrency": concurrency, "generator": {"provider": "fake"},
                            "params": {"prompt_file": f"bench{n}"}}
    if dedup:
        spec["dedup"] = DEDUP
    secs, j, _ = asyncio.run(run_job(stack.api, spec, read_records=False, timeout=timeout))
    p = j["progress"]
    if j["timed_out"]:
        http_json("POST", f"{stack.api}/v1/jobs/{j['id']}/cancel")
    done = p["kept"] + p["rejected"]
    return {"seconds": secs, "kept": p["kept"], "rejected": p["rejected"], "rejected_by_reason": p["rejected_by_reason"],
            "status": j["status"], "timed_out": j["timed_out"], "rate": done / secs}


def section(stack: Stack, *, sizes: list[int], latency: float, concurrency: int, tmp: Path,
            job_timeout: float = 180.0, reference: dict[str, Any] | None = None) -> dict[str, Any]:
    """`reference`: the memory section's results; where it ran the same size at the same
    latency and concurrency, its job is the no-dedup reference instead of a new run."""
    why = unavailable()
    if why:
        log(f"  SKIP dedup: {why}")
        return {"skipped": why}
    from service.testing.fake_openai import default_reply

    stack.set_latency(latency)
    for n in sizes:
        name = f"bench{n}"
        if name not in stack.prompt_files:
            path = tmp / f"prompts-{n}.txt"
            path.write_text("\n".join(prompts(n)) + "\n")
            stack.prompt_files[name] = path
    stack.restart_service()
    out: dict[str, Any] = {"latency": latency, "concurrency": concurrency, "batch": BATCH, "by_size": {}}
    for n in sizes:
        texts = [default_reply(p, 40) for p in prompts(n)]
        secs = asyncio.run(embedder_alone(stack, texts))
        ref = (reference or {}).get("by_size", {}).get(str(n))
        if ref and reference.get("latency") == latency and reference.get("concurrency") == concurrency and ref.get("ok"):
            plain = {"rate": ref["rate"], "seconds": ref["seconds"], "kept": ref["records"], "from": "memory section"}
        else:
            plain = job(stack, n, concurrency, False, job_timeout)
        dd = job(stack, n, concurrency, True, job_timeout)
        row = {"embedder_rate": n / secs, "job_no_dedup": plain, "job_dedup": dd}
        errors = dd["rejected_by_reason"].get("dedup_error", 0)
        if errors:  # the stage failed on these candidates: the job's rate says nothing about dedup
            row["invalid"] = f"{errors} candidates rejected with dedup_error (the stage could not embed or index)"
            log(f"  WARNING {n}: {row['invalid']}")
        out["by_size"][str(n)] = row
        log(f"  {n:>7}: embedder alone {n / secs:8.0f} texts/s | job with embedding dedup {dd['rate']:8.0f} rec/s"
            f"{' (TIMED OUT, rate so far)' if dd['timed_out'] else ''} (kept {dd['kept']}, rejected {dd['rejected']})"
            f" | same job without dedup {plain['rate']:8.0f} rec/s")
    return out
