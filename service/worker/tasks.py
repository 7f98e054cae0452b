"""The RQ job function, and the process's one `WorkerRuntime` it runs jobs with.

RQ calls a task by dotted name, so the runtime the worker built at start (see
service/worker/runtime.py) is installed here; a worker that did not install one (an
RQ worker started by hand) builds it from the environment on its first job.
"""

from __future__ import annotations

from service import settings as settings_mod
from service.worker.runtime import WorkerRuntime

_runtime: WorkerRuntime | None = None


def install(runtime: WorkerRuntime) -> WorkerRuntime:
    """Make `runtime` the one this process's jobs run with."""
    global _runtime
    _runtime = runtime
    return runtime


def runtime() -> WorkerRuntime:
    return _runtime if _runtime is not None else install(WorkerRuntime(settings_mod.get()))


def run_job(job_id: str) -> None:
    runtime().run_job(job_id)
