from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.cost_generators import CostGenerators
    from ..models.cost_stages import CostStages


T = TypeVar("T", bound="Cost")


@_attrs_define
class Cost:
    """What a job has spent so far at the configured prices (every shard's calls).

    `usd` in total, `per_kept_record_usd` (None before the first kept record), by
    generator (`provider/model`) and by stage (`generation`: the recipe's own calls;
    `judge`: the judge stage's and a recipe's judge model's). `unpriced_calls` counts
    answered calls to models the providers file gives no price for: they count as 0.
    The shared response cache (a job's `cache`): `cache_hits` answers it gave (no
    request sent, nothing spent), `cache_misses` requests it could not answer (sent, and
    their answers stored), `saved_usd` what the hits would have cost. While a job with a
    target runs: `remaining_usd` and `remaining_seconds`, projected from what it spent
    and how long it took per kept record so far (None before its first record).
    Batch mode (a job's `deadline`): `batch_calls` calls answered through a provider's
    batch API (charged at its batch discount), `batch_online` batched requests their
    batch left unanswered (it expired or was cancelled), sent online instead.

        Attributes:
            batch_calls (int | Unset):  Default: 0.
            batch_online (int | Unset):  Default: 0.
            cache_hits (int | Unset):  Default: 0.
            cache_misses (int | Unset):  Default: 0.
            generators (CostGenerators | Unset):
            per_kept_record_usd (float | None | Unset):
            remaining_seconds (float | None | Unset):
            remaining_usd (float | None | Unset):
            saved_usd (float | Unset):  Default: 0.0.
            stages (CostStages | Unset):
            unpriced_calls (int | Unset):  Default: 0.
            usd (float | Unset):  Default: 0.0.
    """

    batch_calls: int | Unset = 0
    batch_online: int | Unset = 0
    cache_hits: int | Unset = 0
    cache_misses: int | Unset = 0
    generators: CostGenerators | Unset = UNSET
    per_kept_record_usd: float | None | Unset = UNSET
    remaining_seconds: float | None | Unset = UNSET
    remaining_usd: float | None | Unset = UNSET
    saved_usd: float | Unset = 0.0
    stages: CostStages | Unset = UNSET
    unpriced_calls: int | Unset = 0
    usd: float | Unset = 0.0
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        batch_calls = self.batch_calls

        batch_online = self.batch_online

        cache_hits = self.cache_hits

        cache_misses = self.cache_misses

        generators: dict[str, Any] | Unset = UNSET
        if not isinstance(self.generators, Unset):
            generators = self.generators.to_dict()

        per_kept_record_usd: float | None | Unset
        if isinstance(self.per_kept_record_usd, Unset):
            per_kept_record_usd = UNSET
        else:
            per_kept_record_usd = self.per_kept_record_usd

        remaining_seconds: float | None | Unset
        if isinstance(self.remaining_seconds, Unset):
            remaining_seconds = UNSET
        else:
            remaining_seconds = self.remaining_seconds

        remaining_usd: float | None | Unset
        if isinstance(self.remaining_usd, Unset):
            remaining_usd = UNSET
        else:
            remaining_usd = self.remaining_usd

        saved_usd = self.saved_usd

        stages: dict[str, Any] | Unset = UNSET
        if not isinstance(self.stages, Unset):
            stages = self.stages.to_dict()

        unpriced_calls = self.unpriced_calls

        usd = self.usd

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if batch_calls is not UNSET:
            field_dict["batch_calls"] = batch_calls
        if batch_online is not UNSET:
            field_dict["batch_online"] = batch_online
        if cache_hits is not UNSET:
            field_dict["cache_hits"] = cache_hits
        if cache_misses is not UNSET:
            field_dict["cache_misses"] = cache_misses
        if generators is not UNSET:
            field_dict["generators"] = generators
        if per_kept_record_usd is not UNSET:
            field_dict["per_kept_record_usd"] = per_kept_record_usd
        if remaining_seconds is not UNSET:
            field_dict["remaining_seconds"] = remaining_seconds
        if remaining_usd is not UNSET:
            field_dict["remaining_usd"] = remaining_usd
        if saved_usd is not UNSET:
            field_dict["saved_usd"] = saved_usd
        if stages is not UNSET:
            field_dict["stages"] = stages
        if unpriced_calls is not UNSET:
            field_dict["unpriced_calls"] = unpriced_calls
        if usd is not UNSET:
            field_dict["usd"] = usd

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.cost_generators import CostGenerators
        from ..models.cost_stages import CostStages

        d = dict(src_dict)
        batch_calls = d.pop("batch_calls", UNSET)

        batch_online = d.pop("batch_online", UNSET)

        cache_hits = d.pop("cache_hits", UNSET)

        cache_misses = d.pop("cache_misses", UNSET)

        _generators = d.pop("generators", UNSET)
        generators: CostGenerators | Unset
        if isinstance(_generators, Unset):
            generators = UNSET
        else:
            generators = CostGenerators.from_dict(_generators)

        def _parse_per_kept_record_usd(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        per_kept_record_usd = _parse_per_kept_record_usd(
            d.pop("per_kept_record_usd", UNSET)
        )

        def _parse_remaining_seconds(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        remaining_seconds = _parse_remaining_seconds(d.pop("remaining_seconds", UNSET))

        def _parse_remaining_usd(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        remaining_usd = _parse_remaining_usd(d.pop("remaining_usd", UNSET))

        saved_usd = d.pop("saved_usd", UNSET)

        _stages = d.pop("stages", UNSET)
        stages: CostStages | Unset
        if isinstance(_stages, Unset):
            stages = UNSET
        else:
            stages = CostStages.from_dict(_stages)

        unpriced_calls = d.pop("unpriced_calls", UNSET)

        usd = d.pop("usd", UNSET)

        cost = cls(
            batch_calls=batch_calls,
            batch_online=batch_online,
            cache_hits=cache_hits,
            cache_misses=cache_misses,
            generators=generators,
            per_kept_record_usd=per_kept_record_usd,
            remaining_seconds=remaining_seconds,
            remaining_usd=remaining_usd,
            saved_usd=saved_usd,
            stages=stages,
            unpriced_calls=unpriced_calls,
            usd=usd,
        )

        cost.additional_properties = d
        return cost

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
