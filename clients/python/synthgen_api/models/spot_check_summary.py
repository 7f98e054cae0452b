from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.acceptance import Acceptance
    from ..models.spot_check_summary_by_generator import SpotCheckSummaryByGenerator
    from ..models.spot_check_summary_by_reason import SpotCheckSummaryByReason
    from ..models.spot_check_summary_by_verdict import SpotCheckSummaryByVerdict


T = TypeVar("T", bound="SpotCheckSummary")


@_attrs_define
class SpotCheckSummary:
    """The spot-check of a job: sample size, verdicts so far, acceptance overall, per
    generator and how often each reason was given.

        Attributes:
            acceptance_rate (float | None):
            accepted (int):
            by_generator (SpotCheckSummaryByGenerator):
            by_reason (SpotCheckSummaryByReason):
            by_verdict (SpotCheckSummaryByVerdict):
            interval (Acceptance): Accepted of reviewed, with a 95% Wilson score interval.
            rejected (int):
            reviewed (int):
            size (int):
            interim (bool | Unset):  Default: False.
    """

    acceptance_rate: float | None
    accepted: int
    by_generator: SpotCheckSummaryByGenerator
    by_reason: SpotCheckSummaryByReason
    by_verdict: SpotCheckSummaryByVerdict
    interval: Acceptance
    rejected: int
    reviewed: int
    size: int
    interim: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        acceptance_rate: float | None
        acceptance_rate = self.acceptance_rate

        accepted = self.accepted

        by_generator = self.by_generator.to_dict()

        by_reason = self.by_reason.to_dict()

        by_verdict = self.by_verdict.to_dict()

        interval = self.interval.to_dict()

        rejected = self.rejected

        reviewed = self.reviewed

        size = self.size

        interim = self.interim

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acceptance_rate": acceptance_rate,
                "accepted": accepted,
                "by_generator": by_generator,
                "by_reason": by_reason,
                "by_verdict": by_verdict,
                "interval": interval,
                "rejected": rejected,
                "reviewed": reviewed,
                "size": size,
            }
        )
        if interim is not UNSET:
            field_dict["interim"] = interim

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.acceptance import Acceptance
        from ..models.spot_check_summary_by_generator import SpotCheckSummaryByGenerator
        from ..models.spot_check_summary_by_reason import SpotCheckSummaryByReason
        from ..models.spot_check_summary_by_verdict import SpotCheckSummaryByVerdict

        d = dict(src_dict)

        def _parse_acceptance_rate(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        acceptance_rate = _parse_acceptance_rate(d.pop("acceptance_rate"))

        accepted = d.pop("accepted")

        by_generator = SpotCheckSummaryByGenerator.from_dict(d.pop("by_generator"))

        by_reason = SpotCheckSummaryByReason.from_dict(d.pop("by_reason"))

        by_verdict = SpotCheckSummaryByVerdict.from_dict(d.pop("by_verdict"))

        interval = Acceptance.from_dict(d.pop("interval"))

        rejected = d.pop("rejected")

        reviewed = d.pop("reviewed")

        size = d.pop("size")

        interim = d.pop("interim", UNSET)

        spot_check_summary = cls(
            acceptance_rate=acceptance_rate,
            accepted=accepted,
            by_generator=by_generator,
            by_reason=by_reason,
            by_verdict=by_verdict,
            interval=interval,
            rejected=rejected,
            reviewed=reviewed,
            size=size,
            interim=interim,
        )

        spot_check_summary.additional_properties = d
        return spot_check_summary

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
