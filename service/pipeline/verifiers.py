"""The verifiers the `verify` stage runs (pipeline/verify.py): a judge says "looks
good", a verifier says "is right".

A verifier kind is a spec class here (a tagged `VerifierSpec`, tag = the kind, listed in
`KINDS`) that builds a `Verifier`: `await verifier.verify(candidate) -> Check`, plus the
`provenance` stored with every verdict (the kind and what decided: a package and its
version, a pattern, a sandbox). The built-in kinds:

- `math`: the answer's final expression (the last `\\boxed{}`, LaTeX or plain expression)
  equals the item's reference, by Hugging Face's math-verify (`synthgen[math]`): `1/2`,
  `0.5` and `\\frac{1}{2}` are one answer. Reason `wrong_answer` (or `no_answer` when
  nothing parses). Its sympy work runs in a thread (the run's loop keeps renewing its
  lease) without math-verify's signal timeouts (they need the main thread): the inputs
  are one answer and one reference, small.
- `json_schema`: the output parses as JSON (a ```json fence is allowed) and validates
  against the schema (`schema`, else the job's `structured_output.schema`), with the
  jsonschema package. Reasons `not_json`, `schema_invalid`; the detail is the
  validation error with its path.
- `regex`: the pattern matches (search, or the whole output with `full_match`). Reason
  `no_match`.
- `exact`: the output equals the reference, after trimming, case-folding and collapsing
  white space unless `normalize` is off. Reason `wrong_answer`.
- `judge`: the existing judge (pipeline/judge.py) as a verifier: its score at least
  `min_score`. Reasons the judge's (`low_score`, `judge_unparseable`, `judge_error`).
- `code`: the response's Python code (the last fenced block, else the whole text) runs
  with the item's tests in a sandbox (pipeline/sandbox.py). Reasons `tests_failed`,
  `timeout`, `network_denied`, `write_denied`, `memory`, `runtime_error`,
  `exited_early`, `no_code`.

References and tests come from the candidate's data (`reference_field`, default
"reference"; `tests_field`, default "tests"): recipes put the item's reference there.
Heavy modules (math_verify, jsonschema) are imported when a verifier is built, not when
a spec is decoded.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from typing import Annotated, Any, Literal, Protocol, Union

import msgspec
from msgspec import Meta

from service import defaults
from service.domain.errors import invalid
from service.domain.spec_parts import GeneratorRef, Name
from service.pipeline.stages import Candidate, Verdict


class Check(msgspec.Struct):
    """One verifier's verdict on one candidate: passed or not, the reason code and
    detail of a failure, and a score ("best" of several candidates takes the highest)."""

    passed: bool
    reason: str | None = None
    detail: str | None = None
    score: float = 1.0

    @classmethod
    def fail(cls, reason: str, detail: str | None = None) -> "Check":
        return cls(False, reason, detail[:1000] if detail else detail, 0.0)


class Verifier(Protocol):
    """A built verifier: stateless per candidate, so candidates run concurrently."""

    provenance: dict[str, Any]

    async def verify(self, c: Candidate) -> Check: ...


class VerifierSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="kind"):
    """The spec of one verifier kind (`kind` is its tag)."""

    def check(self, env: Any, field: str) -> None:
        """Raise InvalidSpec for what cannot run here (`field`: this spec's path)."""

    def generators(self, field: str) -> list[tuple[str, GeneratorRef]]:
        return []

    def build(self, ctx: Any) -> Verifier:
        raise NotImplementedError


def _package(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return name


def _reference(c: Candidate, field: str) -> Any:
    return c.data.get(field)


# -- math ------------------------------------------------------------------------------

class MathVerifierSpec(VerifierSpec, tag="math", kw_only=True, forbid_unknown_fields=True):
    """Final-answer equivalence with math-verify."""

    reference_field: Name = "reference"

    def check(self, env: Any, field: str) -> None:
        from service.extras import installed

        if not installed("math"):
            raise invalid(f"{field}.kind", "the math verifier needs the synthgen[math] extra (math-verify), "
                          "which this server lacks", "math")

    def build(self, ctx: Any) -> Verifier:
        return MathVerifier(self)


class MathVerifier:
    def __init__(self, spec: MathVerifierSpec):
        import logging

        from service.extras import require

        self.mv = require("math", "math_verify", "the math verifier")
        # it warns on every call that its signal-based timeouts are off (they only work on
        # a main thread; a worker may verify elsewhere): said once, in the module docstring
        logging.getLogger("math_verify").setLevel(logging.ERROR)
        self.spec = spec
        self.provenance = {"verifier": "math", "package": _package("math-verify")}
        self._configs = [self.mv.LatexExtractionConfig(), self.mv.ExprExtractionConfig()]

    def _parse(self, text: str) -> list[Any]:
        # No signal-based timeout: a worker verifies off the main thread's signal handling.
        return self.mv.parse(text, extraction_config=self._configs, parsing_timeout=None)

    def equal(self, answer: str, reference: str) -> Check:
        gold = self._parse(reference if "$" in reference or "\\" in reference else f"${reference}$")
        if not gold:
            gold = self._parse(reference)
        got = self._parse(answer)
        if not got:
            return Check.fail("no_answer", "no final answer could be parsed")
        if not gold:
            return Check.fail("bad_reference", f"reference {reference[:100]!r} does not parse")
        if self.mv.verify(gold, got, timeout_seconds=None):
            return Check(True)
        return Check.fail("wrong_answer", f"answer {got[-1]!s:.100} != reference {reference[:100]}")

    async def verify(self, c: Candidate) -> Check:
        ref = _reference(c, self.spec.reference_field)
        if ref is None:
            return Check.fail("no_reference", f"the item has no {self.spec.reference_field!r}")
        # In a thread: sympy may take a while on a hard expression, and the run's loop
        # must keep renewing its lease meanwhile.
        return await asyncio.to_thread(self.equal, c.text, str(ref))


# -- json_schema ----------------------------------------------------------------------

_FENCE_JSON = re.compile(r"```(?:json)?\s*\n(.*?)```", re.S)


def parse_json(text: str) -> Any:
    """The JSON an output holds: the whole text, else its first ```json fence. Raises ValueError."""
    try:
        return json.loads(text)
    except ValueError:
        m = _FENCE_JSON.search(text)
        if m is None:
            raise
        return json.loads(m.group(1))


def schema_error(schema: dict[str, Any]) -> str | None:
    """Why `schema` is not a valid JSON Schema (draft 2020-12), or None."""
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return exc.message
    return None


class JsonSchemaVerifierSpec(VerifierSpec, tag="json_schema", kw_only=True, forbid_unknown_fields=True):
    """The output is JSON valid against `schema` (default: the job's structured_output schema)."""

    schema: Annotated[dict[str, Any], Meta(max_length=256)] | None = None

    def check(self, env: Any, field: str) -> None:
        if self.schema is not None and (err := schema_error(self.schema)):
            raise invalid(f"{field}.schema", f"not a valid JSON Schema: {err}")

    def build(self, ctx: Any) -> Verifier:
        schema = self.schema
        if schema is None:
            so = getattr(ctx.spec, "structured_output", None)
            schema = so.schema if so is not None else None
        if schema is None:
            raise ValueError("json_schema verifier without a schema")  # Recipe.check refuses it first
        return JsonSchemaVerifier(schema)


class JsonSchemaVerifier:
    def __init__(self, schema: dict[str, Any]):
        import jsonschema

        self.validator = jsonschema.Draft202012Validator(schema)
        self.provenance = {"verifier": "json_schema", "package": _package("jsonschema")}

    def check_value(self, value: Any) -> Check:
        errors = sorted(self.validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            return Check.fail("schema_invalid", f"at {where}: {e.message}{more}")
        return Check(True)

    async def verify(self, c: Candidate) -> Check:
        try:
            value = parse_json(c.text)
        except ValueError as exc:
            return Check.fail("not_json", str(exc))
        return self.check_value(value)


# -- regex, exact ---------------------------------------------------------------------

class RegexVerifierSpec(VerifierSpec, tag="regex", kw_only=True, forbid_unknown_fields=True):
    """The output matches `pattern` (Python regex)."""

    pattern: Annotated[str, Meta(min_length=1, max_length=2000)]
    full_match: bool = False
    ignore_case: bool = False

    def check(self, env: Any, field: str) -> None:
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise invalid(f"{field}.pattern", f"not a valid regular expression: {exc}", self.pattern) from None

    def build(self, ctx: Any) -> Verifier:
        return RegexVerifier(self)


class RegexVerifier:
    def __init__(self, spec: RegexVerifierSpec):
        self.rx = re.compile(spec.pattern, re.I if spec.ignore_case else 0)
        self.full = spec.full_match
        self.provenance = {"verifier": "regex", "pattern": spec.pattern}

    async def verify(self, c: Candidate) -> Check:
        text = c.text.strip()
        ok = self.rx.fullmatch(text) if self.full else self.rx.search(text)
        return Check(True) if ok else Check.fail("no_match", f"{'fullmatch' if self.full else 'search'} of "
                                                 f"{self.rx.pattern[:100]!r} failed")


_SPACES = re.compile(r"\s+")


def normalized(text: str) -> str:
    return _SPACES.sub(" ", text.strip()).casefold()


class ExactVerifierSpec(VerifierSpec, tag="exact", kw_only=True, forbid_unknown_fields=True):
    """The output equals the item's reference (normalised unless `normalize` is off)."""

    reference_field: Name = "reference"
    normalize: bool = True

    def build(self, ctx: Any) -> Verifier:
        return ExactVerifier(self)


class ExactVerifier:
    def __init__(self, spec: ExactVerifierSpec):
        self.spec = spec
        self.provenance = {"verifier": "exact", "normalize": spec.normalize}

    async def verify(self, c: Candidate) -> Check:
        ref = _reference(c, self.spec.reference_field)
        if ref is None:
            return Check.fail("no_reference", f"the item has no {self.spec.reference_field!r}")
        got, want = (normalized(c.text), normalized(str(ref))) if self.spec.normalize else (c.text, str(ref))
        return Check(True) if got == want else Check.fail("wrong_answer", f"{got[:100]!r} != {want[:100]!r}")


# -- judge ----------------------------------------------------------------------------

class JudgeVerifierSpec(VerifierSpec, tag="judge", kw_only=True, forbid_unknown_fields=True):
    """The judge stage's scoring (pipeline/judge.py) as a verifier."""

    generator: GeneratorRef | None = None
    rubric: Annotated[str, Meta(min_length=1, max_length=20_000)] = "additive5"
    min_score: Annotated[float, Meta(ge=0, le=100)] = 3.0
    repeats: Annotated[int, Meta(ge=1, le=10)] = 1

    def _judge(self) -> Any:
        from service.pipeline.judge import JudgeSpec

        return JudgeSpec(generator=self.generator, rubric=self.rubric, min_score=self.min_score, repeats=self.repeats)

    def check(self, env: Any, field: str) -> None:
        if self.rubric != "additive5" and ("{prompt}" not in self.rubric or "{response}" not in self.rubric):
            raise invalid(f"{field}.rubric", "a custom rubric must contain {prompt} and {response}")

    def generators(self, field: str) -> list[tuple[str, GeneratorRef]]:
        return [(f"{field}.generator", self.generator)] if self.generator is not None else []

    def build(self, ctx: Any) -> Verifier:
        return JudgeVerifier(self._judge().build(ctx))


class JudgeVerifier:
    def __init__(self, stage: Any):
        self.stage = stage
        self.provenance = {"verifier": "judge", "model": stage.model.label,
                           "rubric": "additive5" if stage.additive else "custom"}

    async def verify(self, c: Candidate) -> Check:
        verdict: Verdict | None = await self.stage.check(c)
        score = float(c.annotations.get("judge", {}).get("score", 0.0))
        if verdict is not None:
            return Check(False, verdict.reason, verdict.detail, score)
        return Check(True, score=score)


# -- code -----------------------------------------------------------------------------

_FENCE_CODE = re.compile(r"```(?:python|py|python3)?[ \t]*\n(.*?)```", re.S)

# Runs inside the sandbox: the solution, then the tests, in one namespace. A pass is
# the nonce (read from stdin before any generated code runs) printed after the tests;
# an exit, a crash or a failure before that is not a pass. It classifies what stopped
# the run by the exception, for the reject's reason.
RUNNER = r'''
import errno, json, os, socket, sys
nonce = sys.stdin.readline().strip()
def out(reason, detail):
    sys.__stdout__.write("\n" + json.dumps({"reason": reason, "detail": str(detail)[-800:]}) + "\n")
    sys.__stdout__.flush()
# What the code tried last, from audit hooks (which it cannot remove): a failed write
# outside /sandbox or a connection is named for what it was, whatever errno it got.
tried = {"write": None, "net": None}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        mode, flags = args[1], args[2] if len(args) > 2 else 0
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & WRITE_FLAGS)
        path = os.path.abspath(os.fsdecode(args[0]))
        if writing and not path.startswith("/sandbox/"):
            tried["write"] = path
    elif event in ("os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.symlink", "os.link", "os.chmod"):
        path = os.path.abspath(os.fsdecode(args[0])) if args and isinstance(args[0], (str, bytes)) else ""
        if not path.startswith("/sandbox/"):
            tried["write"] = path
    elif event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"):
        tried["net"] = repr(args[1] if event.startswith("socket.connect") and len(args) > 1 else args[:2])
sys.addaudithook(hook)
NET = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED, errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL}
WRITE = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT}
def os_error(e):
    inner = getattr(e, "reason", None)  # urllib's URLError wraps the socket's error
    if isinstance(inner, OSError):
        e = inner
    if isinstance(e, socket.gaierror) or (e.errno in NET and tried["net"]):
        return "network_denied", f"{e} ({tried['net']})"
    if e.errno in WRITE and tried["write"]:
        return "write_denied", f"{e} ({tried['write']})"
    return "runtime_error", repr(e)
done = False
try:
    ns = {"__name__": "__main__"}
    exec(compile(open("solution.py").read(), "solution.py", "exec"), ns)
    exec(compile(open("tests.py").read(), "tests.py", "exec"), ns)
    done = True
except SystemExit as e:
    out("exited_early", f"SystemExit({e.code!r}) before the tests finished")
except AssertionError as e:
    import traceback
    out("tests_failed", traceback.format_exc(limit=-2))
except MemoryError:
    out("memory", "MemoryError")
except OSError as e:
    out(*os_error(e))
except BaseException as e:
    import traceback
    out("runtime_error", traceback.format_exc(limit=-2))
if done:
    sys.__stdout__.write("\n" + nonce + "\n")
    sys.__stdout__.flush()
'''


def extract_code(text: str) -> str:
    """The program in a response: its last fenced code block, else the whole text."""
    blocks = _FENCE_CODE.findall(text)
    return blocks[-1] if blocks else text


class CodeVerifierSpec(VerifierSpec, tag="code", kw_only=True, forbid_unknown_fields=True):
    """The response's Python code passes the item's tests in the sandbox."""

    tests_field: Name = "tests"
    language: Literal["python"] = "python"
    wall_seconds: Annotated[float, Meta(gt=0, le=120)] = defaults.SANDBOX_WALL_SECONDS
    memory_mb: Annotated[int, Meta(ge=64, le=8192)] = defaults.SANDBOX_MEMORY_MB

    def check(self, env: Any, field: str) -> None:
        from service.pipeline.sandbox import default_sandbox

        if not getattr(default_sandbox(), "available", True):
            raise invalid(f"{field}.kind", "the code verifier needs a sandbox: this server cannot run bubblewrap "
                          "(apt-get install bubblewrap; user namespaces allowed)", "code")

    def build(self, ctx: Any) -> Verifier:
        from service.pipeline.sandbox import default_sandbox

        return CodeVerifier(self, getattr(ctx, "sandbox", None) or default_sandbox())


class CodeVerifier:
    def __init__(self, spec: CodeVerifierSpec, sandbox: Any):
        from service.pipeline.sandbox import Limits, interpreter

        self.spec = spec
        self.sandbox = sandbox
        self.python = interpreter()
        cpu = int(spec.wall_seconds) + 1  # the wall clock usually ends a busy loop first
        self.limits = Limits(wall_seconds=spec.wall_seconds, cpu_seconds=cpu, memory_mb=spec.memory_mb)
        self.provenance = {"verifier": "code", "sandbox": sandbox.name, "language": "python",
                           "limits": msgspec.to_builtins(self.limits)}

    async def run(self, code: str, tests: str) -> Check:
        """Run `code` then `tests` in the sandbox; passed only when the tests ran to the end."""
        return (await self.execute(code, tests))[0]

    async def execute(self, code: str, tests: str) -> tuple[Check, list[str]]:
        """The verdict, and the lines the program printed before the runner's last word."""
        if not code.strip():
            return Check.fail("no_code", "the response holds no code"), []
        nonce = secrets.token_hex(16)
        files = {"solution.py": code, "tests.py": tests, "runner.py": RUNNER}
        res = await self.sandbox.run(files, [self.python, "-I", "-S", "runner.py"], self.limits, stdin=nonce + "\n")
        if res.timed_out:
            return Check.fail("timeout", f"killed after {self.limits.wall_seconds:g} s"), []
        lines = res.stdout.strip().splitlines()
        if res.exit_code == 0 and lines and lines[-1] == nonce:
            return Check(True), [line for line in lines[:-1] if line.strip()]
        return self._failure(res, lines), lines

    def _failure(self, res: Any, lines: list[str]) -> Check:
        for line in reversed(lines):
            if line.startswith("{") and '"reason"' in line:
                try:
                    found = json.loads(line)
                    return Check.fail(str(found["reason"]), str(found.get("detail")))
                except (ValueError, KeyError):
                    break
        if res.exit_code == 0:  # ended cleanly without saying the tests finished: os._exit(0)
            return Check.fail("exited_early", "the process exited 0 before the tests finished")
        if res.exit_code in (-9, -24, 128 + 9, 128 + 24):  # SIGKILL / SIGXCPU (bwrap passes 128 + signal)
            return Check.fail("timeout", f"CPU limit ({self.limits.cpu_seconds} s) reached")
        return Check.fail("runtime_error", f"exit {res.exit_code}: {res.stderr[-500:]}")

    async def verify(self, c: Candidate) -> Check:
        tests = _reference(c, self.spec.tests_field)
        if not tests:
            return Check.fail("no_reference", f"the item has no {self.spec.tests_field!r}")
        return await self.run(extract_code(c.text), str(tests))


# The verifier kinds, one line each: a kind is a VerifierSpec subclass tagged with its name.
KINDS: tuple[type[VerifierSpec], ...] = (
    MathVerifierSpec, JsonSchemaVerifierSpec, RegexVerifierSpec, ExactVerifierSpec, JudgeVerifierSpec,
    CodeVerifierSpec,
)
AnyVerifier = Union[MathVerifierSpec, JsonSchemaVerifierSpec, RegexVerifierSpec, ExactVerifierSpec,
                    JudgeVerifierSpec, CodeVerifierSpec]
