from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.verification_pass_at_k import VerificationPassAtK


T = TypeVar("T", bound="Verification")


@_attrs_define
class Verification:
    """A verify stage's account (pipeline/verify.py): items verified, and pass@k for k = 1
    up to the latest first pass seen: the share of items with a verified candidate among
    their first k (pass_at_k["1"] is the pass rate of a first try).

        Attributes:
            items (int):
            pass_at_k (VerificationPassAtK):
    """

    items: int
    pass_at_k: VerificationPassAtK
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        items = self.items

        pass_at_k = self.pass_at_k.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "items": items,
                "pass_at_k": pass_at_k,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.verification_pass_at_k import VerificationPassAtK

        d = dict(src_dict)
        items = d.pop("items")

        pass_at_k = VerificationPassAtK.from_dict(d.pop("pass_at_k"))

        verification = cls(
            items=items,
            pass_at_k=pass_at_k,
        )

        verification.additional_properties = d
        return verification

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
