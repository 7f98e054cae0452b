"""The quality pipeline's stages through the real service: filters, judge, dedup,
decontamination, generator mix, provenance, funnel."""

from __future__ import annotations

from support import Fake, LocalApi, responses_spec

BENCH_ITEM = ("Natalia sold clips to forty eight of her friends in April and then she sold half as many "
              "clips in May so how many clips did Natalia sell altogether in April and May")


def test_filters_reject_with_reasons(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": "topic 0 ", "replies": ["As an AI language model, I cannot browse the web."]},
        {"match": "topic 1 ", "replies": ["Ok."]},
        {"match": "topic 2 ", "replies": ["Sure! " + "a" * 40 + " done."]},
        {"match": "topic 3 ", "replies": ["the answer is " + "very " * 12 + "long."]},
        {"match": "topic 4 ", "replies": ["Der schnelle braune Fuchs springt über den faulen Hund und läuft weiter in den Wald."]},
        {"match": "topic 5 ", "replies": ["I'm Sorry, But that is not something I can talk about today."]},
    ])
    spec = responses_spec(8, filters={"min_words": 2, "languages": ["en"], "refusal_phrases": ["cannot browse"]})
    job = local.wait(local.submit(spec).json()["id"])
    assert job["progress"]["rejected_by_reason"] == {
        "garbage": 1, "language": 1, "refusal": 2, "repetition": 1, "too_short": 1}, job["progress"]
    assert job["progress"]["kept"] == 2
    rejects = {r["prompt"].split(":")[0]: r for r in local.lines(job["id"], "rejects")}
    assert rejects["Question number 0"]["reason"] == "refusal"
    assert rejects["Question number 4"]["detail"] == "de"
    assert job["funnel"][0] == {"stage": "filter", "entered": 8, "rejected": 6}


def test_judge_scores_are_stored_and_low_scores_rejected(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": "additive scale.*topic 0 ", "replies": ["Irrelevant and unhelpful.\nScore: 1"]},
        {"match": "additive scale.*topic 1 ", "replies": ["I cannot decide."]},
        {"match": "additive scale", "replies": ["Relevant, complete and well organised.\nScore: 4"]},
    ])
    spec = responses_spec(4, judge={"generator": {"provider": "fake", "model": "fake-model-2"}, "min_score": 3})
    job = local.wait(local.submit(spec).json()["id"])
    assert job["progress"]["rejected_by_reason"] == {"judge_unparseable": 1, "low_score": 1}
    records = local.lines(job["id"])
    assert len(records) == 2
    for r in records:
        assert r["meta"]["judge"]["score"] == 4 and "well organised" in r["meta"]["judge"]["rationale"]
        assert r["meta"]["judge"]["model"] == "fake/fake-model-2" and r["meta"]["model"] == "fake-model"
    judged = [q for q in fake.requests(50) if "additive scale" in str(q["body"].get("messages"))]
    assert judged and all(q["body"]["model"] == "fake-model-2" for q in judged)
    assert any("<response>" in q["body"]["messages"][0]["content"] for q in judged)
    # unparseable judgements were retried (max_retries 2 -> 3 calls for topic 1)
    assert sum("topic 1 " in q["body"]["messages"][0]["content"] for q in judged) == 3


def test_exact_and_minhash_dedup_keep_the_first(local: LocalApi, fake: Fake) -> None:
    same = "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen inside the leaves of green plants."
    fake.configure(scripts=[
        {"match": "topic [0-2] ", "replies": [same]},
        {"match": "topic 3 ", "replies": [same.upper().replace(",", "")]},
        {"match": "topic 4 ", "replies": [same.replace("green plants", "green plants today")]},
    ])
    spec = responses_spec(6, concurrency=1, dedup={"field": "response", "minhash": {"threshold": 0.7}})
    job = local.wait(local.submit(spec).json()["id"])
    assert job["progress"]["rejected_by_reason"] == {"duplicate": 3, "near_duplicate": 1}, job["progress"]
    kept = {r["prompt"].split(":")[0] for r in local.lines(job["id"])}
    assert kept == {"Question number 0", "Question number 5"}


def test_decontamination_13_gram(local: LocalApi, fake: Fake) -> None:
    words = BENCH_ITEM.split()
    copies_13 = "Consider this: " + " ".join(words[5:18]) + " and explain."
    shares_12 = "Consider this: " + " ".join(words[5:17]) + " and explain."
    spec = {"recipe": "responses", "generator": {"provider": "fake"},
            "params": {"prompts": [copies_13, shares_12]},
            "decontamination": {"inline": {"gsm8k-mini": [BENCH_ITEM]}}}
    job = local.wait(local.submit(spec).json()["id"])
    assert job["progress"]["kept"] == 1 and job["progress"]["rejected_by_reason"] == {"contaminated": 1}
    (reject,) = local.lines(job["id"], "rejects")
    assert reject["prompt"] == copies_13 and reject["stage"] == "decontamination"
    assert reject["detail"] == "gsm8k-mini: " + " ".join(words[5:18]).lower()
    (record,) = local.lines(job["id"])
    assert record["prompt"] == shares_12
    # 8-gram coverage mode catches the 12-word copy: 12 of the item's 30 words is 40%, so ask 0.3.
    spec["decontamination"] = {"inline": {"gsm8k-mini": [BENCH_ITEM]}, "mode": "coverage", "coverage": 0.3}
    spec["params"] = {"prompts": [shares_12]}
    job = local.wait(local.submit(spec).json()["id"])
    assert job["progress"]["rejected_by_reason"] == {"contaminated": 1}


def test_generator_mix_provenance_and_per_generator_counts(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[{"match": "topic 1[0-9] ", "replies": ["As an AI language model I refuse."]}])
    spec = responses_spec(40, mix=[{"provider": "fake", "model": "fake-model", "weight": 3},
                                   {"provider": "chatonly", "model": "fake-chat", "weight": 1,
                                    "sampling": {"temperature": 0.2}}], seed=11)
    job = local.wait(local.submit(spec).json()["id"])
    gens = job["generators"]
    assert set(gens) == {"fake/fake-model", "chatonly/fake-chat"}
    assert sum(g["kept"] for g in gens.values()) == job["progress"]["kept"] == 30
    assert sum(g["rejected"] for g in gens.values()) == 10
    assert gens["fake/fake-model"]["kept"] > gens["chatonly/fake-chat"]["kept"] > 0
    for r in local.lines(job["id"]):
        m = r["meta"]
        assert {"provider", "model", "licence", "sampling", "spec_hash", "seed"} <= set(m)
        assert m["seed"] == 11 == job["seed"]
        if m["provider"] == "chatonly":
            assert m["sampling"]["temperature"] == 0.2 and m["licence"] == "unknown"
        else:
            assert m["licence"] == "test-only"
    # The same spec and seed against the same deterministic provider gives the same records.
    again = local.wait(local.submit(spec).json()["id"])
    strip = lambda rs: sorted((r["prompt"], r["response"], r["meta"]["model"]) for r in rs)  # noqa: E731
    assert strip(local.lines(again["id"])) == strip(local.lines(job["id"]))
    assert again["spec_hash"] == job["spec_hash"]


def test_refused_licence_and_unknown_benchmark_are_422(local: LocalApi) -> None:
    r = local.submit(responses_spec(1, refuse_licences=["test-only"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "generator.provider"
    r = local.submit(responses_spec(1, decontamination={"benchmarks": ["nope"]}))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "decontamination.benchmarks[0]"
    r = local.submit(responses_spec(1, judge={"generator": {"provider": "ghost"}}))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "judge.generator.provider"


def _dedup_spec(prompts: list[str], **embedding) -> dict:
    return {"recipe": "responses", "concurrency": 1, "generator": {"provider": "fake"},
            "params": {"prompts": prompts},
            "dedup": {"field": "response", "exact": False, "embedding": {"threshold": 0.9, **embedding}}}


def test_embedding_dedup_keeps_the_first_of_two_paraphrases(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": "^first", "replies": ["The small cat sat on the warm mat near the kitchen door all afternoon."]},
        {"match": "^second", "replies": ["All afternoon the small cat sat on the warm mat near the kitchen door."]},
        {"match": "^third", "replies": ["Quarterly revenue grew because enterprise customers renewed their contracts early."]},
    ])
    job = local.wait(local.submit(_dedup_spec(["first q", "second q", "third q"])).json()["id"])
    assert job["progress"]["rejected_by_reason"] == {"near_duplicate": 1}, job["progress"]
    assert [r["prompt"] for r in local.lines(job["id"])] == ["first q", "third q"]
    (reject,) = local.lines(job["id"], "rejects")
    assert reject["prompt"] == "second q" and reject["stage"] == "dedup"
    nearest = [r["meta"]["dedup"]["nearest"] for r in local.lines(job["id"])]
    assert nearest[0] == 0.0 and nearest[1] < 0.9
    assert local.client.get(f"/v1/jobs/{job['id']}/report").json()["nearest_similarity"]["count"] == 2


def test_shared_collection_rejects_a_near_duplicate_of_an_earlier_job(local: LocalApi, local_bob: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": "^old", "replies": ["Bees communicate the direction of flowers to the hive with a waggle dance."]},
        {"match": "^new", "replies": ["With a waggle dance, bees communicate to the hive the direction of flowers."]},
    ])
    first = local.wait(local.submit(_dedup_spec(["old q"], scope="collection", collection="team-a")).json()["id"])
    assert first["progress"]["kept"] == 1
    later = local.wait(local.submit(_dedup_spec(["new q"], scope="collection", collection="team-a")).json()["id"])
    assert later["progress"]["kept"] == 0 and later["progress"]["rejected_by_reason"] == {"near_duplicate": 1}
    (reject,) = local.lines(later["id"], "rejects")
    assert first["id"] in reject["detail"]
    # job scope, another collection, or another tenant's collection of the same name: no match
    assert local.wait(local.submit(_dedup_spec(["new q"])).json()["id"])["progress"]["kept"] == 1
    other = local.wait(local.submit(_dedup_spec(["new q"], scope="collection", collection="team-b")).json()["id"])
    assert other["progress"]["kept"] == 1
    assert local_bob.wait(local_bob.submit(_dedup_spec(["new q"], scope="collection", collection="team-a")).json()["id"])[
        "progress"]["kept"] == 1
