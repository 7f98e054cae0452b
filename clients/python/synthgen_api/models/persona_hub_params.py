from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.persona_hub_params_relations_type_0_item import (
    PersonaHubParamsRelationsType0Item,
)
from ..models.persona_hub_params_template import PersonaHubParamsTemplate
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.generator_ref import GeneratorRef


T = TypeVar("T", bound="PersonaHubParams")


@_attrs_define
class PersonaHubParams:
    """Where personas come from, how they grow, and what each one is asked to make.

    Attributes:
        attempts (int | Unset):  Default: 1.
        dedup_threshold (float | Unset):  Default: 0.9.
        expand_iterations (int | Unset):  Default: 0.
        persona_file (None | str | Unset):
        personas (list[str] | None | Unset):
        relations (list[PersonaHubParamsRelationsType0Item] | None | Unset):
        respond (bool | None | Unset):
        responder (GeneratorRef | None | Unset):
        strip_prefix (bool | None | Unset):
        system_prompt (None | str | Unset):  Default: 'You are a helpful assistant.'.
        template (PersonaHubParamsTemplate | Unset):  Default: PersonaHubParamsTemplate.INSTRUCTION.
        text_file (None | str | Unset):
        texts (list[str] | None | Unset):
    """

    attempts: int | Unset = 1
    dedup_threshold: float | Unset = 0.9
    expand_iterations: int | Unset = 0
    persona_file: None | str | Unset = UNSET
    personas: list[str] | None | Unset = UNSET
    relations: list[PersonaHubParamsRelationsType0Item] | None | Unset = UNSET
    respond: bool | None | Unset = UNSET
    responder: GeneratorRef | None | Unset = UNSET
    strip_prefix: bool | None | Unset = UNSET
    system_prompt: None | str | Unset = "You are a helpful assistant."
    template: PersonaHubParamsTemplate | Unset = PersonaHubParamsTemplate.INSTRUCTION
    text_file: None | str | Unset = UNSET
    texts: list[str] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.generator_ref import GeneratorRef

        attempts = self.attempts

        dedup_threshold = self.dedup_threshold

        expand_iterations = self.expand_iterations

        persona_file: None | str | Unset
        if isinstance(self.persona_file, Unset):
            persona_file = UNSET
        else:
            persona_file = self.persona_file

        personas: list[str] | None | Unset
        if isinstance(self.personas, Unset):
            personas = UNSET
        elif isinstance(self.personas, list):
            personas = self.personas

        else:
            personas = self.personas

        relations: list[str] | None | Unset
        if isinstance(self.relations, Unset):
            relations = UNSET
        elif isinstance(self.relations, list):
            relations = []
            for relations_type_0_item_data in self.relations:
                relations_type_0_item = relations_type_0_item_data.value
                relations.append(relations_type_0_item)

        else:
            relations = self.relations

        respond: bool | None | Unset
        if isinstance(self.respond, Unset):
            respond = UNSET
        else:
            respond = self.respond

        responder: dict[str, Any] | None | Unset
        if isinstance(self.responder, Unset):
            responder = UNSET
        elif isinstance(self.responder, GeneratorRef):
            responder = self.responder.to_dict()
        else:
            responder = self.responder

        strip_prefix: bool | None | Unset
        if isinstance(self.strip_prefix, Unset):
            strip_prefix = UNSET
        else:
            strip_prefix = self.strip_prefix

        system_prompt: None | str | Unset
        if isinstance(self.system_prompt, Unset):
            system_prompt = UNSET
        else:
            system_prompt = self.system_prompt

        template: str | Unset = UNSET
        if not isinstance(self.template, Unset):
            template = self.template.value

        text_file: None | str | Unset
        if isinstance(self.text_file, Unset):
            text_file = UNSET
        else:
            text_file = self.text_file

        texts: list[str] | None | Unset
        if isinstance(self.texts, Unset):
            texts = UNSET
        elif isinstance(self.texts, list):
            texts = self.texts

        else:
            texts = self.texts

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if attempts is not UNSET:
            field_dict["attempts"] = attempts
        if dedup_threshold is not UNSET:
            field_dict["dedup_threshold"] = dedup_threshold
        if expand_iterations is not UNSET:
            field_dict["expand_iterations"] = expand_iterations
        if persona_file is not UNSET:
            field_dict["persona_file"] = persona_file
        if personas is not UNSET:
            field_dict["personas"] = personas
        if relations is not UNSET:
            field_dict["relations"] = relations
        if respond is not UNSET:
            field_dict["respond"] = respond
        if responder is not UNSET:
            field_dict["responder"] = responder
        if strip_prefix is not UNSET:
            field_dict["strip_prefix"] = strip_prefix
        if system_prompt is not UNSET:
            field_dict["system_prompt"] = system_prompt
        if template is not UNSET:
            field_dict["template"] = template
        if text_file is not UNSET:
            field_dict["text_file"] = text_file
        if texts is not UNSET:
            field_dict["texts"] = texts

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.generator_ref import GeneratorRef

        d = dict(src_dict)
        attempts = d.pop("attempts", UNSET)

        dedup_threshold = d.pop("dedup_threshold", UNSET)

        expand_iterations = d.pop("expand_iterations", UNSET)

        def _parse_persona_file(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        persona_file = _parse_persona_file(d.pop("persona_file", UNSET))

        def _parse_personas(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                personas_type_0 = cast(list[str], data)

                return personas_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        personas = _parse_personas(d.pop("personas", UNSET))

        def _parse_relations(
            data: object,
        ) -> list[PersonaHubParamsRelationsType0Item] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                relations_type_0 = []
                _relations_type_0 = data
                for relations_type_0_item_data in _relations_type_0:
                    relations_type_0_item = PersonaHubParamsRelationsType0Item(
                        relations_type_0_item_data
                    )

                    relations_type_0.append(relations_type_0_item)

                return relations_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[PersonaHubParamsRelationsType0Item] | None | Unset, data)

        relations = _parse_relations(d.pop("relations", UNSET))

        def _parse_respond(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        respond = _parse_respond(d.pop("respond", UNSET))

        def _parse_responder(data: object) -> GeneratorRef | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                responder_type_0 = GeneratorRef.from_dict(data)

                return responder_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GeneratorRef | None | Unset, data)

        responder = _parse_responder(d.pop("responder", UNSET))

        def _parse_strip_prefix(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        strip_prefix = _parse_strip_prefix(d.pop("strip_prefix", UNSET))

        def _parse_system_prompt(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        system_prompt = _parse_system_prompt(d.pop("system_prompt", UNSET))

        _template = d.pop("template", UNSET)
        template: PersonaHubParamsTemplate | Unset
        if isinstance(_template, Unset):
            template = UNSET
        else:
            template = PersonaHubParamsTemplate(_template)

        def _parse_text_file(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        text_file = _parse_text_file(d.pop("text_file", UNSET))

        def _parse_texts(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                texts_type_0 = cast(list[str], data)

                return texts_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        texts = _parse_texts(d.pop("texts", UNSET))

        persona_hub_params = cls(
            attempts=attempts,
            dedup_threshold=dedup_threshold,
            expand_iterations=expand_iterations,
            persona_file=persona_file,
            personas=personas,
            relations=relations,
            respond=respond,
            responder=responder,
            strip_prefix=strip_prefix,
            system_prompt=system_prompt,
            template=template,
            text_file=text_file,
            texts=texts,
        )

        return persona_hub_params
