from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ReviewLinkRequest")


@_attrs_define
class ReviewLinkRequest:
    """How long a review link works.

    Attributes:
        expires_in (int | Unset): Seconds the link works, 60 to 7 days Default: 86400.
    """

    expires_in: int | Unset = 86400

    def to_dict(self) -> dict[str, Any]:
        expires_in = self.expires_in

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if expires_in is not UNSET:
            field_dict["expires_in"] = expires_in

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        expires_in = d.pop("expires_in", UNSET)

        review_link_request = cls(
            expires_in=expires_in,
        )

        return review_link_request
