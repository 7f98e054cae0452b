from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.spot_item_record import SpotItemRecord
    from ..models.stored_verdict import StoredVerdict


T = TypeVar("T", bound="SpotItem")


@_attrs_define
class SpotItem:
    """
    Attributes:
        generator (str):
        kind (str):
        record (SpotItemRecord):
        verdict (None | StoredVerdict):
    """

    generator: str
    kind: str
    record: SpotItemRecord
    verdict: None | StoredVerdict
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.stored_verdict import StoredVerdict

        generator = self.generator

        kind = self.kind

        record = self.record.to_dict()

        verdict: dict[str, Any] | None
        if isinstance(self.verdict, StoredVerdict):
            verdict = self.verdict.to_dict()
        else:
            verdict = self.verdict

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "generator": generator,
                "kind": kind,
                "record": record,
                "verdict": verdict,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.spot_item_record import SpotItemRecord
        from ..models.stored_verdict import StoredVerdict

        d = dict(src_dict)
        generator = d.pop("generator")

        kind = d.pop("kind")

        record = SpotItemRecord.from_dict(d.pop("record"))

        def _parse_verdict(data: object) -> None | StoredVerdict:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                verdict_type_0 = StoredVerdict.from_dict(data)

                return verdict_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StoredVerdict, data)

        verdict = _parse_verdict(d.pop("verdict"))

        spot_item = cls(
            generator=generator,
            kind=kind,
            record=record,
            verdict=verdict,
        )

        spot_item.additional_properties = d
        return spot_item

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
