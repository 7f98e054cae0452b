from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.exact_verifier_spec_kind import ExactVerifierSpecKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="ExactVerifierSpec")


@_attrs_define
class ExactVerifierSpec:
    """The output equals the item's reference (normalised unless `normalize` is off).

    Attributes:
        kind (ExactVerifierSpecKind):
        normalize (bool | Unset):  Default: True.
        reference_field (str | Unset):  Default: 'reference'.
    """

    kind: ExactVerifierSpecKind
    normalize: bool | Unset = True
    reference_field: str | Unset = "reference"

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        normalize = self.normalize

        reference_field = self.reference_field

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
            }
        )
        if normalize is not UNSET:
            field_dict["normalize"] = normalize
        if reference_field is not UNSET:
            field_dict["reference_field"] = reference_field

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        kind = ExactVerifierSpecKind(d.pop("kind"))

        normalize = d.pop("normalize", UNSET)

        reference_field = d.pop("reference_field", UNSET)

        exact_verifier_spec = cls(
            kind=kind,
            normalize=normalize,
            reference_field=reference_field,
        )

        return exact_verifier_spec
