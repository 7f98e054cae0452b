"""Vector index for near-duplicate detection: a Qdrant server, or an embedded NumPy file.

`open_index(qdrant_url, state_dir)` gives the Qdrant server index when a URL is set
(production: one collection shared by every worker on every machine) and otherwise
the embedded `NumpyIndex`, persisted under ``{state_dir}/vectors/{collection}/``.

The embedded index lives in numpy_index.py (its on-disk format and multi-process rules
are in that module's docstring), the Qdrant server index in qdrant.py. Why the embedded
index is an exact NumPy matrix plus an IVF, with the measurements, is in
docs/benchmarks.md ("Embedded vector index").

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

from pathlib import Path

from service.store.vectors.base import (
    ID_KEY,
    POINT_NAMESPACE,
    CollectionNotFound,
    VectorIndex,
    check_name,
    point_id,
    unit_rows,
)
from service.store.vectors.numpy_index import IVF_MIN_ROWS, NumpyIndex
from service.store.vectors.qdrant import QdrantServerIndex


def open_index(qdrant_url: str | None, state_dir: str, *, qdrant_api_key: str | None = None) -> VectorIndex:
    """The Qdrant server at `qdrant_url`, or the embedded index under `state_dir`/vectors."""
    if qdrant_url:
        return QdrantServerIndex(qdrant_url, api_key=qdrant_api_key)
    return NumpyIndex(Path(state_dir) / "vectors")


__all__ = [
    "ID_KEY",
    "IVF_MIN_ROWS",
    "POINT_NAMESPACE",
    "CollectionNotFound",
    "NumpyIndex",
    "QdrantServerIndex",
    "VectorIndex",
    "check_name",
    "open_index",
    "point_id",
    "unit_rows",
]
