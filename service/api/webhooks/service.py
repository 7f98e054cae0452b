"""What the webhook routes do: the tenants' secrets and each job's delivery record
(service/store/webhooks.py). Built once at start (service/api/app.py)."""

from __future__ import annotations

import msgspec

from service.api.jobs.service import JobService
from service.api.problems import not_found
from service.api.webhooks.schemas import WebhookDelivery, WebhookSecret
from service.domain.job import rfc3339
from service.store.webhooks import WebhookStore


class WebhookService:
    """Secrets and delivery records, per tenant."""

    def __init__(self, store: WebhookStore, jobs: JobService):
        self.store = store
        self.jobs = jobs

    async def secret(self, tenant: str) -> WebhookSecret:
        return WebhookSecret(tenant=tenant, secret=await self.store.secret(tenant))

    async def rotate(self, tenant: str) -> WebhookSecret:
        return WebhookSecret(tenant=tenant, secret=await self.store.rotate_secret(tenant))

    async def delivery(self, scope: str | None, job_id: str) -> WebhookDelivery:
        spec = msgspec.json.decode(await self.jobs.spec(scope, job_id))
        url = (spec.get("webhook") or {}).get("url")
        if not url:
            raise not_found("webhook (the job names none)")
        r = await self.store.record(job_id)
        state = "delivered" if r.get("delivered_at") else "given_up" if r.get("gave_up_at") else "pending"
        return WebhookDelivery(
            job_id=job_id, url=url, state=state, attempts=int(r.get("attempts") or 0),
            event_id=r.get("event_id") or None, last_status=int(r["last_status"]) if r.get("last_status") else None,
            last_error=r.get("last_error") or None,
            delivered_at=rfc3339(float(r["delivered_at"])) if r.get("delivered_at") else None)
