"""What both vector indexes share: the protocol, the point-id and name rules, row
normalisation and batch checks (the package docstring states the contract)."""



from __future__ import annotations

import re
import uuid
from typing import Any, Protocol, runtime_checkable

import numpy as np

# Namespace of the Qdrant point ids derived from callers' ids.
POINT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:synthgen:vector-point")
# Payload key holding the caller's id in Qdrant.
ID_KEY = "_id"
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

    async def drop(self, collection: str) -> bool:
        """Delete `collection`; False if it was missing."""
        ...

    async def aclose(self) -> None: ...


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
