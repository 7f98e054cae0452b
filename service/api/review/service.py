"""What the review routes do: the job report and the human spot-check (draw a sample,
record verdicts, export). Built once at start (service/api/app.py) on the job service.

The rules (honest samples, verdicts per record kind, reasons, intervals) are written
down in service/domain/review.py.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import msgspec

from service import defaults
from service.api.jobs.service import JobService
from service.api.problems import ApiError, bad_field, not_found
from service.api.review.schemas import SpotCheck, SpotCheckRequest, SpotItem, Verdict
from service.domain import report, review
from service.domain.job import FINAL, rfc3339
from service.domain.review import SampleInfo, SpotCheckSummary, StoredVerdict


class ReviewService:
    """Job report and the human spot-check of a tenant's jobs."""

    def __init__(self, jobs: JobService):
        self.jobs = jobs
        self.store = jobs.store

    async def report(self, tenant: str, job_id: str) -> report.JobReport:
        job = await self.jobs.state(tenant, job_id)
        records = await self.store.all_records(job_id)
        return await asyncio.to_thread(report.build, job, records)

    async def create(self, tenant: str, job_id: str, req: SpotCheckRequest) -> tuple[SpotCheck, bool]:
        """Returns (sample, drawn now). An existing sample is returned as it is unless
        `redraw` is asked, which only works while it has no verdicts."""
        job = await self.jobs.state(tenant, job_id)
        if job.spotcheck is not None and not req.redraw:
            return await self.get(tenant, job_id), False
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
        return await self.get(tenant, job_id), drawn == 1

    async def _sample(self, tenant: str, job_id: str) -> tuple[SpotCheckSummary, list[dict[str, Any]],
                                                               dict[bytes, bytes], SampleInfo]:
        job = await self.jobs.state(tenant, job_id)
        if job.spotcheck is None:
            raise not_found("spot-check (draw one with POST)")
        lines, verdicts, info = await self.store.spot_sample(job_id)
        if info is None:  # drawn before sample info was stored
            info = msgspec.json.encode(SampleInfo(
                draw="", drawn_at="", seed=job.seed or 0, interim=False, job_status=job.status,
                drawn_from=job.progress.kept, guidelines="", reasons=list(defaults.REVIEW_REASONS)))
        return job.spotcheck, [msgspec.json.decode(line) for line in lines], verdicts, msgspec.json.decode(
            info, type=SampleInfo)

    async def get(self, tenant: str, job_id: str) -> SpotCheck:
        summary, records, verdicts, info = await self._sample(tenant, job_id)
        items = []
        for rec in records:
            v = verdicts.get(rec["id"].encode())
            items.append(SpotItem(record=rec, kind=review.record_kind(rec), generator=review.generator_of(rec),
                                  verdict=msgspec.json.decode(v, type=StoredVerdict) if v else None))
        return SpotCheck(job_id=job_id, sample=info, summary=summary,
                         verdicts={k: list(v) for k, v in review.VERDICTS.items()}, items=items)

    async def judge(self, tenant: str, job_id: str, record_id: str, v: Verdict) -> StoredVerdict:
        _, records, _, info = await self._sample(tenant, job_id)
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

    async def export(self, tenant: str, job_id: str) -> bytes:
        """NDJSON: a first `spotcheck.summary` line (acceptance overall, per generator
        and per reason, with intervals; how the sample was drawn), then one
        `spotcheck.verdict` line per verdict, in sample order."""
        sc = await self.get(tenant, job_id)
        head = {"object": "spotcheck.summary", "job_id": job_id, "sample": sc.sample, "summary": sc.summary}
        lines = [msgspec.json.encode(head)]
        lines += [msgspec.json.encode(i.verdict) for i in sc.items if i.verdict]
        return b"".join(line + b"\n" for line in lines)
