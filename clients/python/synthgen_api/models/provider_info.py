from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ProviderInfo")


@_attrs_define
class ProviderInfo:
    """What GET /v1/providers shows: no URLs, no keys.

    Attributes:
        kind (str):
        licence (str):
        models (list[str]):
        name (str):
        supports_raw (bool):
    """

    kind: str
    licence: str
    models: list[str]
    name: str
    supports_raw: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind

        licence = self.licence

        models = self.models

        name = self.name

        supports_raw = self.supports_raw

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "kind": kind,
                "licence": licence,
                "models": models,
                "name": name,
                "supports_raw": supports_raw,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        kind = d.pop("kind")

        licence = d.pop("licence")

        models = cast(list[str], d.pop("models"))

        name = d.pop("name")

        supports_raw = d.pop("supports_raw")

        provider_info = cls(
            kind=kind,
            licence=licence,
            models=models,
            name=name,
            supports_raw=supports_raw,
        )

        provider_info.additional_properties = d
        return provider_info

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
