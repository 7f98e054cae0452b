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
import secrets
import time
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from service import defaults, metrics
from service.api.problems import ApiError, bad_field, not_found, spec_error
from service.domain.errors import invalid
from service.domain.job import FINAL, Job, JobPage, from_hash, new_job_id
from service.domain.specs import spec_hash
from service.providers.registry import Registry
from service.recipes import RECIPES, decode_spec
from service.recipes.base import Env, check_generator
from service.settings import Settings
from service.store.jobs import JobStore
from service.store.queue import enqueue

MAX_IDEMPOTENCY_KEY = 255


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_field("cursor", "not a cursor this API issued", cursor) from None


class JobService:
    """The job operations behind /v1/jobs."""

    def __init__(self, store: JobStore, sync_redis: Any, registry: Registry, settings: Settings):
        self.store = store
        self.sync_redis = sync_redis
        self.registry = registry
        self.settings = settings
        self.env = Env(providers=registry, settings=settings)

    # -- submit ---------------------------------------------------------------------

    def validate(self, raw: bytes) -> tuple[Any, int | None]:
        try:
            spec = decode_spec(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise spec_error(exc) from None
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
        if spec.judge is not None and spec.judge.rubric != "additive5":
            if "{prompt}" not in spec.judge.rubric or "{response}" not in spec.judge.rubric:
                raise invalid("judge.rubric", "a custom rubric must contain {prompt} and {response}")
        if spec.decontamination is not None:
            d = spec.decontamination
            for i, name in enumerate(d.benchmarks):
                if name not in self.settings.benchmark_files:
                    raise invalid(f"decontamination.benchmarks[{i}]", f"no benchmark set named {name!r} is registered; "
                                  "see GET /v1/benchmarks", name)
            if not d.benchmarks and not d.inline:
                raise invalid("decontamination.benchmarks", "name at least one benchmark set or give one inline")
        if spec.dedup is not None and spec.dedup.embedding is not None:
            e = spec.dedup.embedding
            if e.scope == "collection" and not e.collection:
                raise invalid("dedup.embedding.collection", "scope 'collection' needs a collection name")
        if spec.format == "preference" and not recipe.pairs:
            raise invalid("format", f"recipe {spec.recipe} makes no preference pairs", spec.format)
        if spec.filters.min_words > spec.filters.max_words:
            raise invalid("filters.min_words", "min_words exceeds max_words", spec.filters.min_words)
        return spec, recipe.validate(spec, self.env)

    async def submit(self, tenant: str, raw: bytes, idempotency_key: str | None) -> tuple[Job, bool]:
        """Returns (job, created). created=False when an idempotent retry found its job."""
        spec, target = self.validate(raw)
        job_id = new_job_id()
        if idempotency_key is not None:
            if not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
                raise bad_field("Idempotency-Key", f"must be 1 to {MAX_IDEMPOTENCY_KEY} characters", status=422)
            body_hash = hashlib.sha256(raw).hexdigest()
            stored = await self.store.idempotent(tenant, idempotency_key, job_id, body_hash)
            if stored is not None:
                old_id, _, old_hash = stored.partition(" ")
                if old_hash != body_hash:
                    raise ApiError(422, "idempotency-key-reused", "Idempotency key reused",
                                   "this Idempotency-Key was used with a different body")
                return await self._await_job(old_id, tenant), False
        spec_json = msgspec.json.encode(spec)
        await self.store.create(
            job_id=job_id, tenant=tenant, recipe=spec.recipe, spec_json=spec_json,
            spec_hash=spec_hash(spec), target=target,
            seed=spec.seed if spec.seed is not None else secrets.randbelow(2**31),
        )
        await asyncio.to_thread(enqueue, self.sync_redis, self.settings.queue, job_id)
        await self.store.r.hincrbyfloat(metrics.COUNTERS_KEY, msgspec.json.encode(["synthgen_jobs_submitted", spec.recipe]), 1)
        job = await self.get(tenant, job_id)
        return job, True

    async def _await_job(self, job_id: str, tenant: str) -> Job:
        # The request that won the key may still be writing the job hash.
        for _ in range(100):
            raw = await self.store.get(job_id, tenant)
            if raw is not None:
                return from_hash(raw)
            await asyncio.sleep(0.02)
        raise ApiError(409, "idempotency-in-progress", "Request in progress",
                       "a request with this Idempotency-Key is still being processed; retry",
                       headers={"Retry-After": "1"})

    # -- read -----------------------------------------------------------------------

    async def get(self, tenant: str, job_id: str) -> Job:
        raw = await self.store.get(job_id, tenant)
        if raw is None:
            raise not_found()
        live = await self.store.live_workers() if raw["status"] in ("queued", "running") else None
        return from_hash(raw, live)

    async def list(self, tenant: str, limit: int, cursor: str | None, status: str | None) -> JobPage:
        before = None
        if cursor:
            score, _, jid = decode_cursor(cursor).partition(" ")
            try:
                before = (float(score), jid)
            except ValueError:
                raise bad_field("cursor", "not a cursor this API issued", cursor) from None
        rows, last = await self.store.list(tenant, limit=limit, before=before, status=status)
        nxt = encode_cursor(f"{last[0]!r} {last[1]}") if last else None
        live = await self.store.live_workers() if any(r["status"] in ("queued", "running") for r in rows) else None
        return JobPage(data=[from_hash(r, live) for r in rows], next_cursor=nxt)

    async def cancel(self, tenant: str, job_id: str) -> Job:
        if await self.store.get(job_id, tenant) is None:
            raise not_found()
        prev = await self.store.cancel(job_id)
        if prev in FINAL:
            raise ApiError(409, "job-final", "Job already finished",
                           f"the job is {prev}; a finished job cannot be cancelled", job_status=prev)
        return await self.get(tenant, job_id)

    async def stream(self, tenant: str, job_id: str, kind: str, cursor: str | None, limit: int) -> tuple[bytes, str]:
        """NDJSON lines after `cursor`, and the cursor to resume from ('' when done)."""
        raw = await self.store.get(job_id, tenant)
        if raw is None:
            raise not_found()
        offset = 0
        if cursor:
            text = decode_cursor(cursor)
            if not text.startswith("o") or not text[1:].isdigit():
                raise bad_field("cursor", "not a cursor this API issued", cursor)
            offset = int(text[1:])
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


class Verdict(msgspec.Struct, forbid_unknown_fields=True):
    """A reviewer's decision on one sampled record."""

    verdict: Literal["accept", "reject"]
    note: Annotated[str, Meta(max_length=4000)] = ""
    reviewer: Annotated[str, Meta(max_length=200)] = ""


class SpotCheckRequest(msgspec.Struct, forbid_unknown_fields=True):
    size: Annotated[int, Meta(ge=1, le=10_000)] = 200
    seed: int | None = None


class StoredVerdict(msgspec.Struct):
    record_id: str
    verdict: str
    note: str
    reviewer: str
    at: str


class SpotItem(msgspec.Struct):
    record: dict[str, Any]
    generator: str
    verdict: StoredVerdict | None


class SpotCheck(msgspec.Struct):
    job_id: str
    size: int
    reviewed: int
    accepted: int
    acceptance_rate: float | None
    items: list[SpotItem]
    object: str = "spotcheck"


def stratified_sample(records: list[dict[str, Any]], size: int, seed: int) -> list[dict[str, Any]]:
    """`size` records, each generator's share proportional to its records (largest
    remainder, at least one per generator while room allows), shuffled."""
    import random

    rng = random.Random(seed)
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        groups.setdefault(generator_of(rec), []).append(rec)
    size = min(size, len(records))
    if not size:
        return []
    quotas = {g: size * len(rs) / len(records) for g, rs in groups.items()}
    alloc = {g: min(len(groups[g]), max(1, int(q))) for g, q in quotas.items()}
    while sum(alloc.values()) > size:
        g = max(alloc, key=lambda k: alloc[k] - quotas[k])
        alloc[g] -= 1
    for g in sorted(quotas, key=lambda k: quotas[k] - int(quotas[k]), reverse=True) * 2:
        if sum(alloc.values()) >= size:
            break
        if alloc[g] < len(groups[g]):
            alloc[g] += 1
    sample = [rec for g, n in sorted(alloc.items()) for rec in rng.sample(groups[g], n)]
    rng.shuffle(sample)
    return sample


def generator_of(record: dict[str, Any]) -> str:
    meta = record.get("meta") or {}
    return f"{meta.get('provider', '?')}/{meta.get('model', '?')}"


class ReviewService:
    """Job report and the human spot-check (sample, verdicts, export)."""

    def __init__(self, jobs: JobService):
        self.jobs = jobs
        self.store = jobs.store

    async def report(self, tenant: str, job_id: str) -> Any:
        from service.domain import report

        job = await self.jobs.get(tenant, job_id)
        records = await self.store.all_records(job_id)
        return await asyncio.to_thread(report.build, job, records)

    async def create(self, tenant: str, job_id: str, req: SpotCheckRequest) -> tuple[SpotCheck, bool]:
        job = await self.jobs.get(tenant, job_id)
        if job.spotcheck is None:
            records = await self.store.all_records(job_id)
            if not records:
                raise ApiError(409, "no-records", "Nothing to review", "the job has no kept records yet",
                               job_status=job.status)
            seed = req.seed if req.seed is not None else (job.seed or 0)
            sample = stratified_sample(records, req.size, seed)
            created = await self.store.spot_create(job_id, [msgspec.json.encode(r) for r in sample])
            return await self.get(tenant, job_id), created
        return await self.get(tenant, job_id), False

    async def get(self, tenant: str, job_id: str) -> SpotCheck:
        job = await self.jobs.get(tenant, job_id)
        if job.spotcheck is None:
            raise not_found("spot-check (create one with POST)")
        lines, verdicts = await self.store.spot_sample(job_id)
        items = []
        for line in lines:
            rec = msgspec.json.decode(line)
            v = verdicts.get(rec["id"].encode())
            items.append(SpotItem(record=rec, generator=generator_of(rec),
                                  verdict=msgspec.json.decode(v, type=StoredVerdict) if v else None))
        s = job.spotcheck
        return SpotCheck(job_id=job_id, size=s.size, reviewed=s.reviewed, accepted=s.accepted,
                         acceptance_rate=s.acceptance_rate, items=items)

    async def judge(self, tenant: str, job_id: str, record_id: str, v: Verdict) -> StoredVerdict:
        job = await self.jobs.get(tenant, job_id)
        lines, _ = await self.store.spot_sample(job_id) if job.spotcheck else ([], {})
        if not any(msgspec.json.decode(line)["id"] == record_id for line in lines):
            raise not_found("record in this job's spot-check sample")
        from service.domain.job import rfc3339

        stored = StoredVerdict(record_id=record_id, verdict=v.verdict, note=v.note, reviewer=v.reviewer,
                               at=rfc3339(time.time()) or "")
        await self.store.spot_verdict(job_id, record_id, msgspec.json.encode(stored), v.verdict)
        return stored

    async def export(self, tenant: str, job_id: str) -> bytes:
        sc = await self.get(tenant, job_id)
        return b"".join(msgspec.json.encode(i.verdict) + b"\n" for i in sc.items if i.verdict)
