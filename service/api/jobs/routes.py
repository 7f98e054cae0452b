"""Routes of /v1/jobs. Each handler takes its request apart and calls `JobService`
(the `jobs` dependency, service/api/app.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, PathParameter, QueryParameter
from litestar.response import Stream

from service import defaults
from service.api.auth import CallerDep, access, authorize, require_json
from service.api.bodies import Body, bounded_json
from service.api.jobs.paging import MAX_CURSOR, clamp_limit
from service.api.jobs.schemas import JOB_SPEC, PUSH, Job, JobPage, PushRequest, PushResult
from service.api.jobs.service import MAX_IDEMPOTENCY_KEY, JobService
from service.api.problems import ApiError, problem_responses, replayed
from service.domain.access import READ, SUBMIT, TENANT_PATTERN
from service.domain.estimate import Estimate
from service.domain.job import FINAL, Status
from service.domain.specs import JobSpecBase
from service.pipeline.formats import Format

NDJSON = "application/x-ndjson"
JobId = Annotated[str, PathParameter(description="The job id returned by createJob.", max_length=64)]
Cursor = Annotated[str | None, QueryParameter(description="Opaque cursor from the previous page.",
                                               max_length=MAX_CURSOR)]
Jobs = NamedDependency[JobService]
StreamLimit = Annotated[int | None, QueryParameter(description=f"Lines per page, 1..{defaults.MAX_STREAM_LIMIT}.",
                                                   ge=1, le=defaults.MAX_STREAM_LIMIT)]


class JobController(Controller):
    path = "/v1/jobs"
    guards = [authorize]
    tags = ["jobs"]

    @post("/", operation_id="createJob", status_code=202, guards=[require_json, bounded_json],
          dependencies={"spec": Provide(JOB_SPEC)}, opt=access(SUBMIT),
          summary="Submit a job", description="Validates the spec, checks the tenant's quotas, stores the job "
          "and queues it. Send Idempotency-Key to make retries safe: the same key and body return the same job.",
          responses=problem_responses(400, 401, 403, 413, 415, 422, 429, 503)
          | replayed(Job, "An idempotent retry: the job this key made"))
    async def create(
        self, request: Request, jobs: Jobs, caller: CallerDep, spec: Body[JobSpecBase],
        idempotency_key: Annotated[str | None, HeaderParameter(
            name="Idempotency-Key", required=False, min_length=1, max_length=MAX_IDEMPOTENCY_KEY,
            description="Makes retries safe: the same key and body return the same job for 24 h.")] = None,
    ) -> Response[Job]:
        job, created = await jobs.submit(caller.tenant, spec, await request.body(), idempotency_key)
        return Response(job, status_code=202 if created else 200, headers={"Location": job.links.self})

    @post("/estimate", operation_id="estimateJob", status_code=200, guards=[require_json, bounded_json],
          dependencies={"spec": Provide(JOB_SPEC)}, opt=access(SUBMIT),
          summary="Estimate a job's requests, tokens, cost, yield and time from a sample run",
          description="Runs the spec on a sample (ESTIMATE_SAMPLE_RECORDS kept records, real provider calls, a "
          "job of its own: nothing goes into any other job's records) and projects the whole job from it, each "
          "figure with a 95% interval (docs/costs.md). 200 once the sample ended; 202 with what it has seen so far "
          "when it takes longer (poll GET /v1/jobs/{sample_job}/estimate). The sample counts toward quotas.",
          responses=problem_responses(400, 401, 403, 413, 415, 422, 429, 503) | {202: ResponseSpec(
              data_container=Estimate, generate_examples=False,
              description="The sample is still running (or waits for a worker): the projection so far")})
    async def estimate(self, jobs: Jobs, caller: CallerDep, spec: Body[JobSpecBase]) -> Response[Estimate]:
        est = await jobs.estimate(caller.tenant, spec)
        return Response(est, status_code=200 if est.status in FINAL else 202)

    @get("/{job_id:str}/estimate", operation_id="getJobEstimate", opt=access(READ),
         summary="The estimate an estimate's sample job gives, from what it has seen",
         responses=problem_responses(401, 403, 404))
    async def get_estimate(self, jobs: Jobs, caller: CallerDep, job_id: JobId) -> Estimate:
        return await jobs.projection(caller.scope, job_id)

    @get("/", operation_id="listJobs", summary="List the tenant's jobs, newest first", opt=access(READ),
         responses=problem_responses(400, 401, 403, 404))
    async def list_jobs(
        self, jobs: Jobs, caller: CallerDep,
        limit: Annotated[int | None, QueryParameter(description=f"Jobs per page, 1..{defaults.MAX_PAGE_LIMIT}.",
                                                    ge=1, le=defaults.MAX_PAGE_LIMIT)] = None,
        cursor: Cursor = None,
        status: Annotated[Status | None, QueryParameter(description="Only jobs in this status.")] = None,
        tenant: Annotated[str | None, QueryParameter(
            description="An admin key lists this tenant's jobs (default: its own); other keys list only their "
            "own tenant's.", pattern=TENANT_PATTERN, max_length=64)] = None,
    ) -> JobPage:
        n = clamp_limit(limit, defaults.PAGE_LIMIT, defaults.MAX_PAGE_LIMIT)
        if tenant is not None and tenant != caller.tenant and caller.role != "admin":
            raise ApiError.of("forbidden", "only an admin key lists another tenant's jobs")
        return await jobs.list(tenant or caller.tenant, n, cursor, status)

    @get("/{job_id:str}", operation_id="getJob", summary="A job's status and progress", opt=access(READ),
         responses=problem_responses(401, 403, 404))
    async def get_job(self, jobs: Jobs, caller: CallerDep, job_id: JobId) -> Job:
        return await jobs.get(caller.scope, job_id)

    @get("/{job_id:str}/spec", operation_id="getJobSpec", media_type="application/json", opt=access(READ),
         summary="The job's spec as stored (normalised: defaults filled in)",
         description="Served apart from the job object, which only links here, so polling a job "
         "with a large inline spec stays small.", responses=problem_responses(401, 403, 404))
    async def get_spec(self, jobs: Jobs, caller: CallerDep, job_id: JobId) -> Response[bytes]:
        # The stored JSON goes out as it is: decoding it only to encode it again was a
        # third of the response work, and specs with inline prompts are large.
        return Response(await jobs.spec(caller.scope, job_id), media_type="application/json")

    @post("/{job_id:str}/cancel", operation_id="cancelJob", status_code=200, opt=access(SUBMIT),
          summary="Cancel a job; records made so far are kept", responses=problem_responses(401, 403, 404, 409))
    async def cancel(self, jobs: Jobs, caller: CallerDep, job_id: JobId) -> Job:
        return await jobs.cancel(caller.scope, job_id)

    @delete("/{job_id:str}", operation_id="deleteJob", status_code=204, opt=access(SUBMIT),
            summary="Delete a finished job and everything it made",
            description="Its records, rejects, sealed segments, review data and job-scoped vectors are "
            "deleted, and its idempotency key is freed. A job still running is a 409: cancel it first.",
            responses=problem_responses(401, 403, 404, 409))
    async def delete_job(self, jobs: Jobs, caller: CallerDep, job_id: JobId) -> None:
        await jobs.delete(caller.scope, job_id, f"key {caller.key_id} ({caller.role} of {caller.tenant})")

    @get("/{job_id:str}/export", operation_id="exportJob", opt=access(READ),
         summary="The job's records as one file: JSON lines, Parquet, or a Hugging Face dataset layout",
         description="Streamed from the dataset store (docs/datasets.md). `format`: `jsonl`, `parquet` (zstd), "
         "or `hf`: a tar of `data/train-0000x-of-0000n.parquet` and a `README.md` dataset card written from the "
         "job. `output` reshapes each record into another output format (default: as stored).",
         responses=problem_responses(400, 401, 403, 404) | {200: ResponseSpec(
             data_container=bytes, media_type="application/octet-stream", generate_examples=False,
             description="The file: application/x-ndjson, application/vnd.apache.parquet or application/x-tar")})
    async def export(
        self, jobs: Jobs, caller: CallerDep, job_id: JobId,
        format: Annotated[Literal["jsonl", "parquet", "hf"], QueryParameter(
            description="jsonl, parquet, or hf (a Hugging Face dataset layout, as a tar).")] = "jsonl",
        output: Annotated[Format | None, QueryParameter(
            description="Reshape records into this output format (default: the job's own).")] = None,
    ) -> Stream:
        body, media, name = await jobs.export(caller.scope, job_id, format, output)
        return Stream(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @post("/{job_id:str}/push", operation_id="pushJob", status_code=200, guards=[bounded_json],
          dependencies={"req": Provide(PUSH)}, opt=access(SUBMIT),
          summary="Push a finished job's dataset to the Hugging Face Hub",
          description="The layout of `export?format=hf` (data/train-*.parquet and the dataset card), uploaded to a "
          "dataset repo with the token the operator configured (SYNTHGEN_HF_TOKEN). 409 `hub-not-configured` "
          "without one.", responses=problem_responses(400, 401, 403, 404, 409, 422, 502))
    async def push(self, jobs: Jobs, caller: CallerDep, job_id: JobId, req: Body[PushRequest]) -> PushResult:
        return await jobs.push(caller.scope, job_id, req)

    @get("/{job_id:str}/records", operation_id="listJobRecords", media_type=NDJSON, opt=access(READ),
         summary="Kept records as NDJSON; resume with the X-Next-Cursor header",
         responses=problem_responses(400, 401, 403, 404))
    async def records(
        self, jobs: Jobs, caller: CallerDep, job_id: JobId, cursor: Cursor = None, limit: StreamLimit = None,
    ) -> Response[bytes]:
        return await _stream(jobs, caller.scope, job_id, "records", cursor, limit)

    @get("/{job_id:str}/rejects", operation_id="listJobRejects", media_type=NDJSON, opt=access(READ),
         summary="Rejected candidates with stage and reason, as NDJSON",
         responses=problem_responses(400, 401, 403, 404))
    async def rejects(
        self, jobs: Jobs, caller: CallerDep, job_id: JobId, cursor: Cursor = None, limit: StreamLimit = None,
    ) -> Response[bytes]:
        return await _stream(jobs, caller.scope, job_id, "rejects", cursor, limit)


async def _stream(jobs: Jobs, scope: str | None, job_id: str, kind: str, cursor: str | None,
                  limit: int | None) -> Response[bytes]:
    n = clamp_limit(limit, defaults.STREAM_LIMIT, defaults.MAX_STREAM_LIMIT)
    body, nxt = await jobs.stream(scope, job_id, kind, cursor, n)
    return Response(body, media_type=NDJSON, headers={"X-Next-Cursor": nxt})
