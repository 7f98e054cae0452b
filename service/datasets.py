"""The datasets sweep: what no request and no running shard does for a job's data.

Run by the reaper thread of every worker and of `synthgen serve` every SWEEP_SECONDS
(service/worker/process.py); every step is idempotent, so several processes sweeping
at once only repeat each other:
- finish deletions a crash interrupted (`sg:jobs:deleting`);
- seal what finished jobs still hold in Redis (a job failed by the reaper, a queued
  job cancelled, a last shard whose final seal did not get through);
- delete finished jobs older than their tenant's retention (the `retention_days` quota:
  SYNTHGEN_QUOTAS for every tenant, the admin API for one), with an audit line each.
"""

from __future__ import annotations

import asyncio
import logging
import time

from service.domain.job import FINAL
from service.quotas import Quotas
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


async def sweep(store: JobStore, settings: Settings, quotas: Quotas, now: float | None = None) -> dict[str, int]:
    """One round; how many jobs each step touched."""
    now = time.time() if now is None else now
    done = {"resumed": 0, "sealed": 0, "expired": 0}
    for job_id in await store.deleting():
        await delete_job(store, settings, job_id)
        done["resumed"] += 1
    for job_id in await store.segments.unsealed():
        status = await store.status(job_id)
        if status is None:
            await store.sealed_final(job_id)
        elif status in FINAL:
            await store.segments.seal(job_id, every=settings.seal_records, partial=True)
            if not any((await store.segments.windows(job_id)).values()):
                await store.sealed_final(job_id)
                done["sealed"] += 1
    for tenant in await store.tenants():
        keep = await quotas.retention_seconds(tenant)
        if keep <= 0:
            continue
        for job_id in await store.expired(tenant, now - keep):
            if await delete_job(store, settings, job_id) in FINAL:
                audit_deletion(job_id, tenant, "retention sweep", f"finished more than {keep / 86400:g} days ago")
                done["expired"] += 1
    return done


def sweep_once(settings: Settings) -> dict[str, int]:
    """One round on a client of its own (the reaper thread is synchronous)."""
    from service.store.datasets import DatasetFiles
    from service.store.quotas import QuotaStore
    from service.store.redis import async_client

    async def go() -> dict[str, int]:
        client = async_client(settings.redis_url or "")
        try:
            return await sweep(JobStore(client, DatasetFiles.from_settings(settings)), settings,
                               Quotas(QuotaStore(client), settings.quotas))
        finally:
            await client.aclose()

    return asyncio.run(go())
