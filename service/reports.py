"""A job's report from its data: one streaming pass, computed once, stored, served.

`compute` reads the job's records and rejects page by page (sealed segments, then the
live window: `Segments.iter_lines`) into a `report.Accumulator`, so its memory does not
grow with the job. `data` is what the report route and exports call:
- a running job's figures are computed live, every time (they still change);
- a finished job's are read from `report.json` in the dataset store; the first reader
  after the end (the worker that settles the job, or the API on a first request)
  computes and stores them under the job's report lock (SET NX, REPORT_LOCK_SECONDS),
  so the pass runs once. A reader that finds the lock taken computes live instead of
  waiting (the same numbers: the job has ended, its data no longer changes).
The job's live figures (yield, reject attempts, spot-check, verification, cost) are
never stored: `report.assemble` adds them at each read.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

import msgspec

from service import defaults
from service.domain import report
from service.domain.job import FINAL, JobState
from service.recipes.base import SeedTask
from service.settings import Settings
from service.store.jobs import JobStore

log = logging.getLogger("synthgen.reports")
_dec = msgspec.json.Decoder()
_data_dec = msgspec.json.Decoder(report.ReportData)
# Lines decoded and fed per step (a page of the stream; one to_thread hop each).
PAGE = 2000


def _feed(acc: report.Accumulator, kind: str, lines: list[bytes]) -> None:
    add = acc.record if kind == "records" else acc.reject
    for line in lines:
        add(_dec.decode(line))


# Recipes whose records are measured against their seed tasks (ROUGE-L to seeds).
SEEDED = ("self_instruct", "alpaca", "evol_instruct")


async def seeds(store: JobStore, job_id: str, settings: Settings | None) -> list[str] | None:
    """The seed instructions of a seeded recipe's job (inline, or its seed file); None
    for other recipes or when they cannot be read."""
    from service.recipes.base import load_seeds

    raw = await store.spec(job_id, None)
    if raw is None or settings is None:
        return None
    spec = msgspec.json.decode(raw)
    if spec.get("recipe") not in SEEDED:
        return None
    params = spec.get("params") or {}
    try:
        inline = msgspec.convert(params.get("seeds"), list[SeedTask] | None)
        tasks = load_seeds(inline, params.get("seed_file"), settings, "params")
    except Exception as exc:  # a seed file removed since: the report goes without
        log.warning("job %s: seeds not loaded for the report (%s)", job_id, exc)
        return None
    return [t.instruction for t in tasks]


async def compute(store: JobStore, job_id: str, settings: Settings | None = None) -> report.ReportData:
    """The job's data figures, in one pass over its records and rejects."""
    acc = report.Accumulator(await seeds(store, job_id, settings))
    for kind in ("records", "rejects"):
        async for lines in store.segments.iter_lines(job_id, kind, PAGE):
            await asyncio.to_thread(_feed, acc, kind, lines)
    return acc.result()


async def stored(store: JobStore, job_id: str) -> report.ReportData | None:
    raw = await asyncio.to_thread(store.segments.files.read_report, job_id)
    return _data_dec.decode(raw) if raw is not None else None


async def settle(store: JobStore, job_id: str, settings: Settings | None = None) -> report.ReportData | None:
    """Compute and store the ended job's report unless it is stored or being computed
    (the lock); the stored figures, or None when another process holds the lock."""
    have = await stored(store, job_id)
    if have is not None:
        return have
    token = secrets.token_hex(8)
    if not await store.segments.lock_report(job_id, token, defaults.REPORT_LOCK_SECONDS):
        return None
    try:
        have = await stored(store, job_id)  # stored between our first look and the lock
        if have is not None:
            return have
        data = await compute(store, job_id, settings)
        await asyncio.to_thread(store.segments.files.write_report, job_id, msgspec.json.encode(data))
        after = await store.get(job_id)
        if not after or after.get("deleted_at"):
            # Deleted while the pass ran (its folder may be gone already): leave no file behind.
            await store.segments.delete_files(job_id)
        return data
    finally:
        await store.segments.unlock_report(job_id, token)


async def data(store: JobStore, job: JobState, settings: Settings | None = None) -> tuple[report.ReportData, str]:
    """(figures, "stored" | "live") of the job's report."""
    if job.status in FINAL:
        got = await settle(store, job.id, settings)
        if got is not None:
            return got, "stored"
    return await compute(store, job.id, settings), "live"


async def build(store: JobStore, job: JobState, settings: Settings | None = None) -> report.JobReport:
    got, how = await data(store, job, settings)
    return report.assemble(job, got, how)
