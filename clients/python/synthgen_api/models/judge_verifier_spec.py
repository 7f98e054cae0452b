from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.judge_verifier_spec_kind import JudgeVerifierSpecKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.generator_ref import GeneratorRef


T = TypeVar("T", bound="JudgeVerifierSpec")


@_attrs_define
class JudgeVerifierSpec:
    """The judge stage's scoring (pipeline/judge.py) as a verifier.

    Attributes:
        kind (JudgeVerifierSpecKind):
        generator (GeneratorRef | None | Unset):
        min_score (float | Unset):  Default: 3.0.
        repeats (int | Unset):  Default: 1.
        rubric (str | Unset):  Default: 'additive5'.
    """

    kind: JudgeVerifierSpecKind
    generator: GeneratorRef | None | Unset = UNSET
    min_score: float | Unset = 3.0
    repeats: int | Unset = 1
    rubric: str | Unset = "additive5"

    def to_dict(self) -> dict[str, Any]:
        from ..models.generator_ref import GeneratorRef

        kind = self.kind.value

        generator: dict[str, Any] | None | Unset
        if isinstance(self.generator, Unset):
            generator = UNSET
        elif isinstance(self.generator, GeneratorRef):
            generator = self.generator.to_dict()
        else:
            generator = self.generator

        min_score = self.min_score

        repeats = self.repeats

        rubric = self.rubric

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
            }
        )
        if generator is not UNSET:
            field_dict["generator"] = generator
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
        kind = JudgeVerifierSpecKind(d.pop("kind"))

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

        min_score = d.pop("min_score", UNSET)

        repeats = d.pop("repeats", UNSET)

        rubric = d.pop("rubric", UNSET)

        judge_verifier_spec = cls(
            kind=kind,
            generator=generator,
            min_score=min_score,
            repeats=repeats,
            rubric=rubric,
        )

        return judge_verifier_spec
