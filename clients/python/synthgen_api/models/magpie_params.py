from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.magpie_params_template import MagpieParamsTemplate
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.sampling import Sampling


T = TypeVar("T", bound="MagpieParams")


@_attrs_define
class MagpieParams:
    """Magpie knobs; defaults follow the original code except where the module says.

    Attributes:
        custom_template (None | str | Unset):
        early_stopping (bool | Unset):  Default: True.
        instruction_sampling (Sampling | Unset): Sampling parameters sent to the provider; unset ones take the recipe's
            defaults.
        mt_system_prompt (str | Unset):  Default: 'You are a helpful AI assistant. The user will talk with you over
            several rounds: a first question, then follow-up questions related to it. Answer each one thoroughly, relevantly
            and with insight, so the user gets what they need.'.
        stop (list[str] | Unset):
        template (MagpieParamsTemplate | Unset):  Default: MagpieParamsTemplate.AUTO.
        turns (int | Unset):  Default: 1.
    """

    custom_template: None | str | Unset = UNSET
    early_stopping: bool | Unset = True
    instruction_sampling: Sampling | Unset = UNSET
    mt_system_prompt: str | Unset = (
        "You are a helpful AI assistant. The user will talk with you over several rounds: a first question, then follow-up questions related to it. Answer each one thoroughly, relevantly and with insight, so the user gets what they need."
    )
    stop: list[str] | Unset = UNSET
    template: MagpieParamsTemplate | Unset = MagpieParamsTemplate.AUTO
    turns: int | Unset = 1

    def to_dict(self) -> dict[str, Any]:
        custom_template: None | str | Unset
        if isinstance(self.custom_template, Unset):
            custom_template = UNSET
        else:
            custom_template = self.custom_template

        early_stopping = self.early_stopping

        instruction_sampling: dict[str, Any] | Unset = UNSET
        if not isinstance(self.instruction_sampling, Unset):
            instruction_sampling = self.instruction_sampling.to_dict()

        mt_system_prompt = self.mt_system_prompt

        stop: list[str] | Unset = UNSET
        if not isinstance(self.stop, Unset):
            stop = self.stop

        template: str | Unset = UNSET
        if not isinstance(self.template, Unset):
            template = self.template.value

        turns = self.turns

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if custom_template is not UNSET:
            field_dict["custom_template"] = custom_template
        if early_stopping is not UNSET:
            field_dict["early_stopping"] = early_stopping
        if instruction_sampling is not UNSET:
            field_dict["instruction_sampling"] = instruction_sampling
        if mt_system_prompt is not UNSET:
            field_dict["mt_system_prompt"] = mt_system_prompt
        if stop is not UNSET:
            field_dict["stop"] = stop
        if template is not UNSET:
            field_dict["template"] = template
        if turns is not UNSET:
            field_dict["turns"] = turns

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.sampling import Sampling

        d = dict(src_dict)

        def _parse_custom_template(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        custom_template = _parse_custom_template(d.pop("custom_template", UNSET))

        early_stopping = d.pop("early_stopping", UNSET)

        _instruction_sampling = d.pop("instruction_sampling", UNSET)
        instruction_sampling: Sampling | Unset
        if isinstance(_instruction_sampling, Unset):
            instruction_sampling = UNSET
        else:
            instruction_sampling = Sampling.from_dict(_instruction_sampling)

        mt_system_prompt = d.pop("mt_system_prompt", UNSET)

        stop = cast(list[str], d.pop("stop", UNSET))

        _template = d.pop("template", UNSET)
        template: MagpieParamsTemplate | Unset
        if isinstance(_template, Unset):
            template = UNSET
        else:
            template = MagpieParamsTemplate(_template)

        turns = d.pop("turns", UNSET)

        magpie_params = cls(
            custom_template=custom_template,
            early_stopping=early_stopping,
            instruction_sampling=instruction_sampling,
            mt_system_prompt=mt_system_prompt,
            stop=stop,
            template=template,
            turns=turns,
        )

        return magpie_params
