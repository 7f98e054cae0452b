from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.regex_verifier_spec_kind import RegexVerifierSpecKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="RegexVerifierSpec")


@_attrs_define
class RegexVerifierSpec:
    """The output matches `pattern` (Python regex).

    Attributes:
        kind (RegexVerifierSpecKind):
        pattern (str):
        full_match (bool | Unset):  Default: False.
        ignore_case (bool | Unset):  Default: False.
    """

    kind: RegexVerifierSpecKind
    pattern: str
    full_match: bool | Unset = False
    ignore_case: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        pattern = self.pattern

        full_match = self.full_match

        ignore_case = self.ignore_case

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "pattern": pattern,
            }
        )
        if full_match is not UNSET:
            field_dict["full_match"] = full_match
        if ignore_case is not UNSET:
            field_dict["ignore_case"] = ignore_case

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        kind = RegexVerifierSpecKind(d.pop("kind"))

        pattern = d.pop("pattern")

        full_match = d.pop("full_match", UNSET)

        ignore_case = d.pop("ignore_case", UNSET)

        regex_verifier_spec = cls(
            kind=kind,
            pattern=pattern,
            full_match=full_match,
            ignore_case=ignore_case,
        )

        return regex_verifier_spec
