"""Routes for the job report and the human spot-check, and the review page itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody, PathParameter

from service.api.auth import require_tenant, tenant_of
from service.api.bodies import bounded_json
from service.api.jobs import NDJSON, JobId, _problems, _replayed
from service.api.serving import ReviewService
from service.domain.report import JobReport
from service.domain.review import SpotCheck, SpotCheckRequest, StoredVerdict, Verdict

PAGE = (Path(__file__).parent / "static" / "review.html").read_bytes()
RecordId = Annotated[str, PathParameter(description="A record id from the spot-check sample.")]


def _svc(request: Request) -> ReviewService:
    return request.app.state.review


class ReviewController(Controller):
    path = "/v1/jobs/{job_id:str}"
    guards = [require_tenant]
    tags = ["review"]

    @get("/report", operation_id="getJobReport", responses=_problems(401, 404),
         summary="Length and score distributions, per-generator yield, diversity")
    async def report(self, request: Request, job_id: JobId) -> JobReport:
        return await _svc(request).report(tenant_of(request), job_id)

    @post("/spotcheck", operation_id="createSpotCheck", status_code=201, guards=[bounded_json],
          responses=_problems(400, 401, 404, 409, 422) | _replayed(SpotCheck, "The sample drawn before"),
          summary="Draw the spot-check sample (stratified by generator) from a finished job; returns the existing one "
                  "unless redraw is asked (only before the first verdict); a running job needs interim: true")
    async def create(self, request: Request, job_id: JobId, data: JSONBody[SpotCheckRequest | None] = None) -> Response[SpotCheck]:
        sc, created = await _svc(request).create(tenant_of(request), job_id, data or SpotCheckRequest())
        return Response(sc, status_code=201 if created else 200)

    @get("/spotcheck", operation_id="getSpotCheck", responses=_problems(401, 404),
         summary="The sample with its verdicts, how it was drawn, and acceptance per generator and reason")
    async def get_sample(self, request: Request, job_id: JobId) -> SpotCheck:
        return await _svc(request).get(tenant_of(request), job_id)

    @put("/spotcheck/{record_id:str}", operation_id="putSpotCheckVerdict", guards=[bounded_json],
         responses=_problems(400, 401, 404, 409, 422),
         summary="Record a reviewer's verdict on one sampled record, with reasons and a note")
    async def verdict(self, request: Request, job_id: JobId, record_id: RecordId, data: JSONBody[Verdict]) -> StoredVerdict:
        return await _svc(request).judge(tenant_of(request), job_id, record_id, data)

    @get("/spotcheck/export", operation_id="exportSpotCheck", media_type=NDJSON, responses=_problems(401, 404),
         summary="A summary line (acceptance per generator with intervals), then the verdicts, as NDJSON")
    async def export(self, request: Request, job_id: JobId) -> Response[bytes]:
        return Response(await _svc(request).export(tenant_of(request), job_id), media_type=NDJSON)


@get("/review", operation_id="reviewPage", tags=["review"], media_type="text/html", include_in_schema=True,
     summary="The spot-check page for reviewers (the API key is entered in the page)")
async def review_page() -> Response[bytes]:
    return Response(PAGE, media_type="text/html", headers={"Cache-Control": "no-store"})
