from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.spot_item import SpotItem


T = TypeVar("T", bound="SpotCheck")


@_attrs_define
class SpotCheck:
    """
    Attributes:
        acceptance_rate (float | None):
        accepted (int):
        items (list[SpotItem]):
        job_id (str):
        reviewed (int):
        size (int):
        object_ (str | Unset):  Default: 'spotcheck'.
    """

    acceptance_rate: float | None
    accepted: int
    items: list[SpotItem]
    job_id: str
    reviewed: int
    size: int
    object_: str | Unset = "spotcheck"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        acceptance_rate: float | None
        acceptance_rate = self.acceptance_rate

        accepted = self.accepted

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        job_id = self.job_id

        reviewed = self.reviewed

        size = self.size

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acceptance_rate": acceptance_rate,
                "accepted": accepted,
                "items": items,
                "job_id": job_id,
                "reviewed": reviewed,
                "size": size,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.spot_item import SpotItem

        d = dict(src_dict)

        def _parse_acceptance_rate(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        acceptance_rate = _parse_acceptance_rate(d.pop("acceptance_rate"))

        accepted = d.pop("accepted")

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = SpotItem.from_dict(items_item_data)

            items.append(items_item)

        job_id = d.pop("job_id")

        reviewed = d.pop("reviewed")

        size = d.pop("size")

        object_ = d.pop("object", UNSET)

        spot_check = cls(
            acceptance_rate=acceptance_rate,
            accepted=accepted,
            items=items,
            job_id=job_id,
            reviewed=reviewed,
            size=size,
            object_=object_,
        )

        spot_check.additional_properties = d
        return spot_check

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
