from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="MinHashDedup")


@_attrs_define
class MinHashDedup:
    """
    Attributes:
        ngram (int | Unset):  Default: 3.
        num_perm (int | Unset):  Default: 128.
        threshold (float | Unset):  Default: 0.8.
    """

    ngram: int | Unset = 3
    num_perm: int | Unset = 128
    threshold: float | Unset = 0.8

    def to_dict(self) -> dict[str, Any]:
        ngram = self.ngram

        num_perm = self.num_perm

        threshold = self.threshold

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if ngram is not UNSET:
            field_dict["ngram"] = ngram
        if num_perm is not UNSET:
            field_dict["num_perm"] = num_perm
        if threshold is not UNSET:
            field_dict["threshold"] = threshold

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        ngram = d.pop("ngram", UNSET)

        num_perm = d.pop("num_perm", UNSET)

        threshold = d.pop("threshold", UNSET)

        min_hash_dedup = cls(
            ngram=ngram,
            num_perm=num_perm,
            threshold=threshold,
        )

        return min_hash_dedup
