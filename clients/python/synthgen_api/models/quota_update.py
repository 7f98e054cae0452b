from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.quota_update_limits import QuotaUpdateLimits


T = TypeVar("T", bound="QuotaUpdate")


@_attrs_define
class QuotaUpdate:
    """The tenant's own limits: a number (0: no limit) or null (back to the default).

    Attributes:
        limits (QuotaUpdateLimits):
    """

    limits: QuotaUpdateLimits

    def to_dict(self) -> dict[str, Any]:
        limits = self.limits.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "limits": limits,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.quota_update_limits import QuotaUpdateLimits

        d = dict(src_dict)
        limits = QuotaUpdateLimits.from_dict(d.pop("limits"))

        quota_update = cls(
            limits=limits,
        )

        return quota_update
