from enum import StrEnum


class AlpacaJobRecipe(StrEnum):
    ALPACA = "alpaca"

    def __str__(self) -> str:
        return str(self.value)
