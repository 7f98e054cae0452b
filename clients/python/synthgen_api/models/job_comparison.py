from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.job_comparison_differences import JobComparisonDifferences
    from ..models.job_comparison_reject_mix import JobComparisonRejectMix
    from ..models.job_report import JobReport
    from ..models.model_identity import ModelIdentity


T = TypeVar("T", bound="JobComparison")


@_attrs_define
class JobComparison:
    """
    Attributes:
        a (JobReport):
        b (JobReport):
        differences (JobComparisonDifferences):
        flags (list[str]):
        model_identity (ModelIdentity):
        reject_mix (JobComparisonRejectMix):
        object_ (str | Unset):  Default: 'job.comparison'.
    """

    a: JobReport
    b: JobReport
    differences: JobComparisonDifferences
    flags: list[str]
    model_identity: ModelIdentity
    reject_mix: JobComparisonRejectMix
    object_: str | Unset = "job.comparison"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        a = self.a.to_dict()

        b = self.b.to_dict()

        differences = self.differences.to_dict()

        flags = self.flags

        model_identity = self.model_identity.to_dict()

        reject_mix = self.reject_mix.to_dict()

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "a": a,
                "b": b,
                "differences": differences,
                "flags": flags,
                "model_identity": model_identity,
                "reject_mix": reject_mix,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.job_comparison_differences import JobComparisonDifferences
        from ..models.job_comparison_reject_mix import JobComparisonRejectMix
        from ..models.job_report import JobReport
        from ..models.model_identity import ModelIdentity

        d = dict(src_dict)
        a = JobReport.from_dict(d.pop("a"))

        b = JobReport.from_dict(d.pop("b"))

        differences = JobComparisonDifferences.from_dict(d.pop("differences"))

        flags = cast(list[str], d.pop("flags"))

        model_identity = ModelIdentity.from_dict(d.pop("model_identity"))

        reject_mix = JobComparisonRejectMix.from_dict(d.pop("reject_mix"))

        object_ = d.pop("object", UNSET)

        job_comparison = cls(
            a=a,
            b=b,
            differences=differences,
            flags=flags,
            model_identity=model_identity,
            reject_mix=reject_mix,
            object_=object_,
        )

        job_comparison.additional_properties = d
        return job_comparison

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
