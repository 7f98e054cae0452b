from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.code_verifier_spec_kind import CodeVerifierSpecKind
from ..models.code_verifier_spec_language import CodeVerifierSpecLanguage
from ..types import UNSET, Unset

T = TypeVar("T", bound="CodeVerifierSpec")


@_attrs_define
class CodeVerifierSpec:
    """The response's Python code passes the item's tests in the sandbox.

    Attributes:
        kind (CodeVerifierSpecKind):
        language (CodeVerifierSpecLanguage | Unset):  Default: CodeVerifierSpecLanguage.PYTHON.
        memory_mb (int | Unset):  Default: 512.
        tests_field (str | Unset):  Default: 'tests'.
        wall_seconds (float | Unset):  Default: 10.0.
    """

    kind: CodeVerifierSpecKind
    language: CodeVerifierSpecLanguage | Unset = CodeVerifierSpecLanguage.PYTHON
    memory_mb: int | Unset = 512
    tests_field: str | Unset = "tests"
    wall_seconds: float | Unset = 10.0

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        language: str | Unset = UNSET
        if not isinstance(self.language, Unset):
            language = self.language.value

        memory_mb = self.memory_mb

        tests_field = self.tests_field

        wall_seconds = self.wall_seconds

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
            }
        )
        if language is not UNSET:
            field_dict["language"] = language
        if memory_mb is not UNSET:
            field_dict["memory_mb"] = memory_mb
        if tests_field is not UNSET:
            field_dict["tests_field"] = tests_field
        if wall_seconds is not UNSET:
            field_dict["wall_seconds"] = wall_seconds

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        kind = CodeVerifierSpecKind(d.pop("kind"))

        _language = d.pop("language", UNSET)
        language: CodeVerifierSpecLanguage | Unset
        if isinstance(_language, Unset):
            language = UNSET
        else:
            language = CodeVerifierSpecLanguage(_language)

        memory_mb = d.pop("memory_mb", UNSET)

        tests_field = d.pop("tests_field", UNSET)

        wall_seconds = d.pop("wall_seconds", UNSET)

        code_verifier_spec = cls(
            kind=kind,
            language=language,
            memory_mb=memory_mb,
            tests_field=tests_field,
            wall_seconds=wall_seconds,
        )

        return code_verifier_spec
