"""Self-Rewarding (shared/reference/recipes.md section 6): the judge prompt and score
parser as units, and pairing, averaging and ties through the real service.

The fake provider is scripted so each sample is recognisable ("Answer A", "Answer B"...
from the generation call) and the judge answers by the sample it sees inside
<response>...</response>.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.pipeline.judge import judge_prompt as _judge_prompt
from service.pipeline.judge import parse_score
from service.recipes.self_rewarding import mean_score, pick_pair

from support import Api, Fake, LocalApi, Workers


def judge_prompt(prompt: str, response: str) -> str:
    return _judge_prompt("additive5", prompt, response)

# -- units ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "score"), [
    ("The response is relevant and well organised.\nScore: 4", 4),
    ("Covers most of it.\nScore: 4/5", 4),
    ("score:3", 3),
    ("**Score:** 5", 5),
    ("Score: 0", 0),
    ("Score: 4.0", 4),
    ("A first guess, Score: 2, revised after reading again.\nScore: 4", 4),
    ("Score: 4 points out of 5.", 4),
    ("no idea", None),
    ("", None),
    ("Score: <total points>", None),
    ("Score: 6", None),
    ("Score: 45", None),
    ("Score: -1", None),
    ("Score: 3.5", None),
    ("Score: 8/10", None),
    ("I would give it 4 points.", None),
])
def test_parse_score(text: str, score: int | None) -> None:
    assert parse_score(text) == score


def test_judge_prompt_keeps_the_additive_shape() -> None:
    text = judge_prompt("What is the boiling point of water?", "100 degrees Celsius at sea level.")
    assert text.count("+1 point") == 5
    assert "0 to 5 points" in text
    assert "User: What is the boiling point of water?\n<response>100 degrees Celsius at sea level.</response>" in text
    assert "Briefly justify your total score, up to 100 words." in text
    assert text.rstrip().splitlines()[-3].endswith('"Score: <total points>"')
    # The placeholder in the instructions is not a score.
    assert parse_score(text) is None
    # Braces in the inputs are kept as written.
    assert "<response>{x} {prompt}</response>" in judge_prompt("q", "{x} {prompt}")


def test_mean_score_drops_unparseable_judgements() -> None:
    assert mean_score([4, None, 2]) == 3
    assert mean_score([None, None]) is None
    assert mean_score([5]) == 5


@pytest.mark.parametrize(("means", "pair"), [
    ([2, 4, 3, 4], (1, 0)),
    ([3, 3, 3, 3], "tie"),
    ([3.0, None, 3.0], "tie"),
    ([None, 4, None, None], "unscored"),
    ([None, None], "unscored"),
    ([2, None, 4, 3], (2, 0)),
    ([10 / 3, 3, 11 / 3], (2, 1)),
])
def test_pick_pair_is_max_vs_min_of_scored_samples(means: list[float | None], pair: Any) -> None:
    assert pick_pair(means) == pair


# -- through the service ------------------------------------------------------------------


def judge_rule(text: str, *replies: str) -> dict[str, Any]:
    return {"match": f"<response>{text}</response>", "endpoint": "chat", "replies": list(replies)}


def sample_rule(prompt: str, *texts: str) -> dict[str, Any]:
    return {"match": f"^{prompt}$", "endpoint": "chat", "replies": list(texts)}


def spec(prompts: list[str], **params: Any) -> dict[str, Any]:
    return {"recipe": "self-rewarding", "generator": {"provider": "fake"}, "concurrency": 2,
            "seed": 3, "params": {"prompts": prompts, **params}}


PROMPT = "Which answer is best?"
PROMPT_RE = "Which answer is best\\?"


def test_scores_2_4_3_4_give_a_4_vs_2_pair(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        judge_rule("Answer A", "Relevant but thin.\nScore: 2"),
        judge_rule("Answer B", "Useful and clear.\nScore: 4"),
        judge_rule("Answer C", "Covers the basics.\nScore: 3"),
        judge_rule("Answer D", "Direct and organised.\nScore: 4"),
        sample_rule(PROMPT_RE, "Answer A", "Answer B", "Answer C", "Answer D"),
    ], served_model="fake-model-2026-01", system_fingerprint="fp_sr")
    r = local.submit(spec([PROMPT]))
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["progress"]["kept"] == 1 and job["progress"]["rejected"] == 0
    assert job["progress"]["requests"] == 4 + 4 * 3
    (rec,) = local.lines(job["id"])
    assert rec["prompt"] == PROMPT
    assert rec["chosen"] in ("Answer B", "Answer D") and rec["rejected"] == "Answer A"
    assert rec["score_chosen"] == 4 and rec["score_rejected"] == 2
    by_text = {s["text"]: s for s in rec["samples"]}
    assert {t: (s["scores"], s["mean"]) for t, s in by_text.items()} == {
        "Answer A": ([2, 2, 2], 2), "Answer B": ([4, 4, 4], 4),
        "Answer C": ([3, 3, 3], 3), "Answer D": ([4, 4, 4], 4)}
    assert rec["samples"][rec["chosen_index"]]["text"] == rec["chosen"]
    assert rec["samples"][rec["rejected_index"]]["text"] == rec["rejected"]
    assert len(rec["judgements"]) == 4 and all(len(js) == 3 for js in rec["judgements"])
    assert rec["judgements"][rec["rejected_index"]] == ["Relevant but thin.\nScore: 2"] * 3
    assert rec["meta"]["provider"] == "fake" and rec["meta"]["model"] == "fake-model"
    assert rec["meta"]["served"] == {"model": "fake-model-2026-01", "system_fingerprint": "fp_sr"}
    assert rec["meta"]["sampling"]["temperature"] == 0.7 and rec["meta"]["sampling"]["top_p"] == 0.9

    sent = [q["body"] for q in fake.requests(100) if q["endpoint"] == "chat"]
    samples = [b for b in sent if b["messages"] == [{"role": "user", "content": PROMPT}]]
    judges = [b for b in sent if b not in samples]
    assert len(samples) == 4 and len(judges) == 12
    assert all(b["temperature"] == 0.7 and b["top_p"] == 0.9 for b in samples)
    for letter in "ABCD":
        asked = [b for b in judges if f"User: {PROMPT}\n<response>Answer {letter}</response>" in b["messages"][0]["content"]]
        assert len(asked) == 3
    j = judges[0]
    assert len(j["messages"]) == 1 and j["messages"][0]["role"] == "user"
    assert "Briefly justify your total score, up to 100 words" in j["messages"][0]["content"]
    assert '"Score: <total points>"' in j["messages"][0]["content"]
    assert j["temperature"] == 0.7 and j["top_p"] == 0.9 and j["max_tokens"] == 256


def test_unparseable_judgement_is_dropped_and_an_unscored_prompt_gives_no_pair(
        local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        judge_rule("Answer A", "Score: 4", "no idea", "Score: 2"),
        judge_rule("Answer B", "Excellent.\nScore: 5"),
        judge_rule("Reply X", "I cannot tell."),
        judge_rule("Reply Y", "Score: 3"),
        sample_rule("First question", "Answer A", "Answer B"),
        sample_rule("Second question", "Reply X", "Reply Y"),
    ])
    job = local.wait(local.submit(spec(["First question", "Second question"], samples=2,
                                       judge_sampling={"temperature": 0.0}, keep_judgements=False)).json()["id"])
    assert job["status"] == "succeeded", job
    assert job["progress"]["kept"] == 1 and job["progress"]["rejected_by_reason"] == {"unscored": 1}
    assert job["note"] and job["note"].startswith("kept 1 of 2 (50%; min_yield 50%); most rejects: unscored (1 of 1)")
    (rec,) = local.lines(job["id"])
    assert rec["prompt"] == "First question"
    assert (rec["chosen"], rec["score_chosen"]) == ("Answer B", 5)
    assert (rec["rejected"], rec["score_rejected"]) == ("Answer A", 3)  # (4 + 2) / 2, "no idea" dropped
    a = rec["samples"][rec["rejected_index"]]
    assert sorted(a["scores"]) == [2, 4] and a["mean"] == 3
    assert "judgements" not in rec
    (rej,) = local.lines(job["id"], "rejects")
    assert (rej["stage"], rej["reason"], rej["prompt"]) == ("pair", "unscored", "Second question")
    assert {s["text"]: (s["scores"], s["mean"]) for s in rej["samples"]} == {
        "Reply X": ([], None), "Reply Y": ([3, 3, 3], 3)}
    judges = [q["body"] for q in fake.requests(100) if "<response>" in q["body"]["messages"][0]["content"]]
    assert len(judges) == 12 and all(b["temperature"] == 0.0 for b in judges)


def test_equal_scores_give_no_pair(local: LocalApi, fake: Fake) -> None:
    def script() -> None:
        fake.configure(scripts=[
            *(judge_rule(f"Same {x}", "Fine.\nScore: 3") for x in "ABCD"),
            judge_rule("Good", "Score: 5"), judge_rule("Poor", "Score: 1"),
            sample_rule("Tied question", "Same A", "Same B", "Same C", "Same D"),
            sample_rule("Split question", "Good", "Poor"),
        ])

    script()
    job = local.wait(local.submit({**spec(["Tied question", "Split question"]), "format": "preference"}).json()["id"])
    assert job["status"] == "succeeded", job
    assert job["progress"]["kept"] == 1 and job["progress"]["rejected_by_reason"] == {"tie": 1}
    (rec,) = local.lines(job["id"])
    assert {k: rec[k] for k in ("prompt", "chosen", "rejected", "score_chosen", "score_rejected")} == {
        "prompt": "Split question", "chosen": "Good", "rejected": "Poor", "score_chosen": 5, "score_rejected": 1}
    assert "samples" not in rec and len(rec["meta"]["fields"]["samples"]) == 4
    (rej,) = local.lines(job["id"], "rejects")
    assert (rej["stage"], rej["reason"], rej["prompt"]) == ("pair", "tie", "Tied question")
    assert [s["mean"] for s in rej["samples"]] == [3, 3, 3, 3]
    assert len(rej["judgements"]) == 4

    # An explicit target the prompts cannot fill fails with the reason.
    script()
    job = local.wait(local.submit({**spec(["Tied question", "Split question"]), "target": 2}).json()["id"])
    assert job["status"] == "failed" and job["progress"]["kept"] == 1, job
    assert job["error"]["type"].endswith("target-not-reached") and "made 1 of 2 pairs" in job["error"]["detail"]


def test_target_below_prompts_moves_past_ties(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        *(judge_rule(f"Same {x}", "Score: 2") for x in "AB"),
        judge_rule("Good", "Score: 4"), judge_rule("Poor", "Score: 0"),
        sample_rule("Tied question", "Same A", "Same B"),
        sample_rule("Split question \\d", "Good", "Poor"),
    ])
    job = local.wait(local.submit({**spec(["Tied question", "Split question 1", "Split question 2"],
                                          samples=2, judge_repeats=1), "target": 1, "concurrency": 1}).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 1, job
    assert job["progress"]["rejected_by_reason"] == {"tie": 1}
    assert [r["prompt"] for r in local.lines(job["id"])] == ["Split question 1"]
    assert job["progress"]["requests"] == 2 * (2 + 2)


def test_registered_prompt_file_and_invalid_specs(local: LocalApi, fake: Fake) -> None:
    # The fake's default replies carry no "Score: N": every prompt ends unscored.
    job = local.wait(local.submit({"recipe": "self-rewarding", "generator": {"provider": "fake"},
                                   "params": {"prompt_file": "eval-prompts", "samples": 2,
                                              "judge_repeats": 1}}).json()["id"])
    # Nothing kept is a failure (issue 9), naming the dominant reject reason.
    assert job["status"] == "failed" and job["progress"]["kept"] == 0, job
    assert job["error"]["type"].endswith("/nothing-kept") and "most rejects: unscored (5 of 5)" in job["error"]["detail"]
    assert job["progress"]["rejected_by_reason"] == {"unscored": 5}
    assert job["progress"]["requests"] == 5 * (2 + 2)

    bad = [
        ({**spec(["a", "b"]), "target": 3}, "target"),
        (spec(["a"], samples=1), "params.samples"),
        (spec(["a"], judge_repeats=0), "params.judge_repeats"),
        (spec(["a"], prompt_file="eval-prompts"), "params.prompts"),
        ({**spec(["a"]), "params": {}}, "params.prompts"),
        ({**spec(["a"]), "params": {"prompt_file": "unregistered"}}, "params.prompt_file"),
        (spec(["a"], judge_sampling={"temperature": 5}), "params.judge_sampling.temperature"),
        (spec(["a"], judge="fake"), "params.judge"),
    ]
    for body, field in bad:
        r = local.submit(body)
        assert r.status_code == 422, (body, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (field, r.json())


@pytest.mark.slow
def test_self_rewarding_on_embedded_smollm2(alice: Api, worker: Workers) -> None:
    r = alice.submit({"recipe": "self-rewarding", "concurrency": 1, "seed": 5,
                      "generator": {"provider": "local", "sampling": {"max_tokens": 48}},
                      "filters": {"drop_truncated": False},
                      "params": {"prompts": ["Name a primary colour."], "samples": 2, "judge_repeats": 1,
                                 "judge_sampling": {"max_tokens": 96}}})
    assert r.status_code == 202, r.text
    job = alice.wait(r.json()["id"], timeout=600)
    # One prompt: one pair kept (succeeded), or a tie/unscored reject and nothing kept (failed).
    assert job["status"] == ("succeeded" if job["progress"]["kept"] else "failed"), job
    assert job["progress"]["requests"] == 2 + 2
    out = alice.lines(job["id"]) + alice.lines(job["id"], "rejects")
    assert len(out) == 1 and out[0]["prompt"] == "Name a primary colour."
    assert len(out[0]["samples"]) == 2 and all(s["text"].strip() for s in out[0]["samples"])
    if "chosen" in out[0]:
        assert out[0]["score_chosen"] > out[0]["score_rejected"]
    else:
        assert out[0]["reason"] in ("tie", "unscored")
