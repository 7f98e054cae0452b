"""The fake provider's format-following mode: replies shaped the way each recipe's
prompts ask, so every documented example yields records without a model.

`reply(prompt, last_user, variety)` recognises a recipe's prompt by the fixed text the
recipe sends (the Self-Instruct list header, Alpaca's "List of 20 tasks", the
Evol-Instruct markers, the judges' "Score:" and "Rating:" formats, PersonaHub's
"begin your reply with", UltraChat's subtopic list, the reasoning recipe's \boxed{}
instruction...) and answers in that format: numbered task lists, instances, `Rating:`
blocks, a closing `Score: N`, the template prefix, the arithmetic asked in a \boxed{}. Anything else gets None, and the server falls back to its default reply.

Content is filler drawn from a vocabulary by a hash of the prompt and `variety` (the
server passes the request's sampling seed, or its reply counter when there is none),
so repeated identical prompts get different answers, as a sampling model gives:
Magpie's template-only prompts and Self-Rewarding's N samples of one prompt need that.
Scores and ratings are a hash of the text judged, so the same response gets the same
score, and different responses mostly differ (preference pairs form).

What it is not: a model. Texts are grammatical only in their frame; the point is
that every parser, filter and record shape of a recipe is exercised end to end
(tests/test_docs_examples.py runs every example of docs/recipes.md against it).
Turn it on with `{"follow_formats": true}` on /_control/config or
`synthgen fake-provider --follow-formats`.
"""

from __future__ import annotations

import hashlib
import re
from typing import Callable

# Content words only: none is on the Self-Instruct/Alpaca blacklists, none is a
# refusal phrase or a stop word, so generated tasks pass the recipes' filters.
VOCABULARY = (
    "river garden budget recipe harbor lantern meadow orbit canyon glacier market ledger "
    "violin compass tunnel bridge festival archive quarry orchard beacon engine kernel "
    "pottery timber saddle ferry harvest castle pepper marble thunder velvet falcon "
    "copper bakery cinema library museum glacier pyramid nebula island desert forest "
    "village tractor bicycle rocket satellite volcano harbor carpet window ladder "
    "teacher farmer pilot nurse sailor painter doctor lawyer student chemist athlete "
    "summarize compare explain classify translate rewrite estimate outline predict "
    "evaluate describe recommend schedule organize negotiate calculate justify "
    "ancient modern rural coastal northern quiet rapid fragile durable seasonal "
    "urban tropical wooden electric local global annual weekly careful curious"
).split()
VERBS = ("Summarize", "Compare", "Explain", "Classify", "Rewrite", "Estimate", "Outline", "Predict",
         "Evaluate", "Describe", "Recommend", "Plan", "Organize", "Suggest", "List", "Identify")

_NEXT_NUMBER = re.compile(r"(\d+)\.\s*$")
_ALPACA_NEXT = re.compile(r"(\d+)\.\s*Instruction:\s*$")
_BEGIN_WITH = re.compile(r'begin your reply with "([^"]+:)"', re.I)
_SUBTOPICS = re.compile(r"List (\d+) specific subtopics within the broad area")
_RESPONSE = re.compile(r"<response>(.*?)</response>", re.S)
_TEXT_LINE = re.compile(r"^<text (\d+)> (.*)$", re.M)


def _stream(*parts: str) -> "Words":
    return Words("\x00".join(parts))


class Words:
    """An endless, deterministic stream of vocabulary words seeded by a text."""

    def __init__(self, seed: str):
        self._block = seed.encode("utf-8", "replace")
        self._buf: list[int] = []

    def index(self, n: int) -> int:
        if not self._buf:
            self._block = hashlib.blake2b(self._block, digest_size=32).digest()
            self._buf = list(self._block)
        return self._buf.pop() % n

    def words(self, n: int) -> str:
        return " ".join(VOCABULARY[self.index(len(VOCABULARY))] for _ in range(n))

    def task(self) -> str:
        return f"{VERBS[self.index(len(VERBS))]} the {self.words(6 + self.index(4))} for a {self.words(2)} audience."

    def sentence(self, n: int = 12) -> str:
        text = self.words(n)
        return text[0].upper() + text[1:] + "."


def score(text: str, low: int, high: int) -> int:
    """A whole score in low..high, a function of the judged text only."""
    return low + hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=2).digest()[0] % (high - low + 1)


def reply(prompt: str, last_user: str, variety: str) -> str | None:
    """The reply in the format `prompt` asks for, or None when no recipe format is recognised."""
    w = _stream(prompt, variety)
    if "## Annotation" in prompt and "Rating:" in prompt:  # UltraFeedback's judge, one aspect
        texts = _TEXT_LINE.findall(prompt.rpartition("## Annotation")[2])
        return "\n\n".join(f"Rating: {score(t, 1, 5)}\nRationale: The text {w.words(6)}." for _, t in texts)
    if prompt.rstrip().endswith("Judgement:"):  # Evol-Instruct's equality check
        return "Not Equal"
    if re.search(r"#(Rewritten|Created) Prompt#:\s*$", prompt):  # Evol-Instruct's evolution
        return w.task()
    if "Score:" in prompt and ("<response>" in prompt or "{response}" not in prompt):  # additive judge
        judged = _RESPONSE.findall(prompt)
        return f"The response {w.words(8)}.\nScore: {score(judged[-1] if judged else prompt, 1, 5)}"
    if "List of 20 tasks:" in prompt and (m := _ALPACA_NEXT.search(prompt)):  # Alpaca
        first = int(m.group(1))
        blocks = []
        for i in range(first, min(first + 3, 20)):
            head = "" if i == first else f"{i}. Instruction: "
            blocks.append(f"{head}{w.task()}\n{i}. Input:\n<noinput>\n{i}. Output:\n{w.sentence(20)}\n")
        return " " + "###\n".join(blocks)
    if prompt.startswith("Come up with a list of"):  # Self-Instruct's bootstrap
        chat = "Continue this list" in prompt
        m = _NEXT_NUMBER.search(prompt) if not chat else re.search(r"numbered from (\d+)", prompt)
        n = int(m.group(1)) if m else 9
        tasks = [f"{i}. {w.task()}" for i in range(n, min(n + 3, 16))]
        return "\n".join(tasks) if chat else " " + "\n".join(tasks)[len(f"{n}. "):]
    if prompt.rstrip().endswith("Is it classification?"):  # Self-Instruct's classifier
        return " No"
    if prompt.endswith("Example 1\n"):  # Self-Instruct's input-first instances
        return "\n\n".join(f"Example {i}\nInput: {w.sentence(8)}\nOutput: {w.sentence(14)}" for i in (1, 2)) \
            .removeprefix("Example 1\n")
    if prompt.endswith("Class label:"):  # Self-Instruct's output-first instances
        return " Positive\nInput: " + w.sentence(10) + "\n\nClass label: Negative\nInput: " + w.sentence(10)
    if m := _SUBTOPICS.search(last_user):  # UltraChat's subtopic list
        return "\n".join(f"{w.words(2)} {w.words(1)}" for _ in range(int(m.group(1))))
    if m := _BEGIN_WITH.search(last_user):  # PersonaHub's synthesis templates
        return f"{m.group(1)} {w.task()} {w.sentence(20)}"
    if "Reply with the persona description only" in last_user or "new persona's description only" in last_user:
        return f"A {w.words(1)} {w.words(1)} who {w.words(8)} and {w.words(5)}."
    if "\\boxed{}" in last_user:  # the reasoning recipe's answer instruction: do the arithmetic asked
        value = arithmetic(last_user)
        return f"{w.sentence(10)} So the answer is \\boxed{{{value if value is not None else 0}}}."
    return None


_EXPRESSION = re.compile(r"([-+*/^()\d.\s]*\d[-+*/^()\d.\s]*)\?")


def arithmetic(text: str) -> str | None:
    """The value of the first arithmetic question in `text` ("What is 17 * 23?" -> "391"),
    evaluated on the syntax tree (numbers and + - * / ^ only), or None."""
    import ast
    import operator

    ops: dict[type, Callable[..., float]] = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow, ast.USub: operator.neg}

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            if isinstance(node.op, ast.Pow) and abs(ev(node.right)) > 64:
                raise ValueError("exponent too large")
            return ops[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in ops:
            return ops[type(node.op)](ev(node.operand))
        raise ValueError("not arithmetic")

    m = _EXPRESSION.search(text)
    if m is None:
        return None
    try:
        value = ev(ast.parse(m.group(1).strip().replace("^", "**"), mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError):
        return None
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
