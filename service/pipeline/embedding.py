"""The embedder and vector index a worker process shares among its jobs (dedup stage).

Worker jobs all run on the process's one event loop (service.worker.tasks), so the
async clients opened here stay valid from one job to the next.
"""

from __future__ import annotations

from typing import Any

from service.settings import Settings

_cache: dict[str, Any] = {}


async def backend(settings: Settings) -> tuple[Any, Any]:
    """(embedder, vector index) for this process, opened on first use."""
    if "pair" not in _cache:
        from service.providers.embedders import open_embedder_for
        from service.store.vectors import open_index

        _cache["pair"] = (open_embedder_for(settings), open_index(settings.qdrant_url, settings.state_dir))
    return _cache["pair"]
