"""Dedup throughput: the embedding dedup stage vs the embedder alone, at 10k and 100k.

  .venv/bin/python bench/dedup_stage.py [--sizes 10000 100000] [--embedder fake|minilm]

Both sides embed the same N distinct texts in batches of 64; the stage also checks
each batch against the embedded vector index (one batched nearest call), deduplicates
within the batch and upserts the survivors, exactly as in a job (DedupStage, with the
candidates offered 256 at a time as the pipeline does). The embedder is the fake
server's /v1/embeddings by default (so 100k finishes quickly) or the embedded MiniLM.
Printed: records/s of each, the overhead of the stage over embedding alone, and the
slow-down of the stage from the smallest to the largest size.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ("alpha bridge candle delta ember forest garden harbor island jungle kettle lantern meadow "
         "nectar orchard pepper quartz river saddle timber umbrella valley willow yonder zephyr "
         "amber basil cedar dune falcon glacier hazel iris juniper kelp lotus maple nutmeg olive "
         "pine quill rose sage thyme umber violet walnut yarrow zinc").split()


def texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [f"item {i} " + " ".join(rng.choice(WORDS) for _ in range(18)) for i in range(n)]


def start_fake() -> tuple[subprocess.Popen, str]:
    ready = Path(tempfile.mkdtemp()) / "url"
    proc = subprocess.Popen([sys.executable, "-m", "service.testing.fake_openai", "--port", "0", "--latency", "0",
                             "--ready-file", str(ready)], cwd=ROOT, stdout=subprocess.DEVNULL)
    for _ in range(200):
        if ready.exists() and ready.read_text().strip():
            return proc, ready.read_text().strip()
        time.sleep(0.05)
    raise SystemExit("fake server did not start")


async def embed_alone(embedder, items: list[str], batch: int = 64, inflight: int = 4) -> float:
    sem = asyncio.Semaphore(inflight)

    async def one(chunk: list[str]) -> None:
        async with sem:
            await embedder.embed(chunk)

    start = time.perf_counter()
    await asyncio.gather(*(one(items[i:i + batch]) for i in range(0, len(items), batch)))
    return len(items) / (time.perf_counter() - start)


async def through_stage(runtime, items: list[str], inflight: int = 256) -> tuple[float, int]:
    from service.domain.specs import DedupSpec, EmbeddingDedup
    from service.pipeline.dedup import DedupStage
    from service.pipeline.stages import Candidate

    job_id = f"bench{random.randrange(10**9)}"
    run = SimpleNamespace(job_id=job_id, tenant="bench", env=runtime.env, runtime=runtime,
                          item_id=lambda key: f"{job_id}.{key}")
    stage = DedupStage(DedupSpec(field="response", exact=False, embedding=EmbeddingDedup(threshold=0.95)), run)
    sem = asyncio.Semaphore(inflight)
    rejected = 0

    async def one(i: int, text: str) -> None:
        nonlocal rejected
        async with sem:
            if await stage.check(Candidate(key=f"k{i}", data={}, text=text)) is not None:
                rejected += 1

    start = time.perf_counter()
    await asyncio.gather(*(one(i, t) for i, t in enumerate(items)))
    return len(items) / (time.perf_counter() - start), rejected, stage.collection


def ivf_recall(index, collection: str, probes: int = 500, noise: float = 0.02) -> float | None:
    """Share of near-duplicate queries (a stored vector plus noise, cosine ~0.95) whose
    nearest neighbour by the index's fast path is the one exact search finds."""
    import numpy as np

    coll = getattr(index, "_open", None) and index._open(collection)
    if coll is None or getattr(coll, "ivf", None) is None:
        return None
    rng = np.random.default_rng(1)
    rows = rng.choice(coll.n, size=min(probes, coll.n), replace=False)
    q = coll.mat[rows] + rng.normal(0, noise, size=(len(rows), coll.dim)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    fast = coll.nearest(q)
    exact = coll.nearest(q, exact=True)
    return sum(f[0] == e[0] for f, e in zip(fast, exact)) / len(rows)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--embedder", choices=["fake", "minilm"], default="fake")
    args = ap.parse_args()

    from service.settings import from_env
    from service.worker.runtime import WorkerRuntime

    proc = None
    env = {"SYNTHGEN_REDIS_URL": "redis://127.0.0.1:6379/12", "SYNTHGEN_STATE_DIR": tempfile.mkdtemp()}
    if args.embedder == "fake":
        proc, url = start_fake()
        env |= {"SYNTHGEN_EMBEDDINGS_URL": f"{url}/v1", "SYNTHGEN_EMBEDDINGS_MODEL": "fake-embedding"}
    runtime = WorkerRuntime(from_env(env))
    try:
        embedder, index = await runtime.backend()
        rows = []
        for n in args.sizes:
            items = texts(n, seed=n)
            alone = await embed_alone(embedder, items)
            staged, rejected, collection = await through_stage(runtime, items)
            rows.append((n, alone, staged, rejected))
            recall = ivf_recall(index, collection)
            extra = f", IVF recall vs exact {recall:.1%}" if recall is not None else ", exact search"
            print(f"{n:>7} records: embedder alone {alone:8.0f} rec/s   dedup stage {staged:8.0f} rec/s   "
                  f"stage overhead {alone / staged - 1:+.1%}   ({rejected} near-duplicates{extra})", flush=True)
        first, last = rows[0], rows[-1]
        print(f"\nembedder: {type(embedder).__name__}; index: {type(index).__name__}")
        print(f"stage slow-down {first[0]} -> {last[0]} records: {1 - last[2] / first[2]:+.1%} "
              f"(aim <= 20%); stage overhead over embedding alone at {last[0]}: {last[1] / last[2] - 1:+.1%} (aim <= 10%)")
    finally:
        await embedder.aclose()
        if proc:
            proc.terminate()


if __name__ == "__main__":
    asyncio.run(main())
