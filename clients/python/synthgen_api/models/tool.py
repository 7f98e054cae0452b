from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.tool_type import ToolType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.tool_function import ToolFunction


T = TypeVar("T", bound="Tool")


@_attrs_define
class Tool:
    """A tool as OpenAI's API takes it: {"type": "function", "function": {...}}.

    Attributes:
        function (ToolFunction):
        type_ (ToolType | Unset):  Default: ToolType.FUNCTION.
    """

    function: ToolFunction
    type_: ToolType | Unset = ToolType.FUNCTION

    def to_dict(self) -> dict[str, Any]:
        function = self.function.to_dict()

        type_: str | Unset = UNSET
        if not isinstance(self.type_, Unset):
            type_ = self.type_.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "function": function,
            }
        )
        if type_ is not UNSET:
            field_dict["type"] = type_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.tool_function import ToolFunction

        d = dict(src_dict)
        function = ToolFunction.from_dict(d.pop("function"))

        _type_ = d.pop("type", UNSET)
        type_: ToolType | Unset
        if isinstance(_type_, Unset):
            type_ = UNSET
        else:
            type_ = ToolType(_type_)

        tool = cls(
            function=function,
            type_=type_,
        )

        return tool
