"""Vector index for near-duplicate detection: a Qdrant server, or an embedded NumPy file.

`open_index(qdrant_url, state_dir)` gives the Qdrant server index when a URL is set
(production: one collection shared by every worker on every machine) and otherwise
the embedded `NumpyIndex`, persisted under ``{state_dir}/vectors/{collection}/``.

Choice of the embedded index
----------------------------
Chosen: an exact NumPy matrix (`NumpyIndex`), measured with ``bench/embedded_index.py``
(one batched `nearest` + one `upsert` per batch of 64 new random unit vectors, 384 dims,
10k or 100k already stored). The machine has 2 cores and was busy with other people's
test runs (load average 2-3.5), so every number is low and noisy by up to 2x; the
ratios are what matter.

| index (vectors/s) | 10k stored | 100k stored | fill 100k | note |
|---|---|---|---|---|
| numpy (exact, chosen) | 2328 | 547 | 2.2 s | one BLAS product per batch |
| qdrant-edge-py, as written | 1667 | 223 | 5.3 s | plain segments, brute force per query |
| qdrant-edge-py after optimize() | 925 | 582 | 4.7 s + 170 s build | HNSW; new points stay unindexed until the next build |
| qdrant-client local mode | 92 | 6 | 287 s | pure-Python, warns above 20k points |

Embedding on the same busy machine: MiniLM 72 sentences/s (the project's quiet-machine
figure is 145/s; 165-199/s measured here in quieter moments), the fake server's
/v1/embeddings 9.8k-13k texts/s.

Why NumPy:
- It is the fastest candidate at 10k and ties HNSW-after-build at 100k, with exact
  answers. A dedup stream inserts every vector it queries, so an HNSW graph's build
  cost is paid per vector: 0.9 ms (10k) to 1.7 ms (100k) for Edge's optimizer, more
  than NumPy's whole search (0.4 / 1.8 ms). An ad-hoc check of faiss HNSW (M=16,
  efConstruction=64; not kept, not a dependency) gave 451 vectors/s search+add at
  100k: no better.
- Several worker processes can share it (flock; below). Edge and local mode lock
  their directory to one process: a second Edge shard fails with "Can't init WAL:
  WouldBlock", a second local-mode client with "Storage folder ... is already
  accessed by another instance". No dependency beyond NumPy.

Against the targets (dedup stage adds <= 10% over embedding; <= 20% slower at 100k than
at 10k), with MiniLM at the quiet 145 sentences/s (6.9 ms each): NumPy adds 0.43 ms
(6%) at 10k and 1.8 ms (27%) at 100k, and the stage is 19% slower at 100k. Against the
busy machine's 72/s: 3% and 13%, 10% slower. Search time grows linearly with the
collection (about 0.3 ms + 15 ns per stored point per vector here), so the 10% budget
holds up to a few tens of thousands of stored points per collection and not at 100k.
No embedded candidate meets it at 100k on 2 cores, and none comes near the fake
server's rate (it answers without a model, so the index sets the pace even at 10k).
Large or shared collections belong on the Qdrant server (QDRANT_URL), which builds
HNSW on its own cores.

Since then the embedded index also keeps an inverted file (IVF) once a collection
passes IVF_MIN_ROWS: spherical k-means clusters of ~128 rows (rebuilt when the
collection has grown 4x), each cluster's vectors in one contiguous array, and a query
probes its 10 closest clusters, so search cost stops growing with the collection
instead of costing one dot product per stored row. Unlike HNSW, adding a vector costs
one product with the centroids, which a dedup stream (every query is then inserted)
can afford. It is approximate: tests/test_vectors.py checks that near-duplicates find
their original exactly as exact search does, and bench/dedup_stage.py prints the
recall against exact search at each size.

Embedded index on disk and between processes
---------------------------------------------
``{state_dir}/vectors/{collection}/`` holds ``meta.json`` (format, dim), ``vectors.f32``
(raw float32 rows, append-only), ``rows.jsonl`` (one ``{"id", "payload"}`` line per
row, append-only; a line is the row's commit record) and ``lock``.

- Several worker processes on one machine may use a collection at once. Writers take
  an exclusive `flock` on ``lock``, catch up with rows other processes appended, append
  the vectors and then the lines, and release it. Readers take a shared lock only to
  catch up; the matrix product runs on the process's private copy with no lock held.
  A process killed mid-write leaves at most a torn tail (vector bytes or half a line
  past the last complete line): readers ignore it and the next writer truncates it.
  Appends are not fsynced: a process crash loses nothing written, an OS crash can lose
  the last batches (the dedup stage then lets a few duplicates through; no corruption).
  `flock` needs a local filesystem: do not put the state dir on NFS; several machines
  means the Qdrant server.
- Upserting an id again with the same vector and payload writes nothing (idempotent
  retries). A different vector or payload appends a new row; the old row is masked out
  of `nearest`, and `count` counts ids, not rows.
- Each process keeps the collection in RAM (dim x 4 bytes per row: 150 MB at 100k rows
  of 384 dims), loaded on first use and topped up incrementally.

Both indexes
------------
- Cosine similarity; vectors are L2-normalised here whatever the caller passed, and a
  zero vector is refused.
- `nearest` answers every row of the batch with one call: ``(id, similarity)`` of the
  most similar stored point, or ``(None, 0.0)`` when the collection is empty.
- Collection names: letters, digits, ``_``, ``-``, ``.``; at most 128 characters, not
  starting with ``.`` or ``-`` (they are directory names in the embedded index).
- A collection must be `ensure`d first; other calls on a missing one raise
  `CollectionNotFound`. `ensure` with another dim than the existing collection's raises
  `ValueError`.
- Qdrant point ids are ``uuid5(POINT_NAMESPACE, caller_id)``, so a retried upsert
  overwrites the same point; the caller's id is stored in the payload under ``"_id"``
  and returned by `nearest`.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import msgspec
import numpy as np

# Namespace of the Qdrant point ids derived from callers' ids.
POINT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:synthgen:vector-point")
# Payload key holding the caller's id in Qdrant.
ID_KEY = "_id"
# Points per Qdrant upsert request.
QDRANT_UPSERT_BATCH = 256
# Format of the embedded index's files; a different number on disk is refused.
FORMAT = 1
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class CollectionNotFound(LookupError):
    """A call on a collection that `ensure` has not created."""


@runtime_checkable
class VectorIndex(Protocol):
    """Nearest-neighbour lookups for near-duplicate detection (cosine similarity)."""

    async def ensure(self, collection: str, dim: int) -> None:
        """Create `collection` for `dim`-dim vectors if it is missing."""
        ...

    async def nearest(self, collection: str, vectors: np.ndarray) -> list[tuple[str | None, float]]:
        """For each row, (id of the most similar stored point, cosine similarity); (None, 0.0) when empty."""
        ...

    async def upsert(self, collection: str, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        """Store rows under the callers' ids; storing the same id again replaces it."""
        ...

    async def count(self, collection: str) -> int: ...

    async def aclose(self) -> None: ...


def open_index(qdrant_url: str | None, state_dir: str, *, qdrant_api_key: str | None = None) -> VectorIndex:
    """The Qdrant server at `qdrant_url`, or the embedded index under `state_dir`/vectors."""
    if qdrant_url:
        return QdrantServerIndex(qdrant_url, api_key=qdrant_api_key)
    return NumpyIndex(Path(state_dir) / "vectors")


def point_id(caller_id: str) -> str:
    """The Qdrant point id of a caller's id (stable across processes and retries)."""
    return str(uuid.uuid5(POINT_NAMESPACE, caller_id))


def check_name(collection: str) -> str:
    if not isinstance(collection, str) or not _NAME.match(collection):
        raise ValueError(
            f"collection name {collection!r}: use 1-128 letters, digits, '_', '-' or '.', "
            "not starting with '.' or '-'"
        )
    return collection


def unit_rows(vectors: np.ndarray, dim: int | None = None) -> np.ndarray:
    """`vectors` as a C-contiguous float32 (n, dim) matrix of unit rows."""
    m = np.asarray(vectors, dtype=np.float32)
    if m.ndim == 1:
        m = m.reshape(0 if m.size == 0 else 1, -1 if m.size else (dim or 0))
    if m.ndim != 2 or (dim is not None and m.shape[0] and m.shape[1] != dim):
        raise ValueError(f"vectors must have shape (n, {dim if dim is not None else 'dim'}), got {m.shape}")
    if m.shape[0] == 0:
        return np.empty((0, dim if dim is not None else m.shape[1]), dtype=np.float32)
    norms = np.linalg.norm(m, axis=1)
    bad = ~np.isfinite(norms) | (norms == 0.0)
    if bad.any():
        raise ValueError(f"vector row {int(np.argmax(bad))} is zero or not finite")
    return np.ascontiguousarray(m / norms[:, None], dtype=np.float32)


def _check_batch(ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
    if not (len(ids) == len(vectors) == len(payloads)):
        raise ValueError(f"ids, vectors and payloads differ in length: {len(ids)}, {len(vectors)}, {len(payloads)}")
    for i in ids:
        if not isinstance(i, str) or not i:
            raise ValueError(f"ids must be non-empty strings, got {i!r}")


# --- Embedded: NumPy matrix in append-only files ------------------------------------

_meta_decoder = msgspec.json.Decoder(dict[str, Any])
_json = msgspec.json.Encoder()


class _Row(msgspec.Struct):
    id: str
    payload: dict[str, Any] = {}


_row_decoder = msgspec.json.Decoder(_Row)


# Above this many rows a collection also keeps an inverted-file (IVF) index: exact search
# costs one dot product per stored row per query, so at 100k rows it is compute-bound
# (~800 queries/s on 2 cores); probing the 10 closest of n/128 clusters costs a few % of that.
IVF_MIN_ROWS = 4096
# Rows per cluster at (re)build time; lists grow until the next rebuild (4x the rows).
IVF_ROWS_PER_LIST = 128
# Clusters probed per query. A near-duplicate (cosine >= 0.9) almost always sits in one of
# the query's closest clusters; bench/dedup_stage.py measures recall against exact search.
IVF_PROBES = 10


class _IVF:
    """Spherical k-means clusters over a collection's rows, each with a contiguous
    copy of its vectors, so one batch of queries costs a few small matrix products."""

    def __init__(self, vecs: np.ndarray, seed: int = 0):
        n, dim = vecs.shape
        rng = np.random.default_rng(seed)
        nlist = max(16, n // IVF_ROWS_PER_LIST)
        sample = vecs[rng.choice(n, size=min(n, 40 * nlist), replace=False)]
        cents = sample[rng.choice(len(sample), size=nlist, replace=False)].copy()
        for _ in range(6):
            assign = np.argmax(sample @ cents.T, axis=1)
            sums = np.zeros_like(cents)
            np.add.at(sums, assign, sample)
            norms = np.linalg.norm(sums, axis=1)
            filled = norms > 0
            cents[filled] = sums[filled] / norms[filled, None]
        self.cents = np.ascontiguousarray(cents, dtype=np.float32)
        self.built_rows = n
        self.dim = dim
        # Per cluster: row numbers and vectors in arrays with spare capacity, and the fill.
        self.rows: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * nlist
        self.vecs: list[np.ndarray] = [np.empty((0, dim), dtype=np.float32)] * nlist
        self.size = [0] * nlist
        self.add(np.arange(n), vecs)

    def add(self, rows: np.ndarray, vecs: np.ndarray) -> None:
        if not len(rows):
            return
        assign = np.argmax(vecs @ self.cents.T, axis=1)
        order = np.argsort(assign, kind="stable")
        lists, starts = np.unique(assign[order], return_index=True)
        for lst, a, b in zip(lists.tolist(), starts.tolist(), [*starts[1:].tolist(), len(order)]):
            pick = order[a:b]
            n, k = self.size[lst], len(pick)
            if n + k > len(self.rows[lst]):
                cap = max(n + k, 2 * len(self.rows[lst]), 64)
                grown_rows = np.empty(cap, dtype=np.int64)
                grown_rows[:n] = self.rows[lst][:n]
                grown_vecs = np.empty((cap, self.dim), dtype=np.float32)
                grown_vecs[:n] = self.vecs[lst][:n]
                self.rows[lst], self.vecs[lst] = grown_rows, grown_vecs
            self.rows[lst][n:n + k] = rows[pick]
            self.vecs[lst][n:n + k] = vecs[pick]
            self.size[lst] = n + k

    def search(self, queries: np.ndarray, alive: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(best row, best similarity) per query; row -1 when nothing was probed."""
        b = len(queries)
        probes = min(IVF_PROBES, len(self.cents))
        near = np.argpartition(-(queries @ self.cents.T), probes - 1, axis=1)[:, :probes]
        best = np.full(b, -np.inf, dtype=np.float32)
        best_row = np.full(b, -1, dtype=np.int64)
        flat = near.ravel()
        qidx = np.repeat(np.arange(b), probes)
        order = np.argsort(flat, kind="stable")
        lists, starts = np.unique(flat[order], return_index=True)
        for lst, a, z in zip(lists.tolist(), starts.tolist(), [*starts[1:].tolist(), len(order)]):
            fill = self.size[lst]
            if not fill:
                continue
            rows = self.rows[lst][:fill]
            qs = qidx[order[a:z]]
            scores = queries[qs] @ self.vecs[lst][:fill].T
            if alive is not None:
                scores[:, ~alive[rows]] = -np.inf
            arg = scores.argmax(axis=1)
            top = scores[np.arange(len(qs)), arg]
            better = top > best[qs]
            best[qs[better]] = top[better]
            best_row[qs[better]] = rows[arg[better]]
        return best_row, best


class _Collection:
    """One collection as seen by one process: an in-RAM copy kept in step with the files."""

    def __init__(self, path: Path, dim: int):
        self.path = path
        self.dim = dim
        self.row_bytes = dim * 4
        self.mat = np.empty((0, dim), dtype=np.float32)
        self.n = 0  # rows loaded (committed rows on disk, as of the last catch-up)
        self.rows_end = 0  # byte offset in rows.jsonl just after row n-1's line
        self.ids: list[str] = []
        self.latest: dict[str, tuple[int, bytes]] = {}  # id -> (row, payload digest)
        self.alive = np.empty(0, dtype=bool)
        self.dead = 0
        self.mutex = threading.Lock()
        self.pid = os.getpid()
        self.ivf: _IVF | None = None

    @contextmanager
    def locked(self, exclusive: bool) -> Iterator[None]:
        if self.pid != os.getpid():  # forked: the parent's thread lock may be in any state
            self.mutex, self.pid = threading.Lock(), os.getpid()
        with self.mutex:
            fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
                yield
            finally:
                os.close(fd)  # releases the flock

    def catch_up(self) -> None:
        """Load rows appended since the last call (by any process). Needs the lock."""
        rows_path = self.path / "rows.jsonl"
        with open(rows_path, "rb") as f:
            f.seek(self.rows_end)
            tail = f.read()
        end = tail.rfind(b"\n") + 1
        if not end:
            return
        lines = tail[:end].splitlines()
        vec_bytes = os.path.getsize(self.path / "vectors.f32") - self.n * self.row_bytes
        lines = lines[: max(0, vec_bytes // self.row_bytes)]  # a line is committed once its vector is there
        if not lines:
            return
        k = len(lines)
        new = np.fromfile(self.path / "vectors.f32", dtype=np.float32, count=k * self.dim,
                          offset=self.n * self.row_bytes).reshape(k, self.dim)
        self._grow(self.n + k)
        self.mat[self.n:self.n + k] = new
        self.alive[self.n:self.n + k] = True
        consumed = 0
        for j, line in enumerate(lines):
            row = _row_decoder.decode(line)
            self._index(row.id, self.n + j, _digest(row.payload))
            consumed += len(line) + 1
        self._ivf_add(self.n, k)
        self.n += k
        self.rows_end += consumed

    def _grow(self, need: int) -> None:
        if need <= len(self.mat):
            return
        cap = max(need, 1024, len(self.mat) * 2)
        mat = np.empty((cap, self.dim), dtype=np.float32)
        mat[: self.n] = self.mat[: self.n]
        alive = np.zeros(cap, dtype=bool)
        alive[: self.n] = self.alive[: self.n]
        self.mat, self.alive = mat, alive  # readers holding views of the old arrays keep them

    def _index(self, caller_id: str, row: int, digest: bytes) -> None:
        old = self.latest.get(caller_id)
        if old is not None:
            self.alive[old[0]] = False
            self.dead += 1
        self.latest[caller_id] = (row, digest)
        self.ids.append(caller_id)  # rows only ever come in order: row == len(self.ids)

    def repair_tail(self) -> None:
        """Drop a torn tail a killed writer left. Needs the exclusive lock, after catch_up."""
        for name, size in (("vectors.f32", self.n * self.row_bytes), ("rows.jsonl", self.rows_end)):
            p = self.path / name
            if os.path.getsize(p) != size:
                os.truncate(p, size)

    def upsert(self, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        last = {caller_id: i for i, caller_id in enumerate(ids)}  # the last duplicate in a batch wins
        with self.locked(exclusive=True):
            self.catch_up()
            self.repair_tail()
            keep, lines = [], []
            for caller_id, i in last.items():
                digest = _digest(payloads[i])
                old = self.latest.get(caller_id)
                if old is not None and old[1] == digest and np.array_equal(self.mat[old[0]], vectors[i]):
                    continue
                keep.append(i)
                lines.append(_json.encode(_Row(caller_id, payloads[i])) + b"\n")
            if not keep:
                return
            block = vectors[keep]
            with open(self.path / "vectors.f32", "ab") as f:
                f.write(block.tobytes())
            with open(self.path / "rows.jsonl", "ab") as f:
                f.write(b"".join(lines))
            self._grow(self.n + len(keep))
            self.mat[self.n:self.n + len(keep)] = block
            self.alive[self.n:self.n + len(keep)] = True
            for j, i in enumerate(keep):
                self._index(ids[i], self.n + j, _digest(payloads[i]))
            self._ivf_add(self.n, len(keep))
            self.n += len(keep)
            self.rows_end += sum(len(line) for line in lines)

    def _ivf_add(self, start: int, k: int) -> None:
        """Index rows [start, start + k) in the IVF, building or rebuilding it when the
        collection crossed IVF_MIN_ROWS or grew 4x since the last build. Needs the lock."""
        total = start + k
        if total < IVF_MIN_ROWS:
            return
        if self.ivf is None or total > 4 * self.ivf.built_rows:
            self.ivf = _IVF(self.mat[:total])
        else:
            self.ivf.add(np.arange(start, total), self.mat[start:total])

    def snapshot(self) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
        with self.locked(exclusive=False):
            self.catch_up()
            n = self.n
            mask = self.alive[:n].copy() if self.dead else None
            return self.mat[:n], mask, self.ids

    def nearest(self, queries: np.ndarray, exact: bool = False) -> list[tuple[str | None, float]]:
        if self.ivf is not None and not exact and len(queries):
            with self.locked(exclusive=False):
                self.catch_up()
                ivf, mask, ids = self.ivf, (self.alive[: self.n].copy() if self.dead else None), self.ids
                rows, sims = ivf.search(queries, mask)
            return [(ids[r], float(min(1.0, s))) if r >= 0 else (None, 0.0)
                    for r, s in zip(rows.tolist(), sims.tolist())]
        mat, mask, ids = self.snapshot()
        if len(queries) == 0:
            return []
        if len(mat) == 0:
            return [(None, 0.0)] * len(queries)
        scores = queries @ mat.T  # (batch, n): one BLAS call for the whole batch
        if mask is not None:
            scores[:, ~mask] = -np.inf
        best = scores.argmax(axis=1)
        sims = np.clip(scores[np.arange(len(best)), best], -1.0, 1.0)
        return [(ids[b], float(s)) for b, s in zip(best.tolist(), sims.tolist())]

    def count(self) -> int:
        with self.locked(exclusive=False):
            self.catch_up()
            return len(self.latest)


def _digest(payload: dict[str, Any]) -> bytes:
    return hashlib.blake2b(_json.encode(payload), digest_size=16).digest()


def _single_threaded_blas() -> None:
    """One BLAS thread for this process. The index's products are small (a batch of
    queries against a cluster or a few thousand rows), where OpenBLAS's thread start-up
    and hand-off cost dominate: measured here, 256 queries against 5k rows took 390 ms
    with the default threads and 18 ms with one. The worker's other core serves the
    event loop and the embedder meanwhile."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class NumpyIndex:
    """Exact cosine search over an in-RAM float32 matrix persisted to append-only files.

    Safe for several processes on one machine (see the module docstring).
    """

    def __init__(self, root: str | os.PathLike[str]):
        _single_threaded_blas()
        self.root = Path(root)
        self._collections: dict[str, _Collection] = {}
        self._guard = threading.Lock()

    def _open(self, collection: str, dim: int | None = None) -> _Collection:
        check_name(collection)
        with self._guard:
            col = self._collections.get(collection)
            if col is not None:
                if dim is not None and dim != col.dim:
                    raise ValueError(f"collection {collection!r} holds {col.dim}-dim vectors, not {dim}")
                return col
            path = self.root / collection
            meta_path = path / "meta.json"
            if dim is not None:
                path.mkdir(parents=True, exist_ok=True)
                with _Collection(path, dim).locked(exclusive=True):
                    if not meta_path.exists():
                        for name in ("vectors.f32", "rows.jsonl"):
                            (path / name).touch()
                        tmp = path / "meta.json.tmp"
                        tmp.write_bytes(_json.encode({"format": FORMAT, "dim": dim, "distance": "cosine"}))
                        os.replace(tmp, meta_path)
            if not meta_path.exists():
                raise CollectionNotFound(f"collection {collection!r} does not exist; ensure() it first")
            meta = _meta_decoder.decode(meta_path.read_bytes())
            if meta.get("format") != FORMAT:
                raise ValueError(f"{path}: index format {meta.get('format')} is not {FORMAT}")
            if dim is not None and meta["dim"] != dim:
                raise ValueError(f"collection {collection!r} holds {meta['dim']}-dim vectors, not {dim}")
            col = _Collection(path, int(meta["dim"]))
            self._collections[collection] = col
            return col

    async def ensure(self, collection: str, dim: int) -> None:
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        await asyncio.to_thread(self._open, collection, dim)

    async def nearest(self, collection: str, vectors: np.ndarray) -> list[tuple[str | None, float]]:
        col = self._open(collection)
        queries = unit_rows(vectors, col.dim)
        return await asyncio.to_thread(col.nearest, queries)

    async def upsert(self, collection: str, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        col = self._open(collection)
        _check_batch(ids, vectors, payloads)
        if not ids:
            return
        await asyncio.to_thread(col.upsert, list(ids), unit_rows(vectors, col.dim), list(payloads))

    async def count(self, collection: str) -> int:
        return await asyncio.to_thread(self._open(collection).count)

    async def aclose(self) -> None:
        with self._guard:
            self._collections.clear()


# --- Production: Qdrant server --------------------------------------------------------

class QdrantServerIndex:
    """A Qdrant server (shared by every worker) through qdrant-client's AsyncQdrantClient.

    `client` lets a caller pass a ready client instead of a URL (the tests use
    qdrant-client's in-memory mode to exercise these calls without a server).
    """

    def __init__(self, url: str | None = None, *, api_key: str | None = None, timeout: int = 30,
                 client: Any = None):
        if client is None:
            if not url:
                raise ValueError("QdrantServerIndex needs a url or a client")
            from qdrant_client import AsyncQdrantClient

            client = AsyncQdrantClient(url=url, api_key=api_key, timeout=timeout, check_compatibility=False)
        self._client = client
        self._dims: dict[str, int] = {}

    async def _dim(self, collection: str) -> int:
        dim = self._dims.get(collection)
        if dim is None:
            from qdrant_client.http.exceptions import UnexpectedResponse

            try:
                info = await self._client.get_collection(check_name(collection))
            except UnexpectedResponse as exc:
                if exc.status_code == 404:
                    raise CollectionNotFound(f"collection {collection!r} does not exist; ensure() it first") from None
                raise
            except ValueError as exc:  # local/in-memory mode says "Collection ... not found"
                if "not found" in str(exc).lower():
                    raise CollectionNotFound(f"collection {collection!r} does not exist; ensure() it first") from None
                raise
            vectors = info.config.params.vectors
            if isinstance(vectors, dict):
                raise ValueError(f"collection {collection!r} has named vectors; synthgen expects one unnamed vector")
            dim = self._dims[collection] = int(vectors.size)
        return dim

    async def ensure(self, collection: str, dim: int) -> None:
        from qdrant_client import models

        check_name(collection)
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        if not await self._client.collection_exists(collection):
            try:
                await self._client.create_collection(
                    collection, vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE))
            except Exception:
                if not await self._client.collection_exists(collection):  # not a lost race: a real error
                    raise
        have = await self._dim(collection)
        if have != dim:
            raise ValueError(f"collection {collection!r} holds {have}-dim vectors, not {dim}")

    async def nearest(self, collection: str, vectors: np.ndarray) -> list[tuple[str | None, float]]:
        from qdrant_client import models

        queries = unit_rows(vectors, await self._dim(collection))
        if len(queries) == 0:
            return []
        requests = [models.QueryRequest(query=q.tolist(), limit=1, with_payload=[ID_KEY]) for q in queries]
        answers = await self._client.query_batch_points(collection, requests=requests)
        out: list[tuple[str | None, float]] = []
        for answer in answers:
            if answer.points:
                p = answer.points[0]
                out.append(((p.payload or {}).get(ID_KEY), float(p.score)))
            else:
                out.append((None, 0.0))
        return out

    async def upsert(self, collection: str, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        from qdrant_client import models

        _check_batch(ids, vectors, payloads)
        if not ids:
            return
        rows = unit_rows(vectors, await self._dim(collection))
        last = {caller_id: i for i, caller_id in enumerate(ids)}  # the last duplicate in a batch wins
        points = [
            models.PointStruct(id=point_id(caller_id), vector=rows[i].tolist(), payload={**payloads[i], ID_KEY: caller_id})
            for caller_id, i in last.items()
        ]
        for start in range(0, len(points), QDRANT_UPSERT_BATCH):
            await self._client.upsert(collection, points=points[start:start + QDRANT_UPSERT_BATCH], wait=True)

    async def count(self, collection: str) -> int:
        await self._dim(collection)
        return (await self._client.count(collection, exact=True)).count

    async def aclose(self) -> None:
        await self._client.close()


__all__ = [
    "ID_KEY",
    "POINT_NAMESPACE",
    "CollectionNotFound",
    "NumpyIndex",
    "QdrantServerIndex",
    "VectorIndex",
    "open_index",
    "point_id",
    "unit_rows",
]
