"""What the job routes do: validate, store, enqueue, read. Routes stay thin (jobs.py).

Submission order matters for crash safety: the job hash is written before it is
enqueued, so a worker never sees an id without its spec; an idempotency key is
reserved (SET NX) before the job is created, so concurrent retries create one job.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
import secrets
import time
from typing import Any

import msgspec

from service import defaults, metrics
from service.api.problems import ApiError, bad_field, not_found, spec_error
from service.domain import review
from service.domain.errors import invalid
from service.domain.job import FINAL, Job, JobPage, new_job_id, rfc3339
from service.domain.specs import parallelism, spec_hash
from service.providers.registry import Registry
from service.recipes import RECIPES, decode_spec
from service.recipes.base import Env, check_generator
from service.settings import Settings
from service.store.codec import from_hash
from service.store.jobs import JobStore
from service.store.queue import enqueue

MAX_IDEMPOTENCY_KEY = 255
MAX_CURSOR = 128


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    if len(cursor) > MAX_CURSOR:
        raise bad_field("cursor", f"longer than {MAX_CURSOR} characters; not a cursor this API issued")
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_field("cursor", "not a cursor this API issued", cursor) from None


# A list cursor is "<score> <job id>", a stream cursor "o<offset>"; anything else, or a
# score that is not a finite number (NaN reached Redis as "min or max is not a float"),
# or an offset past what a list can hold, never reaches Redis.
_LIST_CURSOR = re.compile(r"^(\d{1,16}(?:\.\d{1,9})?) (job_[0-9a-f]{24})$", re.ASCII)
_STREAM_CURSOR = re.compile(r"^o(\d{1,15})$", re.ASCII)


def list_cursor(cursor: str) -> tuple[float, str]:
    m = _LIST_CURSOR.match(decode_cursor(cursor))
    if not m:
        raise bad_field("cursor", "not a cursor this API issued", cursor)
    return float(m.group(1)), m.group(2)


def stream_cursor(cursor: str) -> int:
    m = _STREAM_CURSOR.match(decode_cursor(cursor))
    if not m:
        raise bad_field("cursor", "not a cursor this API issued", cursor)
    return int(m.group(1))


class JobService:
    """The job operations behind /v1/jobs."""

    def __init__(self, store: JobStore, sync_redis: Any, registry: Registry, settings: Settings):
        self.store = store
        self.sync_redis = sync_redis
        self.registry = registry
        self.settings = settings
        self.env = Env(providers=registry, settings=settings)

    # -- submit ---------------------------------------------------------------------

    def validate(self, raw: bytes) -> tuple[Any, int | None, int]:
        """The decoded spec, its effective target, and the shards it runs as."""
        spec, target = self._validate(raw)
        shards = parallelism(spec, target, self.settings.parallelism, self.settings.max_parallelism)
        return spec, target, shards

    def _validate(self, raw: bytes) -> tuple[Any, int | None]:
        try:
            spec = decode_spec(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise spec_error(exc, raw) from None
        recipe = RECIPES[spec.recipe]
        raw_needed = recipe.needs_raw(spec)
        check_generator(spec.generator, self.env, "generator", raw=raw_needed)
        refs = [("generator", spec.generator)]
        for i, g in enumerate(spec.mix):
            check_generator(g, self.env, f"mix[{i}]", raw=raw_needed)
            refs.append((f"mix[{i}]", g))
        if spec.judge is not None and spec.judge.generator is not None:
            check_generator(spec.judge.generator, self.env, "judge.generator")
            refs.append(("judge.generator", spec.judge.generator))
        for field, ref in refs:
            licence = self.registry.configs[ref.provider].licence
            if licence in spec.refuse_licences:
                raise invalid(f"{field}.provider", f"provider {ref.provider!r} carries licence {licence!r}, "
                              "which this job refuses (refuse_licences)", ref.provider)
        for stage in spec.stage_specs():
            stage.check(self.env)
        if spec.mix and not recipe.mixes:
            raise invalid("mix", f"recipe {spec.recipe} cannot draw its generator per item: "
                          f"{recipe.mixes_not or 'it has no single generator role'}")
        if spec.min_yield is not None and spec.target is not None:
            raise invalid("min_yield", "min_yield applies to jobs without a target; with a target, "
                          "the job fails unless it keeps exactly target records", spec.min_yield)
        if spec.format == "preference" and not recipe.pairs:
            raise invalid("format", f"recipe {spec.recipe} makes no preference pairs", spec.format)
        return spec, recipe.validate(spec, self.env)

    async def submit(self, tenant: str, raw: bytes, idempotency_key: str | None) -> tuple[Job, bool]:
        """Returns (job, created). created=False when an idempotent retry found its job."""
        spec, target, shards = self.validate(raw)
        job_id = new_job_id()
        if idempotency_key is not None:
            if not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
                raise bad_field("Idempotency-Key", f"must be 1 to {MAX_IDEMPOTENCY_KEY} characters", status=422)
            body_hash = hashlib.sha256(raw).hexdigest()
            stored = await self.store.idempotent(tenant, idempotency_key, job_id, body_hash)
            if stored is not None:
                old_id, _, old_hash = stored.partition(" ")
                if old_hash != body_hash:
                    raise ApiError.of("idempotency-key-reused", "this Idempotency-Key was used with a different body")
                return await self._await_job(old_id, tenant), False
        spec_json = msgspec.json.encode(spec)
        await self.store.create(
            job_id=job_id, tenant=tenant, recipe=spec.recipe, spec_json=spec_json,
            spec_hash=spec_hash(spec), target=target,
            seed=spec.seed if spec.seed is not None else secrets.randbelow(2**31), parallelism=shards,
        )
        # Read before enqueueing: the 202 then always shows the job as accepted (queued),
        # never whatever a fast worker made of it in the meantime.
        job = await self.get(tenant, job_id)
        await asyncio.to_thread(enqueue, self.sync_redis, self.settings.queue, job_id, shards)
        await self.store.count(metrics.COUNTERS_KEY, msgspec.json.encode(["synthgen_jobs_submitted", spec.recipe]))
        return job, True

    async def _await_job(self, job_id: str, tenant: str) -> Job:
        # The request that won the key may still be writing the job hash.
        for _ in range(100):
            raw = await self.store.view(job_id, tenant)
            if raw is not None:
                return from_hash(raw)
            await asyncio.sleep(0.02)
        raise ApiError.of("idempotency-in-progress",
                          "a request with this Idempotency-Key is still being processed; retry",
                          headers={"Retry-After": "1"})

    # -- read -----------------------------------------------------------------------

    async def get(self, tenant: str, job_id: str) -> Job:
        raw = await self.store.view(job_id, tenant)
        if raw is None:
            raise not_found()
        live = await self.store.live_workers() if raw["status"] in ("queued", "running") else None
        return from_hash(raw, live)

    async def spec(self, tenant: str, job_id: str) -> bytes:
        spec = await self.store.spec(job_id, tenant)
        if spec is None:
            raise not_found()
        return spec

    async def list(self, tenant: str, limit: int, cursor: str | None, status: str | None) -> JobPage:
        before = list_cursor(cursor) if cursor else None
        rows, last = await self.store.list(tenant, limit=limit, before=before, status=status)
        nxt = encode_cursor(f"{last[0]!r} {last[1]}") if last else None
        live = await self.store.live_workers() if any(r["status"] in ("queued", "running") for r in rows) else None
        return JobPage(data=[from_hash(r, live) for r in rows], next_cursor=nxt)

    async def cancel(self, tenant: str, job_id: str) -> Job:
        if await self.store.view(job_id, tenant) is None:
            raise not_found()
        prev = await self.store.cancel(job_id)
        if prev in FINAL:
            raise ApiError.of("job-final", f"the job is {prev}; a finished job cannot be cancelled", job_status=prev)
        return await self.get(tenant, job_id)

    async def stream(self, tenant: str, job_id: str, kind: str, cursor: str | None, limit: int) -> tuple[bytes, str]:
        """NDJSON lines after `cursor`, and the cursor to resume from ('' when done)."""
        raw = await self.store.view(job_id, tenant)
        if raw is None:
            raise not_found()
        offset = stream_cursor(cursor) if cursor else 0
        lines = await self.store.read(job_id, kind, offset, limit)
        end = offset + len(lines)
        final = raw["status"] in FINAL
        total_key = "kept" if kind == "records" else "rejected"
        exhausted = final and end >= int(raw.get(total_key) or 0)
        body = b"".join(line + b"\n" for line in lines)
        return body, "" if exhausted else encode_cursor(f"o{end}")


def clamp_limit(limit: int | None, default: int, maximum: int, field: str = "limit") -> int:
    if limit is None:
        return default
    if not 1 <= limit <= maximum:
        raise bad_field(field, f"must be between 1 and {maximum}", limit)
    return limit


__all__ = ["JobService", "clamp_limit", "defaults"]


class ReviewService:
    """Job report and the human spot-check: draw a sample, record verdicts, export.

    The rules (honest samples, verdicts per record kind, reasons, intervals) are
    written down in service/domain/review.py."""

    def __init__(self, jobs: JobService):
        self.jobs = jobs
        self.store = jobs.store

    async def report(self, tenant: str, job_id: str) -> Any:
        from service.domain import report

        job = await self.jobs.get(tenant, job_id)
        records = await self.store.all_records(job_id)
        return await asyncio.to_thread(report.build, job, records)

    async def create(self, tenant: str, job_id: str, req: review.SpotCheckRequest) -> tuple[review.SpotCheck, bool]:
        """Returns (sample, drawn now). An existing sample is returned as it is unless
        `redraw` is asked, which only works while it has no verdicts."""
        job = await self.jobs.get(tenant, job_id)
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
        info = review.SampleInfo(
            draw=secrets.token_hex(6), drawn_at=rfc3339(time.time()) or "", seed=seed,
            interim=job.status not in FINAL, job_status=job.status, drawn_from=len(records),
            guidelines=req.guidelines, reasons=list(req.reasons or defaults.REVIEW_REASONS))
        drawn = await self.store.spot_draw(job_id, [msgspec.json.encode(r) for r in sample], info.draw,
                                           msgspec.json.encode(info), interim=info.interim, redraw=req.redraw)
        if drawn < 0:
            raise ApiError.of("spotcheck-reviewed", "the sample has verdicts; it can only be redrawn before the first one")
        return await self.get(tenant, job_id), drawn == 1

    async def _sample(self, tenant: str, job_id: str) -> tuple[Job, list[dict[str, Any]], dict[bytes, bytes], review.SampleInfo]:
        job = await self.jobs.get(tenant, job_id)
        if job.spotcheck is None:
            raise not_found("spot-check (draw one with POST)")
        lines, verdicts, info = await self.store.spot_sample(job_id)
        if info is None:  # drawn before sample info was stored
            info = msgspec.json.encode(review.SampleInfo(
                draw="", drawn_at="", seed=job.seed or 0, interim=False, job_status=job.status,
                drawn_from=job.progress.kept, guidelines="", reasons=list(defaults.REVIEW_REASONS)))
        return job, [msgspec.json.decode(line) for line in lines], verdicts, msgspec.json.decode(
            info, type=review.SampleInfo)

    async def get(self, tenant: str, job_id: str) -> review.SpotCheck:
        job, records, verdicts, info = await self._sample(tenant, job_id)
        items = []
        for rec in records:
            v = verdicts.get(rec["id"].encode())
            items.append(review.SpotItem(record=rec, kind=review.record_kind(rec), generator=review.generator_of(rec),
                                         verdict=msgspec.json.decode(v, type=review.StoredVerdict) if v else None))
        return review.SpotCheck(job_id=job_id, sample=info, summary=job.spotcheck,  # type: ignore[arg-type]
                                verdicts={k: list(v) for k, v in review.VERDICTS.items()}, items=items)

    async def judge(self, tenant: str, job_id: str, record_id: str, v: review.Verdict) -> review.StoredVerdict:
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
        stored = review.StoredVerdict(
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
