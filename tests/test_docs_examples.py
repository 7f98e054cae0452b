"""Every example job in docs/recipes.md, submitted as a newcomer would, against the
bundled fake provider in its format-following mode: each is accepted, succeeds with a
non-empty dataset, and its records have the fields the section's example record shows.

Adjusted for the test stack only where the docs name things this stack does not have:
every provider becomes `fake` (UltraFeedback's completers: the distinct models the
test providers serve, `k` at most 3), and `target` is capped at 4 to keep the suite
fast (the recipes are the same at any target).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from support import ROOT, Fake, LocalApi

DOC = (ROOT / "docs" / "recipes.md").read_text()
DISTINCT = [{"provider": "fake", "model": "fake-model"}, {"provider": "fake", "model": "fake-model-2"},
            {"provider": "chatonly", "model": "fake-chat"}]
MAX_TARGET = 4
# Record fields the docs say are present only for some items.
CONDITIONAL = {"task", "subtopic", "topic", "passage_index"}


def sections() -> dict[str, str]:
    parts = re.split(r"^## ", DOC, flags=re.M)[1:]
    return {p.split("\n", 1)[0].strip(): p for p in parts}


def examples() -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(recipe, spec, the section's example record) for every spec block in the docs."""
    out = []
    for name, body in sections().items():
        blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", body, re.S)]
        specs = [b for b in blocks if "recipe" in b]
        records = [b for b in blocks if "id" in b and "recipe" not in b]
        for spec in specs:
            out.append((name, spec, records[0] if records else None))
    return out


def adjust(spec: dict[str, Any]) -> dict[str, Any]:
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "provider" in node:
                return {**{k: walk(v) for k, v in node.items() if k not in ("provider", "model")},
                        "provider": "fake"}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out = walk(spec)
    params = out.get("params", {})
    if out["recipe"] == "magpie" and params.get("template", "auto") == "auto":
        # "auto" reads the family from the documented model id, which the fake does not serve.
        from service.recipes.magpie import detect_family

        params["template"] = detect_family(spec["generator"].get("model") or "") or "chatml"
    if "target" in out:
        out["target"] = min(out["target"], MAX_TARGET)
    if "completers" in params:
        params["completers"] = DISTINCT
        params["k"] = min(params.get("k", 4), len(DISTINCT))
    return out


EXAMPLES = examples()


def test_every_recipe_has_an_example() -> None:
    from service.recipes import RECIPES

    assert {name for name, _, _ in EXAMPLES} == set(RECIPES)


@pytest.mark.parametrize("recipe,spec,record", EXAMPLES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(EXAMPLES)])
def test_documented_example_yields_documented_records(local: LocalApi, fake: Fake, recipe: str,
                                                      spec: dict[str, Any], record: dict[str, Any] | None) -> None:
    fake.configure(follow_formats=True)
    r = local.submit(adjust(spec))
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"], timeout=120)
    assert job["status"] == "succeeded", (job["error"], job["outcomes"])
    records = local.lines(job["id"])
    assert records and len(records) == job["progress"]["kept"]
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


@pytest.mark.parametrize("recipe", sorted(sections().keys() & {n for n, _, _ in EXAMPLES}))
def test_every_param_is_in_its_recipes_table(recipe: str) -> None:
    import msgspec

    from service.recipes import RECIPES

    params_type = next(f.type for f in msgspec.structs.fields(RECIPES[recipe].Spec) if f.name == "params")
    params = {f.name for f in msgspec.structs.fields(params_type)}
    assert params - table_names(sections()[recipe]) == set(), f"undocumented params of {recipe}"
