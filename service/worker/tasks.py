"""The RQ job function. Process-wide state (settings, providers, metrics buffer) is built
once per worker process, so the local model and imports stay warm across jobs."""

from __future__ import annotations

import asyncio
import os
import socket
from functools import lru_cache

from service import metrics, settings as settings_mod
from service.providers.registry import Registry


@lru_cache(maxsize=1)
def _process() -> tuple[settings_mod.Settings, Registry, metrics.Buffer, str]:
    s = settings_mod.get()
    return s, Registry.load(s.providers_file), metrics.Buffer(), f"{socket.gethostname()}:{os.getpid()}"


def run_job(job_id: str) -> None:
    from service.worker.execute import execute

    s, registry, buffer, worker_id = _process()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    runner(execute(job_id, settings=s, registry=registry, buffer=buffer, worker_id=worker_id))
