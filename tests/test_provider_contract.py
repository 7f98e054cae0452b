"""The provider contract, for every HTTP provider kind (openai-compatible, anthropic),
against the fake server on loopback (its /v1/chat/completions and Anthropic's
/v1/messages share config, faults and log): answers with usage and model, the system
prompt where the API wants it, truncation as finish_reason "length", 429 and 5xx retried
honouring Retry-After, malformed 200s retried, a 400 neither retried nor fatal, a wrong
path fatal, and every attempt holding its model's lane and settling it with its outcome
and tokens (the fleet limiter's contract, worker/limiter.py)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import pytest

from service.domain.limits import Limits
from service.providers.anthropic import AnthropicConfig
from service.providers.base import OK, THROTTLED, Completion, Provider, ProviderError, RawCompletionUnsupported
from service.providers.openai_compat import OpenAICompatibleConfig

from support import Api, Fake, LocalApi, Workers, responses_spec

KINDS = ["openai-compatible", "anthropic"]


class Recorder:
    """CallStats that keeps what the provider reported."""

    def __init__(self) -> None:
        self.outcomes: list[str] = []
        self.retries = 0
        self.reported: list[tuple[int, int]] = []

    def request(self, provider: str, model: str, outcome: str, seconds: float) -> None:
        self.outcomes.append(outcome)

    def retry(self, provider: str) -> None:
        self.retries += 1

    def tokens(self, provider: str, model: str, tokens_in: int, tokens_out: int) -> None:
        self.reported.append((tokens_in, tokens_out))


class Lanes:
    """A LaneSource recording every hold: (model, cost) asked, (outcome, retry_after, tokens) settled."""

    def __init__(self) -> None:
        self.holds: list[tuple[str, int]] = []
        self.settled: list[tuple[str, float | None, int | None]] = []

    def lane(self, provider: str, model: str, limits: Limits) -> Any:
        source = self

        class Hold:
            def settle(self, outcome: str, *, label: str = "", retry_after: float | None = None,
                       tokens: int | None = None) -> None:
                source.settled.append((outcome, retry_after, tokens))

        class Lane:
            @asynccontextmanager
            async def hold(self, cost: int) -> AsyncIterator[Hold]:
                source.holds.append((model, cost))
                yield Hold()

            async def aclose(self) -> None:
                pass

        return Lane()


def open_provider(kind: str, fake_url: str, stats: Recorder, lanes: Lanes | None = None,
                  path: str = "/v1") -> Provider:
    common: dict[str, Any] = {"models": ["fake-model"], "max_retries": 3, "timeout": 10, "limits_scope": "fleet"}
    cfg = (OpenAICompatibleConfig(base_url=fake_url + path, **common) if kind == "openai-compatible"
           else AnthropicConfig(base_url=fake_url + path, **common))
    cfg.check("p")
    return cfg.open("p", stats, 4, lanes)  # type: ignore[arg-type]


def call(kind: str, fake_url: str, messages: list[dict[str, str]], params: dict[str, Any],
         lanes: Lanes | None = None, path: str = "/v1") -> tuple[Completion | ProviderError, Recorder]:
    stats = Recorder()

    async def go() -> Completion | ProviderError:
        provider = open_provider(kind, fake_url, stats, lanes, path)
        try:
            return await provider.chat(messages, model="fake-model", params=params)
        except ProviderError as exc:
            return exc
        finally:
            await provider.aclose()

    return asyncio.run(go()), stats


HELLO = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Say hello to the tests."}]


@pytest.mark.parametrize("kind", KINDS)
def test_an_answer_carries_text_usage_model_and_the_system_prompt(kind: str, fake_url: str, fake: Fake) -> None:
    c, stats = call(kind, fake_url, HELLO, {"temperature": 0.0, "max_tokens": 200})
    assert isinstance(c, Completion), c
    assert c.text and c.finish_reason == "stop" and c.model == "fake-model"
    assert c.tokens_in == len("You are terse. Say hello to the tests.".split()) and c.tokens_out == len(c.text.split())
    assert stats.outcomes == ["ok"] and stats.reported == [(c.tokens_in, c.tokens_out)]
    [logged] = fake.requests(1)
    if kind == "anthropic":
        assert logged["endpoint"] == "messages"
        assert logged["body"]["system"] == "You are terse."
        assert logged["body"]["messages"] == [{"role": "user", "content": "Say hello to the tests."}]
        assert logged["body"]["max_tokens"] == 200 and logged["body"]["temperature"] == 0.0
    else:
        assert logged["endpoint"] == "chat" and logged["body"]["messages"] == HELLO


@pytest.mark.parametrize("kind", KINDS)
def test_an_answer_cut_at_max_tokens_is_finish_reason_length(kind: str, fake_url: str, fake: Fake) -> None:
    c, _ = call(kind, fake_url, HELLO, {"max_tokens": 3})
    assert isinstance(c, Completion) and c.finish_reason == "length" and len(c.text.split()) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_a_429_is_retried_after_its_retry_after_and_told_to_the_lane(kind: str, fake_url: str, fake: Fake) -> None:
    fake.configure(rate_limit_first=2, retry_after=0.05)
    lanes = Lanes()
    c, stats = call(kind, fake_url, HELLO, {}, lanes)
    assert isinstance(c, Completion)
    assert stats.outcomes == ["http_429", "http_429", "ok"] and stats.retries == 2
    assert [s[:2] for s in lanes.settled] == [(THROTTLED, 0.05), (THROTTLED, 0.05), (OK, None)]
    assert lanes.settled[-1][2] == c.tokens_in + c.tokens_out
    assert len(lanes.holds) == 3 and all(m == "fake-model" and cost > 0 for m, cost in lanes.holds)


@pytest.mark.parametrize("kind,status", [(k, s) for k in KINDS for s in (500, 503)] + [("anthropic", 529)])
def test_server_errors_are_retried(kind: str, status: int, fake_url: str, fake: Fake) -> None:
    fake.configure(fail_first=2, fail_status=status)
    lanes = Lanes()
    c, stats = call(kind, fake_url, HELLO, {}, lanes)
    assert isinstance(c, Completion) and stats.outcomes == [f"http_{status}"] * 2 + ["ok"]
    # Anthropic's 529 "overloaded" narrows the lane like a 429; other 5xx count toward the breaker.
    assert lanes.settled[0][0] == (THROTTLED if status == 529 else "failed")


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_answers_are_retried(kind: str, fake_url: str, fake: Fake) -> None:
    fake.configure(malformed_first=3)
    c, stats = call(kind, fake_url, HELLO, {})
    assert isinstance(c, Completion) and stats.outcomes == ["malformed"] * 3 + ["ok"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_400_is_not_retried_and_not_fatal(kind: str, fake_url: str, fake: Fake) -> None:
    fake.configure(bad_request_first=1)
    err, stats = call(kind, fake_url, HELLO, {})
    assert isinstance(err, ProviderError) and err.status == 400 and not err.fatal
    assert stats.outcomes == ["http_400"] and stats.retries == 0
    assert "sk-" not in str(err)  # the echoed key is redacted


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_base_url_is_fatal(kind: str, fake_url: str, fake: Fake) -> None:
    err, stats = call(kind, fake_url, HELLO, {}, path="/nothing-here")
    assert isinstance(err, ProviderError) and err.fatal and err.status == 404
    assert "check its base_url, model and key" in str(err) and stats.outcomes == ["http_404"]


@pytest.mark.parametrize("kind", KINDS)
def test_raw_completion_where_the_api_has_it(kind: str, fake_url: str, fake: Fake) -> None:
    stats = Recorder()

    async def go() -> Completion | ProviderError:
        provider = open_provider(kind, fake_url, stats)
        try:
            return await provider.complete("Once upon a time", model="fake-model", params={"max_tokens": 5})
        except ProviderError as exc:
            return exc
        finally:
            await provider.aclose()

    out = asyncio.run(go())
    if kind == "anthropic":
        assert isinstance(out, RawCompletionUnsupported) and stats.outcomes == []
    else:
        assert isinstance(out, Completion) and out.text


def test_an_anthropic_provider_refuses_supports_raw() -> None:
    with pytest.raises(ValueError, match="supports_raw must be false"):
        AnthropicConfig(models=["m"], supports_raw=True).check("claude")


def test_a_job_on_the_anthropic_kind_generates_and_judges(local: LocalApi, fake: Fake) -> None:
    spec = responses_spec(6, generator={"provider": "claude"},
                          judge={"generator": {"provider": "claude"}, "min_score": 0})
    fake.configure(follow_formats=True)
    job = local.wait(local.submit(spec).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 6, job
    assert job["cost"]["stages"] == {"generation": pytest.approx(job["cost"]["stages"]["generation"]),
                                     "judge": pytest.approx(job["cost"]["stages"]["judge"])}
    assert job["cost"]["usd"] > 0 and {r["meta"]["provider"] for r in local.lines(job["id"])} == {"claude"}
    assert fake.stats()["by_endpoint"]["messages"] == 12


def test_a_recipe_needing_raw_completion_is_refused_on_anthropic(alice: Api, worker: Workers) -> None:
    r = alice.submit({"recipe": "magpie", "generator": {"provider": "claude"}, "target": 2})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["generator.provider"]
