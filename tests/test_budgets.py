"""Hard budgets (docs/costs.md, store/budgets.py): a job's `budget` (cost, tokens, wall
time) and the tenant's daily cost cap stop the job like a cancel, keep its records, and
fail it `budget-exhausted` naming the limit, within one request's worst case of the cap,
over concurrent requests and several workers."""

from __future__ import annotations

import asyncio
import uuid

import msgspec
import pytest

from service.domain.costs import Price
from service.domain.errors import InvalidSpec
from service.quotas import OverQuota, Quotas, Submission
from service.settings import Settings
from service.store.quotas import QuotaStore
from service.store.redis import async_client
from service.testing.harness import Call, ScriptedProvider, run_recipe

PRICE = Price(input=200.0, output=1000.0)  # dear, so a few requests make a cent
MAX_TOKENS = 20
PROMPTS = [f"Question {i} about topic {i}?" for i in range(400)]


def answer(call: Call) -> str:
    return f"An answer to {call.text}"


def worst_case(prompt: str) -> tuple[int, int]:
    """A request's reservation, as RecipeContext computes it (BUDGET_CHARS_PER_TOKEN = 3)."""
    tokens_in = len(prompt) // 3 + 1
    return PRICE.nanos(tokens_in, MAX_TOKENS), tokens_in + MAX_TOKENS


def spec(budget: dict[str, float], **extra: object) -> dict[str, object]:
    return {"recipe": "responses", "generator": {"provider": "m", "sampling": {"max_tokens": MAX_TOKENS}},
            "params": {"prompts": PROMPTS}, "budget": budget, **extra}


def real_cost(model: ScriptedProvider) -> tuple[int, int]:
    """What the provider's calls cost (nano-dollars, tokens): ScriptedProvider's tokens are words."""
    nanos = tokens = 0
    for c in model.calls:
        tin, tout = len(c.text.split()), len(answer(c).split())
        nanos += PRICE.nanos(tin, tout)
        tokens += tin + tout
    return nanos, tokens


def test_a_cost_budget_stops_the_job_within_one_request_of_it_across_workers(redis_url: str) -> None:
    # 2 workers x 8 requests in flight; each reserves its worst case before it is sent.
    model = ScriptedProvider(answer, latency=0.005, prices={"scripted-model": PRICE})
    cap_usd = 0.6  # about 40 requests' worth
    done = run_recipe(spec({"max_cost_usd": cap_usd}, parallelism=2, concurrency=8), redis_url=redis_url,
                      providers={"m": model}, workers=2)

    job = done.job
    assert job.status == "failed" and job.error is not None, job
    assert job.error.type.endswith("/budget-exhausted")
    assert job.error.detail is not None and "budget max_cost_usd 0.6 reached" in job.error.detail
    nanos, _ = real_cost(model)
    assert job.cost.usd == nanos / 1e9
    worst = max(worst_case(p)[0] for p in PROMPTS)
    assert cap_usd * 1e9 - worst < nanos <= cap_usd * 1e9  # never over; less than one request left unspent
    # Stopped like a cancel: what it made is kept, and every answered call gave an outcome.
    assert 0 < job.progress.kept == len(done.records) < len(PROMPTS)
    assert job.progress.kept + job.progress.rejected == len(model.calls)


def test_a_token_budget_stops_the_job_within_one_request_of_it(redis_url: str) -> None:
    model = ScriptedProvider(answer, latency=0.002, prices={"scripted-model": PRICE})
    done = run_recipe(spec({"max_tokens": 500}, concurrency=4), redis_url=redis_url, providers={"m": model})

    assert done.job.status == "failed" and done.job.error is not None
    assert done.job.error.type.endswith("/budget-exhausted") and "max_tokens 500" in (done.job.error.detail or "")
    _, tokens = real_cost(model)
    assert tokens == done.job.progress.tokens_in + done.job.progress.tokens_out
    assert 500 - max(worst_case(p)[1] for p in PROMPTS) < tokens <= 500
    assert done.job.progress.kept == len(done.records) > 0


def test_a_wall_time_budget_stops_the_job_and_keeps_its_records(redis_url: str) -> None:
    model = ScriptedProvider(answer, latency=0.05)
    done = run_recipe(spec({"max_seconds": 0.5}, concurrency=2), redis_url=redis_url, providers={"m": model})

    assert done.job.status == "failed" and done.job.error is not None
    assert done.job.error.type.endswith("/budget-exhausted")
    assert "budget max_seconds 0.5 reached" in (done.job.error.detail or "")
    assert 0 < done.job.progress.kept == len(done.records) < len(PROMPTS)


def test_the_tenant_daily_cost_cap_stops_its_job_and_then_its_submissions(redis_url: str) -> None:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    model = ScriptedProvider(answer, latency=0.002, prices={"scripted-model": PRICE})
    settings = Settings(quotas={"cost_cents_per_day": 30})  # $0.30
    done = run_recipe(spec({}, concurrency=4), redis_url=redis_url, providers={"m": model}, settings=settings,
                      tenant=tenant)

    assert done.job.status == "failed" and done.job.error is not None
    assert done.job.error.type.endswith("/budget-exhausted")
    assert "the tenant's cost_cents_per_day 30 reached" in (done.job.error.detail or "")
    nanos, _ = real_cost(model)
    assert 0.30e9 - max(worst_case(p)[0] for p in PROMPTS) < nanos <= 0.30e9

    async def submit_again() -> OverQuota:
        # Less than a request's worth is left, which admission cannot know; a cap lowered
        # under what was spent refuses the next submission until the UTC day ends.
        client = async_client(redis_url)
        try:
            quotas = Quotas(QuotaStore(client), settings.quotas)
            await quotas.admit(Submission(tenant=tenant, job_id="job_next", target=1))
            await quotas.store.set_overrides(tenant, {"cost_cents_per_day": 20})
            with pytest.raises(OverQuota) as refused:
                await quotas.admit(Submission(tenant=tenant, job_id="job_next", target=1))
            return refused.value
        finally:
            await client.aclose()

    refusal = asyncio.run(submit_again())
    assert refusal.retry and refusal.info.name == "cost_cents_per_day"
    assert refusal.info.used == nanos // 10_000_000 and refusal.info.limit == 20


def test_an_unbudgeted_job_spends_its_tenant_day_without_reserving(redis_url: str) -> None:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    model = ScriptedProvider(answer, prices={"scripted-model": PRICE})
    done = run_recipe({"recipe": "responses", "generator": {"provider": "m"}, "params": {"prompts": PROMPTS[:50]}},
                      redis_url=redis_url, providers={"m": model}, tenant=tenant)
    assert done.job.status == "succeeded"

    async def used() -> dict[str, int]:
        client = async_client(redis_url)
        try:
            return (await Quotas(QuotaStore(client), {}).report(tenant))["used"]
        finally:
            await client.aclose()

    assert asyncio.run(used())["cost_cents_per_day"] == int(done.job.cost.usd * 100)


def test_a_cost_budget_needs_priced_models(redis_url: str) -> None:
    with pytest.raises(InvalidSpec) as refused:
        run_recipe(spec({"max_cost_usd": 1.0}), redis_url=redis_url, providers={"m": ScriptedProvider(answer)})
    [error] = refused.value.errors
    assert error.field == "budget.max_cost_usd" and "generator m/scripted-model has no price" in error.message
    with pytest.raises(msgspec.ValidationError, match=r"`\$\.budget\.max_cost_usd`"):
        run_recipe(spec({"max_cost_usd": -1}), redis_url=redis_url, providers={"m": ScriptedProvider(answer)})


def test_the_api_shows_a_budget_stop_as_a_problem_and_serves_the_records(alice: object, fake: object,
                                                                          worker: object) -> None:
    from support import Api, responses_spec

    assert isinstance(alice, Api)
    # A request's worst case: ~17 prompt tokens and 64 answer tokens, about $0.001.
    job_id = alice.submit(responses_spec(300, generator={"provider": "priced", "sampling": {"max_tokens": 64}},
                                         concurrency=4, budget={"max_cost_usd": 0.02})).json()["id"]
    job = alice.wait(job_id)
    assert job["status"] == "failed" and job["error"]["type"].endswith("/budget-exhausted"), job
    assert job["error"]["status"] == 422 and "budget max_cost_usd 0.02 reached" in job["error"]["detail"]
    assert 0.019 < job["cost"]["usd"] <= 0.02
    assert 0 < job["progress"]["kept"] == len(alice.lines(job_id)) < 300
