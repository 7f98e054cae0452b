"""The worker runtime: everything a worker process builds once and shares among its jobs.

Built when the worker starts (`synthgen worker`, or the in-process test harness), as
the API builds its services in its lifespan: the settings, the provider registry, the
metrics buffer, the worker id, the one event loop every job runs on, the fleet-wide
provider limiter's client (worker/limiter.py), and the caches
that must outlive a job (the dedup stage's embedder and vector index, the
decontamination stage's benchmark n-gram indexes). Jobs reach it as `ctx.runtime`.

The event loop is the reason this is one object: the embedder's and the index's async
clients are bound to the loop they were opened on, so they stay valid from one job to
the next only because every job runs on the same loop (`run_job`). The heavy model
weights (SmolLM2 in providers/local.py, MiniLM in providers/embedders/minilm.py) stay cached in
their modules, behind their locks: they are per process whatever owns them, and the
API process never loads them.
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import TYPE_CHECKING, Any

from service import metrics, redact
from service.providers.registry import Registry
from service.settings import Settings

if TYPE_CHECKING:
    from service.pipeline.decontam import NgramIndex
    from service.providers.base import LaneSource
    from service.recipes.base import Env
    from service.store.datasets import DatasetFiles
    from service.worker.limiter import FleetLimiter


class WorkerRuntime:
    """One worker process's shared state. See the module docstring."""

    def __init__(self, settings: Settings, registry: Registry | None = None, *, worker_id: str | None = None):
        from service.recipes.base import Env

        self.settings = settings
        self.registry = registry if registry is not None else Registry.load(settings.providers_file)
        self.env: Env = Env(providers=self.registry, settings=settings)
        # Every provider's and the embedder's key, redacted from what this process writes.
        redact.configure_process(self.registry, settings)
        self.buffer = metrics.Buffer()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._backend: tuple[Any, Any] | None = None
        self._limiter: FleetLimiter | None = None
        self._benchmarks: dict[tuple[str, int], NgramIndex] = {}
        self._files: DatasetFiles | None = None

    @property
    def files(self) -> "DatasetFiles":
        """Where the process seals jobs' lines (SYNTHGEN_DATA_URL), opened on first use."""
        if self._files is None:
            from service.store.datasets import DatasetFiles

            self._files = DatasetFiles.from_settings(self.settings)
        return self._files

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop every job of this process runs on (uvloop when installed)."""
        if self._loop is None:
            try:
                import uvloop

                self._loop = uvloop.new_event_loop()
            except ImportError:  # pragma: no cover
                self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
        return self._loop

    @property
    def queue_key(self) -> str:
        """The Redis list of this process's RQ queue (fairness between jobs reads it)."""
        from service.store.queue import rq_keys

        return rq_keys(self.settings.queue)[0]

    def run_job(self, job_id: str) -> None:
        """Run one job to its end on the process's loop (the RQ task calls this)."""
        from service.worker.execute import execute

        self.loop.run_until_complete(execute(job_id, self))

    async def backend(self) -> tuple[Any, Any]:
        """(embedder, vector index) of the dedup stage, opened on first use."""
        if self._backend is None:
            from service.providers.embedders import open_embedder_for
            from service.store.vectors import open_index

            self._backend = (open_embedder_for(self.settings), open_index(self.settings.qdrant_url, self.settings.state_dir))
        return self._backend

    def lanes(self, job_id: str) -> LaneSource | None:
        """The process's fleet-wide provider limiter bound to job `job_id` (its client is
        opened on first use, on the process's loop); None without Redis."""
        if not self.settings.redis_url:
            return None
        if self._limiter is None:
            from service.worker.limiter import FleetLimiter

            self._limiter = FleetLimiter(self.settings.redis_url, self.buffer)
        return self._limiter.for_job(job_id)

    def close(self) -> None:
        """Close the clients jobs shared (the process is stopping)."""
        if self._limiter is not None:
            limiter, self._limiter = self._limiter, None
            self.loop.run_until_complete(limiter.aclose())
        if self._backend is not None:
            embedder, index = self._backend
            self._backend = None
            self.loop.run_until_complete(embedder.aclose())
            self.loop.run_until_complete(index.aclose())

    def benchmark_index(self, name: str, n: int) -> "NgramIndex":
        """The n-gram index of registered benchmark `name`, read once per process."""
        key = (name, n)
        index = self._benchmarks.get(key)
        if index is None:
            from service.pipeline.decontam import NgramIndex, read_benchmark

            index = self._benchmarks[key] = NgramIndex(name, read_benchmark(self.settings.benchmark_files[name]), n)
        return index
