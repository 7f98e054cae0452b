"""The RQ job function. Process-wide state (settings, providers, metrics buffer, one
event loop) is built once per worker process, so the local model, the embedder and
their clients stay warm from one job to the next."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from service import metrics, redact, settings as settings_mod
from service.providers.registry import Registry
from service.worker.process import worker_id


@lru_cache(maxsize=1)
def _process() -> tuple[settings_mod.Settings, Registry, metrics.Buffer, str]:
    s = settings_mod.get()
    registry = Registry.load(s.providers_file)
    redact.configure_process(registry, s)
    return s, registry, metrics.Buffer(), worker_id()


@lru_cache(maxsize=1)
def _loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:  # pragma: no cover
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


def run_job(job_id: str) -> None:
    from service.worker.execute import execute

    s, registry, buffer, worker_id = _process()
    _loop().run_until_complete(execute(job_id, settings=s, registry=registry, buffer=buffer, worker_id=worker_id))
