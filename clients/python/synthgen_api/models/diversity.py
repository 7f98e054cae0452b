from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Diversity")


@_attrs_define
class Diversity:
    """
    Attributes:
        distinct_1 (float):
        distinct_2 (float):
    """

    distinct_1: float
    distinct_2: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        distinct_1 = self.distinct_1

        distinct_2 = self.distinct_2

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "distinct_1": distinct_1,
                "distinct_2": distinct_2,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        distinct_1 = d.pop("distinct_1")

        distinct_2 = d.pop("distinct_2")

        diversity = cls(
            distinct_1=distinct_1,
            distinct_2=distinct_2,
        )

        diversity.additional_properties = d
        return diversity

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
