from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.decontamination_spec_field import DecontaminationSpecField
from ..models.decontamination_spec_mode import DecontaminationSpecMode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.decontamination_spec_inline import DecontaminationSpecInline


T = TypeVar("T", bound="DecontaminationSpec")


@_attrs_define
class DecontaminationSpec:
    """Remove candidates that overlap benchmark items (n-gram overlap).

    Attributes:
        benchmarks (list[str] | Unset): Registered benchmark sets (GET /v1/benchmarks).
        coverage (float | Unset): coverage mode: fraction of a benchmark item's tokens covered. Default: 0.5.
        field (DecontaminationSpecField | Unset):  Default: DecontaminationSpecField.PROMPT.
        inline (DecontaminationSpecInline | Unset): Extra benchmark sets given in the job: name -> items.
        mode (DecontaminationSpecMode | Unset):  Default: DecontaminationSpecMode.NGRAM.
        ngram (int | None | Unset):
    """

    benchmarks: list[str] | Unset = UNSET
    coverage: float | Unset = 0.5
    field: DecontaminationSpecField | Unset = DecontaminationSpecField.PROMPT
    inline: DecontaminationSpecInline | Unset = UNSET
    mode: DecontaminationSpecMode | Unset = DecontaminationSpecMode.NGRAM
    ngram: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        benchmarks: list[str] | Unset = UNSET
        if not isinstance(self.benchmarks, Unset):
            benchmarks = self.benchmarks

        coverage = self.coverage

        field: str | Unset = UNSET
        if not isinstance(self.field, Unset):
            field = self.field.value

        inline: dict[str, Any] | Unset = UNSET
        if not isinstance(self.inline, Unset):
            inline = self.inline.to_dict()

        mode: str | Unset = UNSET
        if not isinstance(self.mode, Unset):
            mode = self.mode.value

        ngram: int | None | Unset
        if isinstance(self.ngram, Unset):
            ngram = UNSET
        else:
            ngram = self.ngram

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if benchmarks is not UNSET:
            field_dict["benchmarks"] = benchmarks
        if coverage is not UNSET:
            field_dict["coverage"] = coverage
        if field is not UNSET:
            field_dict["field"] = field
        if inline is not UNSET:
            field_dict["inline"] = inline
        if mode is not UNSET:
            field_dict["mode"] = mode
        if ngram is not UNSET:
            field_dict["ngram"] = ngram

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.decontamination_spec_inline import DecontaminationSpecInline

        d = dict(src_dict)
        benchmarks = cast(list[str], d.pop("benchmarks", UNSET))

        coverage = d.pop("coverage", UNSET)

        _field = d.pop("field", UNSET)
        field: DecontaminationSpecField | Unset
        if isinstance(_field, Unset):
            field = UNSET
        else:
            field = DecontaminationSpecField(_field)

        _inline = d.pop("inline", UNSET)
        inline: DecontaminationSpecInline | Unset
        if isinstance(_inline, Unset):
            inline = UNSET
        else:
            inline = DecontaminationSpecInline.from_dict(_inline)

        _mode = d.pop("mode", UNSET)
        mode: DecontaminationSpecMode | Unset
        if isinstance(_mode, Unset):
            mode = UNSET
        else:
            mode = DecontaminationSpecMode(_mode)

        def _parse_ngram(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        ngram = _parse_ngram(d.pop("ngram", UNSET))

        decontamination_spec = cls(
            benchmarks=benchmarks,
            coverage=coverage,
            field=field,
            inline=inline,
            mode=mode,
            ngram=ngram,
        )

        return decontamination_spec
