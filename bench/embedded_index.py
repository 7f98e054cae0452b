"""Which embedded vector index should the dedup stage use when no QDRANT_URL is set?

Measures the dedup stage's index work, one batched `nearest` then one `upsert` per
batch of 64 new vectors, in vectors/s, with 10k and 100k random unit vectors of 384
dims already stored, for each candidate:

- numpy        service.store.vectors.NumpyIndex (exact, one matrix product per batch)
- qdrant-local qdrant-client local mode (AsyncQdrantClient(path=...)) behind
               service.store.vectors.QdrantServerIndex
- edge         qdrant-edge-py (Qdrant's engine in-process), plain segments as written
- edge-hnsw    the same after EdgeShard.optimize() built the HNSW index (opt-in:
               --edge-hnsw; the build time is reported, and it is paid again as points
               are added)

With --embedders it also measures what the index work is compared with: MiniLM
sentences/s (service.providers.embedders.MiniLMEmbedder) and the fake server's
/v1/embeddings through OpenAIEmbedder, and prints the overhead each index adds to the
stage (index time / embedding time per vector).

    python -m bench.embedded_index                      # indexes only, 10k and 100k
    python -m bench.embedded_index --embedders --edge-hnsw --sizes 10000
    python -m bench.embedded_index --candidates numpy,edge --sizes 10000,100000

Each measurement stops after --batches batches or --seconds seconds, whichever is
first (at least 2 batches), so a slow candidate does not hold a shared machine for
minutes. Numbers vary with the machine's load; run it twice when it matters.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.store.vectors import NumpyIndex, QdrantServerIndex, unit_rows  # noqa: E402 (after the sys.path line)

DIM = 384
BATCH = 64
FILL_BATCH = 1000
CANDIDATES = ("numpy", "qdrant-local", "edge")


def random_units(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


class EdgeIndex:
    """qdrant-edge-py behind the VectorIndex protocol (bench only: it is not the chosen one)."""

    def __init__(self, root: str, hnsw: bool = False):
        import qdrant_edge as qe

        self.qe = qe
        self.root = Path(root)
        self.hnsw = hnsw
        self.shards: dict[str, Any] = {}

    async def ensure(self, collection: str, dim: int) -> None:
        qe = self.qe
        config = qe.EdgeConfig(vectors=qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine))
        path = self.root / collection
        self.shards[collection] = (qe.EdgeShard.load(str(path)) if path.exists()
                                   else qe.EdgeShard.create(str(path), config))

    def _nearest(self, collection: str, rows: np.ndarray) -> list[tuple[str | None, float]]:
        qe = self.qe
        requests = [qe.QueryRequest(limit=1, query=qe.Query.Nearest(r.tolist()), with_payload=True) for r in rows]
        answers = self.shards[collection].query_batch(qe.QueryBatchRequest(requests))
        return [(a[0].payload["_id"], a[0].score) if a else (None, 0.0) for a in answers]

    async def nearest(self, collection: str, vectors: np.ndarray) -> list[tuple[str | None, float]]:
        return await asyncio.to_thread(self._nearest, collection, unit_rows(vectors, DIM))

    def _upsert(self, collection: str, ids: list[str], rows: np.ndarray, payloads: list[dict]) -> None:
        qe = self.qe
        points = [qe.Point(str(uuid.uuid5(uuid.NAMESPACE_URL, i)), r.tolist(), {**p, "_id": i})
                  for i, r, p in zip(ids, rows, payloads)]
        self.shards[collection].update(qe.UpdateOperation.upsert_points(points))

    async def upsert(self, collection: str, ids: list[str], vectors: np.ndarray, payloads: list[dict]) -> None:
        await asyncio.to_thread(self._upsert, collection, ids, unit_rows(vectors, DIM), payloads)

    async def count(self, collection: str) -> int:
        return self.shards[collection].count(self.qe.CountRequest(exact=True))

    def build(self, collection: str) -> float:
        start = time.perf_counter()
        self.shards[collection].optimize()
        return time.perf_counter() - start

    async def aclose(self) -> None:
        for shard in self.shards.values():
            shard.close()
        self.shards.clear()


def make(candidate: str, root: str) -> Any:
    if candidate == "numpy":
        return NumpyIndex(root)
    if candidate == "qdrant-local":
        from qdrant_client import AsyncQdrantClient

        return QdrantServerIndex(client=AsyncQdrantClient(path=root))
    if candidate in ("edge", "edge-hnsw"):
        return EdgeIndex(root, hnsw=candidate == "edge-hnsw")
    raise SystemExit(f"unknown candidate {candidate!r}")


async def measure_index(candidate: str, stored: int, batches: int, seconds: float, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    root = tempfile.mkdtemp(prefix=f"bench-{candidate}-")
    index = make(candidate, root)
    try:
        await index.ensure("bench", DIM)
        start = time.perf_counter()
        for lo in range(0, stored, FILL_BATCH):
            n = min(FILL_BATCH, stored - lo)
            await index.upsert("bench", [f"fill-{lo + i}" for i in range(n)], random_units(rng, n), [{}] * n)
        fill = time.perf_counter() - start
        build = index.build("bench") if candidate == "edge-hnsw" else None
        queries = [random_units(rng, BATCH) for _ in range(batches)]
        done, start = 0, time.perf_counter()
        for k, q in enumerate(queries):
            hits = await index.nearest("bench", q)
            assert len(hits) == BATCH and all(h[0] is not None for h in hits)
            await index.upsert("bench", [f"new-{k}-{i}" for i in range(BATCH)], q, [{}] * BATCH)
            done += 1
            if done >= 2 and time.perf_counter() - start > seconds:
                break
        elapsed = time.perf_counter() - start
        count = await index.count("bench")
        assert count == stored + done * BATCH, (count, stored, done)
        return {"candidate": candidate, "stored": stored, "fill_s": fill, "build_s": build, "batches": done,
                "rate": done * BATCH / elapsed, "ms_per_batch": 1000 * elapsed / done}
    finally:
        await index.aclose()
        shutil.rmtree(root, ignore_errors=True)


def sentences(n: int, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    words = ["data", "model", "answer", "question", "reason", "simple", "careful", "system", "process", "result", "change", "example", "people", "world", "plan", "step", "story", "theory", "study", "market", "report", "service", "practice", "quality"]
    return [f"Explain how the {' '.join(rng.choice(words, 12))} works, step {i}, for a curious student."
            for i in range(n)]


async def measure_minilm(n: int) -> dict[str, Any]:
    from service.providers.embedders import MiniLMEmbedder, load_minilm

    start = time.perf_counter()
    await asyncio.to_thread(load_minilm)
    load = time.perf_counter() - start
    embedder = MiniLMEmbedder(batch_size=BATCH)
    texts = sentences(n)
    await embedder.embed(texts[:BATCH])  # warm-up
    start = time.perf_counter()
    await embedder.embed(texts)
    return {"name": "MiniLM (torch, 2 threads)", "rate": n / (time.perf_counter() - start), "load_s": load}


async def measure_fake(n: int) -> dict[str, Any]:
    from service.providers.embedders import OpenAIEmbedder

    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "url"
        proc = subprocess.Popen([sys.executable, "-m", "service.testing.fake_openai", "--port", "0",
                                 "--ready-file", str(ready)], cwd=ROOT, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not (ready.exists() and ready.read_text().strip()):
                if time.monotonic() > deadline:
                    raise SystemExit("fake server did not start")
                await asyncio.sleep(0.05)
            embedder = OpenAIEmbedder(base_url=ready.read_text().strip() + "/v1", model="fake-embedding",
                                      dim=DIM, batch_size=BATCH)
            texts = sentences(n)
            await embedder.embed(texts[:BATCH])
            start = time.perf_counter()
            await embedder.embed(texts)
            rate = n / (time.perf_counter() - start)
            await embedder.aclose()
        finally:
            proc.terminate()
            proc.wait(10)
    return {"name": "fake /v1/embeddings (OpenAIEmbedder)", "rate": rate, "load_s": None}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="stored points before measuring")
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--edge-hnsw", action="store_true", help="also measure edge after building HNSW")
    parser.add_argument("--batches", type=int, default=30, help="batches of 64 per measurement, at most")
    parser.add_argument("--seconds", type=float, default=10.0, help="time per measurement, at most")
    parser.add_argument("--embedders", action="store_true", help="also measure MiniLM and the fake server")
    parser.add_argument("--texts", type=int, default=512, help="texts per embedder measurement")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    candidates = [c for c in args.candidates.split(",") if c]
    if args.edge_hnsw:
        candidates.append("edge-hnsw")

    print(f"# {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; "
          f"{DIM} dims, batches of {BATCH}", flush=True)
    results = []
    print(f"{'index':<13}{'stored':>8}{'fill s':>9}{'build s':>9}{'batches':>9}{'ms/batch':>10}{'vectors/s':>11}",
          flush=True)
    for size in sizes:
        for candidate in candidates:
            r = asyncio.run(measure_index(candidate, size, args.batches, args.seconds, args.seed))
            results.append(r)
            build = f"{r['build_s']:.1f}" if r["build_s"] is not None else "-"
            print(f"{candidate:<13}{size:>8}{r['fill_s']:>9.1f}{build:>9}{r['batches']:>9}"
                  f"{r['ms_per_batch']:>10.1f}{r['rate']:>11.0f}", flush=True)
    if not args.embedders:
        return
    embedders = [asyncio.run(measure_minilm(args.texts)), asyncio.run(measure_fake(args.texts * 8))]
    print()
    for e in embedders:
        load = f" (model load {e['load_s']:.1f} s)" if e["load_s"] is not None else ""
        print(f"{e['name']}: {e['rate']:.0f} texts/s{load}")
    print("\nindex time as a share of embedding time (the stage's overhead over embedding alone):")
    print(f"{'index':<13}" + "".join(f"{f'{n} @{e}':>22}" for e in ("MiniLM", "fake") for n in sizes))
    for candidate in candidates:
        rates = {r["stored"]: r["rate"] for r in results if r["candidate"] == candidate}
        cells = [f"{100 * e['rate'] / rates[n]:>21.1f}%" for e in embedders for n in sizes]
        print(f"{candidate:<13}" + "".join(cells))
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        print(f"\nslowdown of embed+index from {lo} to {hi} stored points:")
        for candidate in candidates:
            rates = {r["stored"]: r["rate"] for r in results if r["candidate"] == candidate}
            cells = []
            for e in embedders:
                t_lo, t_hi = 1 / e["rate"] + 1 / rates[lo], 1 / e["rate"] + 1 / rates[hi]
                cells.append(f"{e['name'].split()[0]} {100 * (t_hi / t_lo - 1):.1f}%")
            print(f"{candidate:<13}" + "   ".join(cells))


if __name__ == "__main__":
    main()
