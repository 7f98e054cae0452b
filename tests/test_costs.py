"""What a job costs (docs/costs.md): prices in the providers file, the cost counted per
call from the answer's usage, per generator and per stage, summed over every shard, and
shown in status, report and /metrics."""

from __future__ import annotations

import time
from pathlib import Path

import msgspec
import pytest

from service.domain.costs import Price
from service.providers.registry import Registry
from service.testing.harness import Call, ScriptedProvider, run_recipe

from support import Api, Fake, Workers, responses_spec, scrape_metrics

PRICE = Price(input=2.0, output=10.0)  # USD per million tokens


def nanos(tokens_in: int, tokens_out: int, price: Price = PRICE) -> int:
    return price.nanos(tokens_in, tokens_out)


def test_a_price_rounds_a_call_up_to_the_nano_dollar() -> None:
    assert Price(input=1.0, output=1.0).nanos(1, 0) == 1000  # $1 per million: 1e-6 USD a token
    assert Price(input=0.0005, output=0.0).nanos(1, 0) == 1  # 0.5 nano-dollars: rounded up
    assert Price(input=2.0, output=10.0, batch_discount=0.5).nanos(1000, 1000, batch=True) == 6_000_000
    assert Price(input=0.0, output=0.0).nanos(10**6, 10**6) == 0


def test_cost_per_generator_and_stage_and_per_kept_record(redis_url: str) -> None:
    # Generation by `m` (priced), a judge stage by `j` (priced differently), and a second
    # generator in the mix with no price: each call's tokens are its words (ScriptedProvider).
    def answer(call: Call) -> str:
        if "<response>" in call.text:
            return "Fine. Score: 1" if "forbidden" in call.text else "Fine. Score: 5"
        return f"A careful answer to: {call.text}"

    gen = ScriptedProvider(answer, prices={"scripted-model": PRICE})
    judge_price = Price(input=1.0, output=4.0)
    judge = ScriptedProvider(answer, prices={"scripted-model": judge_price})
    prompts = ["Explain tides.", "Explain forbidden magic.", "Explain rainbows."]
    done = run_recipe({"recipe": "responses", "generator": {"provider": "m"}, "params": {"prompts": prompts},
                       "judge": {"generator": {"provider": "j"}, "min_score": 3}},
                      redis_url=redis_url, providers={"m": gen, "j": judge})

    assert done.job.status == "succeeded" and done.job.progress.kept == 2
    want_gen = sum(nanos(len(c.text.split()), len(answer(c).split())) for c in gen.calls)
    want_judge = sum(nanos(len(c.text.split()), len(answer(c).split()), judge_price) for c in judge.calls)
    assert len(gen.calls) == 3 and len(judge.calls) == 3 and want_gen and want_judge
    cost = done.job.cost
    assert cost.generators == {"m/scripted-model": want_gen / 1e9, "j/scripted-model": want_judge / 1e9}
    assert cost.stages == {"generation": want_gen / 1e9, "judge": want_judge / 1e9}
    assert cost.usd == (want_gen + want_judge) / 1e9
    assert cost.per_kept_record_usd == ((want_gen + want_judge) // 2) / 1e9
    assert cost.unpriced_calls == 0


def test_unpriced_calls_are_counted_and_cost_nothing(redis_url: str) -> None:
    model = ScriptedProvider(lambda call: f"An answer to {call.text}")
    done = run_recipe({"recipe": "responses", "generator": {"provider": "m"},
                       "params": {"prompts": ["one?", "two?"]}}, redis_url=redis_url, providers={"m": model})
    assert done.job.cost.usd == 0 and done.job.cost.unpriced_calls == 2 and done.job.cost.generators == {}


def test_shards_on_several_workers_add_their_costs_into_one_job(redis_url: str) -> None:
    model = ScriptedProvider(lambda call: f"An answer to {call.text}", latency=0.002,
                             prices={"scripted-model": PRICE})
    prompts = [f"Question {i} about topic {i}?" for i in range(600)]
    done = run_recipe({"recipe": "responses", "generator": {"provider": "m"}, "parallelism": 3, "concurrency": 4,
                       "params": {"prompts": prompts}}, redis_url=redis_url, providers={"m": model}, workers=3)

    assert done.job.progress.kept == 600 and done.job.shards.parallelism == 3
    want = sum(nanos(len(c.text.split()), len(f"An answer to {c.text}".split())) for c in model.calls)
    assert len(model.calls) == 600
    assert done.job.cost.usd == want / 1e9


def test_prices_are_checked_naming_the_field(tmp_path: Path) -> None:
    def load(body: str) -> Registry:
        path = tmp_path / "providers.toml"
        path.write_text('[providers.p]\nkind = "openai-compatible"\nbase_url = "http://127.0.0.1:1/v1"\n'
                        'models = ["a"]\n' + body)
        return Registry.load(str(path))

    assert load('[providers.p.prices.a]\ninput = 0.5\noutput = 1.5\n').price("p", "a") == Price(input=0.5,
                                                                                               output=1.5)
    with pytest.raises(ValueError, match=r'provider \'p\': prices."a".input must be within 0..10000 .*not -1'):
        load('[providers.p.prices.a]\ninput = -1\noutput = 1\n')
    with pytest.raises(ValueError, match=r'provider \'p\': prices."a".batch_discount must be within 0..1'):
        load('[providers.p.prices.a]\ninput = 1\noutput = 1\nbatch_discount = 1.5\n')
    with pytest.raises(ValueError, match=r'provider \'p\': prices."a".output is required'):
        load('[providers.p.prices.a]\ninput = 1\n')
    with pytest.raises(msgspec.ValidationError, match=r"Expected `float \| null`, got `str`"):
        load('[providers.p.prices.a]\ninput = "cheap"\noutput = 1\n')
    with pytest.raises(msgspec.ValidationError, match=r"unknown field `inptu`"):
        load('[providers.p.prices.a]\ninptu = 1\noutput = 1\n')
    with pytest.raises(ValueError, match=r"provider 'p': prices names \['b'\], not in its models"):
        load('[providers.p.prices.b]\ninput = 1\noutput = 1\n')


def test_status_report_and_metrics_show_the_cost(api_url: str, alice: Api, fake: Fake, worker: Workers) -> None:
    before = scrape_metrics(api_url)
    job_id = alice.submit(responses_spec(20, generator={"provider": "priced"})).json()["id"]
    job = alice.wait(job_id)
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 20
    tokens_in, tokens_out = job["progress"]["tokens_in"], job["progress"]["tokens_out"]
    # Per call rounded up to the nano-dollar: at most one nano-dollar a call above the exact sum.
    exact = (tokens_in * 3.0 + tokens_out * 15.0) / 1e6
    cost = job["cost"]
    assert exact <= cost["usd"] <= exact + 20e-9 and cost["usd"] > 0
    assert cost["generators"] == {"priced/fake-model": cost["usd"]} and cost["stages"] == {"generation": cost["usd"]}
    assert cost["per_kept_record_usd"] == pytest.approx(cost["usd"] / 20, abs=1e-9)
    report = alice.client.get(f"/v1/jobs/{job_id}/report").json()
    assert report["cost"] == cost
    time.sleep(1.5)  # workers push metrics every second and at each job's end
    key = 'synthgen_provider_cost_usd_total{model="fake-model",provider="priced",stage="generation"}'
    assert scrape_metrics(api_url)[key] - before.get(key, 0) == pytest.approx(cost["usd"], abs=1e-9)
