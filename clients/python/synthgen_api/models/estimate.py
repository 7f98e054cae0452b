from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.range_ import Range


T = TypeVar("T", bound="Estimate")


@_attrs_define
class Estimate:
    """
    Attributes:
        cost_usd (Range):
        inputs (int | None):
        kept (Range):
        note (str):
        requests (Range):
        sample_attempts (int):
        sample_job (str):
        sample_kept (int):
        seconds (None | Range):
        status (str):
        target (int | None):
        tokens (Range):
        yield_ (Range):
        object_ (str | Unset):  Default: 'job.estimate'.
    """

    cost_usd: Range
    inputs: int | None
    kept: Range
    note: str
    requests: Range
    sample_attempts: int
    sample_job: str
    sample_kept: int
    seconds: None | Range
    status: str
    target: int | None
    tokens: Range
    yield_: Range
    object_: str | Unset = "job.estimate"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.range_ import Range

        cost_usd = self.cost_usd.to_dict()

        inputs: int | None
        inputs = self.inputs

        kept = self.kept.to_dict()

        note = self.note

        requests = self.requests.to_dict()

        sample_attempts = self.sample_attempts

        sample_job = self.sample_job

        sample_kept = self.sample_kept

        seconds: dict[str, Any] | None
        if isinstance(self.seconds, Range):
            seconds = self.seconds.to_dict()
        else:
            seconds = self.seconds

        status = self.status

        target: int | None
        target = self.target

        tokens = self.tokens.to_dict()

        yield_ = self.yield_.to_dict()

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cost_usd": cost_usd,
                "inputs": inputs,
                "kept": kept,
                "note": note,
                "requests": requests,
                "sample_attempts": sample_attempts,
                "sample_job": sample_job,
                "sample_kept": sample_kept,
                "seconds": seconds,
                "status": status,
                "target": target,
                "tokens": tokens,
                "yield": yield_,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.range_ import Range

        d = dict(src_dict)
        cost_usd = Range.from_dict(d.pop("cost_usd"))

        def _parse_inputs(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        inputs = _parse_inputs(d.pop("inputs"))

        kept = Range.from_dict(d.pop("kept"))

        note = d.pop("note")

        requests = Range.from_dict(d.pop("requests"))

        sample_attempts = d.pop("sample_attempts")

        sample_job = d.pop("sample_job")

        sample_kept = d.pop("sample_kept")

        def _parse_seconds(data: object) -> None | Range:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                seconds_type_0 = Range.from_dict(data)

                return seconds_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Range, data)

        seconds = _parse_seconds(d.pop("seconds"))

        status = d.pop("status")

        def _parse_target(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        target = _parse_target(d.pop("target"))

        tokens = Range.from_dict(d.pop("tokens"))

        yield_ = Range.from_dict(d.pop("yield"))

        object_ = d.pop("object", UNSET)

        estimate = cls(
            cost_usd=cost_usd,
            inputs=inputs,
            kept=kept,
            note=note,
            requests=requests,
            sample_attempts=sample_attempts,
            sample_job=sample_job,
            sample_kept=sample_kept,
            seconds=seconds,
            status=status,
            target=target,
            tokens=tokens,
            yield_=yield_,
            object_=object_,
        )

        estimate.additional_properties = d
        return estimate

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
