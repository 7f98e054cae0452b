from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ServedModel")


@_attrs_define
class ServedModel:
    """One model identity a provider reported, and how many kept records it answered.

    Attributes:
        model (str):
        records (int):
        system_fingerprint (None | str):
    """

    model: str
    records: int
    system_fingerprint: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model = self.model

        records = self.records

        system_fingerprint: None | str
        system_fingerprint = self.system_fingerprint

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model": model,
                "records": records,
                "system_fingerprint": system_fingerprint,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        model = d.pop("model")

        records = d.pop("records")

        def _parse_system_fingerprint(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        system_fingerprint = _parse_system_fingerprint(d.pop("system_fingerprint"))

        served_model = cls(
            model=model,
            records=records,
            system_fingerprint=system_fingerprint,
        )

        served_model.additional_properties = d
        return served_model

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
