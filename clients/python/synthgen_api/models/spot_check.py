from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.sample_info import SampleInfo
    from ..models.spot_check_summary import SpotCheckSummary
    from ..models.spot_check_verdicts import SpotCheckVerdicts
    from ..models.spot_item import SpotItem


T = TypeVar("T", bound="SpotCheck")


@_attrs_define
class SpotCheck:
    """
    Attributes:
        items (list[SpotItem]):
        job_id (str):
        sample (SampleInfo): How a sample was drawn (stored with it).
        summary (SpotCheckSummary): The spot-check of a job: sample size, verdicts so far, acceptance overall, per
            generator and how often each reason was given.
        verdicts (SpotCheckVerdicts):
        object_ (str | Unset):  Default: 'spotcheck'.
    """

    items: list[SpotItem]
    job_id: str
    sample: SampleInfo
    summary: SpotCheckSummary
    verdicts: SpotCheckVerdicts
    object_: str | Unset = "spotcheck"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        job_id = self.job_id

        sample = self.sample.to_dict()

        summary = self.summary.to_dict()

        verdicts = self.verdicts.to_dict()

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "items": items,
                "job_id": job_id,
                "sample": sample,
                "summary": summary,
                "verdicts": verdicts,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.sample_info import SampleInfo
        from ..models.spot_check_summary import SpotCheckSummary
        from ..models.spot_check_verdicts import SpotCheckVerdicts
        from ..models.spot_item import SpotItem

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = SpotItem.from_dict(items_item_data)

            items.append(items_item)

        job_id = d.pop("job_id")

        sample = SampleInfo.from_dict(d.pop("sample"))

        summary = SpotCheckSummary.from_dict(d.pop("summary"))

        verdicts = SpotCheckVerdicts.from_dict(d.pop("verdicts"))

        object_ = d.pop("object", UNSET)

        spot_check = cls(
            items=items,
            job_id=job_id,
            sample=sample,
            summary=summary,
            verdicts=verdicts,
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
