"""The dedup stage: exact, MinHash and embedding near-duplicates, first one kept.

- exact: a hash of the normalised text (lowercased, punctuation and extra spaces
  removed) in a Redis set: per job, or per tenant collection with scope "collection".
  SADD answers "seen before?" atomically, so two workers never both keep one text.
- minhash: datasketch MinHash over word n-grams with an LSH index held by the run
  (rebuilt from the job's records when a run resumes); scope is the job.
- embedding: candidates offered at about the same time are gathered into one batch
  (64, or what is pending after 10 ms, up to 256); batches are embedded concurrently,
  then, one batch at a time and in the order they were formed, deduplicated within
  themselves (earlier wins), checked against the vector index in one batched call, and
  their survivors upserted with their record ids: each batch sees everything kept
  before it, and the embedder's latency overlaps the index work. The similarity to the nearest earlier neighbour is
  stored on every record (meta.dedup.nearest), which is what the job report's
  diversity histogram is made of.

A text that passes dedup stays in the dedup indexes even if a later stage rejects it;
a repeat of it is then rejected as a duplicate of a rejected candidate. Later stages
(decontamination) reject rarely, so this buys a single atomic check per candidate.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Annotated, Any, Callable, Literal

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.spec_parts import Probability
from service.pipeline.minhash import MinHashIndex
from service.pipeline.records import prompt_and_response
from service.pipeline.stages import Candidate, Stage, StageSpec, Verdict
from service.store.jobs import exact_key as exact_set_key
from service.store.redis import retrying


class MinHashDedup(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    threshold: Probability = 0.8
    num_perm: Annotated[int, Meta(ge=16, le=512)] = 128
    ngram: Annotated[int, Meta(ge=1, le=10)] = 3


class EmbeddingDedup(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    threshold: Annotated[
        float, Meta(ge=0.0, le=1.0, description="Cosine similarity at or above which a candidate is a near-duplicate.")
    ] = 0.9
    scope: Literal["job", "collection"] = "job"
    collection: Annotated[
        str, Meta(pattern="^[A-Za-z0-9_-]{1,64}$", description="With scope 'collection': a collection shared by the tenant's jobs.")
    ] | None = None


class DedupSpec(StageSpec, kw_only=True, forbid_unknown_fields=True):
    """Drop duplicates: exact (normalised hash), MinHash, and embedding near-duplicates."""

    field: Literal["prompt", "response", "both"] = "both"
    exact: bool = True
    minhash: MinHashDedup | None = None
    embedding: EmbeddingDedup | None = None

    def check(self, env: Any) -> None:
        e = self.embedding
        if e is not None and e.scope == "collection" and not e.collection:
            raise invalid("dedup.embedding.collection", "scope 'collection' needs a collection name")

    def build(self, ctx: Any) -> Stage:
        return DedupStage(self, ctx)

_PUNCT = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", _PUNCT.sub(" ", text.lower())).strip()


def exact_key(text: str) -> str:
    return hashlib.blake2b(normalise(text).encode(), digest_size=12).hexdigest()


def ngrams(n: int) -> Callable[[str], set[str]]:
    """The word n-grams of a normalised text (the text itself when shorter than n)."""
    def shingles(text: str) -> set[str]:
        toks = normalise(text).split()
        return {" ".join(toks[i: i + n]) for i in range(max(1, len(toks) - n + 1))}
    return shingles


class _Pending:
    __slots__ = ("candidate", "text", "future")

    def __init__(self, candidate: Candidate, text: str, future: asyncio.Future[Verdict | None]):
        self.candidate, self.text, self.future = candidate, text, future


class DedupStage:
    name = "dedup"
    BATCH = 64
    MAX_BATCH = 256
    WAIT_SECONDS = 0.01

    def __init__(self, spec: DedupSpec, run: Any):
        self.spec = spec
        self.run = run
        emb = spec.embedding
        scope = f"{run.tenant}:{emb.collection}" if emb and emb.scope == "collection" and emb.collection else None
        self.exact_set = exact_set_key(run.job_id, scope)
        self.collection = ("c_" + hashlib.sha1(scope.encode()).hexdigest()[:24]) if scope else f"job_{run.job_id}"
        mh = spec.minhash
        self.minhash = MinHashIndex(mh.threshold, mh.num_perm, ngrams(mh.ngram)) if mh else None
        self._minhash_loaded = False
        self._pending: list[_Pending] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tail: asyncio.Future[None] | None = None  # set when the previous batch's index work is done
        self._backend: Any = None

    def text_of(self, c: Candidate) -> str:
        return "\n".join(c.texts(self.spec.field))

    async def check(self, c: Candidate) -> Verdict | None:
        text = self.text_of(c)
        # Retried through a Redis outage. A SADD applied whose reply was lost reads as a
        # duplicate on the retry: rare (the connection must drop mid-reply) and it costs
        # one reject, never a duplicate record.
        if self.spec.exact and not await retrying(lambda: self.run.store.add_exact(self.exact_set, exact_key(text)),
                                                  f"job {self.run.job_id}: exact dedup"):
            return Verdict(self.name, "duplicate", "exact duplicate (normalised text)")
        if self.minhash is not None:
            if not self._minhash_loaded:
                self._minhash_loaded = True
                for rec in await self.run.store.all_records(self.run.job_id):
                    self.minhash.add(rec["id"], self._record_text(rec))
            twin = self.minhash.add(self.run.item_id(c.key), text)
            if twin is not None:
                return Verdict(self.name, "near_duplicate", f"MinHash Jaccard >= {self.minhash.threshold} with {twin[0]}")
        if self.spec.embedding is not None:
            fut: asyncio.Future[Verdict | None] = asyncio.get_running_loop().create_future()
            self._pending.append(_Pending(c, text, fut))
            if len(self._pending) >= self.BATCH:
                self._flush_soon(0)
            elif self._timer is None:
                self._flush_soon(self.WAIT_SECONDS)
            return await fut
        return None

    def _record_text(self, rec: dict[str, Any]) -> str:
        prompt, response = prompt_and_response(rec)
        return self.text_of(Candidate(key="", data={}, text=response, prompt=prompt))

    def _flush_soon(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(delay, lambda: loop.create_task(self._flush()))

    async def _flush(self) -> None:
        self._timer = None
        batch, self._pending = self._pending[: self.MAX_BATCH], self._pending[self.MAX_BATCH:]
        if self._pending:
            self._flush_soon(0)
        if not batch:
            return
        prev, done = self._tail, asyncio.get_running_loop().create_future()
        self._tail = done
        try:
            embedder, index = self._backend or await self.run.runtime.backend()
            self._backend = (embedder, index)
            vecs = await embedder.embed([p.text for p in batch])
            if prev is not None:
                await prev
            verdicts = await self._index_batch(batch, vecs, index)
        except Exception as exc:  # the embedder or index failed: fail these candidates, not the job
            verdicts = [Verdict(self.name, "dedup_error", f"{type(exc).__name__}: {exc}"[:300])] * len(batch)
        finally:
            done.set_result(None)
        for p, v in zip(batch, verdicts):
            if not p.future.done():
                p.future.set_result(v)

    async def _index_batch(self, batch: list[_Pending], vecs: Any, index: Any) -> list[Verdict | None]:
        import numpy as np

        assert self.spec.embedding is not None  # only embedding dedup batches
        thr = self.spec.embedding.threshold
        n = len(batch)
        await index.ensure(self.collection, vecs.shape[1])
        nearest = await index.nearest(self.collection, vecs)
        # Similarity to earlier candidates of the batch only (strict lower triangle).
        within = vecs @ vecs.T
        within[np.triu_indices(n)] = -np.inf
        earlier = within.argmax(axis=1) if n > 1 else np.zeros(n, dtype=np.int64)
        earlier_sim = within[np.arange(n), earlier] if n > 1 else np.full(n, -np.inf)
        kept = np.ones(n, dtype=bool)
        out: list[Verdict | None] = []
        for i, p in enumerate(batch):
            best_id, best = nearest[i]
            if earlier_sim[i] > best:
                # The nearest earlier candidate counts only if it was kept; a rejected one
                # is itself a duplicate of something kept, checked on its own.
                sims = np.where(kept[:i], within[i, :i], -np.inf)
                j = int(sims.argmax()) if i else 0
                if i and sims[j] > best:
                    best_id, best = self.run.item_id(batch[j].candidate.key), float(sims[j])
            p.candidate.annotations["dedup"] = {"nearest": round(max(float(best), 0.0), 4), "nearest_id": best_id}
            if best >= thr:
                kept[i] = False
                out.append(Verdict(self.name, "near_duplicate", f"cosine {best:.3f} >= {thr} with {best_id}"))
            else:
                out.append(None)
        keep = np.flatnonzero(kept)
        if len(keep):
            ids = [self.run.item_id(batch[i].candidate.key) for i in keep.tolist()]
            await index.upsert(self.collection, ids, np.ascontiguousarray(vecs[keep]),
                               [{"job": self.run.job_id}] * len(ids))
        return out
