from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.verdict_verdict import VerdictVerdict
from ..types import UNSET, Unset

T = TypeVar("T", bound="Verdict")


@_attrs_define
class Verdict:
    """A reviewer's decision on one sampled record.

    Attributes:
        reviewer (str): Who decided (free text until signed review links exist)
        verdict (VerdictVerdict): accept/reject for answers and dialogues; right/order_wrong/tie/both_bad for preference
            pairs
        note (str | Unset):  Default: ''.
        reasons (list[str] | Unset): From the sample's reason list; at least one for reject and both_bad
    """

    reviewer: str
    verdict: VerdictVerdict
    note: str | Unset = ""
    reasons: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        reviewer = self.reviewer

        verdict = self.verdict.value

        note = self.note

        reasons: list[str] | Unset = UNSET
        if not isinstance(self.reasons, Unset):
            reasons = self.reasons

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "reviewer": reviewer,
                "verdict": verdict,
            }
        )
        if note is not UNSET:
            field_dict["note"] = note
        if reasons is not UNSET:
            field_dict["reasons"] = reasons

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        reviewer = d.pop("reviewer")

        verdict = VerdictVerdict(d.pop("verdict"))

        note = d.pop("note", UNSET)

        reasons = cast(list[str], d.pop("reasons", UNSET))

        verdict = cls(
            reviewer=reviewer,
            verdict=verdict,
            note=note,
            reasons=reasons,
        )

        return verdict
