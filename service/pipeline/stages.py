"""Stages a candidate record passes before it is kept.

A stage looks at a candidate and returns a `Verdict` to reject it, or None to pass it
on. The default pipeline is the response filter below; later stages (judge, dedup,
decontamination) implement the same protocol and are appended per job.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import msgspec

from service.domain.specs import Filters


class Candidate(msgspec.Struct):
    """What a recipe proposes: its data, the text stages should judge, how it was made."""

    key: str
    data: dict[str, Any]
    text: str
    finish_reason: str | None = None
    sampling: dict[str, Any] | None = None
    # provider/model/licence of what made it, when not the job's main generator
    provenance: dict[str, Any] | None = None


class Verdict(msgspec.Struct):
    stage: str
    reason: str
    detail: str | None = None


class Stage(Protocol):
    name: str

    def check(self, c: Candidate) -> Verdict | None: ...


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


class ResponseFilter:
    """Empty, truncated, too short/long and refusal responses (per-job `filters`)."""

    name = "filter"

    def __init__(self, filters: Filters):
        self.f = filters
        phrases = REFUSAL_PHRASES + tuple(p.lower() for p in filters.refusal_phrases)
        self._refusal = re.compile("|".join(re.escape(p) for p in phrases)) if filters.drop_refusals else None

    def check(self, c: Candidate) -> Verdict | None:
        text = c.text.strip()
        if not text:
            return Verdict(self.name, "empty")
        if self.f.drop_truncated and c.finish_reason == "length":
            return Verdict(self.name, "truncated", "the provider stopped at max_tokens")
        words = len(text.split())
        if words < self.f.min_words:
            return Verdict(self.name, "length", f"{words} words < min_words {self.f.min_words}")
        if words > self.f.max_words:
            return Verdict(self.name, "length", f"{words} words > max_words {self.f.max_words}")
        if self._refusal is not None:
            m = self._refusal.search(text.lower())
            if m:
                return Verdict(self.name, "refusal", m.group(0))
        return None


def default_stages(filters: Filters) -> list[Stage]:
    return [ResponseFilter(filters)]
