"""Reasoning models' output: the thinking apart from the answer.

A reasoning model returns its thinking either in its own field (`reasoning_content`,
read by the provider into `Completion.reasoning`) or inline, as a `<think>...</think>`
block before the answer (DeepSeek-R1 distils, Qwen3, SmolLM3 served raw). `split` moves
an inline block into `Completion.reasoning` (RecipeContext does it for every call), so
recipes, filters and verifiers see the answer alone as the text, and records keep the
thinking in their own `reasoning` field. An output whose answer is empty after the
thinking (the token budget spent on thinking) is rejected `empty_answer` by the
filters (and by the verify stage), never kept as a record.
"""

from __future__ import annotations

import re

from service.providers.base import Completion

_THINK = re.compile(r"^\s*<think>(.*?)(?:</think>|$)", re.S)


def split_thinking(text: str) -> tuple[str | None, str]:
    """(thinking, answer) of a text that may open with a <think> block; an unclosed
    block is all thinking (the answer empty)."""
    m = _THINK.match(text)
    if m is None:
        return None, text
    return m.group(1).strip(), text[m.end():].strip()


def split(c: Completion) -> Completion:
    """`c` with an inline <think> block moved to `reasoning`, and its reasoning tokens
    estimated (as its words) when the provider reported none."""
    if c.reasoning is None and "<think>" in c.text[:200]:
        c.reasoning, c.text = split_thinking(c.text)
    if c.reasoning and not c.tokens_reasoning:
        c.tokens_reasoning = len(c.reasoning.split())
    return c


def empty_answer(reasoning: str | None, answer: str) -> bool:
    """True for an output that thought but answered nothing."""
    return bool(reasoning) and not answer.strip()
