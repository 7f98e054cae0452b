"""The provider side of the contract against a real OpenAI-compatible server (slow).

llama-cpp-python's own server (`python -m llama_cpp.server`, the `server` extra) serves
the embedded SmolLM2 GGUF on loopback; the openai-compatible provider talks to it as it
would to vLLM or OpenAI: chat and raw completions, usage, finish_reason "length" (which
the pipeline rejects as truncated), a 4xx for a bad request (not retried, not fatal),
and a server restart in the middle of a batch of calls (retried until it is back).

The fake server (service/testing/fake_openai.py) stands in for this in the fast suite,
so the shapes of the two servers' answers are compared here too. What the fake did
differently, fixed in the fake: chat choices lacked `logprobs`, models lacked
`permissions`, and it had no context limit (llama.cpp answers 400
`context_length_exceeded`; the fake does with `context_tokens` set). Left as is: the real
server answers a wrongly typed parameter with a 500 (its validation error wrapped as
internal), which the provider retries like any 5xx.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from support import free_port, wait_for

pytestmark = pytest.mark.slow
ALIAS = "smollm2-135m-instruct"


class Recorder:
    """CallStats that keeps what the provider reported."""

    def __init__(self) -> None:
        self.outcomes: list[str] = []
        self.retries = 0
        self.tokens_in = self.tokens_out = 0

    def request(self, provider: str, model: str, outcome: str, seconds: float) -> None:
        self.outcomes.append(outcome)

    def retry(self, provider: str) -> None:
        self.retries += 1

    def tokens(self, provider: str, model: str, tokens_in: int, tokens_out: int) -> None:
        self.tokens_in += tokens_in
        self.tokens_out += tokens_out


class LlamaServer:
    """`python -m llama_cpp.server` on a loopback port; restartable on the same port."""

    def __init__(self, log_dir: Path):
        from service.providers.local import default_model_path

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.model = default_model_path()
        self.log = open(log_dir / "llama-server.log", "ab")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", self.model, "--model_alias", ALIAS,
             "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "2048", "--n_threads", "2"],
            stdout=self.log, stderr=subprocess.STDOUT)

        def up() -> bool:
            try:
                return httpx.get(f"{self.url}/v1/models", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=180, every=0.25, what="llama_cpp.server")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    server = LlamaServer(tmp_path_factory.mktemp("llama"))
    server.start()
    yield server
    server.stop()


def provider(url: str, stats: Recorder, max_retries: int = 3) -> Any:
    from service.providers.openai_compat import OpenAICompatible

    return OpenAICompatible(name="llama", base_url=f"{url}/v1", models=[ALIAS], api_key_env=None, concurrency=2,
                            timeout=120, max_retries=max_retries, licence="apache-2.0", supports_raw=True,
                            stats=stats)


CHAT = [{"role": "user", "content": "Name one primary colour."}]


def test_chat_and_raw_completions_with_usage(llama: LlamaServer) -> None:
    async def go() -> tuple[Any, Any, Recorder]:
        stats = Recorder()
        p = provider(llama.url, stats)
        try:
            chat = await p.chat(CHAT, model=ALIAS, params={"max_tokens": 24, "temperature": 0})
            raw = await p.complete("The capital of France is", model=ALIAS, params={"max_tokens": 8, "temperature": 0})
        finally:
            await p.aclose()
        return chat, raw, stats

    chat, raw, stats = asyncio.run(go())
    assert chat.text.strip() and raw.text.strip()
    assert chat.finish_reason in ("stop", "length") and raw.finish_reason in ("stop", "length")
    assert chat.tokens_in > 5 and 0 < chat.tokens_out <= 24 and 0 < raw.tokens_out <= 8
    assert stats.outcomes == ["ok", "ok"] and stats.tokens_out == chat.tokens_out + raw.tokens_out


def test_finish_reason_length_is_rejected_as_truncated(llama: LlamaServer) -> None:
    from service.domain.specs import Filters
    from service.pipeline.stages import ResponseFilter

    async def go() -> Any:
        p = provider(llama.url, Recorder())
        try:
            return await p.chat([{"role": "user", "content": "Write a long story about the sea."}], model=ALIAS,
                                params={"max_tokens": 3, "temperature": 0})
        finally:
            await p.aclose()

    c = asyncio.run(go())
    assert c.finish_reason == "length" and c.tokens_out == 3
    verdict = ResponseFilter(Filters()).verdict(c.text, c.finish_reason)
    assert verdict is not None and verdict.reason == "truncated"


def test_a_bad_request_is_a_4xx_that_is_not_retried(llama: LlamaServer) -> None:
    from service.providers.base import ProviderError

    async def go() -> ProviderError:
        stats = Recorder()
        p = provider(llama.url, stats)
        try:
            # Past the 2048-token context: llama.cpp's server answers 400 context_length_exceeded.
            # (A wrongly typed parameter is a 500 from it, which the provider rightly retries.)
            await p.chat([{"role": "user", "content": "hi " * 3000}], model=ALIAS, params={"max_tokens": 8})
        except ProviderError as exc:
            assert stats.retries == 0 and len(stats.outcomes) == 1
            return exc
        finally:
            await p.aclose()
        raise AssertionError("a bad request was accepted")

    exc = asyncio.run(go())
    assert exc.status == 400 and not exc.fatal
    assert "maximum context length" in str(exc) and len(str(exc)) < 300  # a sanitised snippet of the body


def test_a_server_restart_mid_batch_is_retried_until_it_is_back(llama: LlamaServer) -> None:
    async def go() -> tuple[list[Any], Recorder]:
        stats = Recorder()
        p = provider(llama.url, stats, max_retries=10)
        try:
            calls = [asyncio.ensure_future(p.chat([{"role": "user", "content": f"Say the number {i}."}], model=ALIAS,
                                                  params={"max_tokens": 8, "temperature": 0})) for i in range(6)]
            await asyncio.sleep(0.3)
            await asyncio.to_thread(llama.stop)
            await asyncio.to_thread(llama.start)
            return await asyncio.gather(*calls), stats
        finally:
            await p.aclose()

    results, stats = asyncio.run(go())
    assert len(results) == 6 and all(r.tokens_out > 0 for r in results)
    assert stats.retries >= 1 and "error" in stats.outcomes  # some calls did meet the dead server


def _shape(value: Any) -> Any:
    """Keys and value types, recursively: what a client decoder depends on."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_the_fake_answers_in_the_real_servers_shapes(llama: LlamaServer, fake: Any, fake_url: str) -> None:
    def both(method: str, path: str, body: Any = None) -> tuple[httpx.Response, httpx.Response]:
        real = httpx.request(method, f"{llama.url}{path}", json=body, timeout=120)
        faked = httpx.request(method, f"{fake_url}{path}", json=body, timeout=30)
        return real, faked

    chat = {"model": ALIAS, "messages": CHAT, "max_tokens": 8, "temperature": 0}
    real, fake_r = both("POST", "/v1/chat/completions", chat)
    assert real.status_code == fake_r.status_code == 200
    r, f = real.json(), fake_r.json()
    assert _shape(r["choices"][0]) == _shape(f["choices"][0]) and _shape(r["usage"]) == _shape(f["usage"])
    assert set(r) == set(f), (set(r) ^ set(f))
    real, fake_r = both("POST", "/v1/completions", {"model": ALIAS, "prompt": "Once", "max_tokens": 4})
    r, f = real.json(), fake_r.json()
    assert _shape(r["choices"][0]) == _shape(f["choices"][0]) and set(r) == set(f), (r, f)
    real, fake_r = both("GET", "/v1/models")
    assert set(real.json()) == set(fake_r.json()) and set(real.json()["data"][0]) <= set(fake_r.json()["data"][0])
    # Past the context: the same 400 and error object from both (the fake counts words).
    fake.configure(context_tokens=2048)
    long = {"model": ALIAS, "messages": [{"role": "user", "content": "hi " * 3000}], "max_tokens": 8}
    real, fake_r = both("POST", "/v1/chat/completions", long)
    assert real.status_code == fake_r.status_code == 400, (real.text, fake_r.text)
    assert _shape(real.json()) == _shape(fake_r.json()) and real.json()["error"]["code"] == fake_r.json()["error"]["code"]
