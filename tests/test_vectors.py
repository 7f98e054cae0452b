"""Embedders and vector indexes (service.providers.embedders, service.store.vectors).

- MiniLM runs for real (marked `minilm`; the model loads once, ~8 s on 2 cores).
- OpenAIEmbedder talks to the fake OpenAI-compatible server (conftest's `fake`), and to
  a tiny loopback server here where a test must see the request headers.
- Every index test runs against the embedded NumpyIndex and against QdrantServerIndex on
  qdrant-client's in-memory mode (the same client calls as against a server); a real
  Qdrant server is used too when SYNTHGEN_TEST_QDRANT_URL or QDRANT_URL names one,
  and those cases are skipped otherwise (no Qdrant binary ships on this machine).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from aiohttp import web

from service.providers.base import ProviderError
from service.providers.embedders import (
    EmbedderConfig,
    MiniLMConfig,
    MiniLMEmbedder,
    OpenAIEmbedder,
    OpenAIEmbedderConfig,
    open_embedder,
)
from service.store.vectors import (
    ID_KEY,
    CollectionNotFound,
    NumpyIndex,
    QdrantServerIndex,
    open_index,
    point_id,
)
from service.testing.fake_openai import embed as fake_embed

from support import ROOT, Fake

DIM = 8
QDRANT_URL = os.environ.get("SYNTHGEN_TEST_QDRANT_URL") or os.environ.get("QDRANT_URL")


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# --- MiniLM -------------------------------------------------------------------------

PARAPHRASES = [
    ("How do I bake sourdough bread at home?", "What is the way to make sourdough bread in my own kitchen?"),
    ("The cat is sleeping on the warm windowsill.", "A cat naps on the sunny window ledge."),
    ("Write a Python function that reverses a string.", "Implement a Python function to reverse a given string."),
]
UNRELATED = [
    ("How do I bake sourdough bread at home?", "The central bank raised interest rates by half a point."),
    ("The cat is sleeping on the warm windowsill.", "Write a Python function that reverses a string."),
    ("Explain photosynthesis to a ten-year-old.", "List the largest ports in northern Europe."),
]


@pytest.mark.minilm
def test_minilm_puts_paraphrases_close_and_unrelated_far() -> None:
    async def body() -> tuple[np.ndarray, np.ndarray]:
        e = MiniLMEmbedder(batch_size=4)
        a = await e.embed([p[0] for p in PARAPHRASES + UNRELATED])
        b = await e.embed([p[1] for p in PARAPHRASES + UNRELATED])
        await e.aclose()
        return a, b

    a, b = asyncio.run(body())
    assert a.shape == (6, 384) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    cos = (a * b).sum(axis=1)
    # Measured: paraphrases 0.74, 0.88, 0.96; unrelated pairs -0.01-0.00. The bounds leave room
    # for float noise, not for a wrong model or missing normalisation.
    assert (cos[:3] > 0.65).all(), cos
    assert (cos[3:] < 0.25).all(), cos
    assert cos[:3].min() - cos[3:].max() > 0.5, cos


@pytest.mark.minilm
def test_minilm_is_deterministic_handles_empty_and_keeps_the_loop_running() -> None:
    async def body() -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        e = open_embedder(MiniLMConfig(batch_size=16))
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        texts = [f"Sentence number {i} about a topic of its own." for i in range(40)]
        first = await e.embed(texts)
        task.cancel()
        again = await e.embed(texts[:3])
        empty = await e.embed([])
        return first, again, empty, ticks

    first, again, empty, ticks = asyncio.run(body())
    assert first.shape == (40, 384)
    assert np.allclose(first[:3], again, atol=1e-5)
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    assert ticks >= 5  # encode ran in a thread: the event loop kept ticking


# --- OpenAI-compatible embedder -------------------------------------------------------

def test_openai_embedder_batches_and_normalises(fake: Fake) -> None:
    texts = [f"record {i}: the {'quick' if i % 2 else 'slow'} brown fox number {i}" for i in range(150)]

    async def body() -> np.ndarray:
        e = OpenAIEmbedder(base_url=f"{fake.url}/v1", model="fake-embedding", dim=384, batch_size=64)
        try:
            return await e.embed(texts)
        finally:
            await e.aclose()

    out = asyncio.run(body())
    assert out.shape == (150, 384) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    expected = np.array([fake_embed(t, 384) for t in texts], dtype=np.float32)
    assert np.allclose(out, expected, atol=1e-5)  # in input order
    sizes = sorted(len(r["body"]["input"]) for r in fake.requests() if r["endpoint"] == "embeddings")
    assert sizes == [22, 64, 64]
    assert all(r["body"]["model"] == "fake-embedding" for r in fake.requests())


def test_openai_embedder_retries_429_honouring_retry_after_and_5xx(fake: Fake) -> None:
    fake.configure(rate_limit_first=2, retry_after=0.4, fault_endpoints=["embeddings"])

    async def body(cfg: OpenAIEmbedderConfig) -> tuple[np.ndarray, int, float]:
        e = open_embedder(cfg)
        assert isinstance(e, OpenAIEmbedder)
        start = time.monotonic()
        try:
            return await e.embed(["alpha beta", "gamma delta"]), e.retries, time.monotonic() - start
        finally:
            await e.aclose()

    cfg = OpenAIEmbedderConfig(base_url=f"{fake.url}/v1", model="m", dim=384, concurrency=1)
    out, retries, elapsed = asyncio.run(body(cfg))
    assert out.shape == (2, 384) and retries == 2
    assert elapsed >= 0.8  # waited Retry-After (0.4 s) twice
    assert fake.stats()["faults"]["429"] == 2

    fake.configure(fail_first=2, fault_endpoints=["embeddings"])
    out, retries, _ = asyncio.run(body(cfg))
    assert retries == 2 and fake.stats()["faults"]["500"] == 2

    fake.configure(fail_first=5, fault_endpoints=["embeddings"])
    with pytest.raises(ProviderError, match="gave up after 2 attempts") as err:
        asyncio.run(body(msgspec.structs.replace(cfg, max_retries=1)))
    assert not err.value.fatal


def test_openai_embedder_sends_the_key_and_never_shows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-" + uuid.uuid4().hex
    monkeypatch.setenv("EMB_TEST_KEY", secret)
    seen: list[str | None] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") != f"Bearer {secret}":
            return web.json_response({"error": {"message": "bad key"}}, status=401)
        body = await request.json()
        return web.json_response({"data": [{"index": i, "embedding": [3.0, 4.0]}
                                           for i in range(len(body["input"]))]})

    async def body() -> tuple[np.ndarray, ProviderError, ProviderError]:
        app = web.Application()
        app.router.add_post("/v1/embeddings", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}/v1"
        try:
            good = OpenAIEmbedder(base_url=base, model="m", dim=2, api_key_env="EMB_TEST_KEY")
            out = await good.embed(["x", "y"])
            await good.aclose()
            monkeypatch.setenv("EMB_TEST_KEY", secret + "-revoked")
            bad = OpenAIEmbedder(base_url=base, model="m", dim=2, api_key_env="EMB_TEST_KEY")
            with pytest.raises(ProviderError) as unauthorised:
                await bad.embed(["x"])
            await bad.aclose()
            monkeypatch.setenv("EMB_TEST_KEY", secret)
            wrong_dim = OpenAIEmbedder(base_url=base, model="m", dim=3, api_key_env="EMB_TEST_KEY")
            with pytest.raises(ProviderError) as mismatch:
                await wrong_dim.embed(["x"])
            await wrong_dim.aclose()
            return out, unauthorised.value, mismatch.value
        finally:
            await runner.cleanup()

    out, unauthorised, mismatch = asyncio.run(body())
    assert np.allclose(out, [[0.6, 0.8], [0.6, 0.8]])
    # one request each: a 401 is not retried
    assert seen == [f"Bearer {secret}", f"Bearer {secret}-revoked", f"Bearer {secret}"]
    assert unauthorised.fatal and unauthorised.status == 401
    assert secret not in str(unauthorised) and secret not in repr(unauthorised.args)
    assert mismatch.fatal and "configured dim is 3" in str(mismatch)


def test_embedder_config() -> None:
    cfg = msgspec.convert({"kind": "openai-compatible", "base_url": "http://h/v1", "model": "e5", "dim": 768},
                          EmbedderConfig)
    assert cfg.batch_size == 64 and isinstance(open_embedder(cfg), OpenAIEmbedder)
    assert isinstance(open_embedder(MiniLMConfig()), MiniLMEmbedder)  # cheap: loads on first embed
    with pytest.raises(msgspec.ValidationError, match="missing required field `dim`"):
        msgspec.convert({"kind": "openai-compatible", "base_url": "http://h/v1", "model": "e5"}, EmbedderConfig)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"kind": "word2vec"}, EmbedderConfig)
    with pytest.raises(ValueError, match="384"):
        MiniLMConfig(dim=768)
    with pytest.raises(ValueError, match="batch_size"):
        MiniLMConfig(batch_size=0)
    # The union opens itself: each kind decodes to its own class, which refuses another
    # kind's fields by name, and checks what msgspec does not when built in code.
    assert type(msgspec.convert({"kind": "minilm"}, EmbedderConfig)) is MiniLMConfig
    with pytest.raises(msgspec.ValidationError, match="unknown field `base_url`"):
        msgspec.convert({"kind": "minilm", "base_url": "http://h/v1"}, EmbedderConfig)
    with pytest.raises(ValueError, match="dim must be between"):
        OpenAIEmbedderConfig(base_url="http://h/v1", model="e5", dim=0)


# --- Vector indexes ---------------------------------------------------------------------

IndexFactory = Callable[[], Any]


@pytest.fixture(params=["numpy", "qdrant-memory", "qdrant-server"])
def make_index(request: pytest.FixtureRequest, tmp_path: Path) -> IndexFactory:
    """A factory called inside the test's event loop (async clients belong to one loop)."""
    if request.param == "numpy":
        return lambda: open_index(None, str(tmp_path))
    if request.param == "qdrant-memory":
        from qdrant_client import AsyncQdrantClient

        return lambda: QdrantServerIndex(client=AsyncQdrantClient(location=":memory:"))
    if not QDRANT_URL:
        pytest.skip("no Qdrant server: set SYNTHGEN_TEST_QDRANT_URL (or QDRANT_URL) to test against one")
    return lambda: open_index(QDRANT_URL, str(tmp_path))


def run(make: IndexFactory, body: Callable[[Any, str], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        index = make()
        name = f"t-{uuid.uuid4().hex[:12]}"
        try:
            return await body(index, name)
        finally:
            if isinstance(index, QdrantServerIndex) and QDRANT_URL:
                await index._client.delete_collection(name)  # a missing collection is not an error
            await index.aclose()

    return asyncio.run(main())


def test_index_nearest_returns_the_closest_stored_id_and_its_similarity(make_index: IndexFactory) -> None:
    rng = np.random.default_rng(1)
    stored = unit(rng, 50)
    ids = [f"rec-{i}" for i in range(50)]

    async def body(index: Any, name: str) -> Any:
        await index.ensure(name, DIM)
        empty = await index.nearest(name, stored[:3])
        await index.upsert(name, ids, stored, [{"job": "j1", "i": i} for i in range(50)])
        noisy = stored[[7, 23, 41]] + 0.05 * unit(rng, 3)
        hits = await index.nearest(name, noisy)
        exact = await index.nearest(name, stored[[5]] * 3.0)  # any length: cosine
        return empty, noisy, hits, exact, await index.count(name), await index.nearest(name, stored[:0])

    empty, noisy, hits, exact, count, none = run(make_index, body)
    assert empty == [(None, 0.0)] * 3
    assert count == 50 and none == []
    expected = noisy / np.linalg.norm(noisy, axis=1, keepdims=True) @ stored.T
    for (hit_id, sim), row, want in zip(hits, expected, ("rec-7", "rec-23", "rec-41")):
        assert hit_id == want
        assert sim == pytest.approx(row.max(), abs=1e-4)
    assert exact[0][0] == "rec-5" and exact[0][1] == pytest.approx(1.0, abs=1e-5)


def test_index_upsert_is_idempotent_and_replaces_an_id(make_index: IndexFactory) -> None:
    rng = np.random.default_rng(2)
    v = unit(rng, 4)

    async def body(index: Any, name: str) -> Any:
        await index.ensure(name, DIM)
        await index.ensure(name, DIM)  # twice is fine
        for _ in range(3):  # a retried batch
            await index.upsert(name, ["a", "b", "c"], v[:3], [{"n": 1}] * 3)
        first = await index.count(name)
        await index.upsert(name, ["a"], v[3:4], [{"n": 2}])  # same id, new vector: replaced
        hits = await index.nearest(name, v)
        await index.upsert(name, ["d", "d"], v[:2], [{}, {}])  # last duplicate in a batch wins
        return first, hits, await index.count(name), await index.nearest(name, v[1:2])

    first, hits, count, last = run(make_index, body)
    assert first == 3
    assert hits[0][1] < 0.999  # a's old vector (v[0]) is gone
    assert hits[3] == ("a", pytest.approx(1.0, abs=1e-5))
    assert count == 4
    assert last[0][1] == pytest.approx(1.0, abs=1e-5) and last[0][0] in ("b", "d")


def test_index_refuses_bad_input(make_index: IndexFactory) -> None:
    async def body(index: Any, name: str) -> None:
        with pytest.raises(CollectionNotFound):
            await index.count(name)
        with pytest.raises(CollectionNotFound):
            await index.nearest(name, np.ones((1, DIM)))
        with pytest.raises(ValueError, match="collection name"):
            await index.ensure("../escape", DIM)
        await index.ensure(name, DIM)
        with pytest.raises(ValueError, match="-dim vectors"):
            await index.ensure(name, DIM + 1)
        with pytest.raises(ValueError, match="shape"):
            await index.nearest(name, np.ones((2, DIM + 1)))
        with pytest.raises(ValueError, match="zero"):
            await index.upsert(name, ["z"], np.zeros((1, DIM)), [{}])
        with pytest.raises(ValueError, match="differ in length"):
            await index.upsert(name, ["a", "b"], np.ones((1, DIM)), [{}])
        assert await index.count(name) == 0

    run(make_index, body)


def test_qdrant_points_are_keyed_by_the_callers_id() -> None:
    from qdrant_client import AsyncQdrantClient

    async def body() -> Any:
        client = AsyncQdrantClient(location=":memory:")
        index = QdrantServerIndex(client=client)
        await index.ensure("keys", DIM)
        await index.upsert("keys", ["job1:rec-9"], np.ones((1, DIM)), [{"job": "job1"}])
        points = await client.retrieve("keys", [point_id("job1:rec-9")], with_payload=True)
        await index.aclose()
        return points

    (point,) = asyncio.run(body())
    assert point.id == str(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "urn:synthgen:vector-point"), "job1:rec-9"))
    assert point.payload == {"job": "job1", ID_KEY: "job1:rec-9"}


# --- The embedded index on disk ------------------------------------------------------------

def test_numpy_index_persists_across_reopen_and_survives_a_torn_write(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    v = unit(rng, 30)

    async def write() -> None:
        index = open_index(None, str(tmp_path))
        await index.ensure("shared", DIM)
        await index.upsert("shared", [f"r{i}" for i in range(20)], v[:20], [{"i": i} for i in range(20)])
        await index.aclose()

    async def reopen() -> Any:
        index = open_index(None, str(tmp_path))
        await index.ensure("shared", DIM)  # idempotent on an existing collection
        hits = await index.nearest("shared", v[[4, 19]])
        count = await index.count("shared")
        await index.upsert("shared", [f"r{i}" for i in range(20, 30)], v[20:], [{}] * 10)
        after = await index.count("shared"), await index.nearest("shared", v[[25]])
        await index.aclose()
        return hits, count, after

    asyncio.run(write())
    col = tmp_path / "vectors" / "shared"
    assert {p.name for p in col.iterdir()} >= {"meta.json", "vectors.f32", "rows.jsonl", "lock"}
    # A writer killed mid-append: part of a vector and half a line past the last commit.
    with open(col / "vectors.f32", "ab") as f:
        f.write(b"\x01" * 700)
    with open(col / "rows.jsonl", "ab") as f:
        f.write(b'{"id":"torn","pay')
    hits, count, (after, hit25) = asyncio.run(reopen())
    assert [h[0] for h in hits] == ["r4", "r19"] and count == 20
    assert after == 30 and hit25[0][0] == "r25"
    assert (col / "vectors.f32").stat().st_size == 30 * DIM * 4  # the torn tail was cut
    lines = (col / "rows.jsonl").read_bytes().splitlines()
    assert len(lines) == 30 and b"torn" not in b"".join(lines)


WRITER = """
import asyncio, sys
import numpy as np
from service.store.vectors import NumpyIndex

async def main(root, tag):
    index = NumpyIndex(root)
    await index.ensure("shared", 8)
    rng = np.random.default_rng(int(tag[1:]))  # not hash(tag): salted per process, two writers could draw the same vectors
    for b in range(20):
        v = rng.standard_normal((25, 8)).astype(np.float32)
        await index.nearest("shared", v)
        await index.upsert("shared", [f"{tag}-{b}-{i}" for i in range(25)], v, [{"w": tag}] * 25)
    print(await index.count("shared"))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def test_numpy_index_is_shared_safely_by_several_processes(tmp_path: Path) -> None:
    root = tmp_path / "vectors"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(root), tag], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for tag in ("w1", "w2", "w3")]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err.decode()
        assert 500 <= int(out) <= 1500  # each saw its own rows and whatever others had written

    async def check() -> Any:
        index = NumpyIndex(root)
        count = await index.count("shared")
        col = root / "shared"
        rows = [msgspec.json.decode(line) for line in (col / "rows.jsonl").read_bytes().splitlines()]
        vectors = np.fromfile(col / "vectors.f32", dtype=np.float32).reshape(-1, 8)
        hits = await index.nearest("shared", vectors[::100])
        return count, rows, vectors, hits

    count, rows, vectors, hits = asyncio.run(check())
    assert count == 1500 and len(rows) == 1500 and len(vectors) == 1500
    assert len({r["id"] for r in rows}) == 1500
    # Each vector sits next to its own id: no interleaved or lost writes.
    for (hit_id, sim), row in zip(hits, rows[::100]):
        assert hit_id == row["id"] and sim == pytest.approx(1.0, abs=1e-5)


def test_open_index_picks_the_server_only_with_a_url(tmp_path: Path) -> None:
    embedded = open_index(None, str(tmp_path))
    assert isinstance(embedded, NumpyIndex) and embedded.root == tmp_path / "vectors"
    server = open_index("http://127.0.0.1:1", str(tmp_path))
    assert isinstance(server, QdrantServerIndex)
    asyncio.run(server.aclose())


def test_embedded_index_ivf_path_matches_exact_search(tmp_path) -> None:
    asyncio.run(_ivf_matches_exact(tmp_path))


async def _ivf_matches_exact(tmp_path) -> None:
    """Past IVF_MIN_ROWS the embedded index probes clusters; near-duplicates (a stored
    vector plus noise) must still find their original, and replaced rows must not."""
    from service.store.vectors import IVF_MIN_ROWS, NumpyIndex

    rng = np.random.default_rng(3)
    n, dim = IVF_MIN_ROWS + 2000, 64
    base = rng.normal(size=(n, dim)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    idx = NumpyIndex(tmp_path)
    await idx.ensure("big", dim)
    for start in range(0, n, 1000):
        chunk = slice(start, min(n, start + 1000))
        await idx.upsert("big", [f"v{i}" for i in range(chunk.start, chunk.stop)], base[chunk],
                         [{} for _ in range(chunk.start, chunk.stop)])
    coll = idx._open("big")
    assert coll.ivf is not None
    probe = rng.choice(n, size=300, replace=False)
    queries = base[probe] + rng.normal(0, 0.02, size=(300, dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    hits = await idx.nearest("big", queries)
    assert [h[0] for h in hits] == [f"v{i}" for i in probe]
    assert all(h[1] > 0.9 for h in hits)
    assert [h[0] for h in hits] == [e[0] for e in coll.nearest(queries, exact=True)]
    # Re-upserting an id with a new vector masks its old row in the IVF path too.
    moved = -base[probe[0]]
    await idx.upsert("big", [f"v{probe[0]}"], moved[None, :], [{}])
    (hit,) = await idx.nearest("big", queries[:1])
    assert hit[0] != f"v{probe[0]}" or hit[1] < 0
    assert await idx.count("big") == n
