from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SampleInfo")


@_attrs_define
class SampleInfo:
    """How a sample was drawn (stored with it).

    Attributes:
        draw (str):
        drawn_at (str):
        drawn_from (int):
        guidelines (str):
        interim (bool):
        job_status (str):
        reasons (list[str]):
        seed (int):
    """

    draw: str
    drawn_at: str
    drawn_from: int
    guidelines: str
    interim: bool
    job_status: str
    reasons: list[str]
    seed: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        draw = self.draw

        drawn_at = self.drawn_at

        drawn_from = self.drawn_from

        guidelines = self.guidelines

        interim = self.interim

        job_status = self.job_status

        reasons = self.reasons

        seed = self.seed

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "draw": draw,
                "drawn_at": drawn_at,
                "drawn_from": drawn_from,
                "guidelines": guidelines,
                "interim": interim,
                "job_status": job_status,
                "reasons": reasons,
                "seed": seed,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        draw = d.pop("draw")

        drawn_at = d.pop("drawn_at")

        drawn_from = d.pop("drawn_from")

        guidelines = d.pop("guidelines")

        interim = d.pop("interim")

        job_status = d.pop("job_status")

        reasons = cast(list[str], d.pop("reasons"))

        seed = d.pop("seed")

        sample_info = cls(
            draw=draw,
            drawn_at=drawn_at,
            drawn_from=drawn_from,
            guidelines=guidelines,
            interim=interim,
            job_status=job_status,
            reasons=reasons,
            seed=seed,
        )

        sample_info.additional_properties = d
        return sample_info

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
