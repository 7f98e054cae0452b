from enum import StrEnum


class UltraChatJobRecipe(StrEnum):
    ULTRACHAT = "ultrachat"

    def __str__(self) -> str:
        return str(self.value)
