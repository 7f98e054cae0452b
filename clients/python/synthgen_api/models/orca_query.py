from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.orca_query_collection_type_0 import OrcaQueryCollectionType0
from ..types import UNSET, Unset

T = TypeVar("T", bound="OrcaQuery")


@_attrs_define
class OrcaQuery:
    """One zero-shot query; unset collection / multiple_choice take the params' values.

    Attributes:
        query (str):
        collection (None | OrcaQueryCollectionType0 | Unset):
        multiple_choice (bool | None | Unset):
        task (None | str | Unset):
    """

    query: str
    collection: None | OrcaQueryCollectionType0 | Unset = UNSET
    multiple_choice: bool | None | Unset = UNSET
    task: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        query = self.query

        collection: None | str | Unset
        if isinstance(self.collection, Unset):
            collection = UNSET
        elif isinstance(self.collection, OrcaQueryCollectionType0):
            collection = self.collection.value
        else:
            collection = self.collection

        multiple_choice: bool | None | Unset
        if isinstance(self.multiple_choice, Unset):
            multiple_choice = UNSET
        else:
            multiple_choice = self.multiple_choice

        task: None | str | Unset
        if isinstance(self.task, Unset):
            task = UNSET
        else:
            task = self.task

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "query": query,
            }
        )
        if collection is not UNSET:
            field_dict["collection"] = collection
        if multiple_choice is not UNSET:
            field_dict["multiple_choice"] = multiple_choice
        if task is not UNSET:
            field_dict["task"] = task

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        query = d.pop("query")

        def _parse_collection(data: object) -> None | OrcaQueryCollectionType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                collection_type_0 = OrcaQueryCollectionType0(data)

                return collection_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | OrcaQueryCollectionType0 | Unset, data)

        collection = _parse_collection(d.pop("collection", UNSET))

        def _parse_multiple_choice(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        multiple_choice = _parse_multiple_choice(d.pop("multiple_choice", UNSET))

        def _parse_task(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        task = _parse_task(d.pop("task", UNSET))

        orca_query = cls(
            query=query,
            collection=collection,
            multiple_choice=multiple_choice,
            task=task,
        )

        return orca_query
