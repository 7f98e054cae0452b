from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Shards")


@_attrs_define
class Shards:
    """How the job is spread over workers: at most `parallelism` shards, each worked on
    by one worker at a time; `running` are held by a worker now, `ended` finished their
    part. Counters, funnel and outcomes are the sum over every shard.

        Attributes:
            ended (int | Unset):  Default: 0.
            parallelism (int | Unset):  Default: 1.
            running (int | Unset):  Default: 0.
    """

    ended: int | Unset = 0
    parallelism: int | Unset = 1
    running: int | Unset = 0
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        ended = self.ended

        parallelism = self.parallelism

        running = self.running

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if ended is not UNSET:
            field_dict["ended"] = ended
        if parallelism is not UNSET:
            field_dict["parallelism"] = parallelism
        if running is not UNSET:
            field_dict["running"] = running

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        ended = d.pop("ended", UNSET)

        parallelism = d.pop("parallelism", UNSET)

        running = d.pop("running", UNSET)

        shards = cls(
            ended=ended,
            parallelism=parallelism,
            running=running,
        )

        shards.additional_properties = d
        return shards

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
