from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.dedup_spec_field import DedupSpecField
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.embedding_dedup import EmbeddingDedup
    from ..models.min_hash_dedup import MinHashDedup


T = TypeVar("T", bound="DedupSpec")


@_attrs_define
class DedupSpec:
    """Drop duplicates: exact (normalised hash), MinHash, and embedding near-duplicates.

    Attributes:
        embedding (EmbeddingDedup | None | Unset):
        exact (bool | Unset):  Default: True.
        field (DedupSpecField | Unset):  Default: DedupSpecField.BOTH.
        minhash (MinHashDedup | None | Unset):
    """

    embedding: EmbeddingDedup | None | Unset = UNSET
    exact: bool | Unset = True
    field: DedupSpecField | Unset = DedupSpecField.BOTH
    minhash: MinHashDedup | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.embedding_dedup import EmbeddingDedup
        from ..models.min_hash_dedup import MinHashDedup

        embedding: dict[str, Any] | None | Unset
        if isinstance(self.embedding, Unset):
            embedding = UNSET
        elif isinstance(self.embedding, EmbeddingDedup):
            embedding = self.embedding.to_dict()
        else:
            embedding = self.embedding

        exact = self.exact

        field: str | Unset = UNSET
        if not isinstance(self.field, Unset):
            field = self.field.value

        minhash: dict[str, Any] | None | Unset
        if isinstance(self.minhash, Unset):
            minhash = UNSET
        elif isinstance(self.minhash, MinHashDedup):
            minhash = self.minhash.to_dict()
        else:
            minhash = self.minhash

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if embedding is not UNSET:
            field_dict["embedding"] = embedding
        if exact is not UNSET:
            field_dict["exact"] = exact
        if field is not UNSET:
            field_dict["field"] = field
        if minhash is not UNSET:
            field_dict["minhash"] = minhash

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.embedding_dedup import EmbeddingDedup
        from ..models.min_hash_dedup import MinHashDedup

        d = dict(src_dict)

        def _parse_embedding(data: object) -> EmbeddingDedup | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                embedding_type_0 = EmbeddingDedup.from_dict(data)

                return embedding_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EmbeddingDedup | None | Unset, data)

        embedding = _parse_embedding(d.pop("embedding", UNSET))

        exact = d.pop("exact", UNSET)

        _field = d.pop("field", UNSET)
        field: DedupSpecField | Unset
        if isinstance(_field, Unset):
            field = UNSET
        else:
            field = DedupSpecField(_field)

        def _parse_minhash(data: object) -> MinHashDedup | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                minhash_type_0 = MinHashDedup.from_dict(data)

                return minhash_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MinHashDedup | None | Unset, data)

        minhash = _parse_minhash(d.pop("minhash", UNSET))

        dedup_spec = cls(
            embedding=embedding,
            exact=exact,
            field=field,
            minhash=minhash,
        )

        return dedup_spec
