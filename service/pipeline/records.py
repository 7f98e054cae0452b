"""What a record's prompt and response are, in one place.

A candidate's data and a stored record come in the recipes' own fields
(`instruction`/`input`/`output`, `prompt`/`response`, `prompt`/`chosen`, `messages`)
or, once stored, in the job's output format (`messages`, ShareGPT `conversations`,
Alpaca), with a recipe's other fields under `meta.fields`. Stages, the report, the
dedup stage's resume and the recipes' resume read them through these functions.
"""

from __future__ import annotations

from typing import Any

from service.pipeline.formats import messages_of

_SHAREGPT_ROLE = {"system": "system", "human": "user", "gpt": "assistant"}


def prompt_of(data: dict[str, Any]) -> str:
    """The request a candidate's data answers: the instruction (with its input), the
    prompt, or the first user turn; "" when none."""
    if "instruction" in data:
        return data["instruction"] + (f"\n\n{data['input']}" if data.get("input") else "")
    if "prompt" in data:
        return str(data["prompt"])
    for m in data.get("messages", ()):
        if m.get("role") == "user":
            return m.get("content", "")
    return ""


def prompt_and_response(record: dict[str, Any]) -> tuple[str, str]:
    """(first user turn, last assistant turn) of a stored record, whatever its format."""
    data = {k: v for k, v in record.items() if k not in ("id", "meta")}
    if "conversations" in data:
        data = {"messages": [{"role": _SHAREGPT_ROLE.get(m["from"], "user"), "content": m["value"]}
                             for m in data["conversations"]]}
    try:
        msgs, _ = messages_of(data)
    except ValueError:
        return str(data.get("prompt", "")), str(data.get("response", ""))
    user = next((m["content"] for m in msgs if m["role"] == "user"), "")
    answer = next((m["content"] for m in reversed(msgs) if m["role"] == "assistant"), "")
    return user, answer


def field_of(line: dict[str, Any], name: str) -> Any:
    """A recipe field of a committed line (record or reject), whatever format shaped it."""
    if name in line:
        return line[name]
    return (line.get("meta") or {}).get("fields", {}).get(name)
