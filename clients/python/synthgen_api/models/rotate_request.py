from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="RotateRequest")


@_attrs_define
class RotateRequest:
    """How to rotate a key.

    Attributes:
        expires_in (int | None | Unset):
        grace_seconds (int | Unset): How long the old key keeps working (0: it stops now) Default: 0.
    """

    expires_in: int | None | Unset = UNSET
    grace_seconds: int | Unset = 0

    def to_dict(self) -> dict[str, Any]:
        expires_in: int | None | Unset
        if isinstance(self.expires_in, Unset):
            expires_in = UNSET
        else:
            expires_in = self.expires_in

        grace_seconds = self.grace_seconds

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if expires_in is not UNSET:
            field_dict["expires_in"] = expires_in
        if grace_seconds is not UNSET:
            field_dict["grace_seconds"] = grace_seconds

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_expires_in(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        expires_in = _parse_expires_in(d.pop("expires_in", UNSET))

        grace_seconds = d.pop("grace_seconds", UNSET)

        rotate_request = cls(
            expires_in=expires_in,
            grace_seconds=grace_seconds,
        )

        return rotate_request
