from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="Filters")


@_attrs_define
class Filters:
    """Quality filters on the text a recipe proposes, before a record is kept.

    Attributes:
        drop_refusals (bool | Unset):  Default: True.
        drop_truncated (bool | Unset):  Default: True.
        languages (list[str] | Unset): ISO 639-1 codes to keep (e.g. ['en']); empty keeps any language.
        max_char_run (int | Unset): A character repeated more times in a row is garbage. Default: 20.
        max_chars (int | Unset):  Default: 100000.
        max_repeated_ngram_fraction (float | Unset): Reject when more than this share of the words lies in 10-word
            sequences that occur twice or more (a long loop); 1 turns the check off. Default: 0.3.
        max_sentence_repeat (int | Unset): A sentence of 6+ words (outside code blocks) appearing more times than this
            is a loop. Default: 2.
        max_word_repeat (int | Unset): A word or 2-gram repeated more times in a row is a generation loop. Default: 8.
        max_words (int | Unset):  Default: 4000.
        min_chars (int | Unset):  Default: 0.
        min_words (int | Unset):  Default: 1.
        refusal_phrases (list[str] | Unset):
    """

    drop_refusals: bool | Unset = True
    drop_truncated: bool | Unset = True
    languages: list[str] | Unset = UNSET
    max_char_run: int | Unset = 20
    max_chars: int | Unset = 100000
    max_repeated_ngram_fraction: float | Unset = 0.3
    max_sentence_repeat: int | Unset = 2
    max_word_repeat: int | Unset = 8
    max_words: int | Unset = 4000
    min_chars: int | Unset = 0
    min_words: int | Unset = 1
    refusal_phrases: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        drop_refusals = self.drop_refusals

        drop_truncated = self.drop_truncated

        languages: list[str] | Unset = UNSET
        if not isinstance(self.languages, Unset):
            languages = self.languages

        max_char_run = self.max_char_run

        max_chars = self.max_chars

        max_repeated_ngram_fraction = self.max_repeated_ngram_fraction

        max_sentence_repeat = self.max_sentence_repeat

        max_word_repeat = self.max_word_repeat

        max_words = self.max_words

        min_chars = self.min_chars

        min_words = self.min_words

        refusal_phrases: list[str] | Unset = UNSET
        if not isinstance(self.refusal_phrases, Unset):
            refusal_phrases = self.refusal_phrases

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if drop_refusals is not UNSET:
            field_dict["drop_refusals"] = drop_refusals
        if drop_truncated is not UNSET:
            field_dict["drop_truncated"] = drop_truncated
        if languages is not UNSET:
            field_dict["languages"] = languages
        if max_char_run is not UNSET:
            field_dict["max_char_run"] = max_char_run
        if max_chars is not UNSET:
            field_dict["max_chars"] = max_chars
        if max_repeated_ngram_fraction is not UNSET:
            field_dict["max_repeated_ngram_fraction"] = max_repeated_ngram_fraction
        if max_sentence_repeat is not UNSET:
            field_dict["max_sentence_repeat"] = max_sentence_repeat
        if max_word_repeat is not UNSET:
            field_dict["max_word_repeat"] = max_word_repeat
        if max_words is not UNSET:
            field_dict["max_words"] = max_words
        if min_chars is not UNSET:
            field_dict["min_chars"] = min_chars
        if min_words is not UNSET:
            field_dict["min_words"] = min_words
        if refusal_phrases is not UNSET:
            field_dict["refusal_phrases"] = refusal_phrases

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        drop_refusals = d.pop("drop_refusals", UNSET)

        drop_truncated = d.pop("drop_truncated", UNSET)

        languages = cast(list[str], d.pop("languages", UNSET))

        max_char_run = d.pop("max_char_run", UNSET)

        max_chars = d.pop("max_chars", UNSET)

        max_repeated_ngram_fraction = d.pop("max_repeated_ngram_fraction", UNSET)

        max_sentence_repeat = d.pop("max_sentence_repeat", UNSET)

        max_word_repeat = d.pop("max_word_repeat", UNSET)

        max_words = d.pop("max_words", UNSET)

        min_chars = d.pop("min_chars", UNSET)

        min_words = d.pop("min_words", UNSET)

        refusal_phrases = cast(list[str], d.pop("refusal_phrases", UNSET))

        filters = cls(
            drop_refusals=drop_refusals,
            drop_truncated=drop_truncated,
            languages=languages,
            max_char_run=max_char_run,
            max_chars=max_chars,
            max_repeated_ngram_fraction=max_repeated_ngram_fraction,
            max_sentence_repeat=max_sentence_repeat,
            max_word_repeat=max_word_repeat,
            max_words=max_words,
            min_chars=min_chars,
            min_words=min_words,
            refusal_phrases=refusal_phrases,
        )

        return filters
