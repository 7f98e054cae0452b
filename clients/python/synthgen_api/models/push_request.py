from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.push_request_output_type_0 import PushRequestOutputType0
from ..types import UNSET, Unset

T = TypeVar("T", bound="PushRequest")


@_attrs_define
class PushRequest:
    """Where to push a finished job's dataset on the Hugging Face Hub.

    Attributes:
        repo_id (str): The dataset repo, `owner/name` (made if missing)
        output (None | PushRequestOutputType0 | Unset): Reshape records into this output format (default: as stored)
        private (bool | Unset): Make a new repo private (an existing repo keeps its setting) Default: True.
    """

    repo_id: str
    output: None | PushRequestOutputType0 | Unset = UNSET
    private: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        repo_id = self.repo_id

        output: None | str | Unset
        if isinstance(self.output, Unset):
            output = UNSET
        elif isinstance(self.output, PushRequestOutputType0):
            output = self.output.value
        else:
            output = self.output

        private = self.private

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "repo_id": repo_id,
            }
        )
        if output is not UNSET:
            field_dict["output"] = output
        if private is not UNSET:
            field_dict["private"] = private

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        repo_id = d.pop("repo_id")

        def _parse_output(data: object) -> None | PushRequestOutputType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                output_type_0 = PushRequestOutputType0(data)

                return output_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PushRequestOutputType0 | Unset, data)

        output = _parse_output(d.pop("output", UNSET))

        private = d.pop("private", UNSET)

        push_request = cls(
            repo_id=repo_id,
            output=output,
            private=private,
        )

        return push_request
