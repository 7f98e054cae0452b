from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ReasoningItem")


@_attrs_define
class ReasoningItem:
    """A prompt and what checks its answer: a reference `answer` or Python `tests`.

    Attributes:
        prompt (str):
        answer (None | str | Unset):
        tests (None | str | Unset):
    """

    prompt: str
    answer: None | str | Unset = UNSET
    tests: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        answer: None | str | Unset
        if isinstance(self.answer, Unset):
            answer = UNSET
        else:
            answer = self.answer

        tests: None | str | Unset
        if isinstance(self.tests, Unset):
            tests = UNSET
        else:
            tests = self.tests

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if answer is not UNSET:
            field_dict["answer"] = answer
        if tests is not UNSET:
            field_dict["tests"] = tests

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")

        def _parse_answer(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        answer = _parse_answer(d.pop("answer", UNSET))

        def _parse_tests(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tests = _parse_tests(d.pop("tests", UNSET))

        reasoning_item = cls(
            prompt=prompt,
            answer=answer,
            tests=tests,
        )

        return reasoning_item
