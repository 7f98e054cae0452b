"""What the review routes do: the job report and the human spot-check (draw a sample,
record verdicts, export). Built once at start (service/api/app.py) on the job service.

The rules (honest samples, verdicts per record kind, reasons, intervals) are written
down in service/domain/review.py. Reads take a `scope` (the caller's tenant, or None for
an admin), as the job service's do.

Sign-in to the review page (`session`): an API key, or a review link a submit or admin
key made for one job (`link`), becomes a signed session token for the HttpOnly cookie,
with a CSRF token bound to it (service/api/auth.py checks both on every request).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import msgspec

from service import defaults, reports
from service.api.auth import Auth, Caller
from service.api.jobs.service import JobService
from service.api.problems import ApiError, bad_field, not_found
from service.api.review.schemas import (
    KeySignIn,
    ReviewLink,
    ReviewLinkRequest,
    ReviewSession,
    SessionRequest,
    SpotCheck,
    SpotCheckRequest,
    SpotItem,
    Verdict,
)
from service.domain import compare, report, review
from service.domain.access import SPOTCHECK_READ
from service.domain.errors import FieldError
from service.domain.job import FINAL, rfc3339
from service.domain.review import SampleInfo, SpotCheckSummary, StoredVerdict


class ReviewService:
    """Job report and the human spot-check of a tenant's jobs."""

    def __init__(self, jobs: JobService, auth: Auth):
        self.jobs = jobs
        self.store = jobs.store
        self.auth = auth

    async def report(self, scope: str | None, job_id: str) -> report.JobReport:
        job = await self.jobs.state(scope, job_id)
        return await reports.build(self.store, job, self.jobs.settings)

    async def compare(self, scope: str | None, a: str | None, b: str | None) -> compare.JobComparison:
        """Two jobs' reports side by side (service/domain/compare.py); both the caller's
        tenant's (another tenant's job is a 404 naming the parameter)."""
        ids = {}
        for name, value in (("a", a), ("b", b)):
            if not value:
                raise bad_field(name, "a job id is required (GET /v1/jobs/compare?a=<job id>&b=<job id>)")
            if len(value) > 64 or not value.isascii() or not value.replace("_", "").replace("-", "").isalnum():
                raise bad_field(name, "not a job id", value[:80])
            ids[name] = value
        reps = {}
        for name, value in ids.items():
            try:
                reps[name] = await self.report(scope, value)
            except ApiError as exc:
                if exc.status == 404:
                    raise ApiError.of("not-found", f"{name}: no such job", errors=[
                        FieldError(field=name, message="no such job", value=value)]) from None
                raise
        return compare.compare(reps["a"], reps["b"])

    async def create(self, scope: str | None, job_id: str, req: SpotCheckRequest) -> tuple[SpotCheck, bool]:
        """Returns (sample, drawn now). An existing sample is returned as it is unless
        `redraw` is asked, which only works while it has no verdicts."""
        job = await self.jobs.state(scope, job_id)
        if job.spotcheck is not None and not req.redraw:
            return await self.get(scope, job_id), False
        if job.status not in FINAL and not req.interim:
            raise ApiError.of("job-not-final",
                              f"the job is {job.status}: a sample now would be drawn from the {job.progress.kept} "
                              "records made so far, not from the job; wait until it finishes, or ask for an "
                              "interim sample with interim: true", job_status=job.status)
        records = await self.store.all_records(job_id)
        if not records:
            raise ApiError.of("no-records", "the job has no kept records yet", job_status=job.status)
        seed = req.seed if req.seed is not None else (job.seed or 0)
        sample = review.stratified_sample(records, req.size, seed)
        info = SampleInfo(
            draw=secrets.token_hex(6), drawn_at=rfc3339(time.time()) or "", seed=seed,
            interim=job.status not in FINAL, job_status=job.status, drawn_from=len(records),
            guidelines=req.guidelines, reasons=list(req.reasons or defaults.REVIEW_REASONS))
        drawn = await self.store.spot_draw(job_id, [msgspec.json.encode(r) for r in sample], info.draw,
                                           msgspec.json.encode(info), interim=info.interim, redraw=req.redraw)
        if drawn < 0:
            raise ApiError.of("spotcheck-reviewed", "the sample has verdicts; it can only be redrawn before the first one")
        return await self.get(scope, job_id), drawn == 1

    async def _sample(self, scope: str | None, job_id: str) -> tuple[SpotCheckSummary, list[dict[str, Any]],
                                                               dict[bytes, bytes], SampleInfo]:
        job = await self.jobs.state(scope, job_id)
        if job.spotcheck is None:
            # job_status tells the review page whether to offer an interim sample.
            raise ApiError.of("not-found", f"no spot-check sample yet (the job is {job.status} with "
                              f"{job.progress.kept} records; draw one with POST)", job_status=job.status)
        lines, verdicts, info = await self.store.spot_sample(job_id)
        if info is None:  # drawn before sample info was stored
            info = msgspec.json.encode(SampleInfo(
                draw="", drawn_at="", seed=job.seed or 0, interim=False, job_status=job.status,
                drawn_from=job.progress.kept, guidelines="", reasons=list(defaults.REVIEW_REASONS)))
        return job.spotcheck, [msgspec.json.decode(line) for line in lines], verdicts, msgspec.json.decode(
            info, type=SampleInfo)

    async def get(self, scope: str | None, job_id: str) -> SpotCheck:
        summary, records, verdicts, info = await self._sample(scope, job_id)
        items = []
        for rec in records:
            v = verdicts.get(rec["id"].encode())
            items.append(SpotItem(record=rec, kind=review.record_kind(rec), generator=review.generator_of(rec),
                                  verdict=msgspec.json.decode(v, type=StoredVerdict) if v else None))
        return SpotCheck(job_id=job_id, sample=info, summary=summary,
                         verdicts={k: list(v) for k, v in review.VERDICTS.items()}, items=items)

    async def judge(self, scope: str | None, job_id: str, record_id: str, v: Verdict) -> StoredVerdict:
        _, records, _, info = await self._sample(scope, job_id)
        rec = next((r for r in records if r["id"] == record_id), None)
        if rec is None:
            raise not_found("record in this job's spot-check sample")
        kind = review.record_kind(rec)
        if v.verdict not in review.VERDICTS[kind]:
            raise bad_field("verdict", f"a {kind} record takes one of {', '.join(review.VERDICTS[kind])}",
                            v.verdict, status=422)
        for i, r in enumerate(v.reasons):
            if r not in info.reasons:
                raise bad_field(f"reasons[{i}]", f"not one of this sample's reasons: {', '.join(info.reasons)}",
                                r, status=422)
        if v.verdict in review.NEEDS_REASON and not v.reasons:
            raise bad_field("reasons", f"a {v.verdict} verdict needs at least one reason", status=422)
        reasons = list(dict.fromkeys(v.reasons))
        stored = StoredVerdict(
            record_id=record_id, verdict=v.verdict, accepted=v.verdict in review.ACCEPTED, reasons=reasons,
            note=v.note, reviewer=v.reviewer.strip(), at=rfc3339(time.time()) or "",
            generator=review.generator_of(rec))
        if not await self.store.spot_verdict(job_id, info.draw, record_id, msgspec.json.encode(stored),
                                             stored.verdict, stored.accepted, stored.generator, reasons):
            raise ApiError.of("spotcheck-redrawn", "the sample was redrawn while this verdict was sent; reload it")
        return stored

    async def export(self, scope: str | None, job_id: str) -> bytes:
        """NDJSON: a first `spotcheck.summary` line (acceptance overall, per generator
        and per reason, with intervals; how the sample was drawn), then one
        `spotcheck.verdict` line per verdict, in sample order."""
        sc = await self.get(scope, job_id)
        head = {"object": "spotcheck.summary", "job_id": job_id, "sample": sc.sample, "summary": sc.summary}
        lines = [msgspec.json.encode(head)]
        lines += [msgspec.json.encode(i.verdict) for i in sc.items if i.verdict]
        return b"".join(line + b"\n" for line in lines)

    # -- review links and the page's sessions -------------------------------------------

    async def link(self, caller: Caller, job_id: str, req: ReviewLinkRequest) -> ReviewLink:
        """A signed link to review one job, valid `expires_in` seconds, and no longer
        than the key that made it."""
        raw = await self.store.view(job_id, caller.scope)
        if raw is None:
            raise not_found()
        expires = time.time() + req.expires_in
        token = self.auth.signer.seal("review-link", {"tenant": raw["tenant"], "job": job_id, "key_id": caller.key_id,
                                                      "nonce": secrets.token_hex(4)}, expires)
        return ReviewLink(job_id=job_id, url=f"/review?job={job_id}#link={token}", expires_at=rfc3339(expires) or "")

    async def sign_in(self, req: SessionRequest) -> tuple[ReviewSession, str, int]:
        """(session, cookie token, cookie max-age) for a key or a review link's token."""
        now = time.time()
        expires = now + defaults.REVIEW_SESSION_SECONDS
        if isinstance(req, KeySignIn):
            caller = await self.auth.from_key(req.key)
            if caller is None:
                raise ApiError.of("unauthorized", "this key is unknown, revoked or expired")
            if caller.role not in SPOTCHECK_READ:
                raise ApiError.of("forbidden", f"a {caller.role} key cannot review")
            tenant, role, key_id, job = caller.tenant, caller.role, caller.key_id, None
        else:
            payload = self.auth.signer.open("review-link", req.link, now)
            if payload is None or not await self.auth.key_valid(str(payload.get("key_id", ""))):
                raise ApiError.of("unauthorized", "this review link is not valid: expired, or its key was revoked")
            tenant, role, key_id, job = payload["tenant"], "review", payload["key_id"], payload["job"]
            expires = min(expires, float(payload["exp"]))
        session = secrets.token_hex(16)
        token = self.auth.signer.seal("review-session", {"tenant": tenant, "role": role, "key_id": key_id,
                                                         "job": job, "session": session}, expires)
        return self._session(tenant, role, job, expires, session), token, int(expires - now)

    def current(self, caller: Caller) -> ReviewSession:
        """The session that authenticated this request (GET /review/session)."""
        if caller.session is None:
            raise ApiError.of("unauthorized", "no review session; sign in on the review page")
        return self._session(caller.tenant, caller.role, caller.job, caller.expires_at or 0, caller.session)

    def _session(self, tenant: str, role: str, job: str | None, expires: float, session: str) -> ReviewSession:
        return ReviewSession(tenant=tenant, role=role, job=job, expires_at=rfc3339(expires) or "",
                             csrf_token=self.auth.csrf_token(session))
