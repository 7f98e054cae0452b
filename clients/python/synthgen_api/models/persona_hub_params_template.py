from enum import StrEnum


class PersonaHubParamsTemplate(StrEnum):
    INSTRUCTION = "instruction"
    KNOWLEDGE = "knowledge"
    MATH = "math"
    NPC = "npc"

    def __str__(self) -> str:
        return str(self.value)
