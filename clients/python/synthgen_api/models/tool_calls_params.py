from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.generator_ref import GeneratorRef
    from ..models.tool import Tool


T = TypeVar("T", bound="ToolCallsParams")


@_attrs_define
class ToolCallsParams:
    """
    Attributes:
        tools (list[Tool]):
        execute (list[str] | Unset): Names of registered tool modules (SYNTHGEN_TOOL_FILES) whose functions run the
            calls in the sandbox.
        judge (GeneratorRef | None | Unset):
        min_score (float | Unset):  Default: 3.0.
        queries_per_tool (int | Unset):  Default: 10.
        semantic_check (bool | Unset):  Default: True.
        system_prompt (None | str | Unset):
    """

    tools: list[Tool]
    execute: list[str] | Unset = UNSET
    judge: GeneratorRef | None | Unset = UNSET
    min_score: float | Unset = 3.0
    queries_per_tool: int | Unset = 10
    semantic_check: bool | Unset = True
    system_prompt: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.generator_ref import GeneratorRef

        tools = []
        for tools_item_data in self.tools:
            tools_item = tools_item_data.to_dict()
            tools.append(tools_item)

        execute: list[str] | Unset = UNSET
        if not isinstance(self.execute, Unset):
            execute = self.execute

        judge: dict[str, Any] | None | Unset
        if isinstance(self.judge, Unset):
            judge = UNSET
        elif isinstance(self.judge, GeneratorRef):
            judge = self.judge.to_dict()
        else:
            judge = self.judge

        min_score = self.min_score

        queries_per_tool = self.queries_per_tool

        semantic_check = self.semantic_check

        system_prompt: None | str | Unset
        if isinstance(self.system_prompt, Unset):
            system_prompt = UNSET
        else:
            system_prompt = self.system_prompt

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "tools": tools,
            }
        )
        if execute is not UNSET:
            field_dict["execute"] = execute
        if judge is not UNSET:
            field_dict["judge"] = judge
        if min_score is not UNSET:
            field_dict["min_score"] = min_score
        if queries_per_tool is not UNSET:
            field_dict["queries_per_tool"] = queries_per_tool
        if semantic_check is not UNSET:
            field_dict["semantic_check"] = semantic_check
        if system_prompt is not UNSET:
            field_dict["system_prompt"] = system_prompt

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.generator_ref import GeneratorRef
        from ..models.tool import Tool

        d = dict(src_dict)
        tools = []
        _tools = d.pop("tools")
        for tools_item_data in _tools:
            tools_item = Tool.from_dict(tools_item_data)

            tools.append(tools_item)

        execute = cast(list[str], d.pop("execute", UNSET))

        def _parse_judge(data: object) -> GeneratorRef | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                judge_type_0 = GeneratorRef.from_dict(data)

                return judge_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GeneratorRef | None | Unset, data)

        judge = _parse_judge(d.pop("judge", UNSET))

        min_score = d.pop("min_score", UNSET)

        queries_per_tool = d.pop("queries_per_tool", UNSET)

        semantic_check = d.pop("semantic_check", UNSET)

        def _parse_system_prompt(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        system_prompt = _parse_system_prompt(d.pop("system_prompt", UNSET))

        tool_calls_params = cls(
            tools=tools,
            execute=execute,
            judge=judge,
            min_score=min_score,
            queries_per_tool=queries_per_tool,
            semantic_check=semantic_check,
            system_prompt=system_prompt,
        )

        return tool_calls_params
