from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.ultra_chat_params_sector import UltraChatParamsSector
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.generator_ref import GeneratorRef


T = TypeVar("T", bound="UltraChatParams")


@_attrs_define
class UltraChatParams:
    """UltraChat knobs; round ranges follow the paper. Give at most one seed source.

    Attributes:
        dialogues_per_seed (int | Unset):  Default: 1.
        drop_no_emotions (bool | Unset):  Default: True.
        expand_rate (float | Unset):  Default: 0.8.
        max_rounds (int | None | Unset):
        min_rounds (int | None | Unset):
        openings (list[str] | None | Unset):
        passages (list[str] | None | Unset):
        sector (UltraChatParamsSector | Unset):  Default: UltraChatParamsSector.WORLD.
        subtopics (int | Unset):  Default: 5.
        topics (list[str] | None | Unset):
        user_simulator (GeneratorRef | None | Unset):
    """

    dialogues_per_seed: int | Unset = 1
    drop_no_emotions: bool | Unset = True
    expand_rate: float | Unset = 0.8
    max_rounds: int | None | Unset = UNSET
    min_rounds: int | None | Unset = UNSET
    openings: list[str] | None | Unset = UNSET
    passages: list[str] | None | Unset = UNSET
    sector: UltraChatParamsSector | Unset = UltraChatParamsSector.WORLD
    subtopics: int | Unset = 5
    topics: list[str] | None | Unset = UNSET
    user_simulator: GeneratorRef | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.generator_ref import GeneratorRef

        dialogues_per_seed = self.dialogues_per_seed

        drop_no_emotions = self.drop_no_emotions

        expand_rate = self.expand_rate

        max_rounds: int | None | Unset
        if isinstance(self.max_rounds, Unset):
            max_rounds = UNSET
        else:
            max_rounds = self.max_rounds

        min_rounds: int | None | Unset
        if isinstance(self.min_rounds, Unset):
            min_rounds = UNSET
        else:
            min_rounds = self.min_rounds

        openings: list[str] | None | Unset
        if isinstance(self.openings, Unset):
            openings = UNSET
        elif isinstance(self.openings, list):
            openings = self.openings

        else:
            openings = self.openings

        passages: list[str] | None | Unset
        if isinstance(self.passages, Unset):
            passages = UNSET
        elif isinstance(self.passages, list):
            passages = self.passages

        else:
            passages = self.passages

        sector: str | Unset = UNSET
        if not isinstance(self.sector, Unset):
            sector = self.sector.value

        subtopics = self.subtopics

        topics: list[str] | None | Unset
        if isinstance(self.topics, Unset):
            topics = UNSET
        elif isinstance(self.topics, list):
            topics = self.topics

        else:
            topics = self.topics

        user_simulator: dict[str, Any] | None | Unset
        if isinstance(self.user_simulator, Unset):
            user_simulator = UNSET
        elif isinstance(self.user_simulator, GeneratorRef):
            user_simulator = self.user_simulator.to_dict()
        else:
            user_simulator = self.user_simulator

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if dialogues_per_seed is not UNSET:
            field_dict["dialogues_per_seed"] = dialogues_per_seed
        if drop_no_emotions is not UNSET:
            field_dict["drop_no_emotions"] = drop_no_emotions
        if expand_rate is not UNSET:
            field_dict["expand_rate"] = expand_rate
        if max_rounds is not UNSET:
            field_dict["max_rounds"] = max_rounds
        if min_rounds is not UNSET:
            field_dict["min_rounds"] = min_rounds
        if openings is not UNSET:
            field_dict["openings"] = openings
        if passages is not UNSET:
            field_dict["passages"] = passages
        if sector is not UNSET:
            field_dict["sector"] = sector
        if subtopics is not UNSET:
            field_dict["subtopics"] = subtopics
        if topics is not UNSET:
            field_dict["topics"] = topics
        if user_simulator is not UNSET:
            field_dict["user_simulator"] = user_simulator

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.generator_ref import GeneratorRef

        d = dict(src_dict)
        dialogues_per_seed = d.pop("dialogues_per_seed", UNSET)

        drop_no_emotions = d.pop("drop_no_emotions", UNSET)

        expand_rate = d.pop("expand_rate", UNSET)

        def _parse_max_rounds(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_rounds = _parse_max_rounds(d.pop("max_rounds", UNSET))

        def _parse_min_rounds(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        min_rounds = _parse_min_rounds(d.pop("min_rounds", UNSET))

        def _parse_openings(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                openings_type_0 = cast(list[str], data)

                return openings_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        openings = _parse_openings(d.pop("openings", UNSET))

        def _parse_passages(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                passages_type_0 = cast(list[str], data)

                return passages_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        passages = _parse_passages(d.pop("passages", UNSET))

        _sector = d.pop("sector", UNSET)
        sector: UltraChatParamsSector | Unset
        if isinstance(_sector, Unset):
            sector = UNSET
        else:
            sector = UltraChatParamsSector(_sector)

        subtopics = d.pop("subtopics", UNSET)

        def _parse_topics(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                topics_type_0 = cast(list[str], data)

                return topics_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        topics = _parse_topics(d.pop("topics", UNSET))

        def _parse_user_simulator(data: object) -> GeneratorRef | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                user_simulator_type_0 = GeneratorRef.from_dict(data)

                return user_simulator_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GeneratorRef | None | Unset, data)

        user_simulator = _parse_user_simulator(d.pop("user_simulator", UNSET))

        ultra_chat_params = cls(
            dialogues_per_seed=dialogues_per_seed,
            drop_no_emotions=drop_no_emotions,
            expand_rate=expand_rate,
            max_rounds=max_rounds,
            min_rounds=min_rounds,
            openings=openings,
            passages=passages,
            sector=sector,
            subtopics=subtopics,
            topics=topics,
            user_simulator=user_simulator,
        )

        return ultra_chat_params
