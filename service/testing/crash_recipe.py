"""A recipe that kills its own worker process: the poison job of the supervision tests.

Registered only when SYNTHGEN_TEST_RECIPES=1 is in the environment of both the API and
the workers (tests set it; production never does, so no job spec can name it there).
Each attempt commits one record (so the test can check that what a crashing job made is
kept), waits for it to reach Redis, then dies by the signal its params name.
"""

from __future__ import annotations

import os
import signal
from typing import Literal

import msgspec

from service.domain.specs import JobSpecBase
from service.pipeline.run import DONE, RecipeContext, RunOutcome
from service.pipeline.stages import Candidate
from service.recipes.base import Env, Recipe

ENV_FLAG = "SYNTHGEN_TEST_RECIPES"


class CrashParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    signal: Literal["SIGSEGV", "SIGKILL", "SIGABRT"] = "SIGSEGV"


class CrashJob(JobSpecBase, tag="test-crash", kw_only=True, forbid_unknown_fields=True):
    params: CrashParams = msgspec.field(default_factory=CrashParams)


class Crash(Recipe[CrashJob]):
    name = "test-crash"
    summary = "Test only: commits one record, then kills its worker process."
    Spec = CrashJob

    def validate(self, spec: CrashJob, env: Env) -> int:
        return spec.target or 100

    async def run(self, ctx: RecipeContext[CrashJob]) -> RunOutcome:
        key = f"attempt{ctx.run}"
        text = f"made by attempt {ctx.run} before the crash"
        slot = await ctx.slot()
        if slot is None:
            return DONE
        async with slot:
            await slot.offer(Candidate(key=key, text=text, finish_reason="stop", sampling={},
                                       provenance=None, prompt="", data={"response": text}))
        await ctx.drain()
        sig = getattr(signal, ctx.spec.params.signal)
        signal.signal(sig, signal.SIG_DFL)  # no Python-level handler: the kernel's default death
        os.kill(os.getpid(), sig)
        return DONE


RECIPE = Crash()
