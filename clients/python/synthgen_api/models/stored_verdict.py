from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="StoredVerdict")


@_attrs_define
class StoredVerdict:
    """
    Attributes:
        at (str):
        note (str):
        record_id (str):
        reviewer (str):
        verdict (str):
    """

    at: str
    note: str
    record_id: str
    reviewer: str
    verdict: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at

        note = self.note

        record_id = self.record_id

        reviewer = self.reviewer

        verdict = self.verdict

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "note": note,
                "record_id": record_id,
                "reviewer": reviewer,
                "verdict": verdict,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        at = d.pop("at")

        note = d.pop("note")

        record_id = d.pop("record_id")

        reviewer = d.pop("reviewer")

        verdict = d.pop("verdict")

        stored_verdict = cls(
            at=at,
            note=note,
            record_id=record_id,
            reviewer=reviewer,
            verdict=verdict,
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
