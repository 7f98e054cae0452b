from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.orca_query_collection_type_1 import OrcaQueryCollectionType1
from ..models.orca_query_collection_type_2_type_1 import OrcaQueryCollectionType2Type1
from ..models.orca_query_collection_type_3_type_1 import OrcaQueryCollectionType3Type1
from ..types import UNSET, Unset

T = TypeVar("T", bound="OrcaQuery")


@_attrs_define
class OrcaQuery:
    """
    Attributes:
        query (str):
        collection (None | OrcaQueryCollectionType1 | OrcaQueryCollectionType2Type1 | OrcaQueryCollectionType3Type1 |
            Unset):
        multiple_choice (bool | None | Unset):
        task (None | str | Unset):
    """

    query: str
    collection: (
        None
        | OrcaQueryCollectionType1
        | OrcaQueryCollectionType2Type1
        | OrcaQueryCollectionType3Type1
        | Unset
    ) = UNSET
    multiple_choice: bool | None | Unset = UNSET
    task: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        query = self.query

        collection: None | str | Unset
        if isinstance(self.collection, Unset):
            collection = UNSET
        elif (
            isinstance(self.collection, OrcaQueryCollectionType1)
            or isinstance(self.collection, OrcaQueryCollectionType2Type1)
            or isinstance(self.collection, OrcaQueryCollectionType3Type1)
        ):
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
        field_dict.update(self.additional_properties)
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

        def _parse_collection(
            data: object,
        ) -> (
            None
            | OrcaQueryCollectionType1
            | OrcaQueryCollectionType2Type1
            | OrcaQueryCollectionType3Type1
            | Unset
        ):
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                collection_type_1 = OrcaQueryCollectionType1(data)

                return collection_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                collection_type_2_type_1 = OrcaQueryCollectionType2Type1(data)

                return collection_type_2_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                collection_type_3_type_1 = OrcaQueryCollectionType3Type1(data)

                return collection_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                None
                | OrcaQueryCollectionType1
                | OrcaQueryCollectionType2Type1
                | OrcaQueryCollectionType3Type1
                | Unset,
                data,
            )

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

        orca_query.additional_properties = d
        return orca_query

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
