from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.recipe_info_spec_schema import RecipeInfoSpecSchema


T = TypeVar("T", bound="RecipeInfo")


@_attrs_define
class RecipeInfo:
    """
    Attributes:
        name (str):
        raw_completion (str):
        spec_schema (RecipeInfoSpecSchema):
        summary (str):
        mix (bool | Unset):  Default: False.
    """

    name: str
    raw_completion: str
    spec_schema: RecipeInfoSpecSchema
    summary: str
    mix: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        raw_completion = self.raw_completion

        spec_schema = self.spec_schema.to_dict()

        summary = self.summary

        mix = self.mix

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "raw_completion": raw_completion,
                "spec_schema": spec_schema,
                "summary": summary,
            }
        )
        if mix is not UNSET:
            field_dict["mix"] = mix

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.recipe_info_spec_schema import RecipeInfoSpecSchema

        d = dict(src_dict)
        name = d.pop("name")

        raw_completion = d.pop("raw_completion")

        spec_schema = RecipeInfoSpecSchema.from_dict(d.pop("spec_schema"))

        summary = d.pop("summary")

        mix = d.pop("mix", UNSET)

        recipe_info = cls(
            name=name,
            raw_completion=raw_completion,
            spec_schema=spec_schema,
            summary=summary,
            mix=mix,
        )

        recipe_info.additional_properties = d
        return recipe_info

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
