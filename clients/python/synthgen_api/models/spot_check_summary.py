from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SpotCheckSummary")


@_attrs_define
class SpotCheckSummary:
    """
    Attributes:
        acceptance_rate (float | None):
        accepted (int):
        rejected (int):
        reviewed (int):
        size (int):
    """

    acceptance_rate: float | None
    accepted: int
    rejected: int
    reviewed: int
    size: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        acceptance_rate: float | None
        acceptance_rate = self.acceptance_rate

        accepted = self.accepted

        rejected = self.rejected

        reviewed = self.reviewed

        size = self.size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acceptance_rate": acceptance_rate,
                "accepted": accepted,
                "rejected": rejected,
                "reviewed": reviewed,
                "size": size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_acceptance_rate(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        acceptance_rate = _parse_acceptance_rate(d.pop("acceptance_rate"))

        accepted = d.pop("accepted")

        rejected = d.pop("rejected")

        reviewed = d.pop("reviewed")

        size = d.pop("size")

        spot_check_summary = cls(
            acceptance_rate=acceptance_rate,
            accepted=accepted,
            rejected=rejected,
            reviewed=reviewed,
            size=size,
        )

        spot_check_summary.additional_properties = d
        return spot_check_summary

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
