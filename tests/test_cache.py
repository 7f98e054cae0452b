"""The shared response cache (docs/costs.md, store/cache.py, pipeline/cache.py): a job
with `cache` reuses the answers of identical requests made before, by any worker or
run, costs nothing for them and reports what they saved; only deterministic requests
unless forced; per tenant; bounded in entries."""

from __future__ import annotations

import asyncio
import uuid

import msgspec

from service.domain.costs import Price
from service.settings import Settings
from service.store.cache import CacheStore
from service.store.redis import async_client
from service.testing.harness import ScriptedProvider, run_recipe

from support import Api, Fake, Workers, responses_spec

PRICE = Price(input=2.0, output=10.0)


def spec(n: int, cache: object = True, temperature: float = 0.0, **extra: object) -> dict[str, object]:
    return {"recipe": "responses", "generator": {"provider": "m", "sampling": {"temperature": temperature}},
            "cache": cache, "params": {"prompts": [f"Question {i}: explain topic {i}." for i in range(n)]}, **extra}


def model() -> ScriptedProvider:
    return ScriptedProvider(lambda call: f"An answer to {call.text}", prices={"scripted-model": PRICE})


def test_a_second_run_of_a_cached_job_makes_no_calls_and_reports_the_saving(redis_url: str) -> None:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    first_model, second_model = model(), model()
    first = run_recipe(spec(30), redis_url=redis_url, providers={"m": first_model}, tenant=tenant)
    second = run_recipe(spec(30), redis_url=redis_url, providers={"m": second_model}, tenant=tenant)

    assert first.job.status == second.job.status == "succeeded"
    assert len(first_model.calls) == 30 and first.job.cost.cache_misses == 30 and first.job.cost.cache_hits == 0
    assert first.job.cost.usd > 0
    assert second_model.calls == []  # no provider call at all
    assert second.job.cost.cache_hits == 30 and second.job.cost.cache_misses == 0
    assert second.job.cost.usd == 0 and second.job.cost.saved_usd == first.job.cost.usd
    assert second.job.progress.requests == 0
    assert sorted(r["response"] for r in second.records) == sorted(r["response"] for r in first.records)


def test_only_deterministic_requests_are_cached_unless_forced(redis_url: str) -> None:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    for _ in range(2):
        sampled = model()
        run_recipe(spec(5, temperature=0.8), redis_url=redis_url, providers={"m": sampled}, tenant=tenant)
        assert len(sampled.calls) == 5  # a sampled answer is not reused
    seeded = [model(), model()]
    for m in seeded:
        run_recipe(spec(5, temperature=0.8, generator={"provider": "m", "sampling": {"temperature": 0.8, "seed": 7}}),
                   redis_url=redis_url, providers={"m": m}, tenant=tenant)
    assert [len(m.calls) for m in seeded] == [5, 0]  # a seed makes it deterministic
    forced = [model(), model()]
    for m in forced:
        run_recipe(spec(5, cache="force", temperature=0.9), redis_url=redis_url, providers={"m": m}, tenant=tenant)
    assert [len(m.calls) for m in forced] == [5, 0]
    off = model()
    run_recipe(spec(5, cache=False), redis_url=redis_url, providers={"m": off}, tenant=tenant)
    assert len(off.calls) == 5  # the same requests as the first cached run's, without `cache`


def test_the_cache_is_per_tenant_unless_shared(redis_url: str) -> None:
    a, b = f"t{uuid.uuid4().hex[:8]}", f"t{uuid.uuid4().hex[:8]}"
    prompts = spec(5, params={"prompts": [f"{a} question {i}" for i in range(5)]})
    run_recipe(prompts, redis_url=redis_url, providers={"m": model()}, tenant=a)
    other = model()
    run_recipe(prompts, redis_url=redis_url, providers={"m": other}, tenant=b)
    assert len(other.calls) == 5
    shared = Settings(cache_scope="global")
    run_recipe(prompts, redis_url=redis_url, providers={"m": model()}, tenant=a, settings=shared)
    again = model()
    run_recipe(prompts, redis_url=redis_url, providers={"m": again}, tenant=b, settings=shared)
    assert again.calls == []


def test_the_cache_keeps_at_most_its_bound_dropping_the_oldest(redis_url: str) -> None:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    bounded = Settings(cache_max_entries=4)
    run_recipe(spec(10, concurrency=1), redis_url=redis_url, providers={"m": model()}, tenant=tenant,
               settings=bounded)

    async def size() -> int:
        client = async_client(redis_url)
        try:
            return await CacheStore(client).size(tenant)
        finally:
            await client.aclose()

    assert asyncio.run(size()) == 4
    # The 4 newest were kept (the last prompts: concurrency 1), the older ones dropped.
    newest, oldest = model(), model()
    prompts = [f"Question {i}: explain topic {i}." for i in range(10)]
    done = run_recipe(spec(4, concurrency=1, params={"prompts": prompts[6:]}), redis_url=redis_url,
                      providers={"m": newest}, tenant=tenant, settings=bounded)
    assert done.job.cost.cache_hits == 4 and newest.calls == []
    done = run_recipe(spec(2, concurrency=1, params={"prompts": prompts[:2]}), redis_url=redis_url,
                      providers={"m": oldest}, tenant=tenant, settings=bounded)
    assert done.job.cost.cache_hits == 0 and len(oldest.calls) == 2


def test_a_rerun_through_the_api_sends_no_request_for_cached_items(alice: Api, fake: Fake, worker: Workers) -> None:
    body = responses_spec(12, generator={"provider": "priced", "sampling": {"temperature": 0}}, cache=True,
                          params={"prompts": [f"Cached question {uuid.uuid4().hex} {i}?" for i in range(12)]})
    first = alice.wait(alice.submit(body).json()["id"])
    sent = fake.stats()["requests"]
    second = alice.wait(alice.submit(body).json()["id"])
    assert first["status"] == second["status"] == "succeeded"
    assert fake.stats()["requests"] == sent  # the fake provider saw nothing new
    assert second["cost"]["cache_hits"] == 12 and second["cost"]["usd"] == 0
    assert second["cost"]["saved_usd"] == first["cost"]["usd"] > 0
    assert msgspec.json.decode(msgspec.json.encode(alice.lines(second["id"])))[0]["response"]
