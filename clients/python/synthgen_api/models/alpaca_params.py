from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.alpaca_params_mode import AlpacaParamsMode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.seed_task import SeedTask


T = TypeVar("T", bound="AlpacaParams")


@_attrs_define
class AlpacaParams:
    """Alpaca knobs; defaults follow the original code.

    Attributes:
        demos (int | Unset):  Default: 3.
        mode (AlpacaParamsMode | Unset):  Default: AlpacaParamsMode.COMPLETION.
        rouge_threshold (float | Unset):  Default: 0.7.
        seed_file (None | str | Unset):
        seeds (list[SeedTask] | None | Unset):
    """

    demos: int | Unset = 3
    mode: AlpacaParamsMode | Unset = AlpacaParamsMode.COMPLETION
    rouge_threshold: float | Unset = 0.7
    seed_file: None | str | Unset = UNSET
    seeds: list[SeedTask] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        demos = self.demos

        mode: str | Unset = UNSET
        if not isinstance(self.mode, Unset):
            mode = self.mode.value

        rouge_threshold = self.rouge_threshold

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

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if demos is not UNSET:
            field_dict["demos"] = demos
        if mode is not UNSET:
            field_dict["mode"] = mode
        if rouge_threshold is not UNSET:
            field_dict["rouge_threshold"] = rouge_threshold
        if seed_file is not UNSET:
            field_dict["seed_file"] = seed_file
        if seeds is not UNSET:
            field_dict["seeds"] = seeds

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.seed_task import SeedTask

        d = dict(src_dict)
        demos = d.pop("demos", UNSET)

        _mode = d.pop("mode", UNSET)
        mode: AlpacaParamsMode | Unset
        if isinstance(_mode, Unset):
            mode = UNSET
        else:
            mode = AlpacaParamsMode(_mode)

        rouge_threshold = d.pop("rouge_threshold", UNSET)

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

        alpaca_params = cls(
            demos=demos,
            mode=mode,
            rouge_threshold=rouge_threshold,
            seed_file=seed_file,
            seeds=seeds,
        )

        return alpaca_params
