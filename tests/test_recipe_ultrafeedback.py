"""UltraFeedback: distinct completers, principle prompts, the four-aspect judge with its
shuffled order mapped back, retries of unparseable judgements, Argilla's binarization."""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest

from service.recipes.ultrafeedback import (
    ASPECTS,
    PRINCIPLE_PROMPTS,
    binarize,
    draw_principle,
    judge_prompt,
    mean_rating,
    parse_judgement,
)

from support import Fake, LocalApi

THREE = [
    {"provider": "fake", "model": "fake-model"},
    {"provider": "fake", "model": "fake-model-2"},
    {"provider": "chatonly", "model": "fake-chat"},
]
HEADERS = {
    "instruction_following": "# Instruction Following Assessment",
    "honesty": "# Honesty and Uncertainty Assessment",
    "truthfulness": "# Truthfulness and Hallucination Assessment",
    "helpfulness": "# Helpfulness Assessment",
}


def block(i: int, rating: Any, why: str) -> str:
    return f"#### Output for Text {i}\nRating: {rating}\nRationale: {why}"


def reply(ratings: list[Any], why: str = "judged") -> str:
    return "\n\n".join(block(i, r, f"{why} {i}") for i, r in enumerate(ratings, 1))


def judge_rules(by_text: dict[str, dict[str, Any]], extra: str = "") -> list[dict[str, Any]]:
    """One rule per aspect and order of the texts: the judge rates by content, so
    ratings follow the texts wherever the shuffle put them."""
    rules = []
    names = list(by_text)
    for aspect, header in HEADERS.items():
        for perm in itertools.permutations(names):
            shown = ".*".join(f"<text {i}> {re.escape(name)}" for i, name in enumerate(perm, 1))
            rules.append({"match": f"{re.escape(header)}.*{extra}.*{shown}", "endpoint": "chat",
                          "replies": [reply([by_text[n][aspect] for n in perm], f"{aspect} of {'|'.join(perm)}")]})
    return rules


def completer_requests(fake: Fake) -> list[dict[str, Any]]:
    return [q["body"] for q in fake.requests(1000)
            if q["endpoint"] == "chat" and "<text 1>" not in q["body"]["messages"][-1]["content"]]


def judge_requests(fake: Fake, header: str, marker: str) -> list[dict[str, Any]]:
    return [q["body"] for q in fake.requests(1000) if q["endpoint"] == "chat"
            and header in q["body"]["messages"][-1]["content"] and marker in q["body"]["messages"][-1]["content"]]


def assert_problem(r: Any, field: str) -> None:
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


# -- units ---------------------------------------------------------------------------------


def test_four_equal_averages_give_no_pair_and_strictly_lower_is_rejected() -> None:
    rng = random.Random(0)
    assert binarize([Fraction(4)] * 4, rng) is None
    assert binarize([Fraction(7, 2), Fraction(14, 4), Fraction(7, 2), Fraction(7, 2)], rng) is None
    for _ in range(200):
        means = [Fraction(rng.randint(4, 20), 4) for _ in range(4)]
        pair = binarize(means, rng)
        if len(set(means)) == 1:
            assert pair is None
            continue
        chosen, rejected = pair
        assert means[chosen] == max(means) and means[rejected] < means[chosen]
    # Rejected is drawn among every strictly lower completion, not only the worst.
    picks = Counter(binarize([Fraction(5), Fraction(3), Fraction(2), Fraction(5)], rng)[1] for _ in range(400))
    assert set(picks) == {1, 2}
    # Honesty N/A is left out of the mean.
    ratings = {"instruction_following": {"rating": 5}, "honesty": {"rating": None},
               "truthfulness": {"rating": 4}, "helpfulness": {"rating": 3}}
    assert mean_rating(ratings) == Fraction(4)


def test_parse_judgement_needs_k_blocks_with_rating_and_rationale() -> None:
    good = "### Output\n\n" + reply([5, 3, 1])
    parsed = parse_judgement(good, 3, "helpfulness")
    assert [p["rating"] for p in parsed] == [5, 3, 1]
    assert parsed[1]["rationale"] == "judged 2"
    assert parse_judgement(good, 4, "helpfulness") is None  # wrong number of blocks
    assert parse_judgement(reply([5, 6, 1]), 3, "helpfulness") is None  # out of range
    assert parse_judgement(reply([5, "[rating for text 2]", 1]), 3, "helpfulness") is None
    assert parse_judgement("Rating: 5\nRating: 3\nRationale: one block", 2, "helpfulness") is None
    assert parse_judgement("Rating: 4\n\nRating: 3\nRationale: x", 2, "helpfulness") is None  # no rationale
    assert parse_judgement("They are both fine.", 2, "helpfulness") is None
    # N/A is a missing honesty rating, unparseable elsewhere.
    assert [p["rating"] for p in parse_judgement(reply(["N/A", 4]), 2, "honesty")] == [None, 4]
    assert parse_judgement(reply(["N/A", 4]), 2, "truthfulness") is None
    # Types are kept for truthfulness and helpfulness; markdown bold and brackets tolerated.
    typed = ("Type: 1, 3\n**Rating:** [2]\nRationale: invents a date.\n\n"
             "Type: None\nRating: 5\nRationale: accurate.")
    assert parse_judgement(typed, 2, "truthfulness") == [
        {"rating": 2, "rationale": "invents a date.", "type": "1, 3"},
        {"rating": 5, "rationale": "accurate.", "type": "None"}]
    # The original's layout (a rationale for the type, then one for the rating).
    orig = "Type: 1\nRationale: wrong year.\nRating: 3\nRationale: one error.\n\nType: None\nRationale: -\nRating: 4\nRationale: fine."
    assert [(p["rating"], p["rationale"]) for p in parse_judgement(orig, 2, "truthfulness")] == [
        (3, "one error."), (4, "fine.")]


def test_judge_prompt_lists_texts_in_the_given_order_with_the_rating_format() -> None:
    text = judge_prompt("honesty", "Name a prime.", ["Seven.", "Nine."])
    assert text.startswith("# Honesty and Uncertainty Assessment")
    assert text.endswith("Instruction: Name a prime.\n\nTexts:\n<text 1> Seven.\n<text 2> Nine.\n\n### Output\n")
    assert "Rating: [rating for text 2: 1 to 5, or N/A]\nRationale:" in text
    assert "Type:" in judge_prompt("truthfulness", "x", ["a", "b"]) and "Type:" not in text


def test_principle_mix_follows_the_code_split() -> None:
    rng = random.Random(1)
    pool = ("helpfulness", "helpfulness", "helpfulness", "truthfulness", "honesty")
    n = 20000
    share = Counter(draw_principle(rng, pool, 0.1) for _ in range(n))
    assert share["helpfulness"] / n == pytest.approx(0.6, abs=0.02)
    assert share["truthfulness"] / n == pytest.approx(0.2, abs=0.02)
    assert share["honesty"] / n == pytest.approx(0.18, abs=0.02)
    assert share["verbalized_calibration"] / n == pytest.approx(0.02, abs=0.006)
    assert all(3 <= len(v) <= 5 for v in PRINCIPLE_PROMPTS.values())


# -- through the service ---------------------------------------------------------------------


def spec(prompts: list[str] | None, **params: Any) -> dict[str, Any]:
    """A job spec; a param given as None is left out."""
    given = {"prompts": prompts, "completers": THREE, "k": 3, **params}
    return {"recipe": "ultrafeedback", "generator": {"provider": "fake"}, "concurrency": 1, "seed": 7,
            "params": {k: v for k, v in given.items() if v is not None}}


def test_pairs_from_distinct_models_with_shuffled_ratings_mapped_back(local: LocalApi, fake: Fake) -> None:
    texts = {"ALPHA": "ALPHA answer with the full derivation.",
             "BETA": "BETA answer that skips a step.",
             "GAMMA": "GAMMA answer that is off topic."}
    rate = {
        "ALPHA": {"instruction_following": 5, "honesty": "N/A", "truthfulness": 5, "helpfulness": 4},
        "BETA": {"instruction_following": 3, "honesty": 4, "truthfulness": 2, "helpfulness": 3},
        "GAMMA": {"instruction_following": 1, "honesty": 2, "truthfulness": 3, "helpfulness": 1},
    }
    # Concurrency 1: the three completions of a prompt take the three replies in turn.
    fake.configure(scripts=[*judge_rules(rate), {"endpoint": "chat", "replies": list(texts.values())}],
                   system_fingerprint="fp_uf")
    prompts = ["Explain why the sky is blue.", "Explain how tides work.", "Explain what a prime number is."]
    r = local.submit(spec(prompts))
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 3, job
    records = local.lines(job["id"])
    sent = completer_requests(fake)
    assert len(sent) == 9
    for rec in records:
        comps = rec["completions"]
        # K distinct (provider, model) per prompt, as the provider saw them too.
        assert {(c["provider"], c["model"]) for c in comps} == {(g["provider"], g["model"]) for g in THREE}
        asked = [b for b in sent if b["messages"][-1]["content"] == rec["prompt"]]
        assert sorted(b["model"] for b in asked) == ["fake-chat", "fake-model", "fake-model-2"]
        # Each completion records the principle and the system prompt it was sent.
        for c in comps:
            assert c["system"] in PRINCIPLE_PROMPTS[c["principle"]]
            body = next(b for b in asked if b["model"] == c["model"])
            assert body["messages"][0] == {"role": "system", "content": c["system"]}
        # Ratings landed on the completion whose text the judge rated, for every aspect.
        by_name = {c["text"].split()[0]: c for c in comps}
        assert set(by_name) == set(texts)
        for name, c in by_name.items():
            got = {a: c["ratings"][a]["rating"] for a in ASPECTS}
            want = {a: (None if v == "N/A" else v) for a, v in rate[name].items()}
            assert got == want, (name, got)
            assert all(f"{a} of" in c["ratings"][a]["rationale"] for a in ASPECTS)
        assert [by_name[n]["mean"] for n in ("ALPHA", "BETA", "GAMMA")] == [round(14 / 3, 4), 3.0, 1.75]
        assert rec["chosen"] == texts["ALPHA"] and rec["rejected"] in (texts["BETA"], texts["GAMMA"])
        assert rec["score_chosen"] > rec["score_rejected"]
        assert rec["chosen_model"] == by_name["ALPHA"]["model"]
        assert rec["messages"] == [{"role": "user", "content": rec["prompt"]},
                                   {"role": "assistant", "content": rec["chosen"]}]
        meta = rec["meta"]
        assert (meta["provider"], meta["model"]) == (by_name["ALPHA"]["provider"], by_name["ALPHA"]["model"])
        assert meta["judge"]["model"] == "fake-model" and len(meta["completers"]) == 3
        # the identity the chosen completion's call reported (the fake echoes the request's model)
        assert meta["served"] == {"model": by_name["ALPHA"]["model"], "system_fingerprint": "fp_uf"}
        assert set(meta["licences"]) == {"test-only", "unknown"}
    # Rejected is random among the strictly lower ones; the judge saw shuffled orders.
    assert {rec["prompt"] for rec in records} == set(prompts)
    firsts = {b["messages"][-1]["content"].split("<text 1> ")[-1].split()[0]
              for b in (q["body"] for q in fake.requests(1000)) if "<text 1> " in b["messages"][-1]["content"]}
    assert len(firsts) >= 2


def test_equal_averages_are_rejected_as_ties(local: LocalApi, fake: Fake) -> None:
    texts = {"ONE": "ONE first answer.", "TWO": "TWO second answer.", "SIX": "SIX third answer."}
    even = {n: {"instruction_following": 4, "honesty": "N/A", "truthfulness": 4, "helpfulness": 4} for n in texts}
    # Different ratings that still average the same: all three tie at 3.5.
    split = {"ONE": {"instruction_following": 5, "honesty": 2, "truthfulness": 4, "helpfulness": 3},
             "TWO": {"instruction_following": 3, "honesty": 4, "truthfulness": 3, "helpfulness": 4},
             "SIX": {"instruction_following": 2, "honesty": 5, "truthfulness": 3, "helpfulness": 4}}
    ranked = {"ONE": dict.fromkeys(ASPECTS, 2), "TWO": dict.fromkeys(ASPECTS, 5), "SIX": dict.fromkeys(ASPECTS, 3)}
    fake.configure(scripts=[*judge_rules(even, "TIE-EVEN"), *judge_rules(split, "TIE-SPLIT"),
                            *judge_rules(ranked, "RANKED"), {"endpoint": "chat", "replies": list(texts.values())}])
    # 1 pair from 3 prompts is below the default min_yield (0.5); this job accepts a third.
    r = local.submit({**spec(["TIE-EVEN prompt.", "TIE-SPLIT prompt.", "RANKED prompt."]), "format": "preference",
                      "min_yield": 0.3})
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 1, job
    assert job["progress"]["rejected_by_reason"] == {"tie": 2}
    assert job["note"].startswith("kept 1 of 3 (33%; min_yield 30%); most rejects: tie (2 of 2)"), job["note"]
    (rec,) = local.lines(job["id"])
    assert set(rec) >= {"prompt", "chosen", "rejected", "score_chosen", "score_rejected"}
    assert "completions" not in rec and rec["meta"]["fields"]["chosen_model"]
    assert (rec["prompt"], rec["chosen"], rec["score_chosen"]) == ("RANKED prompt.", texts["TWO"], 5.0)
    assert rec["score_rejected"] in (2.0, 3.0)
    rejects = {x["prompt"]: x for x in local.lines(job["id"], "rejects")}
    assert set(rejects) == {"TIE-EVEN prompt.", "TIE-SPLIT prompt."}
    for x in rejects.values():
        assert (x["stage"], x["reason"]) == ("pair", "tie")
        assert [c["mean"] for c in x["completions"]] in ([4.0] * 3, [3.5] * 3)


def test_unparseable_judgement_is_retried_then_rejected(local: LocalApi, fake: Fake) -> None:
    good, poor = "GOOD answer in detail.", "POOR answer."
    rank = {"GOOD": dict.fromkeys(ASPECTS, 5), "POOR": dict.fromkeys(ASPECTS, 2)}
    help_hdr = HEADERS["helpfulness"]
    fake.configure(scripts=[
        {"match": f"{help_hdr}.*ALWAYS-BAD", "replies": ["Both texts are fine, I would say."]},
        {"match": f"{help_hdr}.*RETRY-ONCE", "replies": ["Rating: 4\nRationale: only one block"], "cycle": False},
        *judge_rules({"GOOD": rank["GOOD"], "POOR": rank["POOR"]}),
        {"endpoint": "chat", "replies": [good, poor]},
    ])
    # Three completers, K=2: each prompt draws two distinct ones.
    r = local.submit(spec(["RETRY-ONCE prompt.", "ALWAYS-BAD prompt.", "Plain prompt."], k=2, max_judge_retries=1))
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 2, job
    assert job["progress"]["rejected_by_reason"] == {"judge_unparseable": 1}
    # The bad reply was retried once and then the good one parsed.
    assert len(judge_requests(fake, help_hdr, "RETRY-ONCE")) == 2
    assert len(judge_requests(fake, help_hdr, "Plain prompt")) == 1
    # Always unparseable: 1 + max_judge_retries calls, then the prompt is rejected.
    assert len(judge_requests(fake, help_hdr, "ALWAYS-BAD")) == 2
    (x,) = local.lines(job["id"], "rejects")
    assert (x["prompt"], x["stage"], x["reason"]) == ("ALWAYS-BAD prompt.", "judge", "judge_unparseable")
    assert x["detail"].startswith("helpfulness: 2 judge replies") and len(x["completions"]) == 2
    for rec in local.lines(job["id"]):
        assert rec["chosen"] == good and rec["rejected"] == poor
        assert len({(c["provider"], c["model"]) for c in rec["completions"]}) == 2
        assert {c["text"]: c["ratings"]["helpfulness"]["rating"] for c in rec["completions"]} == {good: 5, poor: 2}


def test_fixed_principle_and_a_separate_judge(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        *judge_rules({"GOOD": dict.fromkeys(ASPECTS, 4), "POOR": dict.fromkeys(ASPECTS, 1)}),
        {"endpoint": "chat", "replies": ["GOOD answer.", "POOR answer."]},
    ])
    # A registered prompt file of 5 prompts and target 1: one prompt is worked on.
    body = spec(None, prompt_file="eval-prompts", completers=THREE[:2], k=2, principles=["harmlessness"],
                judge={"provider": "chatonly"})
    r = local.submit({**body, "target": 1})
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 1, job
    (rec,) = local.lines(job["id"])
    assert {c["principle"] for c in rec["completions"]} == {"harmlessness"}
    assert rec["meta"]["judge"] == {"provider": "chatonly", "model": "fake-chat", "licence": "unknown"}
    judged = [q["body"] for q in fake.requests() if "<text 1>" in q["body"]["messages"][-1]["content"]]
    assert len(judged) == 4 and {b["model"] for b in judged} == {"fake-chat"}
    assert all(b["temperature"] == 0.0 for b in judged)


@pytest.mark.parametrize(("params", "field"), [
    ({"completers": THREE[:2]}, "params.completers"),  # k=3 needs three
    ({"k": 4}, "params.completers"),
    ({"completers": None}, "params.completers"),
    ({"completers": [THREE[0], THREE[1], {"provider": "fake"}]}, "params.completers[2]"),  # fake's default model
    ({"completers": [THREE[0], {"provider": "nope"}, THREE[2]]}, "params.completers[1].provider"),
    ({"completers": [THREE[0], {"provider": "fake", "model": "gpt-9"}, THREE[2]]}, "params.completers[1].model"),
    ({"judge": {"provider": "chatonly", "model": "gpt-9"}}, "params.judge.model"),
    ({"principles": ["kindness"]}, "params.principles[0]"),
    ({"max_judge_retries": 11}, "params.max_judge_retries"),
    ({"k": 1}, "params.k"),
    ({"prompts": None}, "params.prompts"),
])
def test_invalid_ultrafeedback_specs_name_the_field(local: LocalApi, params: dict[str, Any], field: str) -> None:
    body = spec(["One prompt.", "Two prompt."])
    body["params"] = {k: v for k, v in {**body["params"], **params}.items() if v is not None}
    assert_problem(local.submit(body), field)


def test_target_beyond_the_prompts_is_refused(local: LocalApi) -> None:
    assert_problem(local.submit({**spec(["Only one."]), "target": 2}), "target")
    body = spec(None, prompt_file="eval-prompts")
    assert_problem(local.submit({**body, "target": 6}), "target")
    assert_problem(local.submit({**spec(["x"], prompt_file="eval-prompts")}), "params.prompts")
