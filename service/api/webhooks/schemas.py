"""What the webhook routes answer."""

from __future__ import annotations

import msgspec


class WebhookSecret(msgspec.Struct):
    """The tenant's webhook signing secret: `whsec_` and the base64 of the HMAC key.
    Every event to this tenant's webhooks is signed with it (service/webhooks.py)."""

    tenant: str
    secret: str
    object: str = "webhook_secret"


class WebhookDelivery(msgspec.Struct):
    """What became of a job's webhook: pending (the job has not ended, or a retry is
    due), delivered, or given up; the attempts made and the last answer."""

    job_id: str
    url: str
    state: str
    attempts: int
    event_id: str | None
    last_status: int | None
    last_error: str | None
    delivered_at: str | None
    object: str = "webhook_delivery"
