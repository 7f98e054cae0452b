"""Magpie (Xu et al. 2024, magpie-align/magpie): instructions written by an aligned model
from its own chat template alone, then answered by the same model.

Algorithm (shared/reference/recipes.md section 7):
1. Instruction: a raw completion of the family's *pre-query template* only (the text a
   chat template puts before a user message: BOS, an optional default system turn, the
   user header). The prompt holds no user text at all; the model writes the user turn.
   Sampling: temperature 1.0, top_p 1.0 (`params.instruction_sampling`). Stop strings:
   the family's special/end-of-turn tokens, "assistant"-like role markers and, with
   `early_stopping` (default, as the original), "\\n": one-line instructions.
2. Clean-up: strip; drop an empty instruction ("empty"), one ending with ":"
   ("trailing_colon"), one cut by max_tokens when `filters.drop_truncated`
   ("truncated"), and an exact duplicate (whitespace-collapsed, case-folded) of an
   instruction already taken in this job ("duplicate", stage "dedup"). Embedding
   near-duplicate removal (the original's gen_dis.py) belongs to the job's dedup stage.
3. Response: the same model by chat, temperature 0, max_tokens 1024 (the job's
   `generator.sampling` overrides these). The record passes the job's filters.
4. Multi-turn (`turns` > 1, gen_mt.py): the next user turn is a raw completion of the
   conversation so far rendered in the family's chat format, under a system message
   telling the model the user asks follow-up questions (`mt_system_prompt`, reworded
   here), ending with the user header of the next turn; the assistant answers by chat
   (without that system message, as gen_mt.py does). Any turn failing clean-up, or an
   intermediate response that is empty or cut by max_tokens, drops the conversation.

Records: {instruction, response, messages, template, turns}. `instruction` and
`response` are the first exchange (the original's fields); `messages` holds every turn
(user/assistant alternating, no system). There is no `output` field: the "alpaca"
output format takes the answer from `response` (formats.shape reads `output`, else
`response`, when `instruction` exists).
Keys are a content hash of the normalized first instruction.

Templates come from the original's configs/model_configs.json, by family (`template`),
detected from the model id when "auto"; `custom_template` serves any other model
(single turn only, since its chat format is unknown). The ChatML/SmolLM family uses
SmolLM2's default system turn, which makes SmolLM2 write clean one-line questions.

Choices where sources differ or are silent:
- max_tokens for instructions is 256 here; gen_ins.py defaults to 512 and the paper
  reports 2048. With early stopping an instruction is one line, so 256 only bounds
  runaway lines; set `instruction_sampling.max_tokens` for the original values.
- Gemma-2's pre-query is "<bos><start_of_turn>user\\n\\n" as in the reference table (the
  config's extract_input has one "\\n"); set `custom_template` for the other.
- Llama-3's stop list uses "<|start_header_id|>" (the config spells it
  "<|starter_header_id|>", which never occurs).
- Each instruction call carries its own sampling seed drawn from the job's seeded RNG,
  so a job with `seed` is reproducible on servers honouring seeds, and servers that
  would reuse one default seed do not return the same instruction every time.
- Not done: n=200 samples per call (one sample per call, the lanes give parallelism),
  the Llama-3.1 ban on "#" as the first token, `--sanitize`, and the tagging/reward
  filters (unitag.py), which are judge-stage work.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.specs import JobSpecBase, Sampling
from service.pipeline.run import RecipeContext, RunOutcome, Slot
from service.pipeline.stages import Candidate, Verdict
from service.providers.base import Completion, ProviderError
from service.recipes.base import Env, Recipe, text_key

INSTRUCTION_SAMPLING: dict[str, Any] = {"temperature": 1.0, "top_p": 1.0, "max_tokens": 256}
RESPONSE_SAMPLING: dict[str, Any] = {"temperature": 0.0, "max_tokens": 1024}

MT_SYSTEM_PROMPT = (
    "You are a helpful AI assistant. The user will talk with you over several rounds: "
    "a first question, then follow-up questions related to it. Answer each one "
    "thoroughly, relevantly and with insight, so the user gets what they need."
)

QWEN25_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
SMOLLM_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


class Family(NamedTuple):
    """A chat-template family: its pre-query template, turn formats and stop strings.

    `system` is None when the format has no system role (the system text then opens
    the first user message). `user_header` opens a user turn in a rendered conversation
    (the original's mt_append_template)."""

    pre_query: str
    bos: str
    system: str | None
    user: str
    assistant: str
    user_header: str
    stop: tuple[str, ...]
    default_system: str | None = None


_LLAMA3_STOP = ("<|eot_id|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "assistant")
_CHATML_STOP = ("<|im_start|>", "<|im_end|>", "<|endoftext|>", "assistant", "Assistant")
_GEMMA_STOP = ("<eos>", "<bos>", "<start_of_turn>", "<end_of_turn>", "assistant")
_PHI3_STOP = ("</s>", "<s>", "<unk>", "<|endoftext|>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>", "assistant")
_MISTRAL_STOP = ("<s>", "</s>", "[INST]", "[/INST]", "assistant")


def _chatml(pre_query: str, default_system: str | None) -> Family:
    return Family(pre_query, "", "<|im_start|>system\n{}<|im_end|>\n", "<|im_start|>user\n{}<|im_end|>\n",
                  "<|im_start|>assistant\n{}<|im_end|>\n", "<|im_start|>user\n", _CHATML_STOP, default_system)


def _gemma(pre_query: str) -> Family:
    return Family(pre_query, "<bos>", None, "<start_of_turn>user\n{}<end_of_turn>\n",
                  "<start_of_turn>model\n{}<end_of_turn>\n", "<start_of_turn>user\n", _GEMMA_STOP)


FAMILIES: dict[str, Family] = {
    "llama-3": Family(
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n", "<|begin_of_text|>",
        "<|start_header_id|>system<|end_header_id|>\n\n{}<|eot_id|>",
        "<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>",
        "<|start_header_id|>assistant<|end_header_id|>\n\n{}<|eot_id|>",
        "<|start_header_id|>user<|end_header_id|>\n\n", _LLAMA3_STOP),
    "qwen2": _chatml("<|im_start|>user\n", None),
    "qwen2.5": _chatml(f"<|im_start|>system\n{QWEN25_SYSTEM}<|im_end|>\n<|im_start|>user\n", QWEN25_SYSTEM),
    "gemma-2": _gemma("<bos><start_of_turn>user\n\n"),
    "gemma-1.1": _gemma("<bos><start_of_turn>user\n"),
    "phi-3": Family("<s> <|user|>\n", "<s>", "<|system|>\n{}<|end|>\n", "<|user|>\n{}<|end|>\n",
                    "<|assistant|>\n{}<|end|>\n", "<|user|>\n", _PHI3_STOP),
    "mistral": Family("<s> [INST] ", "<s>", None, "[INST] {} [/INST]", " {}</s>", "[INST] ", _MISTRAL_STOP),
    "chatml": _chatml(f"<|im_start|>system\n{SMOLLM_SYSTEM}<|im_end|>\n<|im_start|>user\n", SMOLLM_SYSTEM),
}

# Substrings of a lower-cased model id -> family; the first match wins (order matters:
# qwen2.5 before qwen2, gemma-2 before gemma).
DETECT: tuple[tuple[tuple[str, ...], str], ...] = (
    (("llama-3", "llama3"), "llama-3"),
    (("qwen2.5", "qwen-2.5"), "qwen2.5"),
    (("qwen2", "qwen-2"), "qwen2"),
    (("gemma-2", "gemma2"), "gemma-2"),
    (("gemma",), "gemma-1.1"),
    (("phi-3", "phi3"), "phi-3"),
    (("mistral",), "mistral"),
    (("smollm", "chatml"), "chatml"),
)

TemplateName = Literal["auto", "llama-3", "qwen2", "qwen2.5", "gemma-2", "gemma-1.1", "phi-3", "mistral", "chatml"]
StopString = Annotated[str, Meta(min_length=1, max_length=64)]


class MagpieParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Magpie knobs; defaults follow the original code except where the module says."""

    template: TemplateName = "auto"
    custom_template: Annotated[str, Meta(min_length=1, max_length=20_000)] | None = None
    turns: Annotated[int, Meta(ge=1, le=10)] = 1
    early_stopping: bool = True
    stop: Annotated[list[StopString], Meta(max_length=16)] = []
    instruction_sampling: Sampling = msgspec.field(default_factory=Sampling)
    mt_system_prompt: Annotated[str, Meta(max_length=20_000)] = MT_SYSTEM_PROMPT


class MagpieJob(JobSpecBase, tag="magpie", kw_only=True, forbid_unknown_fields=True):
    """A Magpie job: `target` conversations written from the pre-query template."""

    params: MagpieParams = msgspec.field(default_factory=MagpieParams)


def detect_family(model: str) -> str | None:
    low = model.lower()
    for needles, family in DETECT:
        if any(n in low for n in needles):
            return family
    return None


def resolve(p: MagpieParams, model: str) -> tuple[str, Family | None, str]:
    """(template name, family or None for a custom template, pre-query template)."""
    if p.custom_template is not None:
        return "custom", None, p.custom_template
    name = p.template if p.template != "auto" else detect_family(model)
    if name is None:
        raise ValueError(model)
    fam = FAMILIES[name]
    return name, fam, fam.pre_query


def stop_strings(family: Family | None, early_stopping: bool, extra: list[str]) -> list[str]:
    base = list(family.stop) if family is not None else ["assistant"]
    out = base + [s for s in extra if s not in base]
    if early_stopping and "\n" not in out:
        out.append("\n")
    return out


def render(family: Family, system: str | None, messages: list[dict[str, str]]) -> str:
    """The conversation in the family's chat format, ending with the next user header."""
    parts = [family.bos]
    msgs = [dict(m) for m in messages]
    if system:
        if family.system is not None:
            parts.append(family.system.format(system))
        elif msgs:
            msgs[0]["content"] = f"{system}\n\n{msgs[0]['content']}"
    for m in msgs:
        parts.append((family.user if m["role"] == "user" else family.assistant).format(m["content"]))
    parts.append(family.user_header)
    return "".join(parts)


def normalize(text: str) -> str:
    return " ".join(text.split()).casefold()


def clean_instruction(text: str) -> tuple[str, str | None]:
    """(stripped instruction, reject reason or None)."""
    inst = text.strip()
    if not inst:
        return inst, "empty"
    if inst.endswith(":"):
        return inst, "trailing_colon"
    return inst, None


class Magpie(Recipe[MagpieJob]):
    name = "magpie"
    summary = "Instructions written by the model from its pre-query chat template alone, then answered (Magpie)."
    Spec = MagpieJob
    mixes_not = ("the pre-query template belongs to one model family and the same model answers; "
                 "run one job per generator")
    raw_completion = "always"
    shared_state = ("the instructions taken so far (the exact-duplicate check): the job's shared set 'taken'",)

    def validate(self, spec: MagpieJob, env: Env) -> int:
        p = spec.params
        if spec.target is None:
            raise invalid("target", "target is required for magpie")
        if p.custom_template is not None and p.template != "auto":
            raise invalid("params.custom_template", "give params.template or params.custom_template, not both")
        if p.custom_template is not None and p.turns > 1:
            raise invalid("params.turns", "multi-turn needs a named params.template: a custom template "
                          "does not say how to render the conversation so far", p.turns)
        model = spec.generator.model or env.providers.default_model(spec.generator.provider)
        try:
            resolve(p, model)
        except ValueError:
            raise invalid("params.template", f"cannot tell the chat template family of model {model!r}; set "
                          f"params.template to one of {sorted(FAMILIES)} or give params.custom_template",
                          p.template) from None
        return spec.target

    async def run(self, ctx: RecipeContext[MagpieJob]) -> RunOutcome:
        spec = ctx.spec
        p = spec.params
        gen = ctx.generator
        name, family, pre_query = resolve(p, gen.model)
        ins_params = p.instruction_sampling.over(INSTRUCTION_SAMPLING) | {
            "stop": stop_strings(family, p.early_stopping, p.stop)}
        resp_params = ctx.sampling(RESPONSE_SAMPLING)
        record_sampling = {**resp_params, "instruction_sampling": ins_params}
        drop_truncated = spec.filters.drop_truncated
        mt_system = p.mt_system_prompt or (family.default_system if family else None)
        taken = ctx.shared_set("taken")  # every shard's instructions, normalised

        async def write_user_turn(prompt: str) -> Completion:
            params = ins_params if "seed" in ins_params else ins_params | {"seed": ctx.rng.randrange(2**31)}
            return await gen.complete(prompt, params)

        async def converse(slot: Slot, key: str, instruction: str) -> None:
            messages = [{"role": "user", "content": instruction}]
            data: dict[str, Any] = {"instruction": instruction, "template": name, "turns": p.turns}
            answers: list[Completion] = []
            for turn in range(1, p.turns + 1):
                if turn > 1:
                    assert family is not None
                    c = await write_user_turn(render(family, mt_system, messages))
                    follow_up, why = clean_instruction(c.text)
                    if why is None and drop_truncated and c.finish_reason == "length":
                        why = "truncated"
                    if why:
                        await slot.reject(key, Verdict("instruction", why, f"user turn {turn}"),
                                          data | {"messages": messages, "follow_up": follow_up})
                        return
                    messages.append({"role": "user", "content": follow_up})
                a = await gen.chat(messages, resp_params)
                answers.append(a)
                messages.append({"role": "assistant", "content": a.text})
                if turn < p.turns:
                    why = "empty" if not a.text.strip() else (
                        "truncated" if drop_truncated and a.finish_reason == "length" else None)
                    if why:
                        await slot.reject(key, Verdict("filter", why, f"response to turn {turn}"),
                                          data | {"messages": messages})
                        return
            first = answers[0].text
            data |= {"response": first, "messages": messages}
            cut = any(a.finish_reason == "length" for a in answers)
            # served: the last assistant turn's call (the instruction calls are the same model)
            await slot.offer(Candidate(
                key=key, data=data, text="\n\n".join(a.text for a in answers),
                finish_reason="length" if cut else answers[-1].finish_reason, sampling=record_sampling,
                served=answers[-1].served(),
            ))

        async def lane() -> None:
            # The slot is taken before the instruction is written, so the job stops
            # sampling as soon as kept + in-flight covers the target.
            while not ctx.stopped and ctx.budget_left() and (slot := await ctx.slot()) is not None:
                async with slot:
                    try:
                        c = await write_user_turn(pre_query)
                    except ProviderError:
                        continue
                    inst, why = clean_instruction(c.text)
                    if why is None and drop_truncated and c.finish_reason == "length":
                        why = "truncated"
                    if why:
                        await slot.reject(text_key("x", inst), Verdict("instruction", why),
                                          {"instruction": inst, "template": name})
                        continue
                    norm = normalize(inst)
                    key = text_key("i", norm)
                    if ctx.is_done(key) or not await taken.add(norm):
                        await slot.reject(text_key("d", norm),
                                          Verdict("dedup", "duplicate", "same instruction as an earlier item"),
                                          {"instruction": inst, "template": name})
                        continue
                    try:
                        await converse(slot, key, inst)
                    except ProviderError as exc:
                        if not slot.settled:
                            await slot.reject(key, Verdict.from_error("generate", "provider_error", exc),
                                              {"instruction": inst, "template": name})

        return await ctx.fill(lane)


RECIPE = Magpie()
