"""Routes of a job's report and its spot-check, review links, the review page and its
sign-in. Each handler calls `ReviewService` (the `review` dependency, service/api/app.py).

The page is served with a strict Content-Security-Policy: its script and styles are
files of this origin (static/review.js, static/review.css), nothing inline, no other
origin, no framing, no form posts elsewhere. Record text only reaches it through
textContent (see review.js), so a record holding `<script>`, `<img onerror>` or a
`javascript:` link stays text, and the policy would block it even if it did not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter

from service.api.auth import PUBLIC, SESSION_COOKIE, CallerDep, access, authorize, require_json
from service.api.bodies import Body, bounded_json
from service.api.jobs.routes import NDJSON, JobId
from service.api.problems import problem_responses, replayed
from service.api.review.schemas import (
    DRAW,
    LINK,
    SESSION,
    VERDICT,
    ReviewLink,
    ReviewLinkRequest,
    ReviewSession,
    SessionRequest,
    SpotCheck,
    SpotCheckRequest,
    Verdict,
)
from service.api.review.service import ReviewService
from service.domain.access import READ, SPOTCHECK_READ, SPOTCHECK_WRITE, SUBMIT
from service.domain.compare import JobComparison
from service.domain.report import JobReport
from service.domain.review import StoredVerdict

STATIC = Path(__file__).parents[1] / "static"
PAGE = (STATIC / "review.html").read_bytes()
ASSETS = {"review.js": ((STATIC / "review.js").read_bytes(), "text/javascript"),
          "review.css": ((STATIC / "review.css").read_bytes(), "text/css")}
# The page's policy: its own script and styles, calls to its own origin, nothing else.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
PAGE_HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "Cross-Origin-Opener-Policy": "same-origin"}
Review = NamedDependency[ReviewService]
RecordId = Annotated[str, PathParameter(description="A record id from the spot-check sample.", max_length=256)]


class ReviewController(Controller):
    path = "/v1/jobs/{job_id:str}"
    guards = [authorize]
    tags = ["review"]

    @get("/report", operation_id="getJobReport", responses=problem_responses(401, 403, 404), opt=access(READ),
         summary="Length and score distributions, per-generator yield, diversity")
    async def report(self, review: Review, caller: CallerDep, job_id: JobId) -> JobReport:
        return await review.report(caller.scope, job_id)

    @post("/spotcheck", operation_id="createSpotCheck", status_code=201, guards=[bounded_json],
          dependencies={"draw": Provide(DRAW)}, opt=access(SPOTCHECK_WRITE, session=True),
          responses=problem_responses(400, 401, 403, 404, 409, 422) | replayed(SpotCheck, "The sample drawn before"),
          summary="Draw the spot-check sample (stratified by generator) from a finished job; returns the existing one "
                  "unless redraw is asked (only before the first verdict); a running job needs interim: true")
    async def create(self, review: Review, caller: CallerDep, job_id: JobId,
                     draw: Body[SpotCheckRequest | None]) -> Response[SpotCheck]:
        sc, created = await review.create(caller.scope, job_id, draw or SpotCheckRequest())
        return Response(sc, status_code=201 if created else 200)

    @get("/spotcheck", operation_id="getSpotCheck", responses=problem_responses(401, 403, 404),
         opt=access(SPOTCHECK_READ, session=True),
         summary="The sample with its verdicts, how it was drawn, and acceptance per generator and reason")
    async def get_sample(self, review: Review, caller: CallerDep, job_id: JobId) -> SpotCheck:
        return await review.get(caller.scope, job_id)

    @put("/spotcheck/{record_id:str}", operation_id="putSpotCheckVerdict", guards=[bounded_json],
         dependencies={"verdict": Provide(VERDICT)}, opt=access(SPOTCHECK_WRITE, session=True),
         responses=problem_responses(400, 401, 403, 404, 409, 422),
         summary="Record a reviewer's verdict on one sampled record, with reasons and a note")
    async def verdict(self, review: Review, caller: CallerDep, job_id: JobId, record_id: RecordId,
                      verdict: Body[Verdict]) -> StoredVerdict:
        return await review.judge(caller.scope, job_id, record_id, verdict)

    @get("/spotcheck/export", operation_id="exportSpotCheck", media_type=NDJSON,
         responses=problem_responses(401, 403, 404), opt=access(SPOTCHECK_READ, session=True),
         summary="A summary line (acceptance per generator with intervals), then the verdicts, as NDJSON")
    async def export(self, review: Review, caller: CallerDep, job_id: JobId) -> Response[bytes]:
        return Response(await review.export(caller.scope, job_id), media_type=NDJSON)

    @post("/review-links", operation_id="createReviewLink", status_code=201, guards=[bounded_json],
          dependencies={"link": Provide(LINK)}, opt=access(SUBMIT),
          responses=problem_responses(400, 401, 403, 404, 422),
          summary="A signed, expiring link to this job's review page, for a reviewer without a key")
    async def create_link(self, review: Review, caller: CallerDep, job_id: JobId,
                          link: Body[ReviewLinkRequest | None]) -> ReviewLink:
        return await review.link(caller, job_id, link or ReviewLinkRequest())


# What a job id can look like (new_job_id: job_ and hex); anything else is a 400 naming the parameter.
JOB_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


@get("/v1/jobs/compare", operation_id="compareJobs", tags=["review"], guards=[authorize], opt=access(READ),
     responses=problem_responses(400, 401, 403, 404),
     summary="Two jobs' reports side by side: what changed in length, diversity, judge scores, reject mix, "
             "model identity and cost per record, with short flags")
async def compare_jobs(
    review: Review, caller: CallerDep,
    a: Annotated[str, QueryParameter(description="The first job's id (the baseline).", pattern=JOB_ID_PATTERN,
                                     max_length=64)],
    b: Annotated[str, QueryParameter(description="The second job's id (compared to a).", pattern=JOB_ID_PATTERN,
                                     max_length=64)],
) -> JobComparison:
    return await review.compare(caller.scope, a, b)


@get("/review", operation_id="reviewPage", tags=["review"], media_type="text/html", include_in_schema=True,
     opt=PUBLIC, summary="The spot-check page for reviewers (sign in with a key or a review link)")
async def review_page() -> Response[bytes]:
    return Response(PAGE, media_type="text/html", headers=PAGE_HEADERS)


@get("/review/assets/{name:str}", operation_id="reviewAsset", include_in_schema=False, opt=PUBLIC)
async def review_asset(name: Annotated[str, PathParameter(description="An asset of the page.")]) -> Response[bytes]:
    from service.api.problems import not_found

    if name not in ASSETS:
        raise not_found("asset")
    body, media = ASSETS[name]
    return Response(body, media_type=media, headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


@post("/review/session", operation_id="createReviewSession", tags=["review"], status_code=200,
      guards=[require_json, bounded_json], dependencies={"sign_in": Provide(SESSION)}, opt=PUBLIC,
      security=[], responses=problem_responses(400, 401, 403, 415, 422),
      summary="Sign in to the review page with a key or a review link: sets the session cookie, answers its "
              "CSRF token")
async def create_session(request: Request, review: Review, sign_in: Body[SessionRequest]) -> Response[ReviewSession]:
    session, token, max_age = await review.sign_in(sign_in)
    cookie = Cookie(key=SESSION_COOKIE, value=token, max_age=max_age, path="/", httponly=True, samesite="strict",
                    secure=request.url.scheme == "https")
    return Response(session, cookies=[cookie], headers={"Cache-Control": "no-store"})


@get("/review/session", operation_id="getReviewSession", tags=["review"], guards=[authorize],
     opt=access(SPOTCHECK_READ, session=True, bearer=False), responses=problem_responses(401),
     summary="The review page's current session and its CSRF token (from the session cookie)")
async def get_session(review: Review, caller: CallerDep) -> Response[ReviewSession]:
    return Response(review.current(caller), headers={"Cache-Control": "no-store"})


@delete("/review/session", operation_id="deleteReviewSession", tags=["review"], status_code=204, opt=PUBLIC,
        security=[], summary="Sign out of the review page (clears the session cookie)")
async def delete_session() -> Response[None]:
    return Response(None, status_code=204, cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/",
                                                           httponly=True, samesite="strict")])


PAGE_ROUTES = [compare_jobs, review_page, review_asset, create_session, get_session, delete_session]
