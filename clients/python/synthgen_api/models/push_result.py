from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PushResult")


@_attrs_define
class PushResult:
    """
    Attributes:
        commit_url (str):
        files (list[str]):
        records (int):
        repo_id (str):
        object_ (str | Unset):  Default: 'job.push'.
    """

    commit_url: str
    files: list[str]
    records: int
    repo_id: str
    object_: str | Unset = "job.push"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        commit_url = self.commit_url

        files = self.files

        records = self.records

        repo_id = self.repo_id

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "commit_url": commit_url,
                "files": files,
                "records": records,
                "repo_id": repo_id,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        commit_url = d.pop("commit_url")

        files = cast(list[str], d.pop("files"))

        records = d.pop("records")

        repo_id = d.pop("repo_id")

        object_ = d.pop("object", UNSET)

        push_result = cls(
            commit_url=commit_url,
            files=files,
            records=records,
            repo_id=repo_id,
            object_=object_,
        )

        push_result.additional_properties = d
        return push_result

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
