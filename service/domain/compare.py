"""Two jobs' reports side by side, for the quality-drift case: the same spec run again
after the provider shipped a new model version (or after a spec change).

`compare(a, b)` keeps both reports whole and adds what changed: each headline figure
as (a, b, relative change), the reject mix as shares of each job's stored rejects, and
the model identity each job's answers reported (`model` + `system_fingerprint` per
generator). `flags` says in a few words what crossed a threshold, e.g. "model
fingerprint changed", "mean response length -23%": the thresholds are COMPARE_* in
service/defaults.py.
"""

from __future__ import annotations

from typing import Callable

import msgspec

from service import defaults
from service.domain.report import JobReport


class Delta(msgspec.Struct):
    """One figure of both jobs; `change` is b relative to a (b / a - 1), None when a is 0 or missing."""

    a: float | None
    b: float | None
    change: float | None


class Share(msgspec.Struct):
    """A reject reason's share of each job's attempts (kept records plus rejects)."""

    a: float
    b: float


class ModelIdentity(msgspec.Struct):
    """The identities each job's answers reported ("model" or "model@fingerprint")."""

    a: list[str]
    b: list[str]
    changed: bool


class JobComparison(msgspec.Struct):
    a: JobReport
    b: JobReport
    differences: dict[str, Delta]
    reject_mix: dict[str, Share]
    model_identity: ModelIdentity
    # short human-readable notes on what changed beyond its threshold
    flags: list[str]
    object: str = "job.comparison"


def _ident(rep: JobReport) -> list[str]:
    out = set()
    for served in rep.served_models.values():
        for s in served:
            out.add(f"{s.model}@{s.system_fingerprint}" if s.system_fingerprint else s.model)
    return sorted(out)


def _fingerprints(rep: JobReport) -> set[str]:
    return {s.system_fingerprint for v in rep.served_models.values() for s in v if s.system_fingerprint}


def _models(rep: JobReport) -> set[str]:
    return {s.model for v in rep.served_models.values() for s in v}


def _yield(rep: JobReport) -> float | None:
    seen = rep.records + rep.rejects
    return rep.records / seen if seen else None


# The figures compared: a dotted path into the report, or one COMPUTED from it ->
# (how a flag names it, relative change (True) or absolute points (False))
FIGURES: dict[str, tuple[str, bool]] = {
    "response_words.mean": ("mean response length", True),
    "response_words.p50": ("median response length", True),
    "prompt_words.mean": ("mean prompt length", True),
    "response_diversity.distinct_1": ("response distinct-1", True),
    "response_diversity.distinct_2": ("response distinct-2", True),
    "prompt_diversity.distinct_2": ("prompt distinct-2", True),
    "judge_scores.mean": ("mean judge score", True),
    "nearest_similarity.mean": ("mean nearest-neighbour similarity", True),
    "duplicate_rate": ("duplicate rate", False),
    "truncation_rate": ("truncation rate", False),
    "refusal_rate": ("refusal rate", False),
    "parse_failure_rate": ("parse-failure rate", False),
    "yield": ("yield", False),
    "cost.per_kept_record_usd": ("cost per record", True),
}
COMPUTED: dict[str, Callable[[JobReport], float | None]] = {"yield": _yield}


def _figure(rep: JobReport, name: str) -> float | None:
    if name in COMPUTED:
        return COMPUTED[name](rep)
    value: object = rep
    for part in name.split("."):  # a part that is missing (no judge, no cost) is no figure
        value = getattr(value, part, None)
        if value is None:
            return None
    assert isinstance(value, (int, float)), name
    return value


def _delta(a: float | None, b: float | None) -> Delta:
    change = round(b / a - 1, 4) if a and b is not None else None
    return Delta(a=a, b=b, change=change)


def compare(a: JobReport, b: JobReport) -> JobComparison:
    flags: list[str] = []
    ia, ib = _ident(a), _ident(b)
    changed = bool(ia and ib and ia != ib)
    if changed:
        if _models(a) != _models(b):
            flags.append(f"model changed ({', '.join(sorted(_models(a)))} -> {', '.join(sorted(_models(b)))})")
        if _fingerprints(a) != _fingerprints(b):
            flags.append("model fingerprint changed")
    if any(len(v) > 1 for v in b.served_models.values()) and not changed:
        flags.append("job b's answers came from more than one model version")
    diffs: dict[str, Delta] = {}
    for name, (label, relative) in FIGURES.items():
        va, vb = _figure(a, name), _figure(b, name)
        if va is None and vb is None:
            continue
        d = diffs[name] = _delta(va, vb)
        if va is None or vb is None:
            continue
        if relative and d.change is not None and abs(d.change) >= defaults.COMPARE_FLAG_RELATIVE:
            flags.append(f"{label} {d.change * 100:+.0f}%")
        elif not relative and abs(vb - va) >= defaults.COMPARE_FLAG_POINTS:
            flags.append(f"{label} {va * 100:.1f}% -> {vb * 100:.1f}%")
    mix: dict[str, Share] = {}
    # attempts: every kept record and every reject counted (rejected_by_reason counts attempts)
    seen_a = max(1, a.records + sum(a.rejected_by_reason.values()))
    seen_b = max(1, b.records + sum(b.rejected_by_reason.values()))
    for reason in sorted(set(a.rejected_by_reason) | set(b.rejected_by_reason)):
        mix[reason] = Share(a=round(a.rejected_by_reason.get(reason, 0) / seen_a, 4),
                            b=round(b.rejected_by_reason.get(reason, 0) / seen_b, 4))
    return JobComparison(a=a, b=b, differences=diffs, reject_mix=mix,
                         model_identity=ModelIdentity(a=ia, b=ib, changed=changed), flags=flags)
