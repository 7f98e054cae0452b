"""Exports of a job's records: JSON lines or Parquet in any output format, and a Hugging
Face dataset layout (data/train-0000x-of-0000n.parquet + a README.md dataset card).

Everything streams from the dataset store's reader (segments, then the live window), a
page at a time, so an export of a million records holds one page in memory, never the
job. The card is written from the job: its spec and seed (to run it again), the
generators with their model ids and licence tags (and a warning when a licence limits
training use), the funnel and reject reasons, decontamination per benchmark, the
report's distributions and diversity, the spot-check's acceptance with its interval,
and sizes.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import time
from typing import Any, AsyncIterator, Iterable

import msgspec

from service.domain.job import JobState
from service.domain.report import JobReport
from service.pipeline import formats

FILE_FORMATS = ("jsonl", "parquet", "hf")
# Rows per Parquet row group / per page read from the store while exporting.
EXPORT_BATCH = 2000
# Rows per file of the Hugging Face layout: ~50-100 MB of Parquet for 2 KB records,
# about the size the Hub's viewer and `datasets` handle well.
HF_ROWS_PER_FILE = 100_000
# Licence tags whose terms limit using the outputs to train other models (a card with
# one of them says so); "unknown" is warned about too.
RESTRICTED_LICENCES = ("llama", "gemma", "openai", "gpt", "anthropic", "claude", "gemini", "mistral-research",
                       "cc-by-nc", "non-commercial", "proprietary", "unknown")


def reshape(record: dict[str, Any], fmt: str | None) -> dict[str, Any]:
    """A stored record in output format `fmt` (None: as stored). The record's fields are
    put back together with those its format moved to `meta.fields`, then shaped again."""
    if fmt is None:
        return record
    meta = dict(record.get("meta") or {})
    data = {k: v for k, v in record.items() if k not in ("id", "meta")}
    data.update(meta.pop("fields", {}) or {})
    out = formats.shape(data, fmt, meta)
    return {"id": record.get("id"), **out, "meta": meta}


async def records(pages: AsyncIterator[list[bytes]], fmt: str | None) -> AsyncIterator[list[dict[str, Any]]]:
    dec = msgspec.json.Decoder()
    async for lines in pages:
        yield [reshape(dec.decode(line), fmt) for line in lines]


async def jsonl(pages: AsyncIterator[list[bytes]], fmt: str | None) -> AsyncIterator[bytes]:
    if fmt is None:  # as stored: the lines go out untouched
        async for lines in pages:
            yield b"".join(line + b"\n" for line in lines)
        return
    enc = msgspec.json.Encoder()
    async for batch in records(pages, fmt):
        yield b"".join(enc.encode(r) + b"\n" for r in batch)


def _table(batch: list[dict[str, Any]], schema: Any = None) -> Any:
    """A batch as an Arrow table; `meta` (free-form, its keys vary between records) as a
    JSON string, so every batch of a job has the first batch's schema."""
    import pyarrow as pa

    rows = [{**r, "meta": json.dumps(r["meta"], ensure_ascii=False)} if "meta" in r else r for r in batch]
    if schema is None:
        return pa.Table.from_pylist(rows)
    return pa.Table.from_pylist(rows, schema=schema)


class _Sink(io.RawIOBase):
    """A write-only file that hands its bytes out as they are written."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.pos = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.chunks.append(data)
        self.pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self.pos

    def take(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


async def parquet(pages: AsyncIterator[list[bytes]], fmt: str | None) -> AsyncIterator[bytes]:
    """One Parquet file (zstd), streamed: a row group per page."""
    import pyarrow.parquet as pq

    sink = _Sink()
    writer = None
    async for batch in records(pages, fmt):
        if not batch:
            continue
        table = _table(batch, writer.schema if writer is not None else None)
        if writer is None:
            writer = pq.ParquetWriter(sink, table.schema, compression="zstd")
        writer.write_table(table)
        yield sink.take()
    if writer is None:  # no record: an empty file with no column is still a valid Parquet
        import pyarrow as pa

        writer = pq.ParquetWriter(sink, pa.schema([("id", pa.string())]), compression="zstd")
    writer.close()
    yield sink.take()


# -- the Hugging Face layout -------------------------------------------------------------


def licence_warning(licences: Iterable[str]) -> str | None:
    bad = sorted({tag for tag in licences if any(r in tag.lower() for r in RESTRICTED_LICENCES)})
    if not bad:
        return None
    return (f"Generated by models under {', '.join(bad)}: these terms may restrict using the outputs to train "
            "other models, or their commercial use. Check them before training on this dataset.")


class CardInputs(msgspec.Struct, kw_only=True):
    """What the card is written from (all read from the job, not from Redis lists)."""

    job: JobState
    spec: dict[str, Any]
    report: JobReport
    models: dict[str, dict[str, Any]]  # generator label -> {model, licence, provider}
    files: list[tuple[str, int, int]]  # (path, rows, bytes)
    fmt: str


def _dist(d: Any) -> str:
    if d is None:
        return "n/a"
    return f"n={d.count}, min {d.min:g}, p10 {d.p10:g}, median {d.p50:g}, p90 {d.p90:g}, max {d.max:g}, mean {d.mean:g}"


def card(c: CardInputs) -> str:
    """README.md of the Hugging Face layout: YAML front matter, then the job's account."""
    job, rep = c.job, c.report
    licences = sorted({m.get("licence") or "unknown" for m in c.models.values()}) or ["unknown"]
    total_bytes = sum(b for _, _, b in c.files)
    rows = sum(r for _, r, _ in c.files)
    size_cat = ("n<1K" if rows < 1_000 else "1K<n<10K" if rows < 10_000 else "10K<n<100K" if rows < 100_000
                else "100K<n<1M" if rows < 1_000_000 else "1M<n<10M")
    front = {
        "license": "other" if len(licences) != 1 or licences[0] == "unknown" else licences[0],
        "size_categories": [size_cat],
        "tags": ["synthetic", "synthgen", f"recipe:{job.recipe}"],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}],
        "dataset_info": {"splits": [{"name": "train", "num_examples": rows, "num_bytes": total_bytes}]},
    }
    yaml_lines = _yaml(front)
    out = ["---", *yaml_lines, "---", "", f"# Synthetic dataset: job `{job.id}` ({job.recipe})", ""]
    warning = licence_warning(licences)
    if warning:
        out += [f"> **Licence warning.** {warning}", ""]
    out += ["Generated by synthgen. Every number below is the job's own, computed when this card was written.", ""]
    out += ["## Reproduce", "", f"Recipe `{job.recipe}`, seed `{job.seed}`, spec hash `{job.spec_hash}`, output "
            f"format `{c.fmt}`. Submit this spec (`POST /v1/jobs`; its seed is the one the job drew) to run it "
            "again:", "", "```json", json.dumps({**c.spec, "seed": job.seed}, indent=2, ensure_ascii=False), "```", ""]
    out += ["## Generators", "", "| generator | model | licence | kept | rejected |", "|---|---|---|---|---|"]
    for label, g in sorted(job.generators.items()):
        m = c.models.get(label, {})
        out.append(f"| {label} | {m.get('model', '')} | {m.get('licence', 'unknown')} | {g.kept} | {g.rejected} |")
    p = job.progress
    out += ["", "## Funnel", "", f"Target {p.target}, kept {p.kept}, rejected {p.rejected}, provider requests "
            f"{p.requests} (tokens in {p.tokens_in}, out {p.tokens_out}).", "",
            "| stage | entered | rejected |", "|---|---|---|"]
    out += [f"| {s.stage} | {'' if s.entered is None else s.entered} | {s.rejected} |" for s in job.funnel]
    out += ["", "Reject reasons:", ""]
    out += [f"- {reason}: {n}" for reason, n in sorted(p.rejected_by_reason.items())] or ["- none"]
    decontam = [o for o in job.outcomes if o.stage == "decontam"]
    out += ["", "## Decontamination", ""]
    if decontam:
        out += [f"- {o.reason}: {o.attempts} candidates" for o in decontam]
    else:
        out += ["No decontamination stage ran." if not any(s.stage == "decontam" for s in job.funnel)
                else "Nothing was found contaminated."]
    out += ["", "## Distributions", "", f"- response words: {_dist(rep.response_words)}",
            f"- prompt words: {_dist(rep.prompt_words)}", f"- judge scores: {_dist(rep.judge_scores)}",
            f"- nearest-neighbour similarity: {_dist(rep.nearest_similarity)}", "", "## Diversity", ""]
    for name, d in (("prompts", rep.prompt_diversity), ("responses", rep.response_diversity)):
        out.append(f"- {name}: distinct-1 {d.distinct_1:g}, distinct-2 {d.distinct_2:g}" if d else f"- {name}: n/a")
    out += ["", "## Human spot-check", ""]
    s = job.spotcheck
    if s is None or not s.reviewed:
        out.append("No spot-check verdicts.")
    else:
        iv = s.interval
        out.append(f"{s.accepted} of {s.reviewed} reviewed records accepted ({s.acceptance_rate}); 95% Wilson "
                   f"interval {iv.low}-{iv.high} (sample of {s.size}).")
    out += ["", "## Files", "", "| file | rows | bytes |", "|---|---|---|"]
    out += [f"| {path} | {n} | {b} |" for path, n, b in c.files]
    out += ["", f"{rows} records, {total_bytes} bytes of Parquet (zstd).", ""]
    return "\n".join(out)


def _yaml(value: Any, indent: int = 0) -> list[str]:
    """A tiny YAML writer for the front matter (dicts, lists, scalars; JSON-quoted strings)."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines += _yaml(v, indent + 1)
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict):
                sub = _yaml(v, indent + 1)
                lines.append(f"{pad}- {sub[0].strip()}")
                lines += sub[1:]
            else:
                lines.append(f"{pad}- {_scalar(v)}")
    return lines


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if v in ({}, []):
        return "{}" if v == {} else "[]"
    return json.dumps(str(v))


async def hf_files(pages: AsyncIterator[list[bytes]], fmt: str | None, total: int, folder: str,
                   rows_per_file: int = HF_ROWS_PER_FILE) -> tuple[list[tuple[str, int, int]], dict[str, dict[str, Any]]]:
    """Write the job's records as data/train-0000x-of-0000n.parquet under `folder` (one
    page in memory at a time). Returns the files (path, rows, bytes) and the generators'
    model ids and licence tags as the records carry them."""
    import pyarrow.parquet as pq

    n_files = max(1, -(-total // rows_per_file))
    files: list[tuple[str, int, int]] = []
    models: dict[str, dict[str, Any]] = {}
    writer = None
    schema = None
    rows = 0
    index = 0

    def close() -> None:
        nonlocal writer, rows
        if writer is not None:
            writer.close()
            path = f"data/train-{index:05d}-of-{n_files:05d}.parquet"
            files.append((path, rows, os.path.getsize(os.path.join(folder, path))))
            writer, rows = None, 0

    os.makedirs(os.path.join(folder, "data"), exist_ok=True)
    async for batch in records(pages, fmt):
        for r in batch:
            meta = r.get("meta") or {}
            label = f"{meta['provider']}/{meta['model']}" if "provider" in meta and "model" in meta else None
            if label and label not in models:
                models[label] = {k: meta[k] for k in ("model", "licence", "provider") if k in meta}
        while batch:
            if writer is None:
                path = os.path.join(folder, f"data/train-{index:05d}-of-{n_files:05d}.parquet")
                first = _table(batch[:1], schema)
                schema = schema or first.schema
                writer = pq.ParquetWriter(path, schema, compression="zstd")
            take = min(len(batch), rows_per_file - rows)
            writer.write_table(_table(batch[:take], schema))
            rows += take
            batch = batch[take:]
            if rows >= rows_per_file:
                close()
                index += 1
    close()
    if not files:  # an empty job: one empty file keeps the layout valid
        import pyarrow as pa

        path = "data/train-00000-of-00001.parquet"
        pq.write_table(pa.table({"id": pa.array([], pa.string())}), os.path.join(folder, path))
        files.append((path, 0, os.path.getsize(os.path.join(folder, path))))
    return files, models


def push_folder(folder: str, repo_id: str, token: str, *, private: bool, message: str, api: Any = None) -> str:
    """Upload the Hugging Face layout in `folder` to the dataset repo `repo_id` (made if
    missing); the commit's URL. `api` stands in for huggingface_hub.HfApi in tests (no
    Hub is reachable from them)."""
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    info = api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=folder, commit_message=message)
    return str(getattr(info, "commit_url", info))


def tar_stream(folder: str, names: list[str], chunk: int = 1 << 20) -> Iterable[bytes]:
    """A tar of `names` (paths under `folder`), produced piece by piece."""
    sink = _Sink()
    with tarfile.open(fileobj=sink, mode="w|") as tar:
        for name in names:
            info = tar.gettarinfo(os.path.join(folder, name), arcname=name)
            info.mtime = int(time.time())
            with open(os.path.join(folder, name), "rb") as f:
                tar.addfile(info, f)
            yield sink.take()
    yield sink.take()


def scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="synthgen-export-")
