"""The job report from the data (issue 13): one streaming pass over sealed segments and
the live window, computed once when the job ends and stored next to its segments, and
two jobs compared side by side (GET /v1/jobs/compare).

The numbers are checked against the records and rejects as the API serves them
(NDJSON), computed here independently.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import time
from pathlib import Path
from typing import Any, Callable

import msgspec
import pytest

from service import reports
from service.providers.base import Completion, ProviderError
from service.recipes.self_instruct import INSTANCE_STOP
from service.store.datasets import DatasetFiles
from service.store.jobs import CommitItem, JobStore
from service.store.redis import async_client
from service.testing.harness import Call, Reply, ScriptedProvider, following_formats, run_recipe

from support import Fake, LocalApi, adjust_example, examples, responses_spec

PROBLEM = "application/problem+json"


def ndjson(api: LocalApi, job_id: str, kind: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = api.client.get(f"/v1/jobs/{job_id}/{kind}", params={"limit": 500, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        out += [json.loads(x) for x in r.text.splitlines() if x]
        cursor = r.headers.get("X-Next-Cursor") or r.headers.get("x-next-cursor")
        if not cursor:
            return out


def quantile(vals: list[float], q: float) -> float:
    s = sorted(vals)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def drift_job(api: LocalApi, fake: Fake, **fake_config: Any) -> dict[str, Any]:
    """40 prompts: 0-9 the fake's own answers, 10-19 one answer repeated (duplicates),
    20-29 refusals (rejected), 30-39 answers cut at max_tokens (kept: drop_truncated off)."""
    fake.configure(scripts=[
        {"match": "topic 1[0-9] ", "replies": ["The same short answer every time."], "cycle": True},
        {"match": "topic 2[0-9] ", "replies": ["I'm sorry, but I can't help with that."], "cycle": True},
        {"match": "topic 3[0-9] ", "replies": ["A long answer number {n} that was cut off at the"],
         "cycle": True, "finish_reason": "length"},
    ], **fake_config)
    spec = responses_spec(40, filters={"drop_truncated": False}, seed=3)
    return api.wait(api.submit(spec).json()["id"])


def test_the_report_matches_the_records_and_is_stored_once(local: LocalApi, fake: Fake,
                                                          service_env: dict[str, str]) -> None:
    job = drift_job(local, fake, served_model="fake-model-2026-01", system_fingerprint="fp_one")
    assert job["status"] == "succeeded", job
    records, rejects = ndjson(local, job["id"], "records"), ndjson(local, job["id"], "rejects")
    assert len(records) == 30 and len(rejects) == 10
    rep = local.client.get(f"/v1/jobs/{job['id']}/report").json()
    assert rep["computed"] == "stored"  # computed when the job ended, served from the dataset store
    assert rep["records"] == 30 and rep["rejects"] == 10
    # lengths, from the records
    words = [len(r["response"].split()) for r in records]
    d = rep["response_words"]
    assert d["count"] == 30 and d["min"] == min(words) and d["max"] == max(words)
    assert d["p10"] == quantile(words, 0.1) and d["p50"] == quantile(words, 0.5) and d["p90"] == quantile(words, 0.9)
    assert d["mean"] == round(sum(words) / 30, 4)
    assert sum(b["count"] for b in d["histogram"]) == 30
    # diversity, from the records
    toks = [r["response"].lower().split() for r in records]
    uni = {w for t in toks for w in t}
    bi = {b for t in toks for b in zip(t, t[1:])}
    n1, n2 = sum(map(len, toks)), sum(max(0, len(t) - 1) for t in toks)
    assert rep["response_diversity"] == {"distinct_1": round(len(uni) / n1, 4), "distinct_2": round(len(bi) / n2, 4)}
    # rates, from records and rejects
    norm = {" ".join(r["response"].lower().split()) for r in records}
    assert rep["duplicate_rate"] == round(1 - len(norm) / 30, 4) == round(9 / 30, 4)
    cut = sum(1 for r in records if r["meta"]["finish_reason"] == "length")
    assert cut == 10 and rep["truncation_rate"] == round(cut / 40, 4)
    assert rep["refusal_rate"] == round(sum(1 for x in rejects if x["reason"] == "refusal") / 40, 4) == 0.25
    assert rep["parse_failure_rate"] == 0.0
    # model identity as the provider reported it, per configured generator
    assert {r["meta"]["served"]["system_fingerprint"] for r in records} == {"fp_one"}
    assert rep["served_models"] == {"fake/fake-model": [
        {"model": "fake-model-2026-01", "system_fingerprint": "fp_one", "records": 30}]}
    # stored once, next to the segments: the file is what is served, not a recomputation
    stored = Path(service_env["SYNTHGEN_STATE_DIR"]) / "data" / job["id"] / "report.json"
    data = json.loads(stored.read_text())
    assert data["records"] == 30 and "spotcheck" not in data  # the live figures are added at each read
    stored.write_text(json.dumps({**data, "duplicate_rate": 0.5}))
    assert local.client.get(f"/v1/jobs/{job['id']}/report").json()["duplicate_rate"] == 0.5


def test_compare_flags_a_model_update_and_length_change(local: LocalApi, local_bob: LocalApi, fake: Fake) -> None:
    a = drift_job(local, fake, served_model="fake-model-2026-01", system_fingerprint="fp_old")
    # the same spec after a silent model update whose answers are shorter
    fake.configure(default_words=12)
    b = drift_job(local, fake, served_model="fake-model-2026-01", system_fingerprint="fp_new")
    r = local.client.get("/v1/jobs/compare", params={"a": a["id"], "b": b["id"]})
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["object"] == "job.comparison" and c["a"]["job_id"] == a["id"] and c["b"]["job_id"] == b["id"]
    assert c["model_identity"] == {"a": ["fake-model-2026-01@fp_old"], "b": ["fake-model-2026-01@fp_new"],
                                   "changed": True}
    assert "model fingerprint changed" in c["flags"]
    mean = c["differences"]["response_words.mean"]
    assert mean["a"] == c["a"]["response_words"]["mean"] and mean["b"] == c["b"]["response_words"]["mean"]
    assert mean["change"] == round(mean["b"] / mean["a"] - 1, 4) < -0.1
    assert f"mean response length {mean['change'] * 100:+.0f}%" in c["flags"]
    assert c["reject_mix"]["refusal"] == {"a": 0.25, "b": 0.25}
    # the same job against itself: nothing to flag
    same = local.client.get("/v1/jobs/compare", params={"a": a["id"], "b": a["id"]}).json()
    assert same["flags"] == [] and same["model_identity"]["changed"] is False
    # problem+json naming the parameter: missing, malformed, unknown, another tenant's
    for params, field, status in (({"b": b["id"]}, "a", 400), ({"a": a["id"]}, "b", 400),
                                  ({"a": "not a job!", "b": b["id"]}, "a", 400),
                                  ({"a": a["id"], "b": "job_doesnotexist"}, "b", 404)):
        r = local.client.get("/v1/jobs/compare", params=params)
        assert r.status_code == status and r.headers["content-type"].startswith(PROBLEM), r.text
        assert [e["field"] for e in r.json().get("errors", [])] == [field], r.text
    r = local_bob.client.get("/v1/jobs/compare", params={"a": a["id"], "b": a["id"]})
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "a"


def _records(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        resp = " ".join(f"w{(i * 7 + k) % 23}" for k in range(5 + i % 9))
        meta: dict[str, Any] = {"provider": "p", "model": "m", "finish_reason": "length" if i % 5 == 0 else "stop",
                                "served": {"model": "m-1", **({"system_fingerprint": "fp"} if i % 2 else {})}}
        if i % 3:
            meta["judge"] = {"score": i % 6}
        out.append({"id": f"r{i}", "prompt": f"prompt {i % 11} about things", "response": resp, "meta": meta})
    return out


def test_a_report_over_many_segments_equals_the_report_from_one(redis_url: str, tmp_path: Path) -> None:
    """The same records and rejects, sealed in segments of 7 with a live window left, and
    sealed as one segment: the same figures (and the in-memory build's)."""
    from service.domain import report

    recs, rejs = _records(60), [{"id": f"x{i}", "reason": ("refusal", "parse", "truncated")[i % 3]} for i in range(9)]

    async def go() -> tuple[Any, Any]:
        client = async_client(redis_url)
        store = JobStore(client, DatasetFiles(str(tmp_path / "data")))
        out = []
        try:
            for every, tag in ((7, "many"), (1000, "one")):
                job = f"job_rep{tag}{time.time_ns() % 10**9}"
                await store.create(job_id=job, tenant="t1", recipe="responses", spec_json=b"{}", spec_hash="h",
                                   target=None, seed=1)
                items = [CommitItem(kind="r", id=r["id"], line=msgspec.json.encode(r)) for r in recs]
                items += [CommitItem(kind="x", id=x["id"], line=msgspec.json.encode(x), reason=x["reason"],
                                     stage="s") for x in rejs]
                await store.commit(job, None, items, {})
                await store.segments.seal(job, every=every, partial=every > 100)
                windows = await store.segments.windows(job)
                assert (windows["records"] > 0) == (every == 7)  # one of them keeps a live window
                if every == 7:
                    assert len(await store.segments.segments(job, "records")) == 60 // 7
                out.append(await reports.compute(store, job))
                await store.delete(job)
        finally:
            await client.aclose()
        return out[0], out[1]

    many, one = asyncio.run(go())
    assert msgspec.json.encode(many) == msgspec.json.encode(one)
    assert many.records == 60 and many.rejects == 9
    assert many.truncation_rate == round((12 + 3) / 69, 4) and many.parse_failure_rate == round(3 / 69, 4)
    assert [(s.model, s.system_fingerprint, s.records) for s in many.served_models["p/m"]] == [
        ("m-1", None, 30), ("m-1", "fp", 30)]
    acc = report.Accumulator()
    for r in recs:
        acc.record(r)
    for x in rejs:
        acc.reject(x)
    assert msgspec.json.encode(acc.result()) == msgspec.json.encode(many)  # the in-memory pass, too


def test_the_distinct_sketch_is_exact_below_k_close_above_and_the_same_in_every_process() -> None:
    import subprocess
    import sys

    from service.domain.report import Distinct, stable_hash

    small = Distinct(k=1024)
    for i in range(3000):
        small.add(f"value {i % 1000}")  # 1000 distinct, each three times
    assert small.count() == 1000
    big = Distinct(k=1024)
    for i in range(50_000):
        big.add(f"value {i}")
    assert abs(big.count() / 50_000 - 1) < 0.15  # sd about 1/sqrt(k) = 3%
    other = subprocess.run([sys.executable, "-c", "from service.domain.report import stable_hash; "
                            "print(stable_hash('a word'))"], capture_output=True, text=True, check=True)
    assert int(other.stdout) == stable_hash("a word")  # Python's own str hash would differ


def test_rouge_l_to_seeds_for_a_seeded_recipe(redis_url: str, tmp_path: Path) -> None:
    """A self_instruct job's records measured against its inline seeds on a sample: a
    copy of a seed scores 1.0, an instruction sharing no word 0.0; other recipes: none."""
    from service.pipeline.text import rouge_l, rouge_tokens
    from service.settings import Settings

    seeds = ["Write a haiku about the sea.", "List three prime numbers.", "Explain photosynthesis simply."]
    prompts = ["Write a haiku about the sea.", "List three prime numbers.", "Describe quantum tunnelling.",
                "Write a haiku about mountains.", "Summarise this news article."]
    recs = [{"id": f"r{i}", "instruction": p, "output": "ok", "meta": {}} for i, p in enumerate(prompts)]
    settings = Settings(redis_url=redis_url, state_dir=str(tmp_path))

    async def go(recipe: str) -> Any:
        client = async_client(redis_url)
        store = JobStore(client, DatasetFiles(str(tmp_path / "data")))
        job = f"job_rouge{time.time_ns() % 10**9}"
        spec = {"recipe": recipe, "params": {"seeds": [{"instruction": s} for s in seeds]}}
        try:
            await store.create(job_id=job, tenant="t1", recipe=recipe, spec_json=msgspec.json.encode(spec),
                               spec_hash="h", target=None, seed=1)
            await store.commit(job, None, [CommitItem(kind="r", id=r["id"], line=msgspec.json.encode(r))
                                           for r in recs], {})
            return await reports.compute(store, job, settings)
        finally:
            await store.delete(job)
            await client.aclose()

    got = asyncio.run(go("self_instruct")).rouge_l_to_seeds
    best = [max(rouge_l(rouge_tokens(s), rouge_tokens(p)) for s in seeds) for p in prompts]
    assert best[0] == best[1] == 1.0 and best[2] == 0.0
    assert got is not None and got.count == 5 and got.max == 1.0 and got.min == 0.0
    assert got.mean == round(sum(round(b, 4) for b in best) / 5, 4)
    assert asyncio.run(go("responses")).rouge_l_to_seeds is None


def test_a_report_stored_once_and_none_left_for_a_job_deleted_meanwhile(redis_url: str, tmp_path: Path) -> None:
    files = DatasetFiles(str(tmp_path / "data"))

    async def go() -> None:
        client = async_client(redis_url)
        store = JobStore(client, files)
        job = f"job_settle{time.time_ns() % 10**9}"
        try:
            await store.create(job_id=job, tenant="t1", recipe="responses", spec_json=b"{}", spec_hash="h",
                               target=None, seed=1)
            await store.commit(job, None, [CommitItem(kind="r", id=r["id"], line=msgspec.json.encode(r))
                                           for r in _records(12)], {})
            assert await store.segments.lock_report(job, "other", 5)  # another computer holds the lock
            assert await reports.settle(store, job) is None  # held: no second pass, nothing stored
            assert files.read_report(job) is None
            await store.segments.unlock_report(job, "other")
            first = await reports.settle(store, job)
            assert first is not None and first.records == 12 and files.read_report(job) is not None
            await store.commit(job, None, [CommitItem(kind="r", id="late", line=b'{"id":"late"}')], {})
            assert await reports.settle(store, job) == first  # stored: not computed again
            await client.hset(f"sg:job:{job}", "deleted_at", "1")  # a DELETE under way
            files.delete_job(job)
            assert await reports.settle(store, job) is not None and files.files(job) == []
        finally:
            await store.delete(job)
            await client.aclose()

    asyncio.run(go())



# For each multi-call recipe: which call wrote a kept record's text, the call whose
# identity its meta.served must carry: (the call, its reply text, the record) -> bool.
KEPT_TEXT_CALL: dict[str, Callable[[Call, str, dict[str, Any]], bool]] = {
    # the instance call (it wrote input/output), not the bootstrap or classification call
    "self-instruct": lambda call, text, rec: (call.params.get("stop") == INSTANCE_STOP and rec["output"] in text
                                              and f"Task: {rec['instruction']}\n" in call.text),
    # the answer to the evolved instruction, not the evolution or the equality judge
    "evol-instruct": lambda call, text, rec: text == rec["output"] and call.text == rec["instruction"],
    # the assistant's last turn, not an earlier turn or the user simulator
    "ultrachat": lambda call, text, rec: call.messages == rec["messages"][:-1] and text == rec["messages"][-1]["content"],
    "magpie": lambda call, text, rec: (call.endpoint == "chat" and call.messages == rec["messages"][:-1]
                                       and text == rec["messages"][-1]["content"]),
    # the chosen completion's completer, not the other completers or the judge
    "ultrafeedback": lambda call, text, rec: (text == rec["chosen"] and call.model == rec["chosen_model"]
                                              and call.text == rec["prompt"]),
    # the chosen sample, not the rejected one or a judgement
    "self-rewarding": lambda call, text, rec: text == rec["chosen"] and call.text == rec["prompt"],
    # the response to the synthesized prompt (the docs example's math template responds),
    # not the persona or synthesis calls
    "persona-hub": lambda call, text, rec: (text == rec["response"]
                                            and call.messages == [{"role": "user", "content": rec["prompt"]}]),
}


def run_fingerprinted(recipe: str, redis_url: str, **params: Any) -> tuple[Any, dict[str, tuple[Call, str]]]:
    """The recipe's first docs example (target 2) on scripted providers where every call
    answers under its own system_fingerprint and reports the model id `<requested>-2026-01`;
    the job, and each fingerprint's (call, reply text)."""
    follow = following_formats()
    fingerprints = itertools.count()
    answered: dict[str, tuple[Call, str]] = {}

    def reply(call: Call) -> Reply:
        out = follow(call)
        if isinstance(out, ProviderError):
            return out
        c = out if isinstance(out, Completion) else Completion(
            text=out, finish_reason="stop", tokens_in=len(call.text.split()), tokens_out=len(out.split()),
            model=call.model)
        fp = f"fp_{next(fingerprints)}"
        answered[fp] = (call, c.text)
        return msgspec.structs.replace(c, model=f"{call.model}-2026-01", system_fingerprint=fp)

    spec = copy.deepcopy(next(adjust_example(s) for name, s, _ in examples() if name == recipe))
    spec.pop("min_yield", None)
    spec["target"] = 2
    spec["params"] = {**spec.get("params", {}), **params}
    done = run_recipe(spec, redis_url=redis_url, providers={
        "fake": ScriptedProvider(reply, models=["fake-model", "fake-model-2"]),
        "chatonly": ScriptedProvider(reply, models=["fake-chat"], supports_raw=False)})
    assert done.job.status == "succeeded" and len(done.records) == 2, (done.job.error, done.job.outcomes)
    return done, answered


@pytest.mark.parametrize("recipe", sorted(KEPT_TEXT_CALL))
def test_multi_call_recipes_record_the_identity_of_the_call_that_wrote_the_kept_text(redis_url: str,
                                                                                    recipe: str) -> None:
    """A kept record's meta.served is the identity the provider reported for the call that
    wrote its text (not the configured model id), and the report counts it under the
    record's generator."""
    from service.domain import report

    done, answered = run_fingerprinted(recipe, redis_url)
    served = [r for r in done.records if r["meta"]["finish_reason"] != "given"]  # an Evol-Instruct seed's own output
    assert served, done.records
    for rec in served:
        meta = rec["meta"]
        fp = meta["served"]["system_fingerprint"]
        assert fp in answered, meta
        call, text = answered[fp]
        assert KEPT_TEXT_CALL[recipe](call, text, rec), (fp, call, text)
        assert meta["served"] == {"model": f"{meta['model']}-2026-01", "system_fingerprint": fp}
    acc = report.Accumulator()
    for rec in done.records:
        acc.record(rec)
    by_generator = acc.result().served_models
    assert sum(s.records for v in by_generator.values() for s in v) == len(served)
    assert all(s.model == f"{gen.split('/', 1)[1]}-2026-01" for gen, v in by_generator.items() for s in v)


def test_a_separate_persona_hub_responder_is_served_in_the_record_not_under_the_generator(redis_url: str) -> None:
    """With `responder`, meta names the generator, so meta.served is the generator's own
    synthesis call; the responder's identity is in the record's `responder`."""
    done, answered = run_fingerprinted("persona-hub", redis_url, responder={"provider": "chatonly"})
    for rec in done.records:
        call, text = answered[rec["meta"]["served"]["system_fingerprint"]]
        assert call.model == rec["meta"]["model"] == "fake-model" and rec["prompt"] in text
        assert rec["meta"]["served"]["model"] == "fake-model-2026-01"
        call, text = answered[rec["responder"]["served"]["system_fingerprint"]]
        assert call.model == "fake-chat" and text == rec["response"]
        assert rec["responder"]["served"]["model"] == "fake-chat-2026-01"
