from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.provider_wait_circuit import ProviderWaitCircuit

T = TypeVar("T", bound="ProviderWait")


@_attrs_define
class ProviderWait:
    """A provider model whose circuit is open (it kept failing) while this job asks it
    for answers: the job waits, without spending its retries or error budget, until a
    probe succeeds; the `reason` is the last failure's outcome label (`error`: no
    answer, e.g. connection refused or a timeout; `http_503`; `malformed`).

        Attributes:
            circuit (ProviderWaitCircuit):
            failures (int):
            model (str):
            provider (str):
            reason (str):
            retry_at (None | str):
            since (None | str):
    """

    circuit: ProviderWaitCircuit
    failures: int
    model: str
    provider: str
    reason: str
    retry_at: None | str
    since: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        circuit = self.circuit.value

        failures = self.failures

        model = self.model

        provider = self.provider

        reason = self.reason

        retry_at: None | str
        retry_at = self.retry_at

        since: None | str
        since = self.since

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "circuit": circuit,
                "failures": failures,
                "model": model,
                "provider": provider,
                "reason": reason,
                "retry_at": retry_at,
                "since": since,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        circuit = ProviderWaitCircuit(d.pop("circuit"))

        failures = d.pop("failures")

        model = d.pop("model")

        provider = d.pop("provider")

        reason = d.pop("reason")

        def _parse_retry_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        retry_at = _parse_retry_at(d.pop("retry_at"))

        def _parse_since(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        since = _parse_since(d.pop("since"))

        provider_wait = cls(
            circuit=circuit,
            failures=failures,
            model=model,
            provider=provider,
            reason=reason,
            retry_at=retry_at,
            since=since,
        )

        provider_wait.additional_properties = d
        return provider_wait

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
