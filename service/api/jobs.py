"""Routes of /v1/jobs. Each handler parses the request and calls JobService."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter

from service import defaults
from service.api.auth import require_json, require_tenant, tenant_of
from service.api.bodies import bounded_json
from service.api.serving import MAX_CURSOR, MAX_IDEMPOTENCY_KEY, JobService, clamp_limit
from service.domain.job import Job, JobPage, Problem, Status
from service.recipes import JobSpec

NDJSON = "application/x-ndjson"
JobId = Annotated[str, PathParameter(description="The job id returned by createJob.")]
Cursor = Annotated[str | None, QueryParameter(description="Opaque cursor from the previous page.",
                                               max_length=MAX_CURSOR)]
StreamLimit = Annotated[int | None, QueryParameter(description=f"Lines per page, 1..{defaults.MAX_STREAM_LIMIT}.",
                                                   ge=1, le=defaults.MAX_STREAM_LIMIT)]


def _replayed(model: type, what: str) -> dict[int, ResponseSpec]:
    return {200: ResponseSpec(data_container=model, description=what, generate_examples=False)}


def _problems(*codes: int) -> dict[int, ResponseSpec]:
    text = {400: "Malformed request or parameter", 401: "Missing or unknown API key",
            404: "No such job for this tenant", 409: "The job is already final",
            413: "Body larger than the limit", 415: "Body is not application/json",
            422: "Well-formed but invalid spec (errors name the fields)", 503: "Job store unavailable"}
    return {c: ResponseSpec(data_container=Problem, description=text[c], media_type="application/problem+json",
                            generate_examples=False) for c in codes}


def _svc(request: Request) -> JobService:
    return request.app.state.jobs


class JobController(Controller):
    path = "/v1/jobs"
    guards = [require_tenant]
    tags = ["jobs"]

    @post("/", operation_id="createJob", status_code=202, guards=[require_json, bounded_json],
          summary="Submit a job", description="Validates the spec, stores the job and queues it. "
          "Send Idempotency-Key to make retries safe: the same key and body return the same job.",
          responses=_problems(400, 401, 413, 415, 422, 503) | _replayed(Job, "An idempotent retry: the job this key made"))
    async def create(
        self, request: Request, data: JSONBody[JobSpec],  # type: ignore[valid-type]
        idempotency_key: Annotated[str | None, HeaderParameter(
            name="Idempotency-Key", required=False, min_length=1, max_length=MAX_IDEMPOTENCY_KEY,
            description="Makes retries safe: the same key and body return the same job for 24 h.")] = None,
    ) -> Response[Job]:
        job, created = await _svc(request).submit(tenant_of(request), await request.body(), idempotency_key)
        return Response(job, status_code=202 if created else 200, headers={"Location": job.links.self})

    @get("/", operation_id="listJobs", summary="List the tenant's jobs, newest first",
         responses=_problems(400, 401))
    async def list_jobs(
        self, request: Request,
        limit: Annotated[int | None, QueryParameter(description=f"Jobs per page, 1..{defaults.MAX_PAGE_LIMIT}.",
                                                    ge=1, le=defaults.MAX_PAGE_LIMIT)] = None,
        cursor: Cursor = None,
        status: Annotated[Status | None, QueryParameter(description="Only jobs in this status.")] = None,
    ) -> JobPage:
        n = clamp_limit(limit, defaults.PAGE_LIMIT, defaults.MAX_PAGE_LIMIT)
        return await _svc(request).list(tenant_of(request), n, cursor, status)

    @get("/{job_id:str}", operation_id="getJob", summary="A job's status and progress",
         responses=_problems(401, 404))
    async def get_job(self, request: Request, job_id: JobId) -> Job:
        return await _svc(request).get(tenant_of(request), job_id)

    @get("/{job_id:str}/spec", operation_id="getJobSpec", media_type="application/json",
         summary="The job's spec as stored (normalised: defaults filled in)",
         description="Served apart from the job object, which only links here, so polling a job "
         "with a large inline spec stays small.", responses=_problems(401, 404))
    async def get_spec(self, request: Request, job_id: JobId) -> Response[bytes]:
        # The stored JSON goes out as it is: decoding it only to encode it again was a
        # third of the response work, and specs with inline prompts are large.
        return Response(await _svc(request).spec(tenant_of(request), job_id), media_type="application/json")

    @post("/{job_id:str}/cancel", operation_id="cancelJob", status_code=200,
          summary="Cancel a job; records made so far are kept", responses=_problems(401, 404, 409))
    async def cancel(self, request: Request, job_id: JobId) -> Job:
        return await _svc(request).cancel(tenant_of(request), job_id)

    async def _stream(self, request: Request, job_id: str, kind: str, cursor: str | None, limit: int | None) -> Response[bytes]:
        n = clamp_limit(limit, defaults.STREAM_LIMIT, defaults.MAX_STREAM_LIMIT)
        body, nxt = await _svc(request).stream(tenant_of(request), job_id, kind, cursor, n)
        return Response(body, media_type=NDJSON, headers={"X-Next-Cursor": nxt})

    @get("/{job_id:str}/records", operation_id="listJobRecords", media_type=NDJSON,
         summary="Kept records as NDJSON; resume with the X-Next-Cursor header",
         responses=_problems(400, 401, 404))
    async def records(
        self, request: Request, job_id: JobId, cursor: Cursor = None, limit: StreamLimit = None,
    ) -> Response[bytes]:
        return await self._stream(request, job_id, "records", cursor, limit)

    @get("/{job_id:str}/rejects", operation_id="listJobRejects", media_type=NDJSON,
         summary="Rejected candidates with stage and reason, as NDJSON",
         responses=_problems(400, 401, 404))
    async def rejects(
        self, request: Request, job_id: JobId, cursor: Cursor = None, limit: StreamLimit = None,
    ) -> Response[bytes]:
        return await self._stream(request, job_id, "rejects", cursor, limit)


__all__ = ["JobController", "Problem"]
