"""The embedded vector index: an exact NumPy matrix in append-only files, plus an IVF.

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
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from service.store.vectors.base import CollectionNotFound, _check_batch, check_name, unit_rows

# Format of the embedded index's files; a different number on disk is refused.
FORMAT = 1

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

    async def drop(self, collection: str) -> bool:
        """Delete `collection` and its files (a deleted job's own); False if it was missing."""
        import shutil

        path = self.root / check_name(collection)
        with self._guard:
            self._collections.pop(collection, None)
        if not path.exists():
            return False
        await asyncio.to_thread(shutil.rmtree, path, True)
        return True

    async def aclose(self) -> None:
        with self._guard:
            self._collections.clear()
