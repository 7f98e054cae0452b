from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="WebhookDelivery")


@_attrs_define
class WebhookDelivery:
    """What became of a job's webhook: pending (the job has not ended, or a retry is
    due), delivered, or given up; the attempts made and the last answer.

        Attributes:
            attempts (int):
            delivered_at (None | str):
            event_id (None | str):
            job_id (str):
            last_error (None | str):
            last_status (int | None):
            state (str):
            url (str):
            object_ (str | Unset):  Default: 'webhook_delivery'.
    """

    attempts: int
    delivered_at: None | str
    event_id: None | str
    job_id: str
    last_error: None | str
    last_status: int | None
    state: str
    url: str
    object_: str | Unset = "webhook_delivery"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        delivered_at: None | str
        delivered_at = self.delivered_at

        event_id: None | str
        event_id = self.event_id

        job_id = self.job_id

        last_error: None | str
        last_error = self.last_error

        last_status: int | None
        last_status = self.last_status

        state = self.state

        url = self.url

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "delivered_at": delivered_at,
                "event_id": event_id,
                "job_id": job_id,
                "last_error": last_error,
                "last_status": last_status,
                "state": state,
                "url": url,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        def _parse_delivered_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        delivered_at = _parse_delivered_at(d.pop("delivered_at"))

        def _parse_event_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        event_id = _parse_event_id(d.pop("event_id"))

        job_id = d.pop("job_id")

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))

        def _parse_last_status(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        last_status = _parse_last_status(d.pop("last_status"))

        state = d.pop("state")

        url = d.pop("url")

        object_ = d.pop("object", UNSET)

        webhook_delivery = cls(
            attempts=attempts,
            delivered_at=delivered_at,
            event_id=event_id,
            job_id=job_id,
            last_error=last_error,
            last_status=last_status,
            state=state,
            url=url,
            object_=object_,
        )

        webhook_delivery.additional_properties = d
        return webhook_delivery

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
