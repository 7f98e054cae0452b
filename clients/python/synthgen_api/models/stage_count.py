from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="StageCount")


@_attrs_define
class StageCount:
    """How many candidates entered a stage and how many it rejected (None: not counted,
    for checks a recipe runs itself, such as Self-Instruct's novelty).

        Attributes:
            entered (int | None):
            rejected (int):
            stage (str):
    """

    entered: int | None
    rejected: int
    stage: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        entered: int | None
        entered = self.entered

        rejected = self.rejected

        stage = self.stage

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "entered": entered,
                "rejected": rejected,
                "stage": stage,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_entered(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        entered = _parse_entered(d.pop("entered"))

        rejected = d.pop("rejected")

        stage = d.pop("stage")

        stage_count = cls(
            entered=entered,
            rejected=rejected,
            stage=stage,
        )

        stage_count.additional_properties = d
        return stage_count

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
