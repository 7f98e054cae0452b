from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.progress_rejected_by_reason import ProgressRejectedByReason


T = TypeVar("T", bound="Progress")


@_attrs_define
class Progress:
    """
    Attributes:
        target (int | None):
        kept (int | Unset):  Default: 0.
        rejected (int | Unset):  Default: 0.
        rejected_by_reason (ProgressRejectedByReason | Unset):
        requests (int | Unset):  Default: 0.
        retries (int | Unset):  Default: 0.
        tokens_in (int | Unset):  Default: 0.
        tokens_out (int | Unset):  Default: 0.
        tokens_reasoning (int | Unset):  Default: 0.
    """

    target: int | None
    kept: int | Unset = 0
    rejected: int | Unset = 0
    rejected_by_reason: ProgressRejectedByReason | Unset = UNSET
    requests: int | Unset = 0
    retries: int | Unset = 0
    tokens_in: int | Unset = 0
    tokens_out: int | Unset = 0
    tokens_reasoning: int | Unset = 0
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        target: int | None
        target = self.target

        kept = self.kept

        rejected = self.rejected

        rejected_by_reason: dict[str, Any] | Unset = UNSET
        if not isinstance(self.rejected_by_reason, Unset):
            rejected_by_reason = self.rejected_by_reason.to_dict()

        requests = self.requests

        retries = self.retries

        tokens_in = self.tokens_in

        tokens_out = self.tokens_out

        tokens_reasoning = self.tokens_reasoning

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "target": target,
            }
        )
        if kept is not UNSET:
            field_dict["kept"] = kept
        if rejected is not UNSET:
            field_dict["rejected"] = rejected
        if rejected_by_reason is not UNSET:
            field_dict["rejected_by_reason"] = rejected_by_reason
        if requests is not UNSET:
            field_dict["requests"] = requests
        if retries is not UNSET:
            field_dict["retries"] = retries
        if tokens_in is not UNSET:
            field_dict["tokens_in"] = tokens_in
        if tokens_out is not UNSET:
            field_dict["tokens_out"] = tokens_out
        if tokens_reasoning is not UNSET:
            field_dict["tokens_reasoning"] = tokens_reasoning

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.progress_rejected_by_reason import ProgressRejectedByReason

        d = dict(src_dict)

        def _parse_target(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        target = _parse_target(d.pop("target"))

        kept = d.pop("kept", UNSET)

        rejected = d.pop("rejected", UNSET)

        _rejected_by_reason = d.pop("rejected_by_reason", UNSET)
        rejected_by_reason: ProgressRejectedByReason | Unset
        if isinstance(_rejected_by_reason, Unset):
            rejected_by_reason = UNSET
        else:
            rejected_by_reason = ProgressRejectedByReason.from_dict(_rejected_by_reason)

        requests = d.pop("requests", UNSET)

        retries = d.pop("retries", UNSET)

        tokens_in = d.pop("tokens_in", UNSET)

        tokens_out = d.pop("tokens_out", UNSET)

        tokens_reasoning = d.pop("tokens_reasoning", UNSET)

        progress = cls(
            target=target,
            kept=kept,
            rejected=rejected,
            rejected_by_reason=rejected_by_reason,
            requests=requests,
            retries=retries,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            tokens_reasoning=tokens_reasoning,
        )

        progress.additional_properties = d
        return progress

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
