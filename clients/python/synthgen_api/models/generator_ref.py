from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.sampling import Sampling


T = TypeVar("T", bound="GeneratorRef")


@_attrs_define
class GeneratorRef:
    """A model at a provider configured on the server; jobs never pass URLs or keys.

    Attributes:
        provider (str):
        model (None | str | Unset):
        sampling (Sampling | Unset): Sampling parameters sent to the provider; unset ones take the recipe's defaults.
    """

    provider: str
    model: None | str | Unset = UNSET
    sampling: Sampling | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        provider = self.provider

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        sampling: dict[str, Any] | Unset = UNSET
        if not isinstance(self.sampling, Unset):
            sampling = self.sampling.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "provider": provider,
            }
        )
        if model is not UNSET:
            field_dict["model"] = model
        if sampling is not UNSET:
            field_dict["sampling"] = sampling

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.sampling import Sampling

        d = dict(src_dict)
        provider = d.pop("provider")

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        _sampling = d.pop("sampling", UNSET)
        sampling: Sampling | Unset
        if isinstance(_sampling, Unset):
            sampling = UNSET
        else:
            sampling = Sampling.from_dict(_sampling)

        generator_ref = cls(
            provider=provider,
            model=model,
            sampling=sampling,
        )

        return generator_ref
