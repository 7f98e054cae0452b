from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.verify_spec_keep import VerifySpecKeep
from ..models.verify_spec_mode import VerifySpecMode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.code_verifier_spec import CodeVerifierSpec
    from ..models.exact_verifier_spec import ExactVerifierSpec
    from ..models.json_schema_verifier_spec import JsonSchemaVerifierSpec
    from ..models.judge_verifier_spec import JudgeVerifierSpec
    from ..models.math_verifier_spec import MathVerifierSpec
    from ..models.regex_verifier_spec import RegexVerifierSpec


T = TypeVar("T", bound="VerifySpec")


@_attrs_define
class VerifySpec:
    """Check each candidate with a verifier; optionally draw up to `samples` per item.

    Attributes:
        verifier (CodeVerifierSpec | ExactVerifierSpec | JsonSchemaVerifierSpec | JudgeVerifierSpec | MathVerifierSpec |
            RegexVerifierSpec):
        keep (VerifySpecKeep | Unset):  Default: VerifySpecKeep.FIRST.
        mode (VerifySpecMode | Unset):  Default: VerifySpecMode.SEQUENTIAL.
        samples (int | Unset): Candidates drawn per item until one verifies (rejection sampling), in recipes that
            sample. Default: 1.
    """

    verifier: (
        CodeVerifierSpec
        | ExactVerifierSpec
        | JsonSchemaVerifierSpec
        | JudgeVerifierSpec
        | MathVerifierSpec
        | RegexVerifierSpec
    )
    keep: VerifySpecKeep | Unset = VerifySpecKeep.FIRST
    mode: VerifySpecMode | Unset = VerifySpecMode.SEQUENTIAL
    samples: int | Unset = 1

    def to_dict(self) -> dict[str, Any]:
        from ..models.exact_verifier_spec import ExactVerifierSpec
        from ..models.json_schema_verifier_spec import JsonSchemaVerifierSpec
        from ..models.judge_verifier_spec import JudgeVerifierSpec
        from ..models.math_verifier_spec import MathVerifierSpec
        from ..models.regex_verifier_spec import RegexVerifierSpec

        verifier: dict[str, Any]
        if (
            isinstance(self.verifier, MathVerifierSpec)
            or isinstance(self.verifier, JsonSchemaVerifierSpec)
            or isinstance(self.verifier, RegexVerifierSpec)
            or isinstance(self.verifier, ExactVerifierSpec)
            or isinstance(self.verifier, JudgeVerifierSpec)
        ):
            verifier = self.verifier.to_dict()
        else:
            verifier = self.verifier.to_dict()

        keep: str | Unset = UNSET
        if not isinstance(self.keep, Unset):
            keep = self.keep.value

        mode: str | Unset = UNSET
        if not isinstance(self.mode, Unset):
            mode = self.mode.value

        samples = self.samples

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "verifier": verifier,
            }
        )
        if keep is not UNSET:
            field_dict["keep"] = keep
        if mode is not UNSET:
            field_dict["mode"] = mode
        if samples is not UNSET:
            field_dict["samples"] = samples

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.code_verifier_spec import CodeVerifierSpec
        from ..models.exact_verifier_spec import ExactVerifierSpec
        from ..models.json_schema_verifier_spec import JsonSchemaVerifierSpec
        from ..models.judge_verifier_spec import JudgeVerifierSpec
        from ..models.math_verifier_spec import MathVerifierSpec
        from ..models.regex_verifier_spec import RegexVerifierSpec

        d = dict(src_dict)

        def _parse_verifier(
            data: object,
        ) -> (
            CodeVerifierSpec
            | ExactVerifierSpec
            | JsonSchemaVerifierSpec
            | JudgeVerifierSpec
            | MathVerifierSpec
            | RegexVerifierSpec
        ):
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                verifier_type_0 = MathVerifierSpec.from_dict(data)

                return verifier_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                verifier_type_1 = JsonSchemaVerifierSpec.from_dict(data)

                return verifier_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                verifier_type_2 = RegexVerifierSpec.from_dict(data)

                return verifier_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                verifier_type_3 = ExactVerifierSpec.from_dict(data)

                return verifier_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                verifier_type_4 = JudgeVerifierSpec.from_dict(data)

                return verifier_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            verifier_type_5 = CodeVerifierSpec.from_dict(data)

            return verifier_type_5

        verifier = _parse_verifier(d.pop("verifier"))

        _keep = d.pop("keep", UNSET)
        keep: VerifySpecKeep | Unset
        if isinstance(_keep, Unset):
            keep = UNSET
        else:
            keep = VerifySpecKeep(_keep)

        _mode = d.pop("mode", UNSET)
        mode: VerifySpecMode | Unset
        if isinstance(_mode, Unset):
            mode = UNSET
        else:
            mode = VerifySpecMode(_mode)

        samples = d.pop("samples", UNSET)

        verify_spec = cls(
            verifier=verifier,
            keep=keep,
            mode=mode,
            samples=samples,
        )

        return verify_spec
