from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="OutcomeCount")


@_attrs_define
class OutcomeCount:
    """How attempts ended: every attempt counted (a model repeating itself is counted
    each time, while the stored rejects are unique), with the provider requests spent
    on them. Kept records are stage "kept", reason "kept"; requests that no outcome
    took are "generate"/"no_outcome". The requests of all outcomes add up to
    `progress.requests`.

        Attributes:
            attempts (int):
            reason (str):
            requests (int):
            stage (str):
    """

    attempts: int
    reason: str
    requests: int
    stage: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        reason = self.reason

        requests = self.requests

        stage = self.stage

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "reason": reason,
                "requests": requests,
                "stage": stage,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        reason = d.pop("reason")

        requests = d.pop("requests")

        stage = d.pop("stage")

        outcome_count = cls(
            attempts=attempts,
            reason=reason,
            requests=requests,
            stage=stage,
        )

        outcome_count.additional_properties = d
        return outcome_count

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
