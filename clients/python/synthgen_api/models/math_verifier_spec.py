from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.math_verifier_spec_kind import MathVerifierSpecKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="MathVerifierSpec")


@_attrs_define
class MathVerifierSpec:
    """Final-answer equivalence with math-verify.

    Attributes:
        kind (MathVerifierSpecKind):
        reference_field (str | Unset):  Default: 'reference'.
    """

    kind: MathVerifierSpecKind
    reference_field: str | Unset = "reference"

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        reference_field = self.reference_field

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
            }
        )
        if reference_field is not UNSET:
            field_dict["reference_field"] = reference_field

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        kind = MathVerifierSpecKind(d.pop("kind"))

        reference_field = d.pop("reference_field", UNSET)

        math_verifier_spec = cls(
            kind=kind,
            reference_field=reference_field,
        )

        return math_verifier_spec
