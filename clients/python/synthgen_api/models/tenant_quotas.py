from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.tenant_quotas_limits import TenantQuotasLimits
    from ..models.tenant_quotas_overrides import TenantQuotasOverrides
    from ..models.tenant_quotas_used import TenantQuotasUsed


T = TypeVar("T", bound="TenantQuotas")


@_attrs_define
class TenantQuotas:
    """A tenant's limits (its own values over the deployment's), which of them are its
    own, and what it uses now (daily and concurrent limits).

        Attributes:
            limits (TenantQuotasLimits):
            overrides (TenantQuotasOverrides):
            tenant (str):
            used (TenantQuotasUsed):
            object_ (str | Unset):  Default: 'tenant_quotas'.
    """

    limits: TenantQuotasLimits
    overrides: TenantQuotasOverrides
    tenant: str
    used: TenantQuotasUsed
    object_: str | Unset = "tenant_quotas"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        limits = self.limits.to_dict()

        overrides = self.overrides.to_dict()

        tenant = self.tenant

        used = self.used.to_dict()

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "limits": limits,
                "overrides": overrides,
                "tenant": tenant,
                "used": used,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.tenant_quotas_limits import TenantQuotasLimits
        from ..models.tenant_quotas_overrides import TenantQuotasOverrides
        from ..models.tenant_quotas_used import TenantQuotasUsed

        d = dict(src_dict)
        limits = TenantQuotasLimits.from_dict(d.pop("limits"))

        overrides = TenantQuotasOverrides.from_dict(d.pop("overrides"))

        tenant = d.pop("tenant")

        used = TenantQuotasUsed.from_dict(d.pop("used"))

        object_ = d.pop("object", UNSET)

        tenant_quotas = cls(
            limits=limits,
            overrides=overrides,
            tenant=tenant,
            used=used,
            object_=object_,
        )

        tenant_quotas.additional_properties = d
        return tenant_quotas

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
