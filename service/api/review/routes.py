"""Routes of a job's report and its spot-check, and the review page itself. Each
handler calls `ReviewService` (the `review` dependency, service/api/app.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter

from service.api.auth import Tenant, require_tenant
from service.api.bodies import Body, bounded_json
from service.api.jobs.routes import NDJSON, JobId
from service.api.problems import problem_responses, replayed
from service.api.review.schemas import DRAW, VERDICT, SpotCheck, SpotCheckRequest, Verdict
from service.api.review.service import ReviewService
from service.domain.report import JobReport
from service.domain.review import StoredVerdict

PAGE = (Path(__file__).parents[1] / "static" / "review.html").read_bytes()
Review = NamedDependency[ReviewService]
RecordId = Annotated[str, PathParameter(description="A record id from the spot-check sample.")]


class ReviewController(Controller):
    path = "/v1/jobs/{job_id:str}"
    guards = [require_tenant]
    tags = ["review"]

    @get("/report", operation_id="getJobReport", responses=problem_responses(401, 404),
         summary="Length and score distributions, per-generator yield, diversity")
    async def report(self, review: Review, tenant: Tenant, job_id: JobId) -> JobReport:
        return await review.report(tenant, job_id)

    @post("/spotcheck", operation_id="createSpotCheck", status_code=201, guards=[bounded_json],
          dependencies={"draw": Provide(DRAW)},
          responses=problem_responses(400, 401, 404, 409, 422) | replayed(SpotCheck, "The sample drawn before"),
          summary="Draw the spot-check sample (stratified by generator) from a finished job; returns the existing one "
                  "unless redraw is asked (only before the first verdict); a running job needs interim: true")
    async def create(self, review: Review, tenant: Tenant, job_id: JobId,
                     draw: Body[SpotCheckRequest | None]) -> Response[SpotCheck]:
        sc, created = await review.create(tenant, job_id, draw or SpotCheckRequest())
        return Response(sc, status_code=201 if created else 200)

    @get("/spotcheck", operation_id="getSpotCheck", responses=problem_responses(401, 404),
         summary="The sample with its verdicts, how it was drawn, and acceptance per generator and reason")
    async def get_sample(self, review: Review, tenant: Tenant, job_id: JobId) -> SpotCheck:
        return await review.get(tenant, job_id)

    @put("/spotcheck/{record_id:str}", operation_id="putSpotCheckVerdict", guards=[bounded_json],
         dependencies={"verdict": Provide(VERDICT)}, responses=problem_responses(400, 401, 404, 409, 422),
         summary="Record a reviewer's verdict on one sampled record, with reasons and a note")
    async def verdict(self, review: Review, tenant: Tenant, job_id: JobId, record_id: RecordId,
                      verdict: Body[Verdict]) -> StoredVerdict:
        return await review.judge(tenant, job_id, record_id, verdict)

    @get("/spotcheck/export", operation_id="exportSpotCheck", media_type=NDJSON,
         responses=problem_responses(401, 404),
         summary="A summary line (acceptance per generator with intervals), then the verdicts, as NDJSON")
    async def export(self, review: Review, tenant: Tenant, job_id: JobId) -> Response[bytes]:
        return Response(await review.export(tenant, job_id), media_type=NDJSON)


@get("/review", operation_id="reviewPage", tags=["review"], media_type="text/html", include_in_schema=True,
     summary="The spot-check page for reviewers (the API key is entered in the page)")
async def review_page() -> Response[bytes]:
    return Response(PAGE, media_type="text/html", headers={"Cache-Control": "no-store"})
