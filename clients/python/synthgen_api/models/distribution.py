from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.bucket import Bucket


T = TypeVar("T", bound="Distribution")


@_attrs_define
class Distribution:
    """
    Attributes:
        count (int):
        histogram (list[Bucket]):
        max_ (float):
        mean (float):
        min_ (float):
        p10 (float):
        p50 (float):
        p90 (float):
    """

    count: int
    histogram: list[Bucket]
    max_: float
    mean: float
    min_: float
    p10: float
    p50: float
    p90: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        count = self.count

        histogram = []
        for histogram_item_data in self.histogram:
            histogram_item = histogram_item_data.to_dict()
            histogram.append(histogram_item)

        max_ = self.max_

        mean = self.mean

        min_ = self.min_

        p10 = self.p10

        p50 = self.p50

        p90 = self.p90

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "count": count,
                "histogram": histogram,
                "max": max_,
                "mean": mean,
                "min": min_,
                "p10": p10,
                "p50": p50,
                "p90": p90,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.bucket import Bucket

        d = dict(src_dict)
        count = d.pop("count")

        histogram = []
        _histogram = d.pop("histogram")
        for histogram_item_data in _histogram:
            histogram_item = Bucket.from_dict(histogram_item_data)

            histogram.append(histogram_item)

        max_ = d.pop("max")

        mean = d.pop("mean")

        min_ = d.pop("min")

        p10 = d.pop("p10")

        p50 = d.pop("p50")

        p90 = d.pop("p90")

        distribution = cls(
            count=count,
            histogram=histogram,
            max_=max_,
            mean=mean,
            min_=min_,
            p10=p10,
            p50=p50,
            p90=p90,
        )

        distribution.additional_properties = d
        return distribution

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
