"""Routes of /v1/jobs. Each handler parses the request and calls JobService."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from service import defaults
from service.api.auth import require_json, require_tenant, tenant_of
from service.api.serving import JobService, clamp_limit
from service.domain.job import Job, JobPage, Problem, Status
from service.recipes import JobSpec

NDJSON = "application/x-ndjson"
ERRORS = {400, 401, 404, 413, 415, 422, 503}


def _svc(request: Request) -> JobService:
    return request.app.state.jobs


class JobController(Controller):
    path = "/v1/jobs"
    guards = [require_tenant]
    tags = ["jobs"]

    @post("/", operation_id="createJob", status_code=202, guards=[require_json],
          summary="Submit a job", description="Validates the spec, stores the job and queues it. "
          "Send Idempotency-Key to make retries safe: the same key and body return the same job.",
          )
    async def create(
        self, request: Request, data: JobSpec,  # type: ignore[valid-type]
        idempotency_key: Annotated[str | None, Parameter(header="Idempotency-Key", required=False)] = None,
    ) -> Response[Job]:
        job, created = await _svc(request).submit(tenant_of(request), await request.body(), idempotency_key)
        return Response(job, status_code=202 if created else 200, headers={"Location": job.links.self})

    @get("/", operation_id="listJobs", summary="List the tenant's jobs, newest first")
    async def list_jobs(
        self, request: Request,
        limit: Annotated[int | None, Parameter(query="limit", description=f"1..{defaults.MAX_PAGE_LIMIT}")] = None,
        cursor: Annotated[str | None, Parameter(query="cursor")] = None,
        status: Annotated[Status | None, Parameter(query="status")] = None,
    ) -> JobPage:
        n = clamp_limit(limit, defaults.PAGE_LIMIT, defaults.MAX_PAGE_LIMIT)
        return await _svc(request).list(tenant_of(request), n, cursor, status)

    @get("/{job_id:str}", operation_id="getJob", summary="A job's status and progress")
    async def get_job(self, request: Request, job_id: str) -> Job:
        return await _svc(request).get(tenant_of(request), job_id)

    @post("/{job_id:str}/cancel", operation_id="cancelJob", status_code=200,
          summary="Cancel a job; records made so far are kept")
    async def cancel(self, request: Request, job_id: str) -> Job:
        return await _svc(request).cancel(tenant_of(request), job_id)

    async def _stream(self, request: Request, job_id: str, kind: str, cursor: str | None, limit: int | None) -> Response[bytes]:
        n = clamp_limit(limit, defaults.STREAM_LIMIT, defaults.MAX_STREAM_LIMIT)
        body, nxt = await _svc(request).stream(tenant_of(request), job_id, kind, cursor, n)
        return Response(body, media_type=NDJSON, headers={"X-Next-Cursor": nxt})

    @get("/{job_id:str}/records", operation_id="listJobRecords", media_type=NDJSON,
         summary="Kept records as NDJSON; resume with the X-Next-Cursor header")
    async def records(
        self, request: Request, job_id: str,
        cursor: Annotated[str | None, Parameter(query="cursor")] = None,
        limit: Annotated[int | None, Parameter(query="limit", description=f"1..{defaults.MAX_STREAM_LIMIT}")] = None,
    ) -> Response[bytes]:
        return await self._stream(request, job_id, "records", cursor, limit)

    @get("/{job_id:str}/rejects", operation_id="listJobRejects", media_type=NDJSON,
         summary="Rejected candidates with stage and reason, as NDJSON")
    async def rejects(
        self, request: Request, job_id: str,
        cursor: Annotated[str | None, Parameter(query="cursor")] = None,
        limit: Annotated[int | None, Parameter(query="limit", description=f"1..{defaults.MAX_STREAM_LIMIT}")] = None,
    ) -> Response[bytes]:
        return await self._stream(request, job_id, "rejects", cursor, limit)


__all__ = ["JobController", "Problem"]
