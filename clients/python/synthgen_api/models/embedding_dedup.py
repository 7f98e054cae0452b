from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.embedding_dedup_scope import EmbeddingDedupScope
from ..types import UNSET, Unset

T = TypeVar("T", bound="EmbeddingDedup")


@_attrs_define
class EmbeddingDedup:
    """
    Attributes:
        collection (None | str | Unset):
        scope (EmbeddingDedupScope | Unset):  Default: EmbeddingDedupScope.JOB.
        threshold (float | Unset): Cosine similarity at or above which a candidate is a near-duplicate. Default: 0.9.
    """

    collection: None | str | Unset = UNSET
    scope: EmbeddingDedupScope | Unset = EmbeddingDedupScope.JOB
    threshold: float | Unset = 0.9

    def to_dict(self) -> dict[str, Any]:
        collection: None | str | Unset
        if isinstance(self.collection, Unset):
            collection = UNSET
        else:
            collection = self.collection

        scope: str | Unset = UNSET
        if not isinstance(self.scope, Unset):
            scope = self.scope.value

        threshold = self.threshold

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if collection is not UNSET:
            field_dict["collection"] = collection
        if scope is not UNSET:
            field_dict["scope"] = scope
        if threshold is not UNSET:
            field_dict["threshold"] = threshold

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_collection(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        collection = _parse_collection(d.pop("collection", UNSET))

        _scope = d.pop("scope", UNSET)
        scope: EmbeddingDedupScope | Unset
        if isinstance(_scope, Unset):
            scope = UNSET
        else:
            scope = EmbeddingDedupScope(_scope)

        threshold = d.pop("threshold", UNSET)

        embedding_dedup = cls(
            collection=collection,
            scope=scope,
            threshold=threshold,
        )

        return embedding_dedup
