"""What the job routes do: check, store, enqueue, read. Built once at start
(service/api/app.py) with its store, queue connection, providers and settings.

Submission order matters for crash safety: the job hash is written before it is
enqueued, so a worker never sees an id without its spec; an idempotency key is
reserved (SET NX) before the job is created, so concurrent retries create one job.
Quotas are charged after the key is reserved (a replay is never charged twice) and
before the job is created; a refused submission gives its key back.

Reads take a `scope`: the caller's tenant, or None for an admin (every tenant's jobs).
Another tenant's job is a 404, exactly like a missing one.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import secrets
import time
from typing import Any, AsyncIterator

import msgspec

from service import defaults, exports, metrics
from service.api.jobs.paging import encode_list_cursor, encode_stream_cursor, list_cursor, stream_cursor
from service.api.jobs.schemas import Job, JobPage, PushRequest, PushResult
from service.api.problems import ApiError, bad_field, not_found
from service.api.signing import Signer
from service.datasets import audit_deletion, delete_job
from service.domain.errors import FieldError, invalid
from service.domain.estimate import Estimate, project
from service.domain.job import FINAL, JobState, new_job_id
from service.domain.limits import ProviderWait
from service.domain.specs import JobSpecBase, parallelism, spec_hash
from service.outbound import OutboundPolicy, Refused
from service.providers.registry import Registry
from service.quotas import OverQuota, Quotas, Submission
from service.recipes import RECIPES, JobSpec
from service.recipes.base import Env
from service.redact import redact
from service.settings import Settings
from service.store.codec import from_hash
from service.store.jobs import JobStore
from service.store.queue import enqueue
from service.store.webhooks import WebhookStore

MAX_IDEMPOTENCY_KEY = 255


# A sample job's metadata: the whole job's target and inputs it stands for.
ESTIMATE_TARGET = "synthgen.estimate.target"
ESTIMATE_INPUTS = "synthgen.estimate.inputs"


class JobService:
    """The job operations behind /v1/jobs."""

    def __init__(self, store: JobStore, sync_redis: Any, registry: Registry, settings: Settings,
                 quotas: Quotas, signer: Signer, outbound: OutboundPolicy, webhooks: WebhookStore):
        self.store = store
        self.sync_redis = sync_redis
        self.settings = settings
        self.env = Env(providers=registry, settings=settings)
        self.quotas = quotas
        self.signer = signer
        self.outbound = outbound
        self.webhooks = webhooks

    # -- submit ---------------------------------------------------------------------

    async def submit(self, tenant: str, spec: JobSpecBase, raw: bytes, idempotency_key: str | None) -> tuple[Job, bool]:
        """Returns (job, created). created=False when an idempotent retry found its job.
        `raw` is the body `spec` was decoded from: a key's replay must send the same bytes."""
        target = RECIPES[spec.recipe].check(spec, msgspec.structs.replace(self.env, tenant=tenant))
        shards = parallelism(spec, target, self.settings.parallelism, self.settings.max_parallelism)
        if spec.webhook is not None:
            try:
                await self.outbound.addresses(spec.webhook.url)
            except Refused as exc:
                raise invalid("webhook.url", str(exc), spec.webhook.url) from None
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
        try:
            await self.quotas.admit(Submission(tenant=tenant, job_id=job_id, target=target or 0))
        except OverQuota as over:
            if idempotency_key is not None:
                await self.store.forget_idempotent(tenant, idempotency_key, job_id)
            if over.retry:
                raise ApiError.of("quota-exceeded", over.detail, quota=over.info,
                                  headers={"Retry-After": str(over.info.retry_after)}) from None
            raise ApiError.of("over-limit", over.detail, quota=over.info, errors=[FieldError(
                field=over.field, message=over.detail, value=target)]) from None
        spec_json = msgspec.json.encode(spec)
        await self.store.create(
            job_id=job_id, tenant=tenant, recipe=spec.recipe, spec_json=spec_json,
            spec_hash=spec_hash(spec), target=target,
            seed=spec.seed if spec.seed is not None else secrets.randbelow(2**31), parallelism=shards,
            idempotency_key=idempotency_key,
        )
        if spec.webhook is not None:  # in the outbox before the job can end
            await self.webhooks.expect(job_id)
        # Read before enqueueing: the 202 then always shows the job as accepted (queued),
        # never whatever a fast worker made of it in the meantime.
        job = await self.get(tenant, job_id)
        # One copy: each worker that claims a shard queues the next (store/shards.py).
        await asyncio.to_thread(enqueue, self.sync_redis, self.settings.queue, job_id)
        await self.store.count(metrics.COUNTERS_KEY, msgspec.json.encode(["synthgen_jobs_submitted", spec.recipe]))
        return job, True

    # -- estimates (domain/estimate.py) -------------------------------------------------

    async def estimate(self, tenant: str, spec: JobSpecBase) -> Estimate:
        """Run `spec` on a sample (a job of its own, ESTIMATE_SAMPLE_RECORDS kept records,
        one shard, no webhook) and project the whole job from it; waits up to
        ESTIMATE_WAIT_SECONDS for the sample to end (the estimate's `status` says)."""
        effective = RECIPES[spec.recipe].check(spec, msgspec.structs.replace(self.env, tenant=tenant))
        target, inputs = spec.target, None
        if target is None:  # an input-driven job: its effective target is its number of inputs
            prompts = getattr(getattr(spec, "params", None), "prompts", None)
            inputs = effective or (len(prompts) if prompts else None)
            if not inputs:
                raise invalid("target", "an estimate of a job without a target needs its inputs inline "
                              "(params.prompts) or a target")
        n = min(target or inputs or 1, defaults.ESTIMATE_SAMPLE_RECORDS)
        meta = {**spec.metadata, ESTIMATE_TARGET: str(target or ""), ESTIMATE_INPUTS: str(inputs or "")}
        # The sample runs online (no deadline): a batch could take the whole 24 h window.
        sample = msgspec.structs.replace(spec, target=n, parallelism=1, webhook=None, min_yield=None, metadata=meta,
                                         deadline=None)
        job, _ = await self.submit(tenant, sample, b"", None)
        # No worker alive: nothing would run the sample while this waits (202 at once).
        wait = defaults.ESTIMATE_WAIT_SECONDS if await self.store.live_workers() else 0.0
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if (await self.state(tenant, job.id)).status in FINAL:
                break
            await asyncio.sleep(0.2)
        return await self.projection(tenant, job.id)

    async def projection(self, scope: str | None, job_id: str) -> Estimate:
        """The estimate a sample job (POST /v1/jobs/estimate) gives, from what it has seen;
        of any other job, the projection of its own whole run from what it has seen so far."""
        raw = await self.store.view(job_id, scope)
        spec_raw = await self.store.spec(job_id, scope)
        if raw is None or spec_raw is None:
            raise not_found()
        spec = msgspec.json.decode(spec_raw, type=JobSpec)
        meta = spec.metadata
        if ESTIMATE_TARGET in meta:
            target = int(meta[ESTIMATE_TARGET]) if meta[ESTIMATE_TARGET] else None
            inputs = int(meta[ESTIMATE_INPUTS]) if meta.get(ESTIMATE_INPUTS) else None
        else:  # the job itself: its target, or (input-driven) its inputs, the effective target stored
            target = spec.target
            inputs = None if target is not None else (int(raw["target"]) if raw.get("target") else None)
        state = from_hash(raw)
        started = float(raw.get("started_at") or 0) or None
        ended = float(raw.get("finished_at") or 0) or time.time()
        cfg = self.env.providers.configs.get(spec.generator.provider)
        model = spec.generator.model or (cfg.default_models()[0] if cfg and cfg.default_models() else "")
        rpm = cfg.limits_for(model).rpm if cfg is not None else None
        p = state.progress
        return project(sample_job=job_id, status=state.status, kept=p.kept, rejected=p.rejected,
                       requests=p.requests, tokens=p.tokens_in + p.tokens_out, nanos=int(raw.get("cost") or 0),
                       seconds=(ended - started) if started else 0.0, target=target, inputs=inputs,
                       shards=parallelism(spec, target, self.settings.parallelism, self.settings.max_parallelism),
                       rpm=rpm)

    async def _await_job(self, job_id: str, tenant: str) -> Job:
        # The request that won the key may still be writing the job hash.
        for _ in range(100):
            raw = await self.store.view(job_id, tenant)
            if raw is not None:
                return Job.of(from_hash(raw), retention_s=await self.quotas.retention_seconds(tenant))
            await asyncio.sleep(0.02)
        raise ApiError.of("idempotency-in-progress",
                          "a request with this Idempotency-Key is still being processed; retry",
                          headers={"Retry-After": "1"})

    # -- read -----------------------------------------------------------------------

    async def state(self, scope: str | None, job_id: str) -> JobState:
        """The job's state, or a 404 (also for another tenant's job)."""
        raw = await self.store.view(job_id, scope)
        if raw is None:
            raise not_found()
        live = await self.store.live_workers() if raw["status"] in ("queued", "running") else None
        return from_hash(raw, live)

    async def get(self, scope: str | None, job_id: str) -> Job:
        raw = await self.store.view(job_id, scope)
        if raw is None:
            raise not_found()
        live = await self.store.live_workers() if raw["status"] in ("queued", "running") else None
        state = from_hash(raw, live)
        waits = await self._waits([state.id] if state.status == "running" else [])
        keep = await self.quotas.retention_seconds(raw["tenant"]) if state.status in FINAL else 0
        return Job.of(state, waits.get(state.id), keep)

    async def rendered(self, job_id: str) -> bytes | None:
        """The job as GET /v1/jobs/{id} serves it (JSON), for its webhook; None if gone."""
        raw = await self.store.view(job_id, None)
        if not raw:
            return None
        return msgspec.json.encode(Job.of(from_hash(raw), retention_s=await self.quotas.retention_seconds(raw["tenant"])))

    async def spec(self, scope: str | None, job_id: str) -> bytes:
        spec = await self.store.spec(job_id, scope)
        if spec is None:
            raise not_found()
        return spec

    async def list(self, tenant: str, limit: int, cursor: str | None, status: str | None) -> JobPage:
        """A page of `tenant`'s jobs (the caller's own, or the one an admin names)."""
        before = list_cursor(self.signer, tenant, cursor) if cursor else None
        rows, last = await self.store.list(tenant, limit=limit, before=before, status=status)
        nxt = encode_list_cursor(self.signer, tenant, last[0], last[1]) if last else None
        live = await self.store.live_workers() if any(r["status"] in ("queued", "running") for r in rows) else None
        waits = await self._waits([r["id"] for r in rows if r["status"] == "running"])
        keep = await self.quotas.retention_seconds(tenant)
        return JobPage(data=[Job.of(from_hash(r, live), waits.get(r["id"]), keep) for r in rows], next_cursor=nxt)

    async def _waits(self, running: builtins.list[str]) -> dict[str, builtins.list[ProviderWait]]:
        """The open circuits the running jobs `running` wait on (one read when none is open)."""
        return await self.store.limits.waits(running) if running else {}

    async def delete(self, scope: str | None, job_id: str, who: str) -> None:
        """Delete a finished job and everything it made; another tenant's job is a 404,
        a job still running a 409."""
        raw = await self.store.view(job_id, scope)
        if raw is None:
            raise not_found()
        prev = await delete_job(self.store, self.settings, job_id)
        if prev == "":
            raise not_found()
        if prev not in FINAL:
            raise ApiError.of("job-not-final", f"the job is {prev}; cancel it first, then delete it",
                              job_status=prev)
        audit_deletion(job_id, raw.get("tenant", ""), who, "request")

    async def export(self, scope: str | None, job_id: str, file_format: str,
                     output: str | None) -> tuple[AsyncIterator[bytes], str, str]:
        """(body, media type, file name) of an export of the job's records (service/exports.py)."""
        state = await self.state(scope, job_id)
        pages = self.store.segments.iter_lines(job_id, "records", exports.EXPORT_BATCH)
        name = f"{job_id}-{output or 'stored'}"
        if file_format == "jsonl":
            return exports.jsonl(pages, output), "application/x-ndjson", f"{name}.jsonl"
        if file_format == "parquet":
            return exports.parquet(pages, output), "application/vnd.apache.parquet", f"{name}.parquet"
        spec = msgspec.json.decode(await self.spec(scope, job_id))
        return self._hf(state, spec, output), "application/x-tar", f"{name}-hf.tar"

    async def hf_layout(self, state: JobState, spec: dict[str, Any], output: str | None, folder: str) -> builtins.list[str]:
        """Write the Hugging Face layout of the job under `folder`; its files."""
        from service import reports

        pages = self.store.segments.iter_lines(state.id, "records", exports.EXPORT_BATCH)
        files, models = await exports.hf_files(pages, output, state.progress.kept, folder)
        rep = await reports.build(self.store, state, self.settings)
        card = exports.card(exports.CardInputs(job=state, spec=spec, report=rep, models=models, files=files,
                                               fmt=output or str(spec.get("format") or "native")))
        with open(f"{folder}/README.md", "w") as f:
            f.write(card)
        return ["README.md", *(path for path, _, _ in files)]

    async def push(self, scope: str | None, job_id: str, req: PushRequest) -> PushResult:
        """Push the job's Hugging Face layout to the Hub with the operator's token."""
        state = await self.state(scope, job_id)  # another tenant's job: a 404 before anything else
        token = self.settings.hf_token
        if not token:
            raise ApiError.of("hub-not-configured", "this server has no Hugging Face token (SYNTHGEN_HF_TOKEN); "
                              "download the layout with GET .../export?format=hf instead")
        if state.status not in FINAL:
            raise ApiError.of("job-not-final", f"the job is {state.status}; push it once it has finished",
                              job_status=state.status)
        spec = msgspec.json.decode(await self.spec(scope, job_id))
        with exports.scratch() as folder:
            names = await self.hf_layout(state, spec, req.output, folder)
            try:
                url = await asyncio.to_thread(exports.push_folder, folder, req.repo_id, token, private=req.private,
                                              message=f"synthgen job {job_id} ({state.recipe})")
            except ImportError:
                raise ApiError.of("hub-not-configured", "huggingface_hub is not installed on this server "
                                  "(pip install 'synthgen[hub]')") from None
            except Exception as exc:  # the Hub's answer, never the token (redacted)
                raise ApiError.of("hub-failed", redact(f"{type(exc).__name__}: {exc}")[:500]) from None
        return PushResult(repo_id=req.repo_id, commit_url=url, files=names, records=state.progress.kept)

    async def _hf(self, state: JobState, spec: dict[str, Any], output: str | None) -> AsyncIterator[bytes]:
        with exports.scratch() as folder:
            names = await self.hf_layout(state, spec, output, folder)
            for piece in exports.tar_stream(folder, names):
                if piece:
                    yield piece

    async def cancel(self, scope: str | None, job_id: str) -> Job:
        if await self.store.view(job_id, scope) is None:
            raise not_found()
        prev = await self.store.cancel(job_id)
        if prev in FINAL:
            raise ApiError.of("job-final", f"the job is {prev}; a finished job cannot be cancelled", job_status=prev)
        return await self.get(scope, job_id)

    async def stream(self, scope: str | None, job_id: str, kind: str, cursor: str | None,
                     limit: int) -> tuple[bytes, str]:
        """NDJSON lines after `cursor`, and the cursor to resume from ('' when done)."""
        raw = await self.store.view(job_id, scope)
        if raw is None:
            raise not_found()
        offset = stream_cursor(self.signer, job_id, kind, cursor) if cursor else 0
        lines = await self.store.read(job_id, kind, offset, limit)
        end = offset + len(lines)
        final = raw["status"] in FINAL
        total_key = "kept" if kind == "records" else "rejected"
        exhausted = final and end >= int(raw.get(total_key) or 0)
        body = b"".join(line + b"\n" for line in lines)
        return body, "" if exhausted else encode_stream_cursor(self.signer, job_id, kind, end)
