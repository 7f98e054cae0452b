"""Routes of /v1/jobs. Each handler takes its request apart and calls `JobService`
(the `jobs` dependency, service/api/app.py)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter, PathParameter, QueryParameter

from service import defaults
from service.api.auth import Tenant, require_json, require_tenant
from service.api.bodies import Body, bounded_json
from service.api.jobs.paging import MAX_CURSOR, clamp_limit
from service.api.jobs.schemas import JOB_SPEC, Job, JobPage
from service.api.jobs.service import MAX_IDEMPOTENCY_KEY, JobService
from service.api.problems import problem_responses, replayed
from service.domain.job import Status
from service.domain.specs import JobSpecBase

NDJSON = "application/x-ndjson"
JobId = Annotated[str, PathParameter(description="The job id returned by createJob.")]
Cursor = Annotated[str | None, QueryParameter(description="Opaque cursor from the previous page.",
                                               max_length=MAX_CURSOR)]
Jobs = NamedDependency[JobService]
StreamLimit = Annotated[int | None, QueryParameter(description=f"Lines per page, 1..{defaults.MAX_STREAM_LIMIT}.",
                                                   ge=1, le=defaults.MAX_STREAM_LIMIT)]


class JobController(Controller):
    path = "/v1/jobs"
    guards = [require_tenant]
    tags = ["jobs"]

    @post("/", operation_id="createJob", status_code=202, guards=[require_json, bounded_json],
          dependencies={"spec": Provide(JOB_SPEC)},
          summary="Submit a job", description="Validates the spec, stores the job and queues it. "
          "Send Idempotency-Key to make retries safe: the same key and body return the same job.",
          responses=problem_responses(400, 401, 413, 415, 422, 503)
          | replayed(Job, "An idempotent retry: the job this key made"))
    async def create(
        self, request: Request, jobs: Jobs, tenant: Tenant, spec: Body[JobSpecBase],
        idempotency_key: Annotated[str | None, HeaderParameter(
            name="Idempotency-Key", required=False, min_length=1, max_length=MAX_IDEMPOTENCY_KEY,
            description="Makes retries safe: the same key and body return the same job for 24 h.")] = None,
    ) -> Response[Job]:
        job, created = await jobs.submit(tenant, spec, await request.body(), idempotency_key)
        return Response(job, status_code=202 if created else 200, headers={"Location": job.links.self})

    @get("/", operation_id="listJobs", summary="List the tenant's jobs, newest first",
         responses=problem_responses(400, 401))
    async def list_jobs(
        self, jobs: Jobs, tenant: Tenant,
        limit: Annotated[int | None, QueryParameter(description=f"Jobs per page, 1..{defaults.MAX_PAGE_LIMIT}.",
                                                    ge=1, le=defaults.MAX_PAGE_LIMIT)] = None,
        cursor: Cursor = None,
        status: Annotated[Status | None, QueryParameter(description="Only jobs in this status.")] = None,
    ) -> JobPage:
        n = clamp_limit(limit, defaults.PAGE_LIMIT, defaults.MAX_PAGE_LIMIT)
        return await jobs.list(tenant, n, cursor, status)

    @get("/{job_id:str}", operation_id="getJob", summary="A job's status and progress",
         responses=problem_responses(401, 404))
    async def get_job(self, jobs: Jobs, tenant: Tenant, job_id: JobId) -> Job:
        return await jobs.get(tenant, job_id)

    @get("/{job_id:str}/spec", operation_id="getJobSpec", media_type="application/json",
         summary="The job's spec as stored (normalised: defaults filled in)",
         description="Served apart from the job object, which only links here, so polling a job "
         "with a large inline spec stays small.", responses=problem_responses(401, 404))
    async def get_spec(self, jobs: Jobs, tenant: Tenant, job_id: JobId) -> Response[bytes]:
        # The stored JSON goes out as it is: decoding it only to encode it again was a
        # third of the response work, and specs with inline prompts are large.
        return Response(await jobs.spec(tenant, job_id), media_type="application/json")

    @post("/{job_id:str}/cancel", operation_id="cancelJob", status_code=200,
          summary="Cancel a job; records made so far are kept", responses=problem_responses(401, 404, 409))
    async def cancel(self, jobs: Jobs, tenant: Tenant, job_id: JobId) -> Job:
        return await jobs.cancel(tenant, job_id)

    @get("/{job_id:str}/records", operation_id="listJobRecords", media_type=NDJSON,
         summary="Kept records as NDJSON; resume with the X-Next-Cursor header",
         responses=problem_responses(400, 401, 404))
    async def records(
        self, jobs: Jobs, tenant: Tenant, job_id: JobId, cursor: Cursor = None, limit: StreamLimit = None,
    ) -> Response[bytes]:
        return await _stream(jobs, tenant, job_id, "records", cursor, limit)

    @get("/{job_id:str}/rejects", operation_id="listJobRejects", media_type=NDJSON,
         summary="Rejected candidates with stage and reason, as NDJSON",
         responses=problem_responses(400, 401, 404))
    async def rejects(
        self, jobs: Jobs, tenant: Tenant, job_id: JobId, cursor: Cursor = None, limit: StreamLimit = None,
    ) -> Response[bytes]:
        return await _stream(jobs, tenant, job_id, "rejects", cursor, limit)


async def _stream(jobs: Jobs, tenant: Tenant, job_id: str, kind: str, cursor: str | None,
                  limit: int | None) -> Response[bytes]:
    n = clamp_limit(limit, defaults.STREAM_LIMIT, defaults.MAX_STREAM_LIMIT)
    body, nxt = await jobs.stream(tenant, job_id, kind, cursor, n)
    return Response(body, media_type=NDJSON, headers={"X-Next-Cursor": nxt})
