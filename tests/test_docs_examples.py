"""Every example job in docs/recipes.md, submitted as a newcomer would, against the
bundled fake provider in its format-following mode: each is accepted, succeeds with a
non-empty dataset, and its records have the fields the section's example record shows.

Adjusted for the test stack only where the docs name things this stack does not have:
every provider becomes `fake` (UltraFeedback's completers: the distinct models the
test providers serve, `k` at most 3), and `target` is capped at 4 to keep the suite
fast (the recipes are the same at any target).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from support import Fake, LocalApi, adjust_example, doc_sections, examples

# Record fields the docs say are present only for some items.
CONDITIONAL = {"task", "subtopic", "topic", "passage_index"}
EXAMPLES = examples()


def test_every_recipe_has_an_example() -> None:
    from service.recipes import RECIPES

    assert {name for name, _, _ in EXAMPLES} == set(RECIPES)


@pytest.mark.parametrize("recipe,spec,record", EXAMPLES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(EXAMPLES)])
def test_documented_example_yields_documented_records(local: LocalApi, fake: Fake, recipe: str,
                                                      spec: dict[str, Any], record: dict[str, Any] | None) -> None:
    fake.configure(follow_formats=True)
    r = local.submit(adjust_example(spec))
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"], timeout=120)
    assert job["status"] == "succeeded", (job["error"], job["outcomes"])
    records = local.lines(job["id"])
    assert records and len(records) == job["progress"]["kept"]
    # The funnel explains every request made over HTTP.
    assert sum(o["requests"] for o in job["outcomes"]) == job["progress"]["requests"] > 0
    if record is not None and spec.get("format", "native") == "native":
        documented = {k for k in record if k != "..."}
        # The example record is one record: some record has all its fields, every record
        # those the docs do not call conditional ("task (when given)", ...).
        assert any(documented <= set(rec) for rec in records), \
            f"documented but missing: {sorted(documented - set(records[0]))}"
        for rec in records:
            assert documented - CONDITIONAL <= set(rec), sorted(documented - CONDITIONAL - set(rec))
            assert set(record["meta"]) - {"..."} <= set(rec["meta"])


def table_names(section: str) -> set[str]:
    """The params a section's tables document: every `name` in a row's first cell."""
    names: set[str] = set()
    for row in re.findall(r"^\|([^|\n]+)\|", section, re.M):
        names.update(re.findall(r"`([a-z_]+)`", row))
    return names


@pytest.mark.parametrize("recipe", sorted(doc_sections().keys() & {n for n, _, _ in EXAMPLES}))
def test_every_param_is_in_its_recipes_table(recipe: str) -> None:
    import msgspec

    from service.recipes import RECIPES

    params_type = next(f.type for f in msgspec.structs.fields(RECIPES[recipe].Spec) if f.name == "params")
    params = {f.name for f in msgspec.structs.fields(params_type)}
    assert params - table_names(doc_sections()[recipe]) == set(), f"undocumented params of {recipe}"
