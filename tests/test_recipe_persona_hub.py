"""PersonaHub: persona creation, MinHash persona dedup, template checks, records (section 8)."""

from __future__ import annotations

from typing import Any

import pytest

from service.recipes import persona_hub as ph

from support import Api, Fake, LocalApi, Workers

# 30 distinct words; the near-duplicate swaps the last one: Jaccard 29/31 = 0.935 (>= 0.9).
KEEPER_WORDS = (
    "A retired lighthouse keeper from coastal Maine who restores antique brass navigation "
    "instruments, writes letters to maritime museums, tracks storms in handwritten logbooks "
    "and coaches young scouts every summer weekend"
).split()
KEEPER = " ".join(KEEPER_WORDS)
KEEPER_TWIN = " ".join(KEEPER_WORDS[:-1] + ["sailors"])
# The same 30 words with 4 swapped: Jaccard 26/34 = 0.76 (< 0.9), a different persona.
KEEPER_COUSIN = " ".join(KEEPER_WORDS[:-4] + ["paints", "harbour", "seals", "badly"])
NURSE = "A pediatric nurse in Lagos who volunteers at weekend vaccination clinics and mentors nursing students."
DISPATCHER = "A freight rail dispatcher in Winnipeg who plans crew rotations around winter storms."
BEEKEEPER = "A commercial beekeeper in Andalusia who models hive losses across a dry summer."


def test_example_personas_have_the_jaccard_the_tests_claim() -> None:
    assert len(KEEPER_WORDS) == 30 and len(ph.words(KEEPER)) == 30
    assert ph.jaccard(ph.words(KEEPER), ph.words(KEEPER_TWIN)) == pytest.approx(29 / 31)
    assert ph.jaccard(ph.words(KEEPER), ph.words(KEEPER_COUSIN)) < 0.8


def test_near_identical_personas_collapse_to_the_first_and_distinct_ones_survive() -> None:
    personas = [KEEPER, NURSE, KEEPER_TWIN, KEEPER_COUSIN, KEEPER.upper() + "!", DISPATCHER]
    kept, dropped = ph.dedup(personas)
    assert kept == [0, 1, 3, 5]
    assert dropped == {2: 0, 4: 0}  # one word swapped; case and punctuation only
    # Deterministic (fixed MinHash seed): the same answer every time.
    assert ph.dedup(personas) == (kept, dropped)
    # The threshold is a parameter: at 0.95 the one-word twin (0.935) survives.
    assert ph.dedup([KEEPER, KEEPER_TWIN], threshold=0.95) == ([0, 1], {})


@pytest.mark.parametrize(("template", "text", "reason", "body"), [
    ("math", "Math problem: Find the beam's period.", None, "Find the beam's period."),
    ("math", "**Math problem:** Find x.", None, "Find x."),
    ("math", "Here is a problem: find x.", "missing_prefix", None),
    ("math", "Sure! Math problem: find x.", "missing_prefix", None),
    ("math", "Math problem: Find x.\n\nSolution: x = 3.", "has_solution", None),
    ("math", "Math problem: Find x.\n**Answer:** 3", "has_solution", None),
    ("math", "Math problem: Find x.\nStep 1 - expand the square.", "has_solution", None),
    ("math", "Math problem: Find x, then $\\boxed{3}$.", "has_solution", None),
    ("instruction", "User prompt: Plan my week.", None, "Plan my week."),
    ("instruction", "user prompt:Plan my week.", None, "Plan my week."),
    ("instruction", "User prompt:", "missing_prefix", None),
    ("instruction", "Plan my week. Solution: rest.", "missing_prefix", None),
    ("instruction", "User prompt: What is the answer: 42 or 43?", None, "What is the answer: 42 or 43?"),
    ("knowledge", "Title: Caring for brass\n\nPolish gently.", None, "Caring for brass\n\nPolish gently."),
    ("npc", "# Name: Brannoc\nRole: smith", None, "Brannoc\nRole: smith"),
    ("npc", "Brannoc the smith", "missing_prefix", None),
])
def test_output_checks(template: str, text: str, reason: str | None, body: str | None) -> None:
    got_reason, got_body = ph.check_output(template, text)
    assert got_reason == reason
    if body is not None:
        assert got_body == body


def test_templates_carry_the_persona_verbatim_and_their_prefix() -> None:
    persona = "A {curly} persona with \\ backslashes and 100% odd {persona} text."
    for template, prefix in ph.PREFIXES.items():
        prompt = ph.synthesis_prompt(template, persona)
        assert persona in prompt and f'"{prefix}"' in prompt
    assert ph.synthesis_prompt("knowledge", persona).startswith(persona)
    assert persona in ph.persona_to_persona_prompt(persona)
    text_prompt = ph.text_to_persona_prompt("Some {text}.", "dislike")
    assert "likely to dislike the text below" in text_prompt and "Some {text}." in text_prompt


def test_clean_persona() -> None:
    assert ph.clean_persona('Persona: "A chef who\n  sharpens knives."') == "A chef who sharpens knives."
    assert ph.clean_persona("**New persona:** A pilot.") == "A pilot."
    assert ph.clean_persona("  \n ") == ""


def _chat_prompts(fake: Fake) -> list[tuple[int, list[dict[str, str]]]]:
    return [(i, q["body"]["messages"]) for i, q in enumerate(fake.requests(1000)) if q["endpoint"] == "chat"]


def _user(messages: list[dict[str, str]]) -> str:
    return next(m["content"] for m in messages if m["role"] == "user")


def test_math_job_dedups_personas_checks_outputs_and_records_the_persona(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": "Write a math problem.*lighthouse", "replies": [
            "Math problem: A lighthouse beam sweeps 12 degrees per second; find when two beams align."]},
        {"match": "Write a math problem.*pediatric", "replies": [
            "**Math problem:** A clinic vaccinates children at a Poisson rate; find the expected queue."]},
        {"match": "Write a math problem.*freight rail", "replies": ["Here is a hard one about crew rotations."]},
        {"match": "Write a math problem.*beekeeper", "replies": [
            "Math problem: Model hive losses as a logistic decay.\n\nSolution: The losses peak in August."]},
        {"match": "^A (lighthouse beam|clinic vaccinates)", "replies": ["Let t be the time; then t = 30 seconds."]},
    ])
    personas = [KEEPER, NURSE, KEEPER_TWIN, DISPATCHER, BEEKEEPER]
    r = local.submit({"recipe": "persona-hub", "generator": {"provider": "fake"}, "concurrency": 2, "seed": 3,
                      "params": {"template": "math", "personas": personas}})
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["progress"]["kept"] == 2
    assert job["progress"]["rejected_by_reason"] == {"duplicate_persona": 1, "missing_prefix": 1, "has_solution": 1}
    assert "2 records from 4 unique personas" in (job.get("note") or "")

    records = {rec["persona"]: rec for rec in local.lines(job["id"])}
    assert set(records) == {KEEPER, NURSE}
    keeper = records[KEEPER]
    assert keeper["template"] == "math" and keeper["persona_id"] == "g0"
    assert keeper["persona_source"] == {"from": "given", "index": 0}
    assert keeper["prompt"] == "A lighthouse beam sweeps 12 degrees per second; find when two beams align."
    assert keeper["response"] == "Let t be the time; then t = 30 seconds."
    assert keeper["messages"] == [{"role": "user", "content": keeper["prompt"]},
                                  {"role": "assistant", "content": keeper["response"]}]
    assert keeper["finish_reason"] == "stop" and keeper["meta"]["sampling"]["temperature"] == 0.7
    assert records[NURSE]["prompt"].startswith("A clinic vaccinates")

    rejects = {x["persona"]: x for x in local.lines(job["id"], "rejects")}
    twin = rejects[KEEPER_TWIN]
    assert (twin["stage"], twin["reason"], twin["duplicate_of"]) == ("persona", "duplicate_persona", KEEPER)
    assert twin["jaccard"] == pytest.approx(29 / 31, abs=1e-4)
    assert (rejects[DISPATCHER]["stage"], rejects[DISPATCHER]["reason"]) == ("check", "missing_prefix")
    assert (rejects[BEEKEEPER]["stage"], rejects[BEEKEEPER]["reason"]) == ("check", "has_solution")

    synth = [m for _, m in _chat_prompts(fake) if "Write a math problem" in _user(m)]
    assert len(synth) == 4  # the duplicate never reached the model
    for persona in (KEEPER, NURSE, DISPATCHER, BEEKEEPER):
        assert sum(persona in _user(m) for m in synth) == 1, persona
    assert not any(KEEPER_TWIN in _user(m) for m in synth)
    assert all(m[0] == {"role": "system", "content": ph.SYSTEM_PROMPT} for m in synth)


PERSONA_T0 = "A sailing instructor in Maine who plans lessons around the tides."
PERSONA_T1 = "A home baker in Vermont who experiments with wild yeast starters."
PERSONA_T0_E1 = "A teenage student in the instructor's summer sailing class who wants to race."
PERSONA_T1_E1 = "The baker's neighbour, a retired chemist who measures fermentation temperatures."


def test_text_to_persona_then_persona_to_persona_then_prompt(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": "likely to read the text below.*Penobscot", "replies": [f"Persona: {PERSONA_T0}"]},
        {"match": "likely to read the text below.*sourdough", "replies": [PERSONA_T1]},
        {"match": "close relationship.*sailing instructor", "replies": [PERSONA_T0_E1]},
        {"match": "close relationship.*home baker", "replies": [PERSONA_T1_E1]},
        {"match": "guess one request", "replies": ["User prompt: Help me with task number {n}."]},
        {"match": "^Help me with task number", "replies": ["Here is the help you asked for."]},
    ])
    texts = ["Tide tables for Penobscot Bay, with slack water times for each harbour.",
             "A sourdough recipe: feed the starter twice a day and bake at 250 degrees."]
    job = local.wait(local.submit({
        "recipe": "persona-hub", "generator": {"provider": "fake"}, "concurrency": 2,
        "params": {"texts": texts, "expand_iterations": 1},
    }).json()["id"])
    assert job["status"] == "succeeded", job
    records = {rec["persona_id"]: rec for rec in local.lines(job["id"])}
    assert {k: r["persona"] for k, r in records.items()} == {
        "t0-read": PERSONA_T0, "t1-read": PERSONA_T1, "t0-read-e1": PERSONA_T0_E1, "t1-read-e1": PERSONA_T1_E1}
    assert records["t0-read"]["persona_source"] == {"from": "text", "index": 0, "relation": "read"}
    assert records["t1-read-e1"]["persona_source"] == {"from": "persona", "parent": "t1-read", "iteration": 1}
    for rec in records.values():
        assert rec["template"] == "instruction" and rec["prompt"].startswith("Help me with task number")
        assert rec["response"] == "Here is the help you asked for."
        assert rec["messages"][0] == {"role": "user", "content": rec["prompt"]}

    # The order of calls: text -> persona (-> related persona) -> prompt -> response.
    calls = [(i, _user(m)) for i, m in _chat_prompts(fake)]

    def first(pred: Any) -> int:
        return next(i for i, u in calls if pred(u))

    for text, persona, child in ((texts[0], PERSONA_T0, PERSONA_T0_E1), (texts[1], PERSONA_T1, PERSONA_T1_E1)):
        made = first(lambda u: "likely to read" in u and text in u)
        expanded = first(lambda u: "close relationship" in u and persona in u)
        asked = first(lambda u: "guess one request" in u and persona in u)
        child_asked = first(lambda u: "guess one request" in u and child in u)
        assert made < expanded < asked and expanded < child_asked
        rec = records["t0-read" if persona == PERSONA_T0 else "t1-read"]
        answered = first(lambda u: u == rec["prompt"])
        assert asked < answered


def test_registered_text_file_relations_and_an_exact_target(local: LocalApi, fake: Fake) -> None:
    personas = [f"A {job} from {town} who keeps careful notes about {thing}." for job, town, thing in [
        ("glassblower", "Murano", "furnace colours"), ("ferry captain", "Oslo", "fog banks"),
        ("archivist", "Cusco", "colonial land deeds"), ("cartographer", "Tromso", "glacier retreat"),
        ("luthier", "Cremona", "spruce density"), ("falconer", "Abu Dhabi", "wind shear"),
        ("tea taster", "Darjeeling", "monsoon harvests"), ("typesetter", "Leipzig", "ligature wear"),
        ("vintner", "Mendoza", "frost nights"), ("seismologist", "Sendai", "aftershock swarms")]]
    fake.configure(scripts=[
        {"match": "likely to (read|write) the text below", "replies": personas},
        {"match": "guess one request", "replies": ["User prompt: Request {n} for this persona."]},
    ])
    job = local.wait(local.submit({
        "recipe": "persona-hub", "generator": {"provider": "fake"}, "target": 3, "concurrency": 2,
        "params": {"text_file": "eval-prompts", "relations": ["read", "write"], "respond": False},
    }).json()["id"])
    assert job["status"] == "succeeded", job
    assert job["progress"]["target"] == 3 and job["progress"]["kept"] == 3
    records = local.lines(job["id"])
    assert len(records) == 3 and all(r["persona"] in personas for r in records)
    assert all("response" not in r and "messages" not in r for r in records)
    asked = [_user(m) for _, m in _chat_prompts(fake) if "likely to" in _user(m)]
    assert len(asked) == 10  # 5 registered texts x 2 relations
    assert {f"Registered prompt {i}" for i in range(5)} <= {a.split("Text:\n")[1].split("\n")[0] for a in asked}
    assert sum("likely to write" in a for a in asked) == 5


def test_npc_keeps_its_prefix_and_a_second_attempt_replaces_a_rejected_output(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[{"match": "non-player character", "cycle": False, "replies": [
        "They would surely become a smith.", "Name: Brannoc Ironhand\nRace: Dwarf\nHe sells armour to players."]}])
    smith = "A village blacksmith who forges horseshoes and repairs farm tools."
    job = local.wait(local.submit({
        "recipe": "persona-hub", "generator": {"provider": "fake"}, "target": 1, "concurrency": 1,
        "params": {"template": "npc", "personas": [smith], "attempts": 2},
    }).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 1, job
    (rec,) = local.lines(job["id"])
    assert rec["persona"] == smith and rec["template"] == "npc" and rec["persona_id"] == "g0"
    assert rec["prompt"].startswith("Name: Brannoc Ironhand") and "response" not in rec
    (rej,) = local.lines(job["id"], "rejects")
    assert rej["reason"] == "missing_prefix" and rej["persona"] == smith
    assert rej["id"].endswith(".g0-npc0") and rec["id"].endswith(".g0-npc1")


def test_too_few_passing_personas_for_a_given_target_fail_the_job(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[{"match": "Write a math problem", "replies": ["No prefix here at all."]}])
    job = local.wait(local.submit({
        "recipe": "persona-hub", "generator": {"provider": "fake"}, "target": 2,
        "params": {"template": "math", "personas": [NURSE, DISPATCHER]},
    }).json()["id"])
    assert job["status"] == "failed" and "target-not-reached" in job["error"]["type"], job
    assert job["progress"]["rejected_by_reason"] == {"missing_prefix": 2}


@pytest.mark.parametrize(("params", "extra", "field"), [
    ({"personas": ["A pilot."], "texts": ["Some text."]}, {}, "params.personas"),
    ({}, {}, "params.personas"),
    ({"text_file": "no-such-file"}, {}, "params.text_file"),
    ({"personas": ["A pilot."], "relations": ["write"]}, {}, "params.relations"),
    ({"personas": ["A pilot."], "template": "npc"}, {"format": "openai"}, "format"),
    ({"personas": ["A pilot."], "template": "knowledge", "responder": {"provider": "fake"}}, {}, "params.responder"),
    ({"personas": ["A pilot."], "responder": {"provider": "nope"}}, {}, "params.responder.provider"),
    ({"personas": ["A pilot.", "A chef."]}, {"target": 3}, "target"),
    ({"personas": ["A pilot."], "template": "poem"}, {}, "params.template"),
    ({"personas": ["A pilot."], "expand_iterations": 11}, {}, "params.expand_iterations"),
])
def test_invalid_specs_name_the_field(local: LocalApi, params: dict[str, Any], extra: dict[str, Any], field: str) -> None:
    r = local.submit({"recipe": "persona-hub", "generator": {"provider": "fake"}, "params": params, **extra})
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


def test_sigkill_then_restart_reuses_committed_personas_and_duplicates_nothing(
        alice: Api, fake: Fake, workers: Workers) -> None:
    from support import wait_for

    n = 30
    fake.configure(latency=0.1, scripts=[
        # {n} makes a persona made again after the restart differ from the first one.
        {"match": "likely to read the text below", "replies": ["A reader numbered {n} with code {prompt_hash}."]},
        {"match": "guess one request", "replies": ["User prompt: Request {n} from this reader."]},
    ])
    (first,) = workers.start(1)
    job_id = alice.submit({
        "recipe": "persona-hub", "generator": {"provider": "fake"}, "concurrency": 2,
        "params": {"texts": [f"Short text number {i} about topic {i}." for i in range(n)]},
    }).json()["id"]
    wait_for(lambda: alice.job(job_id)["progress"]["kept"] >= 5, what="records before the kill")
    workers.kill(first)
    kept_at_kill = alice.job(job_id)["progress"]["kept"]
    assert 5 <= kept_at_kill < n
    workers.start(1)
    job = alice.wait(job_id, timeout=90)
    assert job["status"] == "succeeded", job
    records = alice.lines(job_id)
    assert job["progress"]["kept"] == n == len(records)
    assert sorted(r["persona_id"] for r in records) == [f"t{i:02d}-read" for i in range(n)]
    assert len({r["persona"] for r in records}) == n
    # Personas of committed records were read back, not made again.
    made = sum("likely to read" in _user(m) for _, m in _chat_prompts(fake))
    assert n <= made <= 2 * n - kept_at_kill
    asked = [_user(m) for _, m in _chat_prompts(fake) if "guess one request" in _user(m)]
    assert all(any(r["persona"] in a for a in asked) for r in records)
