from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.structured_output_schema import StructuredOutputSchema


T = TypeVar("T", bound="StructuredOutput")


@_attrs_define
class StructuredOutput:
    """A JSON Schema every output must follow: providers that support it get it as
    `response_format` (OpenAI structured outputs, vLLM guided decoding), others in the
    prompt; a `verify` stage with the json_schema verifier checks each output against it.

        Attributes:
            schema (StructuredOutputSchema): A JSON Schema (draft 2020-12).
            name (str | Unset):  Default: 'output'.
            strict (bool | Unset):  Default: True.
    """

    schema: StructuredOutputSchema
    name: str | Unset = "output"
    strict: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        schema = self.schema.to_dict()

        name = self.name

        strict = self.strict

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "schema": schema,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if strict is not UNSET:
            field_dict["strict"] = strict

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.structured_output_schema import StructuredOutputSchema

        d = dict(src_dict)
        schema = StructuredOutputSchema.from_dict(d.pop("schema"))

        name = d.pop("name", UNSET)

        strict = d.pop("strict", UNSET)

        structured_output = cls(
            schema=schema,
            name=name,
            strict=strict,
        )

        return structured_output
