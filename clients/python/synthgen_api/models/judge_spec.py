from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.generator_ref import GeneratorRef


T = TypeVar("T", bound="JudgeSpec")


@_attrs_define
class JudgeSpec:
    """LLM-as-judge pass: score every candidate, keep those at or above min_score.

    Attributes:
        generator (GeneratorRef | None | Unset):
        max_retries (int | Unset):  Default: 2.
        min_score (float | Unset):  Default: 3.0.
        repeats (int | Unset):  Default: 1.
        rubric (str | Unset): 'additive5' (default), or a prompt with {prompt} and {response} asking for a closing
            'Score: N'. Default: 'additive5'.
    """

    generator: GeneratorRef | None | Unset = UNSET
    max_retries: int | Unset = 2
    min_score: float | Unset = 3.0
    repeats: int | Unset = 1
    rubric: str | Unset = "additive5"

    def to_dict(self) -> dict[str, Any]:
        from ..models.generator_ref import GeneratorRef

        generator: dict[str, Any] | None | Unset
        if isinstance(self.generator, Unset):
            generator = UNSET
        elif isinstance(self.generator, GeneratorRef):
            generator = self.generator.to_dict()
        else:
            generator = self.generator

        max_retries = self.max_retries

        min_score = self.min_score

        repeats = self.repeats

        rubric = self.rubric

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if generator is not UNSET:
            field_dict["generator"] = generator
        if max_retries is not UNSET:
            field_dict["max_retries"] = max_retries
        if min_score is not UNSET:
            field_dict["min_score"] = min_score
        if repeats is not UNSET:
            field_dict["repeats"] = repeats
        if rubric is not UNSET:
            field_dict["rubric"] = rubric

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.generator_ref import GeneratorRef

        d = dict(src_dict)

        def _parse_generator(data: object) -> GeneratorRef | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                generator_type_0 = GeneratorRef.from_dict(data)

                return generator_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GeneratorRef | None | Unset, data)

        generator = _parse_generator(d.pop("generator", UNSET))

        max_retries = d.pop("max_retries", UNSET)

        min_score = d.pop("min_score", UNSET)

        repeats = d.pop("repeats", UNSET)

        rubric = d.pop("rubric", UNSET)

        judge_spec = cls(
            generator=generator,
            max_retries=max_retries,
            min_score=min_score,
            repeats=repeats,
            rubric=rubric,
        )

        return judge_spec
