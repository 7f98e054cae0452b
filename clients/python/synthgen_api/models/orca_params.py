from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.orca_params_collection import OrcaParamsCollection
from ..models.orca_params_empty_system import OrcaParamsEmptySystem
from ..models.orca_params_order import OrcaParamsOrder
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.orca_query import OrcaQuery


T = TypeVar("T", bound="OrcaParams")


@_attrs_define
class OrcaParams:
    """Inputs of an Orca job: `queries` inline or a registered `prompt_file`.

    Attributes:
        collection (OrcaParamsCollection | Unset):  Default: OrcaParamsCollection.FLAN2021.
        empty_system (OrcaParamsEmptySystem | Unset):  Default: OrcaParamsEmptySystem.OMIT.
        multiple_choice (bool | Unset):  Default: False.
        order (OrcaParamsOrder | Unset):  Default: OrcaParamsOrder.AUTO.
        prompt_file (None | str | Unset):
        queries (list[OrcaQuery] | None | Unset):
    """

    collection: OrcaParamsCollection | Unset = OrcaParamsCollection.FLAN2021
    empty_system: OrcaParamsEmptySystem | Unset = OrcaParamsEmptySystem.OMIT
    multiple_choice: bool | Unset = False
    order: OrcaParamsOrder | Unset = OrcaParamsOrder.AUTO
    prompt_file: None | str | Unset = UNSET
    queries: list[OrcaQuery] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        collection: str | Unset = UNSET
        if not isinstance(self.collection, Unset):
            collection = self.collection.value

        empty_system: str | Unset = UNSET
        if not isinstance(self.empty_system, Unset):
            empty_system = self.empty_system.value

        multiple_choice = self.multiple_choice

        order: str | Unset = UNSET
        if not isinstance(self.order, Unset):
            order = self.order.value

        prompt_file: None | str | Unset
        if isinstance(self.prompt_file, Unset):
            prompt_file = UNSET
        else:
            prompt_file = self.prompt_file

        queries: list[dict[str, Any]] | None | Unset
        if isinstance(self.queries, Unset):
            queries = UNSET
        elif isinstance(self.queries, list):
            queries = []
            for queries_type_0_item_data in self.queries:
                queries_type_0_item = queries_type_0_item_data.to_dict()
                queries.append(queries_type_0_item)

        else:
            queries = self.queries

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if collection is not UNSET:
            field_dict["collection"] = collection
        if empty_system is not UNSET:
            field_dict["empty_system"] = empty_system
        if multiple_choice is not UNSET:
            field_dict["multiple_choice"] = multiple_choice
        if order is not UNSET:
            field_dict["order"] = order
        if prompt_file is not UNSET:
            field_dict["prompt_file"] = prompt_file
        if queries is not UNSET:
            field_dict["queries"] = queries

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.orca_query import OrcaQuery

        d = dict(src_dict)
        _collection = d.pop("collection", UNSET)
        collection: OrcaParamsCollection | Unset
        if isinstance(_collection, Unset):
            collection = UNSET
        else:
            collection = OrcaParamsCollection(_collection)

        _empty_system = d.pop("empty_system", UNSET)
        empty_system: OrcaParamsEmptySystem | Unset
        if isinstance(_empty_system, Unset):
            empty_system = UNSET
        else:
            empty_system = OrcaParamsEmptySystem(_empty_system)

        multiple_choice = d.pop("multiple_choice", UNSET)

        _order = d.pop("order", UNSET)
        order: OrcaParamsOrder | Unset
        if isinstance(_order, Unset):
            order = UNSET
        else:
            order = OrcaParamsOrder(_order)

        def _parse_prompt_file(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        prompt_file = _parse_prompt_file(d.pop("prompt_file", UNSET))

        def _parse_queries(data: object) -> list[OrcaQuery] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                queries_type_0 = []
                _queries_type_0 = data
                for queries_type_0_item_data in _queries_type_0:
                    queries_type_0_item = OrcaQuery.from_dict(queries_type_0_item_data)

                    queries_type_0.append(queries_type_0_item)

                return queries_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[OrcaQuery] | None | Unset, data)

        queries = _parse_queries(d.pop("queries", UNSET))

        orca_params = cls(
            collection=collection,
            empty_system=empty_system,
            multiple_choice=multiple_choice,
            order=order,
            prompt_file=prompt_file,
            queries=queries,
        )

        return orca_params
