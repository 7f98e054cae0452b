from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ResponsesParams")


@_attrs_define
class ResponsesParams:
    """Inputs of a responses job: `prompts` inline or a registered `prompt_file`.

    Attributes:
        prompt_file (None | str | Unset):
        prompts (list[str] | None | Unset):
        system_prompt (None | str | Unset):
    """

    prompt_file: None | str | Unset = UNSET
    prompts: list[str] | None | Unset = UNSET
    system_prompt: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        prompt_file: None | str | Unset
        if isinstance(self.prompt_file, Unset):
            prompt_file = UNSET
        else:
            prompt_file = self.prompt_file

        prompts: list[str] | None | Unset
        if isinstance(self.prompts, Unset):
            prompts = UNSET
        elif isinstance(self.prompts, list):
            prompts = self.prompts

        else:
            prompts = self.prompts

        system_prompt: None | str | Unset
        if isinstance(self.system_prompt, Unset):
            system_prompt = UNSET
        else:
            system_prompt = self.system_prompt

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if prompt_file is not UNSET:
            field_dict["prompt_file"] = prompt_file
        if prompts is not UNSET:
            field_dict["prompts"] = prompts
        if system_prompt is not UNSET:
            field_dict["system_prompt"] = system_prompt

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_prompt_file(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        prompt_file = _parse_prompt_file(d.pop("prompt_file", UNSET))

        def _parse_prompts(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                prompts_type_0 = cast(list[str], data)

                return prompts_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        prompts = _parse_prompts(d.pop("prompts", UNSET))

        def _parse_system_prompt(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        system_prompt = _parse_system_prompt(d.pop("system_prompt", UNSET))

        responses_params = cls(
            prompt_file=prompt_file,
            prompts=prompts,
            system_prompt=system_prompt,
        )

        return responses_params
