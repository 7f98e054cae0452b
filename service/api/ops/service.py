"""Readiness and metrics, from the job store. Built once at start (service/api/app.py)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from service import metrics
from service.api.ops.schemas import Health
from service.store.jobs import JobStore
from service.store.queue import rq_keys


class OpsService:
    """What the operational routes report about this deployment."""

    def __init__(self, store: JobStore, queue: str):
        self.store = store
        self.queue = queue

    async def ready(self) -> tuple[Health, bool]:
        """(health, ready). Ready means Redis answers; the live workers are counted, not
        required: they may run elsewhere or be restarting, and jobs show
        waiting_for_worker while there are none."""
        try:
            await self.store.ping()
            live = await self.store.live_workers()
        except Exception as exc:  # any failure means not ready; say which
            return Health(status="unavailable", checks={"redis": type(exc).__name__}), False
        return Health(status="ok", checks={"redis": "ok", "workers": str(live)}), True

    async def metrics(self) -> bytes:
        """The Prometheus exposition: counters and histograms summed over every API and
        worker process (kept in Redis), and gauges read now."""
        counters, hists, queued, started, failed, workers, statuses = await self.store.gauges(rq_keys(self.queue))
        by_status: dict[tuple[Any, ...], float] = {(s,): float(n) for s, n in statuses.items()}
        gauges: dict[str, dict[tuple[Any, ...], float]] = {
            "synthgen_queue_jobs": {(self.queue, "queued"): queued, (self.queue, "started"): started,
                                    (self.queue, "failed"): failed},
            "synthgen_jobs": by_status,
            "synthgen_workers": {(): workers},
        }
        inflight, limit, circuit = {}, {}, {}  # the fleet-wide provider limits (store/limits.py)
        for b in await self.store.limits.snapshot():
            inflight[(b.provider, b.model)] = float(b.inflight)
            circuit[(b.provider, b.model)] = float(b.circuit)
            for kind, value in (("concurrency", b.concurrency), ("window", b.window), ("rpm", b.rpm), ("tpm", b.tpm)):
                limit[(b.provider, b.model, kind)] = float(value)
        gauges.update(synthgen_provider_inflight=inflight, synthgen_provider_limit=limit,
                      synthgen_provider_circuit_state=circuit)
        reg = CollectorRegistry(auto_describe=False)
        reg.register(metrics.Snapshot(counters, hists, gauges))
        return generate_latest(reg)
