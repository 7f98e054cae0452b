"""tool-calls: function-calling data checked the APIGen way (Liu et al. 2024).

The job gives tools as JSON Schema (OpenAI's function format: name, description,
parameters). For each tool, `queries_per_tool` items, each keyed by the tool's index
and the query's (`t003q07`, so the job shards like responses):

1. **Query.** The generator writes one request a user would make that needs the tool
   (the query's index and the item's seed vary it), knowing every tool offered.
2. **Call.** The query goes to the generator as a chat with `tools` (all the job's
   tools) and `tool_choice: "auto"`; the answer's `tool_calls` are the candidate.
3. **Format check** (APIGen's first): at least one call, each naming a tool the job
   offered, its arguments a JSON object valid against that tool's parameters
   (jsonschema). Rejects of stage `format`: `no_call`, `unknown_tool`, `not_json`,
   `schema_invalid` (the detail is the validation error and its path).
4. **Execution check** (APIGen's second), for tools the operator registered as Python
   (`execute`: names of SYNTHGEN_TOOL_FILES modules defining functions of the tools'
   names): each call runs in the code sandbox (pipeline/sandbox.py: no network,
   its own directory, limits); an exception is a reject of stage `execution`
   (`execution_error`, `timeout`, `network_denied`, ...). The results join the record
   as `tool` messages. Tools with no registered function are not executed.
5. **Semantic check** (APIGen's third): the generator (or `judge`) reads the query,
   the calls and the results and scores 0-5 whether the calls fulfil the request
   ("Score: N"); below `min_score` (default 3) is a reject of stage `semantic`
   (`mismatch`; `unparseable` when no score could be read); `semantic_check: false`
   skips it.

Records: {query, tools, tool_calls, results, messages}, where `messages` is OpenAI's
chat shape a fine-tuning tool reads: the user turn, the assistant turn with
`tool_calls` (and `content: null`), then one `tool` turn per executed call. Formats
"native" and "openai" are offered. The job's own stages (verify, judge, dedup) see the
calls as the candidate's text.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, cast

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.spec_parts import GeneratorRef, Name
from service.domain.specs import JobSpecBase
from service.pipeline.judge import parse_score, rationale
from service.pipeline.run import DONE, RecipeContext, RunOutcome, Slot
from service.pipeline.stages import Candidate, Verdict
from service.recipes.base import Env, Recipe, check_generator

QUERY_SAMPLING: dict[str, Any] = {"temperature": 1.0, "max_tokens": 200}
CALL_SAMPLING: dict[str, Any] = {"temperature": 0.3, "max_tokens": 600}
JUDGE_SAMPLING: dict[str, Any] = {"temperature": 0.0, "max_tokens": 300}

QUERY_PROMPT = """\
Here are the tools an assistant can call:
{tools}

Write one realistic request a user might send to the assistant that needs the tool \
`{name}` to be answered. Give concrete values (names, places, numbers) so the call's \
arguments are clear. Make it request number {n} of a varied set. Reply with the \
request alone, no preamble."""

SEMANTIC_PROMPT = """\
A user asked: {query}

The assistant called these tools:
{calls}

They returned:
{results}

Do the calls, with these arguments, do what the user asked? Judge whether the right \
tools were chosen, whether the arguments match the request (values, units, nothing \
invented), and whether nothing the request needs is missing. Give a short reason, then \
end with "Score: N", N from 0 (unrelated) to 5 (exactly what was asked)."""


class ToolFunction(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(pattern="^[A-Za-z0-9_-]{1,64}$", max_length=64)]
    description: Annotated[str, Meta(max_length=4000)] = ""
    parameters: Annotated[dict[str, Any], Meta(max_length=256)] = msgspec.field(
        default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None


class Tool(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A tool as OpenAI's API takes it: {"type": "function", "function": {...}}."""

    type: Literal["function"] = "function"
    function: ToolFunction


class ToolCallsParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    tools: Annotated[list[Tool], Meta(min_length=1, max_length=128)]
    queries_per_tool: Annotated[int, Meta(ge=1, le=10_000)] = 10
    system_prompt: Annotated[str, Meta(max_length=100_000)] | None = None
    execute: Annotated[list[Name], Meta(max_length=16, description=(
        "Names of registered tool modules (SYNTHGEN_TOOL_FILES) whose functions run the calls in the sandbox."))] = []
    semantic_check: bool = True
    judge: GeneratorRef | None = None
    min_score: Annotated[float, Meta(ge=0, le=5)] = 3.0


class ToolCallsJob(JobSpecBase, tag="tool-calls", kw_only=True, forbid_unknown_fields=True):
    """A tool-calls job: queries and checked calls for the given tools."""

    params: ToolCallsParams


def _tools_json(tools: list[Tool]) -> str:
    return "\n".join(json.dumps(msgspec.to_builtins(t.function)) for t in tools)


def check_call(call: dict[str, Any], validators: dict[str, Any]) -> Verdict | None:
    """APIGen's format check of one call: a known tool, JSON object arguments valid
    against its parameters."""
    fn = call.get("function") or {}
    name = fn.get("name")
    if name not in validators:
        return Verdict("format", "unknown_tool", f"no tool named {str(name)[:64]!r} was offered")
    try:
        args = json.loads(fn.get("arguments") or "{}")
    except ValueError as exc:
        return Verdict("format", "not_json", f"{name}: arguments are not JSON: {exc}")
    if not isinstance(args, dict):
        return Verdict("format", "schema_invalid", f"{name}: arguments are not an object")
    errors = sorted(validators[name].iter_errors(args), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
        return Verdict("format", "schema_invalid", f"{name}: at {where}: {errors[0].message}")
    return None


def call_program(calls: list[tuple[str, dict[str, Any]]]) -> str:
    """The program that makes `calls` after the operator's tool module was run in the
    same namespace (the code verifier's runner), printing the results as one JSON line."""
    return ("import json as _json\n"
            f"_calls = _json.loads({json.dumps(calls)!r})\n"
            "print('\\n' + _json.dumps([globals()[_n](**_a) for _n, _a in _calls], default=str))\n")


class ToolCalls(Recipe[ToolCallsJob]):
    name = "tool-calls"
    summary = "Function-calling data: queries, calls checked against the tools' schemas, run, and judged (APIGen)."
    Spec = ToolCallsJob
    mixes = True

    def validate(self, spec: ToolCallsJob, env: Env) -> int:
        from service.pipeline.verifiers import schema_error

        p = spec.params
        names = [t.function.name for t in p.tools]
        if len(set(names)) != len(names):
            raise invalid("params.tools", "tool names must be unique", names)
        for i, t in enumerate(p.tools):
            if err := schema_error(t.function.parameters):
                raise invalid(f"params.tools[{i}].function.parameters", f"not a valid JSON Schema: {err}")
        for name in p.execute:
            if name not in env.settings.tool_files:
                raise invalid("params.execute", f"no tool module named {name!r} is registered", name)
        if p.execute:
            from service.pipeline.sandbox import default_sandbox

            if not getattr(default_sandbox(), "available", True):
                raise invalid("params.execute", "running tools needs the code sandbox (bubblewrap), "
                              "which this server lacks")
        if p.judge is not None:
            check_generator(p.judge, env, "params.judge")
        if spec.format not in ("native", "openai"):
            raise invalid("format", "tool-calls records are chats with tool calls: format native or openai",
                          spec.format)
        n = len(p.tools) * p.queries_per_tool
        if spec.target is not None and spec.target > n:
            raise invalid("target", f"target {spec.target} exceeds the {n} queries planned "
                          "(tools x queries_per_tool)", spec.target)
        return spec.target or n

    async def run(self, ctx: RecipeContext[ToolCallsJob]) -> RunOutcome:
        from pathlib import Path

        import jsonschema

        p = ctx.spec.params
        tools = [msgspec.to_builtins(t) for t in p.tools]
        validators = {t.function.name: jsonschema.Draft202012Validator(t.function.parameters) for t in p.tools}
        listing = _tools_json(p.tools)
        modules = "\n\n".join(Path(ctx.env.settings.tool_files[n]).read_text() for n in p.execute)
        runnable = {t.function.name for t in p.tools if modules and f"def {t.function.name}(" in modules}
        judge = ctx.model(p.judge) if p.judge is not None else None
        system = [{"role": "system", "content": p.system_prompt}] if p.system_prompt else []
        plan = [(ti, qi) for ti in range(len(p.tools)) for qi in range(p.queries_per_tool)]

        def key(_i: int, item: tuple[int, int]) -> str:
            return f"t{item[0]:03d}q{item[1]:04d}"

        async def execute(calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[Any] | None, Verdict | None]:
            from service.pipeline.sandbox import default_sandbox
            from service.pipeline.verifiers import CodeVerifier, CodeVerifierSpec

            runner = CodeVerifier(CodeVerifierSpec(), getattr(ctx, "sandbox", None) or default_sandbox())
            check, lines = await runner.execute(modules, call_program(calls))
            if not check.passed:
                reason = "execution_error" if check.reason in ("runtime_error", "tests_failed") else check.reason
                return None, Verdict("execution", reason or "execution_error", check.detail)
            try:
                return json.loads(lines[-1]), None
            except (ValueError, IndexError):
                return None, Verdict("execution", "execution_error", "the tools' results are not JSON")

        async def one(slot: Slot, item: tuple[str, tuple[int, int]]) -> None:
            k, (ti, qi) = item
            model = ctx.pick(k)
            fn = p.tools[ti].function
            ask = QUERY_PROMPT.format(tools=listing, name=fn.name, n=qi + 1)
            qparams = model.sampling(QUERY_SAMPLING)
            if qparams.get("seed") is not None:
                qparams = {**qparams, "seed": int(qparams["seed"]) + ti * 10_000 + qi}
            q = await model.chat([{"role": "user", "content": ask}], qparams)
            query = q.text.strip()
            data: dict[str, Any] = {"query": query, "tools": tools, "tool": fn.name}
            if not query:
                await slot.reject(k, Verdict("query", "empty", "no query was written"), data,
                                  provenance=model.provenance)
                return
            messages: list[dict[str, Any]] = [*system, {"role": "user", "content": query}]
            c = await model.chat(cast(list[dict[str, str]], messages),
                                 {**model.sampling(CALL_SAMPLING), "tools": tools, "tool_choice": "auto"})
            calls = c.tool_calls or []
            data["tool_calls"] = calls
            if not calls:
                await slot.reject(k, Verdict("format", "no_call", (c.text or "")[:300]), data,
                                  provenance=model.provenance)
                return
            for call in calls:
                if (bad := check_call(call, validators)) is not None:
                    await slot.reject(k, bad, data, provenance=model.provenance)
                    return
            parsed = [(call["function"]["name"], json.loads(call["function"].get("arguments") or "{}"))
                      for call in calls]
            results: list[Any] = [None] * len(calls)
            to_run = [i for i, (name, _) in enumerate(parsed) if name in runnable]
            if to_run:
                out, bad = await execute([parsed[i] for i in to_run])
                if bad is not None:
                    await slot.reject(k, bad, data, provenance=model.provenance)
                    return
                for i, r in zip(to_run, out or []):
                    results[i] = r
            data["results"] = results
            assistant = {"role": "assistant", "content": None, "tool_calls": calls}
            tool_turns = [{"role": "tool", "tool_call_id": calls[i].get("id", f"call_{i}"),
                           "content": json.dumps(results[i], default=str)} for i in to_run]
            data["messages"] = [*messages, assistant, *tool_turns]
            text = json.dumps([{"name": n, "arguments": a} for n, a in parsed])
            annotations: dict[str, Any] = {}
            if p.semantic_check:
                who = judge or model
                prompt = SEMANTIC_PROMPT.format(
                    query=query, calls=text,
                    results=json.dumps(results, default=str) if to_run else "(not executed)")
                answer = await who.chat([{"role": "user", "content": prompt}], who.sampling(JUDGE_SAMPLING))
                score = parse_score(answer.text, 5)
                annotations["semantic"] = {"score": score, "rationale": rationale(answer.text)[-500:],
                                           "model": who.label}
                if score is None or score < p.min_score:
                    reason = "unparseable" if score is None else "mismatch"
                    await slot.reject(k, Verdict("semantic", reason, f"score {score}"), data,
                                      provenance=model.provenance, annotations=annotations)
                    return
            await slot.offer(Candidate(key=k, text=text, finish_reason=c.finish_reason, served=c.served(), prompt=query,
                                       provenance=model.provenance, data=data, annotations=annotations,
                                       sampling=model.sampling(CALL_SAMPLING)))

        await ctx.each(ctx.items(plan, "t", key=key), one)
        return DONE


RECIPE = ToolCalls()
