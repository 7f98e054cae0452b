from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.sampling import Sampling


T = TypeVar("T", bound="SelfRewardingParams")


@_attrs_define
class SelfRewardingParams:
    """Self-Rewarding knobs; defaults follow the paper (N = 4, 3 judgements).

    Attributes:
        judge_repeats (int | Unset): Judgements averaged per response. Default: 3.
        judge_sampling (Sampling | Unset): Sampling parameters sent to the provider; unset ones take the recipe's
            defaults.
        keep_judgements (bool | Unset):  Default: True.
        prompt_file (None | str | Unset):
        prompts (list[str] | None | Unset):
        samples (int | Unset): Responses sampled per prompt. Default: 4.
    """

    judge_repeats: int | Unset = 3
    judge_sampling: Sampling | Unset = UNSET
    keep_judgements: bool | Unset = True
    prompt_file: None | str | Unset = UNSET
    prompts: list[str] | None | Unset = UNSET
    samples: int | Unset = 4

    def to_dict(self) -> dict[str, Any]:
        judge_repeats = self.judge_repeats

        judge_sampling: dict[str, Any] | Unset = UNSET
        if not isinstance(self.judge_sampling, Unset):
            judge_sampling = self.judge_sampling.to_dict()

        keep_judgements = self.keep_judgements

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

        samples = self.samples

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if judge_repeats is not UNSET:
            field_dict["judge_repeats"] = judge_repeats
        if judge_sampling is not UNSET:
            field_dict["judge_sampling"] = judge_sampling
        if keep_judgements is not UNSET:
            field_dict["keep_judgements"] = keep_judgements
        if prompt_file is not UNSET:
            field_dict["prompt_file"] = prompt_file
        if prompts is not UNSET:
            field_dict["prompts"] = prompts
        if samples is not UNSET:
            field_dict["samples"] = samples

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.sampling import Sampling

        d = dict(src_dict)
        judge_repeats = d.pop("judge_repeats", UNSET)

        _judge_sampling = d.pop("judge_sampling", UNSET)
        judge_sampling: Sampling | Unset
        if isinstance(_judge_sampling, Unset):
            judge_sampling = UNSET
        else:
            judge_sampling = Sampling.from_dict(_judge_sampling)

        keep_judgements = d.pop("keep_judgements", UNSET)

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

        samples = d.pop("samples", UNSET)

        self_rewarding_params = cls(
            judge_repeats=judge_repeats,
            judge_sampling=judge_sampling,
            keep_judgements=keep_judgements,
            prompt_file=prompt_file,
            prompts=prompts,
            samples=samples,
        )

        return self_rewarding_params
