from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ReviewLink")


@_attrs_define
class ReviewLink:
    """A signed, expiring link to the review page of one job. Whoever holds it can review
    that job's spot-check until it expires (or the key that made it is revoked): send it
    like a password. The token is in the URL's fragment, which browsers never send to a
    server, and the page exchanges it for a session cookie and drops it from the address.

        Attributes:
            expires_at (str):
            job_id (str):
            url (str):
            object_ (str | Unset):  Default: 'review_link'.
    """

    expires_at: str
    job_id: str
    url: str
    object_: str | Unset = "review_link"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        expires_at = self.expires_at

        job_id = self.job_id

        url = self.url

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expires_at": expires_at,
                "job_id": job_id,
                "url": url,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        expires_at = d.pop("expires_at")

        job_id = d.pop("job_id")

        url = d.pop("url")

        object_ = d.pop("object", UNSET)

        review_link = cls(
            expires_at=expires_at,
            job_id=job_id,
            url=url,
            object_=object_,
        )

        review_link.additional_properties = d
        return review_link

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
