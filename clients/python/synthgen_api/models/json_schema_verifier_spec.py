from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.json_schema_verifier_spec_kind import JsonSchemaVerifierSpecKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_schema_verifier_spec_schema_type_0 import (
        JsonSchemaVerifierSpecSchemaType0,
    )


T = TypeVar("T", bound="JsonSchemaVerifierSpec")


@_attrs_define
class JsonSchemaVerifierSpec:
    """The output is JSON valid against `schema` (default: the job's structured_output schema).

    Attributes:
        kind (JsonSchemaVerifierSpecKind):
        schema (JsonSchemaVerifierSpecSchemaType0 | None | Unset):
    """

    kind: JsonSchemaVerifierSpecKind
    schema: JsonSchemaVerifierSpecSchemaType0 | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.json_schema_verifier_spec_schema_type_0 import (
            JsonSchemaVerifierSpecSchemaType0,
        )

        kind = self.kind.value

        schema: dict[str, Any] | None | Unset
        if isinstance(self.schema, Unset):
            schema = UNSET
        elif isinstance(self.schema, JsonSchemaVerifierSpecSchemaType0):
            schema = self.schema.to_dict()
        else:
            schema = self.schema

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
            }
        )
        if schema is not UNSET:
            field_dict["schema"] = schema

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.json_schema_verifier_spec_schema_type_0 import (
            JsonSchemaVerifierSpecSchemaType0,
        )

        d = dict(src_dict)
        kind = JsonSchemaVerifierSpecKind(d.pop("kind"))

        def _parse_schema(
            data: object,
        ) -> JsonSchemaVerifierSpecSchemaType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                schema_type_0 = JsonSchemaVerifierSpecSchemaType0.from_dict(data)

                return schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JsonSchemaVerifierSpecSchemaType0 | None | Unset, data)

        schema = _parse_schema(d.pop("schema", UNSET))

        json_schema_verifier_spec = cls(
            kind=kind,
            schema=schema,
        )

        return json_schema_verifier_spec
