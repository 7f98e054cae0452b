"""The code verifier in the default sandbox (pipeline/sandbox.py: a subprocess under
bubblewrap): passing code is kept; failing code, an endless loop, a network attempt and
a write outside its directory are rejected with their reasons, and the host is untouched."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from service.pipeline.sandbox import BubblewrapSandbox
from service.pipeline.verifiers import CodeVerifier, CodeVerifierSpec, extract_code
from service.testing.harness import Call, ScriptedProvider, run_recipe

WHY = BubblewrapSandbox().unavailable_reason()
pytestmark = pytest.mark.skipif(WHY is not None, reason=f"{WHY} (.ci/run installs bubblewrap)")

TESTS = "assert add(2, 3) == 5\nassert add(-1, 1) == 0\n"
ADD = "def add(a, b):\n    return a + b\n"


def _run(code: str, tests: str = TESTS, **limits: float) -> tuple[bool, str | None, str | None]:
    verifier = CodeVerifier(CodeVerifierSpec(**limits), BubblewrapSandbox())  # type: ignore[arg-type]
    check = asyncio.run(verifier.run(code, tests))
    return check.passed, check.reason, check.detail


def test_code_that_passes_its_tests_passes() -> None:
    assert _run(ADD) == (True, None, None)


def test_code_that_fails_its_tests_is_rejected() -> None:
    passed, reason, detail = _run("def add(a, b):\n    return a - b\n")
    assert (passed, reason) == (False, "tests_failed") and "assert add(2, 3) == 5" in (detail or "")


def test_an_endless_loop_is_killed() -> None:
    assert _run("def add(a, b):\n    while True:\n        pass\n", wall_seconds=2)[:2] == (False, "timeout")


def test_a_network_attempt_is_rejected() -> None:
    code = ADD + "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)\n"
    assert _run(code)[:2] == (False, "network_denied")
    dns = ADD + "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=3)\n"
    assert _run(dns)[:2] == (False, "network_denied")


def test_a_write_outside_its_directory_is_rejected_and_the_host_untouched(tmp_path: Path) -> None:
    outside = [tmp_path / "escape", Path("/tmp") / f"synthgen-escape-{os.getpid()}", Path.cwd() / "escape.txt"]
    for target in outside:
        passed, reason, detail = _run(ADD + f"open({str(target)!r}, 'w').write('pwned')\n")
        assert (passed, reason) == (False, "write_denied"), (target, reason, detail)
        assert not target.exists()
    assert _run(ADD + "open('../escape', 'w').write('x')\n")[:2] == (False, "write_denied")
    # its own directory is writable, and is gone afterwards
    assert _run(ADD + "open('scratch.txt', 'w').write('ok')\nassert open('scratch.txt').read() == 'ok'\n")[0]


def test_it_runs_as_nobody_without_the_workers_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHGEN_SECRET_FOR_TEST", "s3cret")
    # (the interpreter's own directory is bound read-only: /root/.pyenv/... when it lives there)
    here = str(Path(__file__).resolve())
    probe = ADD + ("import os\nassert os.getuid() == 65534, os.getuid()\n"
                   "assert 'SYNTHGEN_SECRET_FOR_TEST' not in os.environ\n"
                   f"assert not os.path.exists('/etc/passwd') and not os.path.exists({here!r})\n")
    assert _run(probe) == (True, None, None)


def test_a_faked_pass_by_exiting_early_is_not_a_pass() -> None:
    assert _run(ADD + "import sys\nsys.exit(0)\n")[:2] == (False, "exited_early")
    assert _run(ADD + "import os\nos._exit(0)\n")[:2] == (False, "exited_early")


def test_memory_beyond_the_limit_is_rejected() -> None:
    assert _run(ADD + "x = bytearray(2 * 1024 ** 3)\n", memory_mb=256)[:2] == (False, "memory")


def test_extract_code_takes_the_last_fenced_block() -> None:
    text = "Try:\n```python\nprint(1)\n```\nBetter:\n```python\ndef add(a, b):\n    return a + b\n```\n"
    assert extract_code(text) == ADD
    assert extract_code("def f(): pass") == "def f(): pass"


def test_a_code_job_keeps_passing_answers_and_rejects_the_rest(redis_url: str) -> None:
    answers = {"good": "```python\n" + ADD + "```", "bad": "```python\ndef add(a, b):\n    return 0\n```",
               "loop": "```python\nwhile True:\n    pass\n```"}

    def reply(call: Call) -> str:
        return answers[call.text.split("\n\n")[0].split()[-1]]

    items = [{"prompt": f"write add: {k}", "tests": TESTS} for k in answers]
    done = run_recipe({"recipe": "reasoning", "generator": {"provider": "m"},
                       "verify": {"verifier": {"kind": "code", "wall_seconds": 2}},
                       "params": {"items": items}},
                      redis_url=redis_url, providers={"m": ScriptedProvider(reply)})
    assert [r["prompt"] for r in done.records] == ["write add: good"]
    assert done.records[0]["meta"]["verify"]["sandbox"] == "bubblewrap"
    assert sorted(r["reason"] for r in done.rejects) == ["tests_failed", "timeout"]


def test_tool_calls_run_registered_python_tools_in_the_sandbox(redis_url: str, tmp_path: Path) -> None:
    from service.providers.base import Completion
    from service.settings import Settings

    module = tmp_path / "weather.py"
    module.write_text("def get_weather(city, unit='c'):\n"
                      "    if city == 'Atlantis':\n        raise ValueError('no such city')\n"
                      "    if city == 'Online':\n"
                      "        import urllib.request\n        urllib.request.urlopen('http://example.com', timeout=2)\n"
                      "    return {'city': city, 'temp': 14, 'unit': unit}\n")
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
        "required": ["city"]}}}
    cities = {"1": "Lyon", "2": "Atlantis", "3": "Online"}

    def reply(c: Call) -> Completion | str:
        if "Do the calls" in c.text:
            return "Score: 5"
        if c.params.get("tools"):
            city = cities[c.text[-1]]
            calls = [{"id": "call_7", "type": "function",
                      "function": {"name": "get_weather", "arguments": f'{{"city": "{city}"}}'}}]
            return Completion(text="", finish_reason="tool_calls", tokens_in=1, tokens_out=1, model=c.model,
                              tool_calls=calls)
        return "Weather please, q" + c.text.split("request number ")[1].split()[0]

    done = run_recipe({"recipe": "tool-calls", "generator": {"provider": "m"}, "min_yield": 0.1,
                       "params": {"tools": [tool], "queries_per_tool": 3, "execute": ["weather"]}},
                      redis_url=redis_url, providers={"m": ScriptedProvider(reply)},
                      settings=Settings(tool_files={"weather": str(module)}))

    [record] = done.records
    assert record["results"] == [{"city": "Lyon", "temp": 14, "unit": "c"}]
    assert record["messages"][-1] == {"role": "tool", "tool_call_id": "call_7",
                                      "content": '{"city": "Lyon", "temp": 14, "unit": "c"}'}
    got = {r["query"][-1]: (r["stage"], r["reason"]) for r in done.rejects}
    assert got == {"2": ("execution", "execution_error"), "3": ("execution", "network_denied")}
    assert "no such city" in next(r["detail"] for r in done.rejects if r["query"].endswith("2"))
