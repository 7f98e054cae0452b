"""Stages a candidate record passes before it is kept, in the design's order:
filters -> judge -> dedup -> decontamination. Each is optional per job but the filters.

A stage is anything with a `name` and `async check(candidate) -> Verdict | None`:
None passes the candidate on (a stage may annotate it: scores, nearest neighbour),
a Verdict rejects it with that stage and reason. Stages that gain from batching
(embedding dedup) gather the candidates offered concurrently into one call.

A stage kind is one module plus one line:
- the module (service/pipeline/<kind>.py; judge.py is the model) holds the kind's spec,
  a `StageSpec` subclass with the job-spec fields, `check(env)` for what msgspec cannot
  check (raising InvalidSpec naming the field) and `build(ctx)` returning the stage;
  and the stage class itself;
- the line is the spec's field on `JobSpecBase` (service/domain/specs.py, which
  imports the spec class): a field's position is the stage's place in the order, and
  `JobSpecBase.stage_specs()` finds every StageSpec field, so nothing else lists stages.
Decoding a job spec imports every stage module, in the API too: keep their top-level
imports light (msgspec, service.domain, this module) and import heavy libraries
(numpy, datasketch, vector indexes, model clients) where the stage is built or run.
tests/test_registries.py checks both: every kind documented in docs/quality.md, and
decoding a spec with every stage importing none of the heavy modules.

This module holds the contract (Candidate, Verdict, Stage, StageSpec) and the always-on
filters stage (its spec `Filters` and `ResponseFilter`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import msgspec
from msgspec import Meta

from service import defaults
from service.domain.errors import invalid
from service.domain.spec_parts import GeneratorRef
from service.pipeline.records import prompt_of

if TYPE_CHECKING:
    from service.domain.specs import JobSpecBase


class Candidate(msgspec.Struct):
    """What a recipe proposes: its data, the text stages should judge, how it was made."""

    key: str
    data: dict[str, Any]
    text: str
    finish_reason: str | None = None
    sampling: dict[str, Any] | None = None
    # the model identity the provider reported for the answer (Completion.served()):
    # stored in meta["served"] so the report can show a silent model update
    served: dict[str, str] | None = None
    # provider/model/licence of what made it, when not the job's main generator
    provenance: dict[str, Any] | None = None
    # the request the text answers (instruction, question); derived from data when None
    prompt: str | None = None
    # what stages learned about it (judge score, nearest neighbour), stored in meta
    annotations: dict[str, Any] = {}

    def prompt_text(self) -> str:
        return self.prompt if self.prompt is not None else prompt_of(self.data)

    def texts(self, field: str) -> list[str]:
        if field == "prompt":
            return [self.prompt_text()]
        if field == "response":
            return [self.text]
        return [self.prompt_text(), self.text]


def error_detail(exc: BaseException) -> str:
    """An exception's message as a reject's detail: cut to what a reject line should hold."""
    return str(exc)[:500]


class Verdict(msgspec.Struct):
    """Why a stage (or a recipe step) rejected a candidate: `stage`, a short `reason`
    code the job's counters are keyed by, and a free-text `detail`."""

    stage: str
    reason: str
    detail: str | None = None

    @classmethod
    def from_error(cls, stage: str, reason: str, exc: BaseException) -> "Verdict":
        """A reject caused by an exception, its message cut to a size a reject line holds."""
        return cls(stage, reason, error_detail(exc))


class Stage(Protocol):
    name: str

    async def check(self, c: Candidate) -> Verdict | None: ...


class StageSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The spec of one stage kind (a JobSpecBase field): it checks itself and builds
    its stage."""

    def check(self, env: Any) -> None:
        """Raise InvalidSpec for what cannot run here (env: providers and settings)."""

    def generators(self) -> list[tuple[str, GeneratorRef]]:
        """The generators this stage calls, by spec field: checked like the job's own
        (configured, licence not refused) before the stage's `check`."""
        return []

    def build(self, ctx: Any) -> Stage:
        """The stage, for one job run (`ctx`: the run's RecipeContext)."""
        raise NotImplementedError


class Filters(StageSpec, kw_only=True, forbid_unknown_fields=True):
    """Quality filters on the text a recipe proposes, before a record is kept."""

    min_words: Annotated[int, Meta(ge=0)] = 1
    max_words: Annotated[int, Meta(ge=1)] = 4000
    min_chars: Annotated[int, Meta(ge=0)] = 0
    max_chars: Annotated[int, Meta(ge=1)] = 100_000
    drop_truncated: bool = True
    drop_refusals: bool = True
    refusal_phrases: Annotated[list[Annotated[str, Meta(min_length=2, max_length=defaults.MAX_PHRASE_CHARS)]],
                               Meta(max_length=defaults.MAX_PHRASES)] = []
    languages: Annotated[
        list[Annotated[str, Meta(pattern="^[a-z]{2}$", max_length=2)]],
        Meta(max_length=defaults.MAX_NAMES_LISTED,
             description="ISO 639-1 codes to keep (e.g. ['en']); empty keeps any language."),
    ] = []
    max_char_run: Annotated[int, Meta(ge=2, description="A character repeated more times in a row is garbage.")] = 20
    max_word_repeat: Annotated[
        int, Meta(ge=2, description="A word or 2-gram repeated more times in a row is a generation loop.")
    ] = 8
    max_sentence_repeat: Annotated[int, Meta(ge=1, description=(
        "A sentence of 6+ words (outside code blocks) appearing more times than this is a loop."))] = 2
    max_repeated_ngram_fraction: Annotated[float, Meta(gt=0, le=1, description=(
        "Reject when more than this share of the words lies in 10-word sequences that occur twice or more "
        "(a long loop); 1 turns the check off."))] = 0.3

    def check(self, env: Any) -> None:
        if self.min_words > self.max_words:
            raise invalid("filters.min_words", "min_words exceeds max_words", self.min_words)

    def build(self, ctx: Any) -> Stage:
        return ResponseFilter(self)


# Case-insensitive phrases that mark a refusal or a generator artefact (public SDG
# pipelines: ShareGPT unfiltered, h2o change_approved); one hit rejects the record.
REFUSAL_PHRASES = (
    "as an ai language model",
    "as a language model",
    "text-based ai language model",
    "i'm sorry, but",
    "i am sorry, but",
    "i cannot fulfill",
    "i can't fulfill",
    "i cannot assist",
    "i can't assist",
    "i'm unable to",
    "i am unable to",
    "i cannot provide",
    "as an ai assistant",
)


def refusal_pattern(filters: Filters) -> re.Pattern[str] | None:
    """The job's refusal phrases (built-in plus `filters.refusal_phrases`) as one
    pattern over lowercased text; None when `filters.drop_refusals` is off."""
    if not filters.drop_refusals:
        return None
    phrases = REFUSAL_PHRASES + tuple(p.lower() for p in filters.refusal_phrases)
    return re.compile("|".join(re.escape(p) for p in phrases))


_WORDS = re.compile(r"\w+")


def repeated_ngram(words: list[str], n: int) -> str | None:
    """A word or 2-gram that repeats more than `n` times in a row ("very very very",
    "go on go on go on"), in one linear pass (a backreference regex took 0.4 ms on a
    300-word reply)."""
    run = 0
    for i in range(1, len(words)):
        run = run + 1 if words[i] == words[i - 1] else 0
        if run >= n:
            return words[i]
    run = 0
    for i in range(2, len(words)):
        run = run + 1 if words[i] == words[i - 2] and words[i] != words[i - 1] else 0
        if run >= 2 * n:
            return f"{words[i - 1]} {words[i]}"
    return None


# Repetition beyond a word or pair in a row: a sentence said again and again, or a long
# stretch that loops. Sentences shorter than SENTENCE_MIN_WORDS ("Yes.", "Step 2.", a
# short code line) legitimately repeat, so they are not counted; fenced code is left to
# the n-gram check, where boilerplate shorter than LOOP_NGRAM words cannot add up.
SENTENCE_MIN_WORDS = 6
LOOP_NGRAM = 10
_FENCE = re.compile(r"```.*?(?:```|$)", re.S)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def repeated_sentence(text: str, limit: int) -> tuple[str, int] | None:
    """The first sentence (6+ words) that occurs more than `limit` times, and its count."""
    counts: dict[tuple[str, ...], int] = {}
    for sentence in _SENTENCE_END.split(_FENCE.sub("\n", text)):
        words = tuple(_WORDS.findall(sentence.lower()))
        if len(words) >= SENTENCE_MIN_WORDS:
            n = counts[words] = counts.get(words, 0) + 1
            if n > limit:
                return " ".join(words), n
    return None


def repeated_ngram_fraction(words: list[str], n: int = LOOP_NGRAM) -> float:
    """Share of the words covered by n-grams that occur at least twice (Gopher's
    duplicate n-gram fraction, by words), in linear time."""
    if len(words) < 2 * n:
        return 0.0
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    seen: dict[tuple[str, ...], int] = {}
    for g in grams:
        seen[g] = seen.get(g, 0) + 1
    covered, reach = 0, 0
    for i, g in enumerate(grams):
        if seen[g] > 1:
            end = i + n
            covered += end - max(i, reach)
            reach = end
    return covered / len(words)


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language (py3langid, a small n-gram model)."""
    import py3langid

    return py3langid.classify(text)[0]


class ResponseFilter:
    """Empty, truncated, too short/long, refusal, wrong-language and garbage text.

    Stateless, so multi-turn recipes also call `verdict()` on each turn as it arrives."""

    name = "filter"

    def __init__(self, filters: Filters):
        self.f = filters
        self._refusal = refusal_pattern(filters)
        self._char_run = re.compile(r"(.)\1{%d,}" % filters.max_char_run, re.S)

    async def check(self, c: Candidate) -> Verdict | None:
        # A dialogue's turns were each checked for loops as they arrived; across turns, an
        # assistant that closes every answer with the same line is not a generation loop.
        turns = sum(1 for m in c.data.get("messages", ()) if m.get("role") == "assistant")
        if c.data.get("reasoning") and not c.text.strip():
            return Verdict(self.name, "empty_answer", "no answer after the thinking (its token budget spent thinking?)")
        return self.verdict(c.text, c.finish_reason, across_turns=turns > 1)

    def verdict(self, raw: str, finish_reason: str | None = None, across_turns: bool = False) -> Verdict | None:
        f = self.f
        text = raw.strip()
        if not text:
            return Verdict(self.name, "empty")
        if f.drop_truncated and finish_reason == "length":
            return Verdict(self.name, "truncated", "the provider stopped at max_tokens")
        n_words = len(text.split())
        if n_words < f.min_words or len(text) < f.min_chars:
            return Verdict(self.name, "too_short", f"{n_words} words, {len(text)} chars")
        if n_words > f.max_words or len(text) > f.max_chars:
            return Verdict(self.name, "too_long", f"{n_words} words, {len(text)} chars")
        if self._refusal is not None:
            m = self._refusal.search(text.lower())
            if m:
                return Verdict(self.name, "refusal", m.group(0))
        m = self._char_run.search(text)
        if m:
            return Verdict(self.name, "garbage", f"{m.group(1)!r} repeated {len(m.group(0))} times")
        words = _WORDS.findall(text.lower())
        loop = repeated_ngram(words, f.max_word_repeat)
        if loop:
            return Verdict(self.name, "repetition", f"{loop!r} repeated")
        again = None if across_turns else repeated_sentence(text, f.max_sentence_repeat)
        if again:
            return Verdict(self.name, "repetition", f"sentence {again[0][:80]!r} said {again[1]} times")
        if f.max_repeated_ngram_fraction < 1 and not across_turns:
            share = repeated_ngram_fraction(words)
            if share > f.max_repeated_ngram_fraction:
                return Verdict(self.name, "repetition", f"{share:.0%} of the words are in repeated {LOOP_NGRAM}-word runs")
        if f.languages:
            lang = detect_language(text)
            if lang not in f.languages:
                return Verdict(self.name, "language", lang)
        return None


def build_stages(spec: JobSpecBase, run: Any) -> list[Stage]:
    """The job's stages in order; optional ones only when the spec asks for them."""
    return [s.build(run) for s in spec.stage_specs()]
