from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.reasoning_item import ReasoningItem


T = TypeVar("T", bound="ReasoningParams")


@_attrs_define
class ReasoningParams:
    """Inputs of a reasoning job: `items` inline or a registered `item_file`.

    Attributes:
        instruction (None | str | Unset):
        item_file (None | str | Unset):
        items (list[ReasoningItem] | None | Unset):
        system_prompt (None | str | Unset):
    """

    instruction: None | str | Unset = UNSET
    item_file: None | str | Unset = UNSET
    items: list[ReasoningItem] | None | Unset = UNSET
    system_prompt: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        instruction: None | str | Unset
        if isinstance(self.instruction, Unset):
            instruction = UNSET
        else:
            instruction = self.instruction

        item_file: None | str | Unset
        if isinstance(self.item_file, Unset):
            item_file = UNSET
        else:
            item_file = self.item_file

        items: list[dict[str, Any]] | None | Unset
        if isinstance(self.items, Unset):
            items = UNSET
        elif isinstance(self.items, list):
            items = []
            for items_type_0_item_data in self.items:
                items_type_0_item = items_type_0_item_data.to_dict()
                items.append(items_type_0_item)

        else:
            items = self.items

        system_prompt: None | str | Unset
        if isinstance(self.system_prompt, Unset):
            system_prompt = UNSET
        else:
            system_prompt = self.system_prompt

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if instruction is not UNSET:
            field_dict["instruction"] = instruction
        if item_file is not UNSET:
            field_dict["item_file"] = item_file
        if items is not UNSET:
            field_dict["items"] = items
        if system_prompt is not UNSET:
            field_dict["system_prompt"] = system_prompt

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.reasoning_item import ReasoningItem

        d = dict(src_dict)

        def _parse_instruction(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        instruction = _parse_instruction(d.pop("instruction", UNSET))

        def _parse_item_file(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        item_file = _parse_item_file(d.pop("item_file", UNSET))

        def _parse_items(data: object) -> list[ReasoningItem] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                items_type_0 = []
                _items_type_0 = data
                for items_type_0_item_data in _items_type_0:
                    items_type_0_item = ReasoningItem.from_dict(items_type_0_item_data)

                    items_type_0.append(items_type_0_item)

                return items_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[ReasoningItem] | None | Unset, data)

        items = _parse_items(d.pop("items", UNSET))

        def _parse_system_prompt(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        system_prompt = _parse_system_prompt(d.pop("system_prompt", UNSET))

        reasoning_params = cls(
            instruction=instruction,
            item_file=item_file,
            items=items,
            system_prompt=system_prompt,
        )

        return reasoning_params
