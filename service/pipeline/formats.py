"""Output formats a job may choose for its records (`format` in the spec).

| format | fields |
|---|---|
| native | what the recipe makes (see its module) |
| openai | `messages`: [{role, content}, ...] |
| sharegpt | `conversations`: [{from: system/human/gpt, value}, ...] |
| alpaca | `instruction`, `input`, `output` (the first exchange of a dialogue) |
| preference | `prompt`, `chosen`, `rejected`, `score_chosen`, `score_rejected` (pairing recipes) |

Outside `native`, the recipe's other fields (persona, system message, scores, parent
ids...) move to `meta.fields`, so every line of a dataset has the same shape.
"""

from __future__ import annotations

from typing import Any, Literal

Format = Literal["native", "openai", "sharegpt", "alpaca", "preference"]
_SHAREGPT_ROLE = {"system": "system", "user": "human", "assistant": "gpt"}
PREFERENCE_FIELDS = ("prompt", "chosen", "rejected", "score_chosen", "score_rejected")


def messages_of(data: dict[str, Any]) -> tuple[list[dict[str, str]], set[str]]:
    """The record as a chat, and which of its keys that consumed."""
    if "messages" in data:
        msgs, used = list(data["messages"]), {"messages", "prompt", "response"}
    elif "instruction" in data:
        user = data["instruction"] + (f"\n\n{data['input']}" if data.get("input") else "")
        msgs = [{"role": "user", "content": user}, {"role": "assistant", "content": data.get("output", "")}]
        used = {"instruction", "input", "output"}
    elif "prompt" in data and ("response" in data or "chosen" in data):
        answer = data.get("response", data.get("chosen"))
        msgs = [{"role": "user", "content": data["prompt"]}, {"role": "assistant", "content": answer}]
        used = {"prompt", "response", "chosen"}
    else:
        raise ValueError("record has no conversation to format")
    system = data.get("system")
    if system and not (msgs and msgs[0]["role"] == "system"):
        msgs = [{"role": "system", "content": system}, *msgs]
        used.add("system")
    return msgs, used


def shape(data: dict[str, Any], fmt: str, meta: dict[str, Any]) -> dict[str, Any]:
    if fmt == "native":
        return data
    if fmt == "preference":
        out = {k: data[k] for k in PREFERENCE_FIELDS if k in data}
        used = set(PREFERENCE_FIELDS)
    else:
        msgs, used = messages_of(data)
        if fmt == "openai":
            out = {"messages": msgs}
        elif fmt == "sharegpt":
            out = {"conversations": [{"from": _SHAREGPT_ROLE[m["role"]], "value": m["content"]} for m in msgs]}
        else:  # alpaca
            if "instruction" in data:
                answer = data.get("output", data.get("response", ""))
                out = {"instruction": data["instruction"], "input": data.get("input", ""), "output": answer}
            else:
                user = next(m["content"] for m in msgs if m["role"] == "user")
                answer = next((m["content"] for m in msgs if m["role"] == "assistant"), "")
                out = {"instruction": user, "input": "", "output": answer}
            used |= {"instruction", "input", "output", "response"}
    rest = {k: v for k, v in data.items() if k not in used}
    if rest:
        meta["fields"] = rest
    return out
