from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Webhook")


@_attrs_define
class Webhook:
    """Where to tell the caller the job ended: an HMAC-signed POST (Standard Webhooks:
    `webhook-id`, `webhook-timestamp`, `webhook-signature`) when the job succeeds, fails
    or is cancelled, retried with backoff. Only to hosts the operator allows
    (docs/security.md: outbound requests).

        Attributes:
            url (str): An http(s) URL on a host the operator allows
    """

    url: str

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        url = d.pop("url")

        webhook = cls(
            url=url,
        )

        return webhook
