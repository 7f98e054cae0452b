from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.api_key_role import ApiKeyRole
from ..models.api_key_source import ApiKeySource
from ..models.api_key_status import ApiKeyStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="ApiKey")


@_attrs_define
class ApiKey:
    """A key as listed: who it is for and its life, never its secret. A bootstrap key
    (`source: env`, from SYNTHGEN_API_KEYS) is listed by a prefix of its hash, and changes
    only with the settings: the key routes answer 404 for it.

        Attributes:
            created_at (None | str):
            created_by (str):
            expires_at (None | str):
            id (str):
            last_used_at (None | str):
            name (str):
            revoked_at (None | str):
            role (ApiKeyRole):
            rotated_from (str):
            rotated_to (str):
            source (ApiKeySource):
            status (ApiKeyStatus):
            tenant (str):
            object_ (str | Unset):  Default: 'api_key'.
    """

    created_at: None | str
    created_by: str
    expires_at: None | str
    id: str
    last_used_at: None | str
    name: str
    revoked_at: None | str
    role: ApiKeyRole
    rotated_from: str
    rotated_to: str
    source: ApiKeySource
    status: ApiKeyStatus
    tenant: str
    object_: str | Unset = "api_key"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at: None | str
        created_at = self.created_at

        created_by = self.created_by

        expires_at: None | str
        expires_at = self.expires_at

        id = self.id

        last_used_at: None | str
        last_used_at = self.last_used_at

        name = self.name

        revoked_at: None | str
        revoked_at = self.revoked_at

        role = self.role.value

        rotated_from = self.rotated_from

        rotated_to = self.rotated_to

        source = self.source.value

        status = self.status.value

        tenant = self.tenant

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "created_by": created_by,
                "expires_at": expires_at,
                "id": id,
                "last_used_at": last_used_at,
                "name": name,
                "revoked_at": revoked_at,
                "role": role,
                "rotated_from": rotated_from,
                "rotated_to": rotated_to,
                "source": source,
                "status": status,
                "tenant": tenant,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_created_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        created_at = _parse_created_at(d.pop("created_at"))

        created_by = d.pop("created_by")

        def _parse_expires_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        expires_at = _parse_expires_at(d.pop("expires_at"))

        id = d.pop("id")

        def _parse_last_used_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_used_at = _parse_last_used_at(d.pop("last_used_at"))

        name = d.pop("name")

        def _parse_revoked_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        revoked_at = _parse_revoked_at(d.pop("revoked_at"))

        role = ApiKeyRole(d.pop("role"))

        rotated_from = d.pop("rotated_from")

        rotated_to = d.pop("rotated_to")

        source = ApiKeySource(d.pop("source"))

        status = ApiKeyStatus(d.pop("status"))

        tenant = d.pop("tenant")

        object_ = d.pop("object", UNSET)

        api_key = cls(
            created_at=created_at,
            created_by=created_by,
            expires_at=expires_at,
            id=id,
            last_used_at=last_used_at,
            name=name,
            revoked_at=revoked_at,
            role=role,
            rotated_from=rotated_from,
            rotated_to=rotated_to,
            source=source,
            status=status,
            tenant=tenant,
            object_=object_,
        )

        api_key.additional_properties = d
        return api_key

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
