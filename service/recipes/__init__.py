"""The recipe registry: every recipe module registered once, here.

`JobSpec` is the tagged union of the recipes' specs (tag field `recipe`), so decoding a
body picks the recipe's spec type and reports unknown recipes and wrong types by path.
"""

from __future__ import annotations

import os
from typing import Any, Union

import msgspec

from service.recipes import (
    alpaca,
    evol_instruct,
    magpie,
    orca,
    persona_hub,
    reasoning,
    responses,
    self_instruct,
    self_rewarding,
    tool_calls,
    ultrachat,
    ultrafeedback,
)
from service.recipes.base import Recipe

RECIPES: dict[str, Recipe[Any]] = {
    r.name: r for r in (
        responses.RECIPE,
        self_instruct.RECIPE,
        alpaca.RECIPE,
        evol_instruct.RECIPE,
        orca.RECIPE,
        ultrachat.RECIPE,
        ultrafeedback.RECIPE,
        self_rewarding.RECIPE,
        magpie.RECIPE,
        persona_hub.RECIPE,
        reasoning.RECIPE,
        tool_calls.RECIPE,
    )
}
if os.environ.get("SYNTHGEN_TEST_RECIPES") == "1":  # supervision tests only; see the module
    from service.testing import crash_recipe

    RECIPES[crash_recipe.RECIPE.name] = crash_recipe.RECIPE

JobSpec = Union[tuple(r.Spec for r in RECIPES.values())]  # type: ignore[valid-type]

_decoder = msgspec.json.Decoder(JobSpec)


def decode_spec(raw: bytes) -> Any:
    """Decode a job spec; raises msgspec.DecodeError / ValidationError."""
    return _decoder.decode(raw)
