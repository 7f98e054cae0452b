from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SpotCheckRequest")


@_attrs_define
class SpotCheckRequest:
    """How to draw a sample.

    Attributes:
        guidelines (str | Unset): What reviewers should check; shown with the sample Default: ''.
        interim (bool | Unset): Allow drawing from a job that has not finished (the sample says so) Default: False.
        reasons (list[str] | None | Unset):
        redraw (bool | Unset): Replace the current sample; only while it has no verdicts Default: False.
        seed (int | None | Unset):
        size (int | Unset):  Default: 200.
    """

    guidelines: str | Unset = ""
    interim: bool | Unset = False
    reasons: list[str] | None | Unset = UNSET
    redraw: bool | Unset = False
    seed: int | None | Unset = UNSET
    size: int | Unset = 200

    def to_dict(self) -> dict[str, Any]:
        guidelines = self.guidelines

        interim = self.interim

        reasons: list[str] | None | Unset
        if isinstance(self.reasons, Unset):
            reasons = UNSET
        elif isinstance(self.reasons, list):
            reasons = self.reasons

        else:
            reasons = self.reasons

        redraw = self.redraw

        seed: int | None | Unset
        if isinstance(self.seed, Unset):
            seed = UNSET
        else:
            seed = self.seed

        size = self.size

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if guidelines is not UNSET:
            field_dict["guidelines"] = guidelines
        if interim is not UNSET:
            field_dict["interim"] = interim
        if reasons is not UNSET:
            field_dict["reasons"] = reasons
        if redraw is not UNSET:
            field_dict["redraw"] = redraw
        if seed is not UNSET:
            field_dict["seed"] = seed
        if size is not UNSET:
            field_dict["size"] = size

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        guidelines = d.pop("guidelines", UNSET)

        interim = d.pop("interim", UNSET)

        def _parse_reasons(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                reasons_type_0 = cast(list[str], data)

                return reasons_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        reasons = _parse_reasons(d.pop("reasons", UNSET))

        redraw = d.pop("redraw", UNSET)

        def _parse_seed(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        seed = _parse_seed(d.pop("seed", UNSET))

        size = d.pop("size", UNSET)

        spot_check_request = cls(
            guidelines=guidelines,
            interim=interim,
            reasons=reasons,
            redraw=redraw,
            seed=seed,
            size=size,
        )

        return spot_check_request
