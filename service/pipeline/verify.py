"""The verify stage: a verifier (pipeline/verifiers.py) checks every candidate, and a
recipe may draw up to `samples` candidates per item until one verifies (rejection
sampling).

Every candidate that reaches the stage gets its verdict and the verifier's provenance
in `meta.verify` (`passed`, `reason`, `detail`, `verifier`, its package or pattern or
sandbox, and `tried`/`passed_count` under rejection sampling), on the record or on
the reject line alike; a failure is a reject of stage "verify" with the verifier's
reason (`wrong_answer`, `schema_invalid`, `tests_failed`, ...), counted in the funnel
like every stage's.

Rejection sampling (`samples` K, default 1), for recipes that make their candidates
through `sample(ctx, slot, make)` (responses, reasoning): `make(i)` draws the item's
i-th candidate (its own seed), the verifier checks it before the other stages, and
- `mode: "sequential"` (default) draws one at a time until one verifies or K were tried
  (with keep "best" or "all", all K); `"parallel"` draws all K at once (lower latency,
  K calls always);
- `keep: "first"` keeps the first verified candidate (in draw order), `"best"` the
  verified one with the highest verifier score (the judge's; others score 1), `"all"`
  every verified one (the first under the item's key, the others under `key.s{i}`);
- the kept record carries `meta.verify.tried` (candidates drawn) and
  `passed_count`; an item none of whose candidates verified is one reject, carrying
  the last candidate's verdict and `tried`;
- the job counts `vfy_first:{i}` (items whose first verified candidate was the i-th
  drawn; 0 for none), from which the job's `verification.pass_at_k` is read
  (store/codec.py): pass@k = share of items verified within their first k candidates.
  Under "parallel" this is the same estimator over the draw order.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Awaitable, Callable, Literal

from msgspec import Meta

from service import defaults
from service.domain.spec_parts import GeneratorRef
from service.pipeline.stages import Candidate, Stage, StageSpec, Verdict
from service.pipeline.verifiers import AnyVerifier, Check, JsonSchemaVerifierSpec, Verifier

STAGE = "verify"
FIRST_PREFIX = "vfy_first:"  # job hash counters: store/codec.py reads them


class VerifySpec(StageSpec, kw_only=True, forbid_unknown_fields=True):
    """Check each candidate with a verifier; optionally draw up to `samples` per item."""

    verifier: AnyVerifier
    samples: Annotated[int, Meta(
        ge=1, le=defaults.MAX_VERIFY_SAMPLES,
        description="Candidates drawn per item until one verifies (rejection sampling), in recipes that sample.",
    )] = 1
    mode: Literal["sequential", "parallel"] = "sequential"
    keep: Literal["first", "best", "all"] = "first"

    def check(self, env: Any) -> None:
        # (a json_schema verifier without a schema needs the job's structured_output: Recipe.check)
        self.verifier.check(env, "verify.verifier")

    def needs_job_schema(self) -> bool:
        return isinstance(self.verifier, JsonSchemaVerifierSpec) and self.verifier.schema is None

    def generators(self) -> list[tuple[str, GeneratorRef]]:
        return self.verifier.generators("verify.verifier")

    def build(self, ctx: Any) -> Stage:
        return VerifyStage(self, self.verifier.build(ctx))


class VerifyStage:
    """Runs the verifier on each candidate that was not verified while it was sampled."""

    name = STAGE

    def __init__(self, spec: VerifySpec, verifier: Verifier):
        self.spec = spec
        self.verifier = verifier

    async def run(self, c: Candidate) -> Check:
        """Verify `c` and note the verdict and provenance on it (meta.verify)."""
        try:
            if c.data.get("reasoning") and not c.text.strip():
                check = Check.fail("empty_answer", "no answer after the thinking")
            else:
                check = await self.verifier.verify(c)
        except Exception as exc:  # a verifier bug or a sandbox failure rejects, never kills the job
            check = Check.fail("verifier_error", f"{type(exc).__name__}: {exc}")
        c.annotations["verify"] = {**self.verifier.provenance, "passed": check.passed, "reason": check.reason,
                                   "detail": check.detail, "score": check.score}
        return check

    async def check(self, c: Candidate) -> Verdict | None:
        note = c.annotations.get("verify")
        check = Check(True) if note and note.get("passed") else await self.run(c)
        return None if check.passed else Verdict(STAGE, check.reason or "failed", check.detail)


def sample_params(base: dict[str, Any], i: int) -> dict[str, Any]:
    """The sampling of an item's i-th candidate: the first as the job asks, the others
    with the seed moved on (a fixed seed would draw the same answer K times)."""
    if i == 0 or base.get("seed") is None:
        return base
    return {**base, "seed": int(base["seed"]) + i}


def sampled_target(spec: Any, items: int) -> int:
    """The default target of a recipe that samples: one record per item, or K per item
    when `verify.keep` is "all" (each item may keep up to K verified candidates)."""
    v = spec.verify
    return items * v.samples if v is not None and v.keep == "all" else items


def verify_stage(ctx: Any) -> VerifyStage | None:
    return next((s for s in ctx.stages if isinstance(s, VerifyStage)), None)


async def sample(ctx: Any, slot: Any, make: Callable[[int], Awaitable[Candidate]]) -> None:
    """Settle `slot` with the item's candidate(s): one `make(0)` offered as it is when the
    job has no verify stage, else up to `samples` verified in turn (module docstring; with
    samples 1 that is one candidate, counted for pass@1). Provider errors propagate
    (RecipeContext.each rejects the item with them)."""
    stage = verify_stage(ctx)
    if stage is None:
        await slot.offer(await make(0))
        return
    spec = stage.spec
    tried: list[tuple[Candidate, Check]] = []
    if spec.mode == "parallel":
        made = await asyncio.gather(*(make(i) for i in range(spec.samples)))
        checks = await asyncio.gather(*(stage.run(c) for c in made))
        tried = list(zip(made, checks))
    else:
        for i in range(spec.samples):
            c = await make(i)
            check = await stage.run(c)
            tried.append((c, check))
            if check.passed and spec.keep == "first":
                break
    passed = [(i, c, ch) for i, (c, ch) in enumerate(tried) if ch.passed]
    first = passed[0][0] + 1 if passed else 0
    ctx.stats.pending[FIRST_PREFIX + str(first)] += 1
    for c, _ in tried:
        c.annotations["verify"].update(tried=len(tried), passed_count=len(passed))
    if not passed:
        from service.store.codec import stage_entered

        ctx.stats.pending[stage_entered(STAGE)] += 1  # as the stage counts what it rejects
        last, check = tried[-1]
        await slot.reject(last.key, Verdict(STAGE, check.reason or "failed", check.detail), last.data,
                          provenance=last.provenance or ctx.generator.provenance, annotations=last.annotations)
        return
    if spec.keep == "best":
        chosen = [max(passed, key=lambda p: (p[2].score, -p[0]))]
    elif spec.keep == "all":
        chosen = passed
    else:
        chosen = passed[:1]
    key = tried[0][0].key
    _, head, _ = chosen[0]
    head.key = key
    await slot.offer(head)
    for i, c, _ in chosen[1:]:
        c.key = f"{key}.s{i}"
        await ctx.offer(c)
