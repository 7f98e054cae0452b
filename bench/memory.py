"""Section 3: API and worker peak RSS for a small and a large responses job.

For each size the API and the worker are restarted (fresh processes), then one
responses job over a registered prompt file of that many prompts runs against the
model server at low latency and high concurrency, while its records are read back
over HTTP in pages of 10,000 as they are committed. RSS of both processes is sampled
every 50 ms from before the POST until the last record was read. Flat (peak at the
large size within 1.2x of the small one) is the aim: memory that grows with the job
is memory a long job eventually runs out of.

The prompts come from a registered prompt file (SYNTHGEN_PROMPT_FILES) rather than
inline, so the job spec (and every GET of the job) stays small at 100k records.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bench.common import Profiler, RssSampler, Stack, log, prompts, run_job

MiB = 1024 * 1024


def per_job_structures(n: int, path: Path) -> dict[str, float]:
    """MiB held for the whole run by the per-item structures a responses job builds in the
    worker, rebuilt here the same way (service/recipes/responses.py run(): the prompts
    from load_prompts, a `PromptFile` holding the file's line offsets; service/pipeline/
    run.py: the `done` set, which holds the ids of the chunks in flight, at most
    MAX_CHUNK_ITEMS a chunk), measured with tracemalloc. It explains the worker's growth
    with job size without touching the worker."""
    import tracemalloc

    from service import defaults
    from service.recipes.base import load_prompts
    from service.settings import Settings

    settings = Settings(prompt_files={"f": str(path)})
    job_id = "job_0123456789ab0123456789ab"
    out: dict[str, float] = {}
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        prompts_ = load_prompts(None, "f", settings, "params")
        now, peak = tracemalloc.get_traced_memory()
        out["prompts (line offsets)"] = (now - base) / MiB
        # reading the file a block at a time, freed when the index is built
        out["load_prompts transient"] = (peak - now) / MiB
        base = tracemalloc.get_traced_memory()[0]
        width = len(str(len(prompts_)))
        done = {f"{job_id}.p{i:0{width}d}" for i in range(min(n, 2 * defaults.MAX_CHUNK_ITEMS))}
        out["done set (two chunks in flight)"] = (tracemalloc.get_traced_memory()[0] - base) / MiB
        del prompts_, done
    finally:
        tracemalloc.stop()
    return out


def section(stack: Stack, *, sizes: list[int], latency: float, concurrency: int, tmp: Path,
            profile: bool = False) -> dict[str, Any]:
    files = {}
    for n in sizes:
        path = tmp / f"prompts-{n}.txt"
        path.write_text("\n".join(prompts(n)) + "\n")
        files[f"bench{n}"] = path
    stack.prompt_files.update(files)
    stack.set_latency(latency)
    out: dict[str, Any] = {"latency": latency, "concurrency": concurrency, "by_size": {}}
    for n in sizes:
        stack.restart_service()
        spec = {"recipe": "responses", "concurrency": concurrency, "generator": {"provider": "fake"},
                "params": {"prompt_file": f"bench{n}"}}
        # One tiny job first so both processes have imported and connected what a job needs.
        asyncio.run(run_job(stack.api, {**spec, "params": {"prompts": prompts(20)}}))
        pids = stack.service_pids()
        with RssSampler(pids) as rss, Profiler(pids, tmp, f"memory-{n}", enabled=profile and n == sizes[-1]) as prof:
            secs, job, read = asyncio.run(run_job(stack.api, spec, timeout=900))
        kept = job["progress"]["kept"]
        ok = job["status"] == "succeeded" and read == kept == n
        row = {
            "records": kept, "read": read, "ok": ok, "seconds": secs, "rate": kept / secs,
            "start_rss_mib": {k: v / MiB for k, v in rss.start_rss.items()},
            "peak_rss_mib": {k: v / MiB for k, v in rss.peak.items()},
        }
        if prof.enabled:
            row["profile"] = {name: prof.top(name, 25) for name in prof.files}
        out["by_size"][str(n)] = row
        log(f"  {n:>7} records: {'ok' if ok else 'NOT OK ' + job['status']}, {kept / secs:,.0f} rec/s; peak RSS "
            f"API {row['peak_rss_mib']['api']:.0f} MiB (start {row['start_rss_mib']['api']:.0f}), "
            f"worker {row['peak_rss_mib']['worker']:.0f} MiB (start {row['start_rss_mib']['worker']:.0f})")
    small, large = str(sizes[0]), str(sizes[-1])
    held = {n: per_job_structures(int(n), files[f"bench{n}"]) for n in (small, large)}
    out["per_job_structures_mib"] = held
    grow = {k: held[large][k] - held[small][k] for k in held[large]}
    log(f"  worker structures per job ({large} vs {small} items, rebuilt with tracemalloc): "
        + ", ".join(f"{k} +{v:.1f} MiB" for k, v in grow.items()))
    out["ratio"] = {k: out["by_size"][large]["peak_rss_mib"][k] / out["by_size"][small]["peak_rss_mib"][k]
                    for k in ("api", "worker")}
    log(f"  peak RSS {large} / {small}: API {out['ratio']['api']:.2f}x, worker {out['ratio']['worker']:.2f}x (aim <= 1.2x)")
    # Leave the stack as the next section expects it.
    stack.restart_service()
    return out
