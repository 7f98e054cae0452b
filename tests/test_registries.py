"""Declared once, checked here (datasette's test_docs.py habit): every recipe, provider
kind, stage kind, setting and problem type is registered, documented and catalogued,
and what the catalogue tells clients is true."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import msgspec

from service.api.catalogue.service import recipe_list
from service.domain.errors import PROBLEM_TYPES
from service.domain.specs import JobSpecBase, StageSpec
from service.providers import embedders
from service.providers.embedders import KINDS as EMBEDDER_KINDS
from service.providers.embedders import EmbedderKind
from service.providers.registry import KINDS
from service.recipes import RECIPES, decode_spec
from service.settings import SETTINGS, markdown_table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
RECIPES_DOC = (ROOT / "docs" / "recipes.md").read_text()
TESTS = ROOT / "tests"
CATALOGUE = recipe_list()  # what GET /v1/recipes answers
# Libraries a spec decode must not import (the worker's: vectors, MinHash, models, HTTP clients).
HEAVY = {"numpy", "scipy", "datasketch", "qdrant_client", "torch", "sentence_transformers", "llama_cpp", "aiohttp",
         "math_verify", "sympy", "jsonschema"}


def test_every_recipe_is_documented_in_the_readme_and_docs_and_has_a_test() -> None:
    for name in RECIPES:
        assert f"| `{name}` |" in README, f"README's recipe table lacks {name}"
        assert f"\n## {name}\n" in RECIPES_DOC, f"docs/recipes.md has no section for {name}"
        used = any(f'"recipe": "{name}"' in p.read_text() for p in TESTS.glob("test_*.py"))
        assert used, f"no test submits a {name} job"


def test_the_catalogue_says_which_recipes_need_raw_completion() -> None:
    # A recipe that always calls raw completion, one that chooses by params.mode, and
    # the rest, which never do: GET /v1/recipes must say so for each.
    raw = {r.name: r.raw_completion for r in CATALOGUE.data}
    assert raw["magpie"] == "always"
    assert raw["self-instruct"] == raw["alpaca"] == "when params.mode is 'completion'"
    never = {n for n, v in raw.items() if v == "never"}
    assert never == set(RECIPES) - {"magpie", "self-instruct", "alpaca"}
    for name in ("self-instruct", "alpaca"):
        recipe = RECIPES[name]
        for mode, needs in (("completion", True), ("chat", False)):
            spec = decode_spec(msgspec.json.encode({"recipe": name, "generator": {"provider": "p"}, "target": 1,
                                                    "params": {"mode": mode}}))
            assert recipe.needs_raw(spec) is needs, (name, mode)


def test_every_provider_kind_is_documented() -> None:
    for kind in KINDS:
        tag = kind.__struct_config__.tag
        assert f'kind = "{tag}"' in README, f"README's providers section lacks kind {tag}"
        assert kind.__doc__, f"{kind.__name__} has no docstring"


def _stage_kind(t: object) -> type[StageSpec] | None:
    """The StageSpec subclass a JobSpecBase field holds (`X` or `X | None`), if any."""
    for arg in (t, *getattr(t, "__args__", ())):
        if isinstance(arg, type) and issubclass(arg, StageSpec):
            return arg
    return None


def test_every_embedder_kind_is_documented_and_opens_itself() -> None:
    doc = embedders.__doc__ or ""
    for kind in EMBEDDER_KINDS:
        tag = kind.__struct_config__.tag
        assert f"| `{tag}`" in doc, f"the embedders' table (service/providers/embedders) lacks kind {tag}"
        assert kind.__doc__, f"{kind.__name__} has no docstring"
        assert kind.open is not EmbedderKind.open, f"{kind.__name__} does not open its embedder"


def test_every_stage_kind_is_a_job_spec_field_and_documented() -> None:
    fields = {f.name: f.type for f in msgspec.structs.fields(JobSpecBase)}
    stage_fields = {n: k for n, t in fields.items() if (k := _stage_kind(t)) is not None}
    assert list(stage_fields)[0] == "filters"
    quality = (ROOT / "docs" / "quality.md").read_text()
    for name in stage_fields:
        assert f"`{name}`" in quality, f"docs/quality.md does not document the {name} stage"
    kinds = StageSpec.__subclasses__()
    assert len(kinds) == len(stage_fields) and set(kinds) == set(stage_fields.values())
    for cls in kinds:
        assert cls.build is not StageSpec.build, f"{cls.__name__} does not build its stage"
        assert cls.__doc__, f"{cls.__name__} has no docstring"
    # Catalogued: every recipe's spec schema in GET /v1/recipes offers every stage.
    for info in CATALOGUE.data:
        props = info.spec_schema["$defs"][info.spec_schema["$ref"].rsplit("/", 1)[1]]["properties"]
        assert set(stage_fields) <= set(props), (info.name, set(stage_fields) - set(props))


def test_decoding_a_spec_with_every_stage_imports_no_heavy_module() -> None:
    # The API decodes every job spec; the stage and recipe modules it imports for that
    # must defer their heavy libraries to where a stage is built or a recipe runs.
    spec = {"recipe": "responses", "generator": {"provider": "p"}, "params": {"prompts": ["a"]},
            "judge": {}, "dedup": {"minhash": {}, "embedding": {}}, "decontamination": {"inline": {"b": ["x y z"]}},
            "verify": {"verifier": {"kind": "math"}}, "structured_output": {"schema": {"type": "object"}}}
    code = ("import json, sys\n"
            "from service.recipes import decode_spec\n"
            f"spec = decode_spec({json.dumps(spec).encode()!r})\n"
            "print(json.dumps([[type(s).__name__ for s in spec.stage_specs()], sorted(sys.modules)]))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    stages, modules = json.loads(r.stdout)
    assert stages == ["Filters", "VerifySpec", "JudgeSpec", "DedupSpec", "DecontaminationSpec"]
    heavy = {m.split(".")[0] for m in modules} & HEAVY
    assert not heavy, f"decoding a spec imported {sorted(heavy)}"


def test_readme_settings_table_is_the_registry() -> None:
    table = markdown_table()
    assert table in README, "README's configuration table drifted from service/settings.py SETTINGS:\n" + table
    documented = set(re.findall(r"`(SYNTHGEN_[A-Z_]+)`", README.split("## Configuration")[1].split("\n## ")[0]))
    assert documented == {s.env for s in SETTINGS}


def test_every_problem_type_minted_is_catalogued_and_documented() -> None:
    doc = (ROOT / "docs" / "problems.md").read_text()
    for slug, t in PROBLEM_TYPES.items():
        assert f"`{slug}`" in doc and str(t.status) in doc, f"docs/problems.md lacks {slug}"
    minted: set[str] = set()
    for path in (ROOT / "service").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name in ("of", "problem_type", "_problem"):
                    minted.add(str(node.args[0].value))
    assert minted and minted <= set(PROBLEM_TYPES), minted - set(PROBLEM_TYPES)


def test_the_catalogue_says_which_recipes_honour_mix_and_the_others_say_why_not() -> None:
    mixes = {r.name for r in CATALOGUE.data if r.mix}
    assert mixes == {"responses", "orca", "self-instruct", "alpaca", "evol-instruct", "self-rewarding", "reasoning",
                     "tool-calls"}
    for name in set(RECIPES) - mixes:
        assert RECIPES[name].mixes_not, f"{name} refuses mix without saying why"
