from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="JobLinks")


@_attrs_define
class JobLinks:
    """
    Attributes:
        cancel (str):
        records (str):
        rejects (str):
        report (str):
        review_page (str):
        self_ (str):
        spec (str):
        spotcheck (str):
    """

    cancel: str
    records: str
    rejects: str
    report: str
    review_page: str
    self_: str
    spec: str
    spotcheck: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cancel = self.cancel

        records = self.records

        rejects = self.rejects

        report = self.report

        review_page = self.review_page

        self_ = self.self_

        spec = self.spec

        spotcheck = self.spotcheck

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cancel": cancel,
                "records": records,
                "rejects": rejects,
                "report": report,
                "review_page": review_page,
                "self": self_,
                "spec": spec,
                "spotcheck": spotcheck,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cancel = d.pop("cancel")

        records = d.pop("records")

        rejects = d.pop("rejects")

        report = d.pop("report")

        review_page = d.pop("review_page")

        self_ = d.pop("self")

        spec = d.pop("spec")

        spotcheck = d.pop("spotcheck")

        job_links = cls(
            cancel=cancel,
            records=records,
            rejects=rejects,
            report=report,
            review_page=review_page,
            self_=self_,
            spec=spec,
            spotcheck=spotcheck,
        )

        job_links.additional_properties = d
        return job_links

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
