from enum import StrEnum


class ReasoningJobRecipe(StrEnum):
    REASONING = "reasoning"

    def __str__(self) -> str:
        return str(self.value)
