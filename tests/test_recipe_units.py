"""Recipe building blocks checked against shared/reference/recipes.md."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from service.domain.errors import InvalidSpec
from service.pipeline.text import (
    ALPACA_BLACKLIST,
    SELF_INSTRUCT_BLACKLIST,
    RougePool,
    instruction_reject_reason,
    lcs_length,
    rouge_l,
    rouge_tokens,
)
from service.recipes import alpaca, self_instruct
from service.recipes.base import Instance, PromptFile, SeedTask, count_prompts, load_prompts, load_seeds
from service.settings import Settings, from_env


def dp_lcs(a: list[str], b: list[str]) -> int:
    t = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            t[i + 1][j + 1] = t[i][j] + 1 if x == y else max(t[i][j + 1], t[i + 1][j])
    return t[-1][-1]


def test_bit_parallel_lcs_matches_dynamic_programming() -> None:
    rng = random.Random(0)
    for _ in range(2000):
        a = [rng.choice("abcdef") for _ in range(rng.randint(0, 70))]
        b = [rng.choice("abcdef") for _ in range(rng.randint(0, 70))]
        assert lcs_length(a, b) == dp_lcs(a, b)


def test_rouge_tokens_follow_rouge_score_defaults() -> None:
    assert rouge_tokens("Hello, World! It's 2024.") == ["hello", "world", "it", "s", "2024"]


def test_rouge_threshold_keeps_exactly_0_7_and_rejects_0_71() -> None:
    base = "one two three four five six seven eight nine ten"
    at_07 = "one two three four five six seven x y z"  # LCS 7 of 10 and 10 -> F = 0.7
    pool = RougePool([base])
    best, top, _ = pool.nearest(at_07)
    assert best == pytest.approx(0.7)
    assert not best > 0.7  # the code's rule: reject only when > 0.7
    longer = " ".join(f"w{i}" for i in range(100))
    near = " ".join(f"w{i}" for i in range(71)) + " " + " ".join(f"z{i}" for i in range(29))
    assert rouge_l(rouge_tokens(longer), rouge_tokens(near)) == pytest.approx(0.71)
    assert RougePool([longer]).nearest(near)[0] > 0.7


@pytest.mark.parametrize(("text", "reason"), [
    ("Draw a map of the city centre for tourists.", "blacklist"),
    ("Explain the mapping between keys and values in a dictionary.", None),
    ("Sort these numbers", "length"),
    ("Sort these four numbers", None),
    (" ".join(["word"] * 151), "length"),
    ("Write a program that reverses a string.", "prefix"),
    ("- List three uses of vinegar at home.", "punctuation"),
    ("Éxplain how tides are caused by the moon.", "non_ascii"),
    ("Please go to the store and buy eggs for me.", "blacklist"),
    ("Plot the growth of the population over ten years.", "blacklist"),
])
def test_self_instruct_filters(text: str, reason: str | None) -> None:
    assert instruction_reject_reason(text, SELF_INSTRUCT_BLACKLIST) == reason


def test_alpaca_blacklist_adds_media_words() -> None:
    assert instruction_reject_reason("Create a flowchart of the onboarding steps.", ALPACA_BLACKLIST) == "blacklist"
    assert instruction_reject_reason("Create a flowchart of the onboarding steps.", SELF_INSTRUCT_BLACKLIST) is None


def test_bootstrap_prompt_and_parsing() -> None:
    demos = [f"Task number {i} goes here:" for i in range(8)]
    prompt = self_instruct.bootstrap_prompt(demos)
    assert prompt.startswith(self_instruct.HEADER) and prompt.endswith("\n9.")
    assert "8. Task number 7 goes here\n" in prompt  # trailing ":" stripped
    parsed = self_instruct.parse_bootstrap(" describe   the NASA mission.\n10. Give two tips\n11. ")
    assert parsed == ["Describe the NASA mission.", "Give two tips"]
    assert self_instruct.parse_bootstrap(" describe the NASA mission.", "python") == ["Describe the nasa mission."]


def test_instance_parsing_and_cleaning() -> None:
    text = "Input: a\nOutput: b\n\nExample 2\nInput: c\nOutput: d\n\nExample 3\nInput: e\nOutput: cut"
    insts = self_instruct.parse_instances(text, output_first=False, truncated=True)
    assert [(i.input, i.output) for i in insts] == [("a", "b"), ("c", "d")]
    clf = self_instruct.parse_instances(" Positive\nInput: Great!\n\nClass label: Negative\nInput: Awful.", True, False)
    assert [(i.input, i.output) for i in clf] == [("Great!", "Positive"), ("Awful.", "Negative")]
    kept, why = self_instruct.clean_instances([Instance("x", "y"), Instance("x", "z")], 5)
    assert kept == [] and why == "instance_conflict"
    kept, why = self_instruct.clean_instances(
        [Instance("same", "same"), Instance("", ""), Instance("q:", "a"), Instance("q", "a"), Instance("q", "a")], 5)
    assert [(i.input, i.output) for i in kept] == [("q", "a")] and why is None
    kept, _ = self_instruct.clean_instances([Instance(f"in{i}", f"out{i}") for i in range(9)], 5)
    assert len(kept) == 5


def test_alpaca_prompt_and_parsing() -> None:
    seeds = load_seeds(None, "default", from_env({}), "params")
    prompt = alpaca.build_prompt(seeds[:3])
    assert "20" in prompt.split("\n")[0] and prompt.count("###\n") == 4
    assert prompt.endswith("###\n4. Instruction:")
    reply = (" Name a fruit.\n4. Input:\n<noinput>\n4. Output:\nApple.\n###\n"
             "5. Instruction: Broken chunk without fields\n###\n"
             "6. Instruction: Shorten this.\n6. Input:\nA long text.\n6. Output:\nShort")
    parsed = alpaca.parse(reply, 4, truncated=False)
    assert parsed[0] == ("Name a fruit.", "", "Apple.")
    assert isinstance(parsed[1], str)
    assert parsed[2] == ("Shorten this.", "A long text.", "Short")
    assert len(alpaca.parse(reply, 4, truncated=True)) == 2


def test_default_seed_set() -> None:
    seeds = load_seeds(None, "default", from_env({}), "params")
    assert len(seeds) >= 36
    assert sum(s.is_classification for s in seeds) >= 8
    assert all(isinstance(s, SeedTask) and s.instances for s in seeds)
    for s in seeds:
        assert instruction_reject_reason(s.instruction, ALPACA_BLACKLIST) is None, s.instruction


def test_output_formats() -> None:
    from service.pipeline.formats import shape

    inst = {"instruction": "Add.", "input": "2+2", "output": "4", "is_classification": False}
    meta: dict = {}
    assert shape(dict(inst), "openai", meta) == {"messages": [
        {"role": "user", "content": "Add.\n\n2+2"}, {"role": "assistant", "content": "4"}]}
    assert meta["fields"] == {"is_classification": False}
    chat = {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"},
                         {"role": "assistant", "content": "A"}, {"role": "user", "content": "Q2"},
                         {"role": "assistant", "content": "A2"}], "persona": "a chef"}
    meta = {}
    assert shape(dict(chat), "sharegpt", meta)["conversations"][:3] == [
        {"from": "system", "value": "S"}, {"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]
    assert meta["fields"] == {"persona": "a chef"}
    assert shape(dict(chat), "alpaca", {}) == {"instruction": "Q", "input": "", "output": "A"}
    pair = {"prompt": "P", "chosen": "good", "rejected": "bad", "score_chosen": 4.0, "score_rejected": 2.0}
    assert shape(dict(pair), "preference", {}) == pair
    assert shape(dict(inst), "native", {}) == inst


def test_every_recipe_spec_round_trips_through_json() -> None:
    """The API stores msgspec.json.encode(spec) and the worker decodes it again."""
    import msgspec

    from service.recipes import decode_spec

    full = {"recipe": "responses", "generator": {"provider": "p", "sampling": {"temperature": 0.1}},
            "params": {"prompts": ["q"]}, "judge": {}, "dedup": {"minhash": {}, "embedding": {}},
            "decontamination": {"inline": {"b": ["x"]}}, "mix": [{"provider": "p", "weight": 2}]}
    spec = decode_spec(msgspec.json.encode(full))
    assert decode_spec(msgspec.json.encode(spec)) == spec


def test_repeated_ngram_finds_word_and_bigram_loops() -> None:
    from service.pipeline.stages import repeated_ngram

    assert repeated_ngram("it is very very very very good".split(), 3) == "very"
    assert repeated_ngram("it is very very very good".split(), 3) is None
    assert repeated_ngram("and go on go on go on go on".split(), 3) == "go on"
    assert repeated_ngram("and go on go on go on".split(), 3) is None
    assert repeated_ngram("a b c d e f g h".split(), 2) is None


LOOPING_SENTENCE = ("The most important thing to remember about compound interest is that it grows your "
                    "savings faster the earlier you start putting money aside each month of the year.")
NORMAL_LIST = """Here are five uses of vinegar around the house:

1. Clean windows: mix one part vinegar with one part water and wipe with newspaper.
2. Descale a kettle: fill it halfway with vinegar, boil, leave for an hour and rinse.
3. Remove sticker residue: soak a cloth in vinegar and leave it on the label for a few minutes.
4. Freshen a fridge: wipe the shelves with diluted vinegar to remove odours.
5. Soften laundry: add half a cup of vinegar to the rinse cycle instead of fabric softener.

You can use vinegar for each of these, but never mix it with bleach."""
NORMAL_CODE = '''Here is a small stack class with tests:

```python
class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def pop(self):
        return self.items.pop()


def test_push_then_pop_returns_the_same_item():
    stack = Stack()
    stack.push(1)
    assert stack.pop() == 1


def test_push_twice_then_pop_returns_the_last_item():
    stack = Stack()
    stack.push(1)
    stack.push(2)
    assert stack.pop() == 2
```

Each test creates a new stack, so the tests do not depend on each other.'''


def _filter_reason(text: str, **filters) -> str | None:
    import asyncio

    from service.domain.specs import Filters
    from service.pipeline.stages import Candidate, ResponseFilter

    v = asyncio.run(ResponseFilter(Filters(**filters)).check(Candidate(key="k", data={}, text=text)))
    return None if v is None else f"{v.reason}: {v.detail}"


def test_repetition_filter_catches_a_sentence_said_twelve_times() -> None:
    """Issue 18: a 28-word sentence repeated 12 times passed the word/pair check."""
    assert len(LOOPING_SENTENCE.split()) == 28
    text = "Sure. " + " ".join([LOOPING_SENTENCE] * 12)
    reason = _filter_reason(text)
    assert reason is not None and reason.startswith("repetition: sentence"), reason
    # the sentence rule alone allows two copies by default (the n-gram share then catches
    # an answer that is nothing but those two copies)
    twice = "Sure. " + " ".join([LOOPING_SENTENCE] * 2)
    assert _filter_reason(twice, max_repeated_ngram_fraction=1.0) is None
    assert _filter_reason(twice, max_repeated_ngram_fraction=1.0, max_sentence_repeat=1).startswith("repetition: sentence")
    assert _filter_reason(twice).startswith("repetition: ")


def test_repetition_filter_catches_a_long_loop_without_sentence_breaks() -> None:
    loop = "and then we walked back to the old mill by the river where the boats"
    text = "It began quietly " + " ".join([loop] * 6) + " until night came"
    assert _filter_reason(text).startswith("repetition: ")
    from service.pipeline.stages import repeated_ngram_fraction

    words = text.lower().split()
    assert repeated_ngram_fraction(words) > 0.8
    assert _filter_reason(text, max_sentence_repeat=100, max_repeated_ngram_fraction=1.0) is None


def test_repetition_filter_passes_normal_lists_and_code() -> None:
    from service.pipeline.stages import _WORDS, repeated_ngram_fraction

    assert _filter_reason(NORMAL_LIST) is None
    assert _filter_reason(NORMAL_CODE) is None
    assert repeated_ngram_fraction(_WORDS.findall(NORMAL_CODE.lower())) < 0.3
    # the same code block pasted three times is a loop, though
    assert _filter_reason("\n".join([NORMAL_CODE] * 3)).startswith("repetition: ")


def test_wilson_interval_matches_the_formula_and_reads_honestly() -> None:
    from service.domain.review import acceptance, wilson

    low, high = wilson(184, 200)  # 92% of 200
    assert (low, high) == (0.874, 0.9502)  # the interval reads "87% to 95%"
    assert wilson(0, 0) == (None, None)
    assert wilson(10, 10)[1] == 1.0 and wilson(10, 10)[0] == pytest.approx(0.7225, abs=1e-4)
    a = acceptance(3, 4)
    assert a.rate == 0.75 and a.low < 0.75 < a.high


def test_a_dialogue_closing_every_answer_with_the_same_line_is_not_a_loop() -> None:
    import asyncio

    from service.domain.specs import Filters
    from service.pipeline.stages import Candidate, ResponseFilter

    close = "Let me know if you have any other questions about this."
    answers = [f"Answer {i}: the tide rises twice a day because of the moon number {i}. {close}" for i in range(4)]
    msgs = [m for a in answers for m in ({"role": "user", "content": "And then?"}, {"role": "assistant", "content": a})]
    f = ResponseFilter(Filters())
    dialogue = Candidate(key="k", data={"messages": msgs}, text="\n\n".join(answers))
    assert asyncio.run(f.check(dialogue)) is None
    single = Candidate(key="k", data={}, text="\n\n".join(answers))  # one answer saying it four times is a loop
    assert asyncio.run(f.check(single)).reason == "repetition"


@pytest.mark.parametrize("block", [3, 1 << 20])  # lines across block edges, and whole
def test_a_prompt_file_reads_its_prompts_from_disk_as_the_whole_file_would(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr("service.defaults.READ_BLOCK_BYTES", block)
    text = tmp_path / "p.txt"
    text.write_bytes("first prompt\r\n\n  \nsecond, with é\nthird\n\n\nlast, no newline".encode())
    lines = [ln.decode() for ln in text.read_bytes().splitlines() if ln.strip()]
    got = PromptFile(text)
    assert len(got) == 4 and list(got) == lines == [got[i] for i in range(4)]
    assert got[1:3] == lines[1:3] and got[-1] == "last, no newline"
    with pytest.raises(IndexError):
        got[4]
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text('{"prompt": "a"}\n\n{"prompt": "b \\u00e9", "x": 1}\n')
    settings = Settings(prompt_files={"t": str(text), "j": str(jsonl)})
    assert list(load_prompts(None, "j", settings, "params")) == ["a", "b é"]
    assert count_prompts(None, "t", settings, "params") == 4 and count_prompts(["x"], None, settings, "params") == 1


def test_a_bad_prompt_file_line_is_named_at_submit(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a"}\n{"prompt": 3}\n')
    settings = Settings(prompt_files={"bad": str(bad)})
    with pytest.raises(InvalidSpec) as err:
        count_prompts(None, "bad", settings, "params")
    assert err.value.errors[0].field == "params.prompt_file" and "line 2" in err.value.errors[0].message
    with pytest.raises(InvalidSpec):
        count_prompts(None, "missing", settings, "params")

