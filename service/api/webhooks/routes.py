"""Routes of the tenant's webhook secret and a job's webhook delivery. Each handler
calls `WebhookService` (the `webhooks` dependency, service/api/app.py)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency

from service.api.auth import CallerDep, access, authorize
from service.api.jobs.routes import JobId
from service.api.problems import problem_responses
from service.api.webhooks.schemas import WebhookDelivery, WebhookSecret
from service.api.webhooks.service import WebhookService
from service.domain.access import READ, SUBMIT

Webhooks = NamedDependency[WebhookService]


class WebhookController(Controller):
    path = "/v1"
    guards = [authorize]
    tags = ["webhooks"]

    @get("/webhooks/secret", operation_id="getWebhookSecret", opt=access(SUBMIT),
         responses=problem_responses(401, 403),
         summary="The tenant's webhook signing secret (made on first use), to verify the events it receives")
    async def secret(self, webhooks: Webhooks, caller: CallerDep) -> WebhookSecret:
        return await webhooks.secret(caller.tenant)

    @post("/webhooks/secret/rotate", operation_id="rotateWebhookSecret", status_code=200, opt=access(SUBMIT),
          responses=problem_responses(401, 403),
          summary="A new signing secret for the tenant's webhooks; events from now on are signed with it")
    async def rotate(self, webhooks: Webhooks, caller: CallerDep) -> WebhookSecret:
        return await webhooks.rotate(caller.tenant)

    @get("/jobs/{job_id:str}/webhook", operation_id="getJobWebhook", opt=access(READ),
         responses=problem_responses(401, 403, 404),
         summary="What became of the job's webhook: pending, delivered or given up, with the last answer")
    async def delivery(self, webhooks: Webhooks, caller: CallerDep, job_id: JobId) -> WebhookDelivery:
        return await webhooks.delivery(caller.scope, job_id)
