"""Evol-Instruct: evolution prompts, the four elimination rules, lineage (parent and
round), exact target, the D0 merge and a separate judge, through the real service."""

from __future__ import annotations

import random

import pytest

from service.recipes.evol_instruct import (
    OPERATIONS,
    Seed,
    copied_marker,
    equality_prompt,
    evolve_prompt,
    instruction_of,
    is_sorry,
    only_stopwords,
    parse_equal,
    restore_chains,
)

from support import Api, Fake, LocalApi, Workers

EVOLVE = r"#(Rewritten|Created) Prompt#:\s*$"
JUDGE = r"Judgement:\s*$"
FILLER = "the river carries cold water past stones and reeds while herons wait".split()


def words(n: int, lead: str) -> str:
    """A reply of exactly n words starting with `lead` (no refusal phrase of the job filter;
    filler drawn at random, since cycling one phrase is a loop the repetition filter drops)."""
    head = lead.split()
    rng = random.Random(n)
    return " ".join(head + [rng.choice(FILLER) for _ in range(n - len(head))])


SORRY_60 = words(60, "Sorry for the wait, here it is.")
SORRY_120 = words(120, "Sorry for the wait, here it is.")

# The evolutions the fake returns, in call order (one lane, so one chain at a time).
EVOLUTIONS = [
    "Write a haiku about autumn leaves that mentions a river tag-ok1.",             # chain 1, round 1: kept
    "Write a haiku about autumn leaves, a river and a heron tag-sorry120.",         # chain 1, round 2: kept
    "Write a haiku about autumn leaves, a river, a heron and dusk tag-ok3.",        # chain 1, round 3: kept
    "#Rewritten Prompt#: Plan a three day trip to Lisbon on a small budget.",       # chain 2: copied_prompt
    "Plan a trip to Lisbon for a weekend tag-same.",                                # chain 3: no_gain
    "Explain photosynthesis to a child using a kitchen analogy tag-sorry60.",       # chain 4: sorry
    "Name the planets in order from the sun tag-stop.",                             # chain 5: stopwords
    "Rewrite the Given  Prompt so that it asks about mountain rivers instead.",     # chain 6: copied_prompt
    "Compare two sorting algorithms by how much memory each one needs tag-ok9.",    # chain 7, round 1: kept (target)
]


def script(fake: Fake, evolutions: list[str] | None = EVOLUTIONS) -> None:
    rules = [
        {"match": r"Second instruction:[^\n]*tag-same", "replies": ["Equal"]},
        {"match": JUDGE, "replies": ["Not Equal"]},
    ]
    if evolutions is not None:
        rules.append({"match": EVOLVE, "replies": evolutions, "cycle": False})
    rules += [
        {"match": "tag-sorry60", "replies": [SORRY_60]},
        {"match": "tag-sorry120", "replies": [SORRY_120]},
        {"match": "tag-stop", "replies": ["It is what it is, and so on..."]},
    ]
    fake.configure(scripts=rules)


def user_text(body: dict) -> str:
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


def test_elimination_rules_lineage_and_exact_target(local: LocalApi, fake: Fake) -> None:
    script(fake)
    fake.configure(served_model="fake-model-2026-01", system_fingerprint="fp_evol")
    seeds = [f"Seed instruction {w} for the evolution test." for w in
             ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")]
    r = local.submit({"recipe": "evol-instruct", "target": 4, "concurrency": 1, "seed": 3,
                      "generator": {"provider": "fake"}, "params": {"instructions": seeds, "rounds": 3}})
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["progress"]["kept"] == 4
    records = local.lines(job["id"])
    assert len(records) == 4
    by_text = {rec["instruction"]: rec for rec in records}
    assert set(by_text) == {EVOLUTIONS[0], EVOLUTIONS[1], EVOLUTIONS[2], EVOLUTIONS[8]}
    assert [by_text[EVOLUTIONS[i]]["round"] for i in (0, 1, 2, 8)] == [1, 2, 3, 1]
    # Lineage: round 1 comes from a seed, round t from the kept round t-1 record.
    seed_ids = {f"seed_{i}" for i in range(len(seeds))}
    by_id = {rec["id"]: rec for rec in records}
    for rec in records:
        assert rec["operation"] in OPERATIONS and rec["output"].strip()
        assert rec["meta"]["served"] == {"model": "fake-model-2026-01", "system_fingerprint": "fp_evol"}
        if rec["round"] == 1:
            assert rec["parent_id"] in seed_ids and rec["seed_id"] == rec["parent_id"]
        else:
            parent = by_id[rec["parent_id"]]
            assert parent["round"] == rec["round"] - 1 and parent["seed_id"] == rec["seed_id"]
    assert by_text[EVOLUTIONS[1]]["parent_id"] == by_text[EVOLUTIONS[0]]["id"]
    assert by_text[EVOLUTIONS[2]]["parent_id"] == by_text[EVOLUTIONS[1]]["id"]
    # "sorry" in a 120-word response is kept.
    assert by_text[EVOLUTIONS[1]]["output"] == SORRY_120 and len(SORRY_120.split()) == 120
    # Each elimination rule is a reject with its own reason.
    assert job["progress"]["rejected_by_reason"] == {"copied_prompt": 2, "no_gain": 1, "sorry": 1, "stopwords": 1}
    rejects = {x["instruction"]: x for x in local.lines(job["id"], "rejects")}
    assert {x["stage"] for x in rejects.values()} == {"eliminate"}
    assert rejects[EVOLUTIONS[3]]["reason"] == "copied_prompt" and rejects[EVOLUTIONS[3]]["detail"] == "#rewritten prompt#"
    assert rejects[EVOLUTIONS[7]]["reason"] == "copied_prompt" and rejects[EVOLUTIONS[7]]["detail"] == "given prompt"
    assert rejects[EVOLUTIONS[4]]["reason"] == "no_gain" and rejects[EVOLUTIONS[4]]["detail"] == "Equal"
    assert rejects[EVOLUTIONS[5]]["reason"] == "sorry" and rejects[EVOLUTIONS[5]]["output"] == SORRY_60
    assert rejects[EVOLUTIONS[6]]["reason"] == "stopwords"
    assert all(x["round"] == 1 and x["parent_id"] in seed_ids for x in rejects.values())
    # What was sent: 9 evolutions (then the target stopped the job), a judge call for each
    # uncopied one, a response for each that passed the judge.
    sent = [q["body"] for q in fake.requests(500) if q["endpoint"] == "chat"]
    evolve = [b for b in sent if user_text(b).rstrip().endswith(("#Rewritten Prompt#:", "#Created Prompt#:"))]
    judge = [b for b in sent if user_text(b).rstrip().endswith("Judgement:")]
    assert (len(evolve), len(judge), len(sent) - len(evolve) - len(judge)) == (9, 7, 6)
    for b in evolve:
        assert b["messages"][0] == {"role": "system", "content": "You are a helpful assistant."}
        assert (b["temperature"], b["top_p"], b["max_tokens"]) == (1.0, 0.95, 2048)
        assert "#The Given Prompt#:\n" in user_text(b)
    assert all(b["temperature"] == 0 and b["model"] == "fake-model" for b in judge)
    # Round 2 evolved the kept round-1 instruction.
    assert any(f"#The Given Prompt#:\n{EVOLUTIONS[0]}\n" in user_text(b) for b in evolve)
    assert any(f"First instruction: {EVOLUTIONS[0]}\nSecond instruction: {EVOLUTIONS[1]}" in user_text(b)
               for b in judge)


def test_include_seeds_breadth_only_and_a_separate_judge(local: LocalApi, fake: Fake) -> None:
    script(fake, evolutions=None)  # evolutions: the fake's default replies
    r = local.submit({"recipe": "evol-instruct", "target": 8, "concurrency": 2,
                      "generator": {"provider": "fake"},
                      "params": {"seed_file": "tiny", "rounds": 1, "include_seeds": True, "operations": ["breadth"],
                                 "judge": {"provider": "fake", "model": "fake-model-2"}}})
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 8, job
    records = local.lines(job["id"])
    seeds = {rec["seed_id"]: rec for rec in records if rec["round"] == 0}
    assert set(seeds) == {f"seed_{i}" for i in range(4)}
    for sid, rec in seeds.items():
        i = sid.split("_")[1]
        assert rec["operation"] == "seed" and rec["parent_id"] is None
        assert rec["instruction"] == f"Seed task number {i} about a distinct subject {i}."
        assert rec["output"] == f"answer {i}"  # the seed's own output: no call
    evolved = [rec for rec in records if rec["round"] == 1]
    assert len(evolved) == 4
    assert all(rec["operation"] == "breadth" and rec["parent_id"] in seeds for rec in evolved)
    sent = [q["body"] for q in fake.requests(500) if q["endpoint"] == "chat"]
    judge = [b for b in sent if user_text(b).rstrip().endswith("Judgement:")]
    others = [b for b in sent if b not in judge]
    assert len(judge) == 4 and all(b["model"] == "fake-model-2" for b in judge)
    assert all(b["model"] == "fake-model" for b in others) and len(others) == 8
    evolve = [b for b in others if "#The Given Prompt#" in user_text(b)]
    assert len(evolve) == 4 and all(user_text(b).rstrip().endswith("#Created Prompt#:") for b in evolve)


def test_every_chain_eliminated_fails_with_target_not_reached(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[{"match": EVOLVE, "replies": ["#Created Prompt#: a copied marker"]}])
    r = local.submit({"recipe": "evol-instruct", "target": 2, "generator": {"provider": "fake"},
                      "params": {"instructions": ["Describe a lighthouse.", "Describe a harbour."], "rounds": 1}})
    job = local.wait(r.json()["id"])
    assert job["status"] == "failed" and job["progress"]["kept"] == 0, job
    assert "target-not-reached" in str(job)
    assert job["progress"]["rejected_by_reason"] == {"copied_prompt": 2}


@pytest.mark.parametrize(("params", "target", "field"), [
    ({}, None, "target"),
    ({"instructions": ["a", "b"], "rounds": 2}, 5, "target"),
    ({"instructions": ["a", "b"], "rounds": 2, "include_seeds": True}, 7, "target"),
    ({"instructions": ["a"], "seed_file": "tiny"}, 1, "params.seed_file"),
    ({"judge": {"provider": "nope"}}, 1, "params.judge.provider"),
    ({"judge": {"provider": "fake", "model": "gpt-9"}}, 1, "params.judge.model"),
    ({"operations": ["breadth", "breadth"]}, 1, "params.operations"),
    ({"operations": ["shuffle"]}, 1, "params.operations[0]"),
    ({"eliminate": ["sorry", "sorry"]}, 1, "params.eliminate"),
    ({"rounds": 0}, 1, "params.rounds"),
    ({"seed_file": "nope"}, 1, "params.seed_file"),
])
def test_invalid_specs_name_the_field(local: LocalApi, params: dict, target: int | None, field: str) -> None:
    spec = {"recipe": "evol-instruct", "generator": {"provider": "fake"}, "params": params}
    if target is not None:
        spec["target"] = target
    r = local.submit(spec)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


def test_valid_spec_on_a_chat_only_provider_is_accepted(local: LocalApi) -> None:
    r = local.submit({"recipe": "evol-instruct", "target": 8, "generator": {"provider": "chatonly"},
                      "params": {"instructions": ["a", "b"], "rounds": 3, "include_seeds": True,
                                 "judge": {"provider": "chatonly"}}})
    assert r.status_code == 202, r.text
    local.client.post(f"/v1/jobs/{r.json()['id']}/cancel")


# -- pure parts -----------------------------------------------------------------------------

@pytest.mark.parametrize("op", [o for o in OPERATIONS if o != "breadth"])
def test_depth_prompts_keep_the_markers_and_the_word_limit(op: str) -> None:
    p = evolve_prompt(op, "Sort a list of numbers.")
    assert p.rstrip().endswith("#The Given Prompt#:\nSort a list of numbers.\n#Rewritten Prompt#:")
    assert "10 to 20 words" in p and "#Created Prompt#" not in p
    for phrase in ("'#The Given Prompt#'", "'#Rewritten Prompt#'", "'given prompt'", "'rewritten prompt'"):
        assert phrase in p
    if op == "complicate_input":
        assert all(w in p for w in ("code", "table", "formula"))
    assert len({evolve_prompt(o, "x") for o in OPERATIONS}) == len(OPERATIONS)


def test_breadth_prompt_keeps_its_markers() -> None:
    p = evolve_prompt("breadth", "Sort a list of numbers.")
    assert p.rstrip().endswith("#The Given Prompt#:\nSort a list of numbers.\n#Created Prompt#:")
    assert "#Rewritten Prompt#" not in p and "'created prompt'" in p and "'#Created Prompt#'" in p


def test_equality_prompt_and_answer_parsing() -> None:
    p = equality_prompt("A", "B")
    assert "Equal or Not Equal" in p and "constraints and requirements" in p and "depth and breadth" in p
    assert parse_equal("Equal") is True and parse_equal(" equal.") is True
    assert parse_equal("Not Equal") is False and parse_equal("They are not equal.") is False
    assert parse_equal("I cannot tell.") is None


@pytest.mark.parametrize(("text", "hit"), [
    ("#Rewritten Prompt#: do x", "#rewritten prompt#"),
    ("#created prompt# do x", "#created prompt#"),
    ("Using #The Given Prompt#, do x", "#the given prompt#"),
    ("Expand the given\nprompt with care", "given prompt"),
    ("This REWRITTEN PROMPT asks for x", "rewritten prompt"),
    ("A created prompt about x", "created prompt"),
    ("Describe how prompts are given to a model", None),
])
def test_copied_marker(text: str, hit: str | None) -> None:
    assert copied_marker(text) == hit


def test_sorry_rule_counts_words() -> None:
    assert is_sorry(SORRY_60) and not is_sorry(SORRY_120)
    assert is_sorry(words(79, "SORRY")) and not is_sorry(words(80, "SORRY"))
    assert not is_sorry(words(20, "Fine"))


def test_stopword_rule() -> None:
    assert only_stopwords("It is what it is, and so on...")
    assert only_stopwords("?!... --")
    assert not only_stopwords("")  # an empty answer is the filter's "empty"
    assert not only_stopwords("It is Paris.") and not only_stopwords("It is 42.")


def test_restore_chains_resumes_each_lineage_where_it_stopped() -> None:
    seeds = [Seed(f"seed_{i}", f"seed text {i}") for i in range(3)]
    records = [
        {"id": "J.e0r1", "instruction": "first evolution"},
        {"id": "J.e0r2", "messages": [{"role": "user", "content": "second evolution"},
                                      {"role": "assistant", "content": "answer"}]},
    ]
    done = {"J.e0r1", "J.e0r2", "J.e1r1"}  # e1r1 is a reject: chain 1 ended
    chains = {c.index: c for c in restore_chains(seeds, records, done, "J", rounds=3, include_seeds=False)}
    assert set(chains) == {0, 2}
    assert (chains[0].round, chains[0].text, chains[0].parent_id) == (2, "second evolution", "J.e0r2")
    assert (chains[2].round, chains[2].text, chains[2].parent_id) == (0, "seed text 2", "seed_2")
    assert restore_chains(seeds, records, done, "J", rounds=2, include_seeds=False)[0].index == 2
    with_seeds = {c.index: c for c in restore_chains(seeds, records, done | {"J.e0r0"}, "J", rounds=3,
                                                      include_seeds=True)}
    assert set(with_seeds) == {0, 1, 2} and with_seeds[1].ended and not with_seeds[1].seed_done
    assert with_seeds[0].seed_done and not with_seeds[2].seed_done


def test_instruction_of_every_format() -> None:
    assert instruction_of({"instruction": "x", "input": "", "output": "y"}) == "x"
    assert instruction_of({"conversations": [{"from": "human", "value": "x"}, {"from": "gpt", "value": "y"}]}) == "x"


@pytest.mark.slow
def test_evol_instruct_on_embedded_smollm2(alice: Api, worker: Workers) -> None:
    # SmolLM2-135M echoes "#The Given Prompt#" / "#Rewritten Prompt#" in nearly every
    # evolution (measured: 6 of 6), so copied_prompt would eliminate them all; the other
    # three rules stay on. Its judge answers are seldom "Equal"/"Not Equal" (kept).
    seeds = ["Give three tips for staying healthy.", "Describe the colour of the sky.",
             "Explain what a noun is.", "Name two animals that live in the sea."]
    r = alice.submit({"recipe": "evol-instruct", "target": 2, "concurrency": 1, "seed": 11,
                      "generator": {"provider": "local", "sampling": {"max_tokens": 48}},
                      "filters": {"drop_truncated": False},
                      "params": {"instructions": seeds, "rounds": 2, "eliminate": ["no_gain", "sorry", "stopwords"]}})
    assert r.status_code == 202, r.text
    job = alice.wait(r.json()["id"], timeout=280)
    assert job["status"] == "succeeded", job
    records = alice.lines(job["id"])
    assert len(records) == 2 and job["progress"]["kept"] == 2
    by_id = {rec["id"]: rec for rec in records}
    for rec in records:
        assert rec["instruction"].strip() and rec["output"].strip()
        assert rec["operation"] in OPERATIONS and rec["round"] in (1, 2)
        if rec["round"] == 1:
            assert rec["parent_id"] == rec["seed_id"] and rec["parent_id"] in {f"seed_{i}" for i in range(len(seeds))}
        else:
            assert by_id[rec["parent_id"]]["round"] == 1
        assert rec["meta"]["provider"] == "local" and rec["meta"]["model"] == "smollm2-135m-instruct"
        assert rec["meta"]["sampling"]["max_tokens"] == 48
    assert job["progress"]["requests"] >= 6 and job["progress"]["tokens_out"] > 0
