"""The production vector index: a Qdrant server shared by every worker (qdrant-client)."""

from __future__ import annotations

from typing import Any

import numpy as np

from service.store.vectors.base import ID_KEY, CollectionNotFound, _check_batch, check_name, point_id, unit_rows

# Points per Qdrant upsert request.
QDRANT_UPSERT_BATCH = 256


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

    async def drop(self, collection: str) -> bool:
        """Delete `collection` (a deleted job's own); False if it was missing."""
        self._dims.pop(collection, None)
        if not await self._client.collection_exists(check_name(collection)):
            return False
        return bool(await self._client.delete_collection(collection))

    async def aclose(self) -> None:
        await self._client.close()
