from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.evol_instruct_params_eliminate_item import EvolInstructParamsEliminateItem
from ..models.evol_instruct_params_operations_item import (
    EvolInstructParamsOperationsItem,
)
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.generator_ref import GeneratorRef
    from ..models.seed_task import SeedTask


T = TypeVar("T", bound="EvolInstructParams")


@_attrs_define
class EvolInstructParams:
    """Evol-Instruct knobs; defaults follow the paper (see the module docstring).

    Attributes:
        eliminate (list[EvolInstructParamsEliminateItem] | Unset):
        include_seeds (bool | Unset):  Default: False.
        instructions (list[str] | None | Unset):
        judge (GeneratorRef | None | Unset):
        operations (list[EvolInstructParamsOperationsItem] | Unset):
        rounds (int | Unset):  Default: 4.
        seed_file (None | str | Unset):
        seeds (list[SeedTask] | None | Unset):
        sorry_max_words (int | Unset):  Default: 80.
        system_prompt (None | str | Unset):  Default: 'You are a helpful assistant.'.
    """

    eliminate: list[EvolInstructParamsEliminateItem] | Unset = UNSET
    include_seeds: bool | Unset = False
    instructions: list[str] | None | Unset = UNSET
    judge: GeneratorRef | None | Unset = UNSET
    operations: list[EvolInstructParamsOperationsItem] | Unset = UNSET
    rounds: int | Unset = 4
    seed_file: None | str | Unset = UNSET
    seeds: list[SeedTask] | None | Unset = UNSET
    sorry_max_words: int | Unset = 80
    system_prompt: None | str | Unset = "You are a helpful assistant."

    def to_dict(self) -> dict[str, Any]:
        from ..models.generator_ref import GeneratorRef

        eliminate: list[str] | Unset = UNSET
        if not isinstance(self.eliminate, Unset):
            eliminate = []
            for eliminate_item_data in self.eliminate:
                eliminate_item = eliminate_item_data.value
                eliminate.append(eliminate_item)

        include_seeds = self.include_seeds

        instructions: list[str] | None | Unset
        if isinstance(self.instructions, Unset):
            instructions = UNSET
        elif isinstance(self.instructions, list):
            instructions = self.instructions

        else:
            instructions = self.instructions

        judge: dict[str, Any] | None | Unset
        if isinstance(self.judge, Unset):
            judge = UNSET
        elif isinstance(self.judge, GeneratorRef):
            judge = self.judge.to_dict()
        else:
            judge = self.judge

        operations: list[str] | Unset = UNSET
        if not isinstance(self.operations, Unset):
            operations = []
            for operations_item_data in self.operations:
                operations_item = operations_item_data.value
                operations.append(operations_item)

        rounds = self.rounds

        seed_file: None | str | Unset
        if isinstance(self.seed_file, Unset):
            seed_file = UNSET
        else:
            seed_file = self.seed_file

        seeds: list[dict[str, Any]] | None | Unset
        if isinstance(self.seeds, Unset):
            seeds = UNSET
        elif isinstance(self.seeds, list):
            seeds = []
            for seeds_type_0_item_data in self.seeds:
                seeds_type_0_item = seeds_type_0_item_data.to_dict()
                seeds.append(seeds_type_0_item)

        else:
            seeds = self.seeds

        sorry_max_words = self.sorry_max_words

        system_prompt: None | str | Unset
        if isinstance(self.system_prompt, Unset):
            system_prompt = UNSET
        else:
            system_prompt = self.system_prompt

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if eliminate is not UNSET:
            field_dict["eliminate"] = eliminate
        if include_seeds is not UNSET:
            field_dict["include_seeds"] = include_seeds
        if instructions is not UNSET:
            field_dict["instructions"] = instructions
        if judge is not UNSET:
            field_dict["judge"] = judge
        if operations is not UNSET:
            field_dict["operations"] = operations
        if rounds is not UNSET:
            field_dict["rounds"] = rounds
        if seed_file is not UNSET:
            field_dict["seed_file"] = seed_file
        if seeds is not UNSET:
            field_dict["seeds"] = seeds
        if sorry_max_words is not UNSET:
            field_dict["sorry_max_words"] = sorry_max_words
        if system_prompt is not UNSET:
            field_dict["system_prompt"] = system_prompt

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.generator_ref import GeneratorRef
        from ..models.seed_task import SeedTask

        d = dict(src_dict)
        _eliminate = d.pop("eliminate", UNSET)
        eliminate: list[EvolInstructParamsEliminateItem] | Unset = UNSET
        if _eliminate is not UNSET:
            eliminate = []
            for eliminate_item_data in _eliminate:
                eliminate_item = EvolInstructParamsEliminateItem(eliminate_item_data)

                eliminate.append(eliminate_item)

        include_seeds = d.pop("include_seeds", UNSET)

        def _parse_instructions(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                instructions_type_0 = cast(list[str], data)

                return instructions_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        instructions = _parse_instructions(d.pop("instructions", UNSET))

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

        _operations = d.pop("operations", UNSET)
        operations: list[EvolInstructParamsOperationsItem] | Unset = UNSET
        if _operations is not UNSET:
            operations = []
            for operations_item_data in _operations:
                operations_item = EvolInstructParamsOperationsItem(operations_item_data)

                operations.append(operations_item)

        rounds = d.pop("rounds", UNSET)

        def _parse_seed_file(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        seed_file = _parse_seed_file(d.pop("seed_file", UNSET))

        def _parse_seeds(data: object) -> list[SeedTask] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                seeds_type_0 = []
                _seeds_type_0 = data
                for seeds_type_0_item_data in _seeds_type_0:
                    seeds_type_0_item = SeedTask.from_dict(seeds_type_0_item_data)

                    seeds_type_0.append(seeds_type_0_item)

                return seeds_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[SeedTask] | None | Unset, data)

        seeds = _parse_seeds(d.pop("seeds", UNSET))

        sorry_max_words = d.pop("sorry_max_words", UNSET)

        def _parse_system_prompt(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        system_prompt = _parse_system_prompt(d.pop("system_prompt", UNSET))

        evol_instruct_params = cls(
            eliminate=eliminate,
            include_seeds=include_seeds,
            instructions=instructions,
            judge=judge,
            operations=operations,
            rounds=rounds,
            seed_file=seed_file,
            seeds=seeds,
            sorry_max_words=sorry_max_words,
            system_prompt=system_prompt,
        )

        return evol_instruct_params
