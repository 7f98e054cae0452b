from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="StoredVerdict")


@_attrs_define
class StoredVerdict:
    """
    Attributes:
        accepted (bool):
        at (str):
        note (str):
        reasons (list[str]):
        record_id (str):
        reviewer (str):
        verdict (str):
        generator (str | Unset):  Default: ''.
        object_ (str | Unset):  Default: 'spotcheck.verdict'.
    """

    accepted: bool
    at: str
    note: str
    reasons: list[str]
    record_id: str
    reviewer: str
    verdict: str
    generator: str | Unset = ""
    object_: str | Unset = "spotcheck.verdict"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        accepted = self.accepted

        at = self.at

        note = self.note

        reasons = self.reasons

        record_id = self.record_id

        reviewer = self.reviewer

        verdict = self.verdict

        generator = self.generator

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "accepted": accepted,
                "at": at,
                "note": note,
                "reasons": reasons,
                "record_id": record_id,
                "reviewer": reviewer,
                "verdict": verdict,
            }
        )
        if generator is not UNSET:
            field_dict["generator"] = generator
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        accepted = d.pop("accepted")

        at = d.pop("at")

        note = d.pop("note")

        reasons = cast(list[str], d.pop("reasons"))

        record_id = d.pop("record_id")

        reviewer = d.pop("reviewer")

        verdict = d.pop("verdict")

        generator = d.pop("generator", UNSET)

        object_ = d.pop("object", UNSET)

        stored_verdict = cls(
            accepted=accepted,
            at=at,
            note=note,
            reasons=reasons,
            record_id=record_id,
            reviewer=reviewer,
            verdict=verdict,
            generator=generator,
            object_=object_,
        )

        stored_verdict.additional_properties = d
        return stored_verdict

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
