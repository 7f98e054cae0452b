from enum import StrEnum


class PersonaHubJobRecipe(StrEnum):
    PERSONA_HUB = "persona-hub"

    def __str__(self) -> str:
        return str(self.value)
