"""The datasets sweep: what no request and no running shard does for a job's data.

Run by the reaper thread of every worker and of `synthgen serve` every SWEEP_SECONDS
(service/worker/process.py); every step is idempotent, so several processes sweeping
at once only repeat each other:
- finish deletions a crash interrupted (`sg:jobs:deleting`);
- seal what finished jobs still hold in Redis (a job failed by the reaper, a queued
  job cancelled, a last shard whose final seal did not get through);
- delete finished jobs older than the retention (SYNTHGEN_RETENTION_DAYS), with an
  audit line each.
"""

from __future__ import annotations

import asyncio
import logging
import time

from service.domain.job import FINAL
from service.settings import Settings
from service.store.jobs import JobStore

log = logging.getLogger("synthgen.datasets")
# One line per deleted job (which, whose, by whom, why): the audit trail of deletions.
audit = logging.getLogger("synthgen.audit")


async def delete_job(store: JobStore, settings: Settings, job_id: str) -> str:
    """Delete a finished job, its job-scoped vector collection included (the API's
    DELETE and the sweep). The status it had; '' when missing."""
    from service.store.vectors import open_index

    index = open_index(settings.qdrant_url, settings.state_dir)
    try:
        return await store.delete(job_id, index)
    finally:
        await index.aclose()


def audit_deletion(job_id: str, tenant: str, who: str, why: str) -> None:
    audit.warning("deleted job %s of tenant %s by %s (%s)", job_id, tenant, who, why)


async def sweep(store: JobStore, settings: Settings, now: float | None = None) -> dict[str, int]:
    """One round; how many jobs each step touched."""
    now = time.time() if now is None else now
    done = {"resumed": 0, "sealed": 0, "expired": 0}
    for job_id in await store.deleting():
        await delete_job(store, settings, job_id)
        done["resumed"] += 1
    for job_id in await store.segments.unsealed():
        status = await store.status(job_id)
        if status is None:
            await store.segments.done_sealing(job_id)
        elif status in FINAL:
            await store.segments.seal(job_id, every=settings.seal_records, partial=True)
            if not any((await store.segments.windows(job_id)).values()):
                await store.segments.done_sealing(job_id)
                done["sealed"] += 1
    if settings.retention_days > 0:
        for job_id in await store.expired(now - settings.retention_days * 86400):
            raw = await store.view(job_id, None) or {}
            if await delete_job(store, settings, job_id) in FINAL:
                audit_deletion(job_id, raw.get("tenant", ""), "retention sweep",
                               f"finished more than {settings.retention_days:g} days ago")
                done["expired"] += 1
    return done


def sweep_once(settings: Settings) -> dict[str, int]:
    """One round on a client of its own (the reaper thread is synchronous)."""
    from service.store.datasets import DatasetFiles
    from service.store.redis import async_client

    async def go() -> dict[str, int]:
        client = async_client(settings.redis_url or "")
        try:
            return await sweep(JobStore(client, DatasetFiles.from_settings(settings)), settings)
        finally:
            await client.aclose()

    return asyncio.run(go())
