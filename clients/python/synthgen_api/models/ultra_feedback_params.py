from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.ultra_feedback_params_principles_type_0_item import (
    UltraFeedbackParamsPrinciplesType0Item,
)
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.generator_ref import GeneratorRef


T = TypeVar("T", bound="UltraFeedbackParams")


@_attrs_define
class UltraFeedbackParams:
    """UltraFeedback knobs; defaults follow the original code (see the module docstring).

    Attributes:
        calibration_rate (float | Unset):  Default: 0.1.
        completers (list[GeneratorRef] | None | Unset):
        judge (GeneratorRef | None | Unset):
        k (int | Unset): Completions per prompt, from distinct completers. Default: 4.
        max_judge_retries (int | Unset):  Default: 3.
        principles (list[UltraFeedbackParamsPrinciplesType0Item] | None | Unset):
        prompt_file (None | str | Unset):
        prompts (list[str] | None | Unset):
    """

    calibration_rate: float | Unset = 0.1
    completers: list[GeneratorRef] | None | Unset = UNSET
    judge: GeneratorRef | None | Unset = UNSET
    k: int | Unset = 4
    max_judge_retries: int | Unset = 3
    principles: list[UltraFeedbackParamsPrinciplesType0Item] | None | Unset = UNSET
    prompt_file: None | str | Unset = UNSET
    prompts: list[str] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.generator_ref import GeneratorRef

        calibration_rate = self.calibration_rate

        completers: list[dict[str, Any]] | None | Unset
        if isinstance(self.completers, Unset):
            completers = UNSET
        elif isinstance(self.completers, list):
            completers = []
            for completers_type_0_item_data in self.completers:
                completers_type_0_item = completers_type_0_item_data.to_dict()
                completers.append(completers_type_0_item)

        else:
            completers = self.completers

        judge: dict[str, Any] | None | Unset
        if isinstance(self.judge, Unset):
            judge = UNSET
        elif isinstance(self.judge, GeneratorRef):
            judge = self.judge.to_dict()
        else:
            judge = self.judge

        k = self.k

        max_judge_retries = self.max_judge_retries

        principles: list[str] | None | Unset
        if isinstance(self.principles, Unset):
            principles = UNSET
        elif isinstance(self.principles, list):
            principles = []
            for principles_type_0_item_data in self.principles:
                principles_type_0_item = principles_type_0_item_data.value
                principles.append(principles_type_0_item)

        else:
            principles = self.principles

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

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if calibration_rate is not UNSET:
            field_dict["calibration_rate"] = calibration_rate
        if completers is not UNSET:
            field_dict["completers"] = completers
        if judge is not UNSET:
            field_dict["judge"] = judge
        if k is not UNSET:
            field_dict["k"] = k
        if max_judge_retries is not UNSET:
            field_dict["max_judge_retries"] = max_judge_retries
        if principles is not UNSET:
            field_dict["principles"] = principles
        if prompt_file is not UNSET:
            field_dict["prompt_file"] = prompt_file
        if prompts is not UNSET:
            field_dict["prompts"] = prompts

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.generator_ref import GeneratorRef

        d = dict(src_dict)
        calibration_rate = d.pop("calibration_rate", UNSET)

        def _parse_completers(data: object) -> list[GeneratorRef] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                completers_type_0 = []
                _completers_type_0 = data
                for completers_type_0_item_data in _completers_type_0:
                    completers_type_0_item = GeneratorRef.from_dict(
                        completers_type_0_item_data
                    )

                    completers_type_0.append(completers_type_0_item)

                return completers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[GeneratorRef] | None | Unset, data)

        completers = _parse_completers(d.pop("completers", UNSET))

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

        k = d.pop("k", UNSET)

        max_judge_retries = d.pop("max_judge_retries", UNSET)

        def _parse_principles(
            data: object,
        ) -> list[UltraFeedbackParamsPrinciplesType0Item] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                principles_type_0 = []
                _principles_type_0 = data
                for principles_type_0_item_data in _principles_type_0:
                    principles_type_0_item = UltraFeedbackParamsPrinciplesType0Item(
                        principles_type_0_item_data
                    )

                    principles_type_0.append(principles_type_0_item)

                return principles_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                list[UltraFeedbackParamsPrinciplesType0Item] | None | Unset, data
            )

        principles = _parse_principles(d.pop("principles", UNSET))

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

        ultra_feedback_params = cls(
            calibration_rate=calibration_rate,
            completers=completers,
            judge=judge,
            k=k,
            max_judge_retries=max_judge_retries,
            principles=principles,
            prompt_file=prompt_file,
            prompts=prompts,
        )

        return ultra_feedback_params
