from enum import StrEnum


class MagpieJobRecipe(StrEnum):
    MAGPIE = "magpie"

    def __str__(self) -> str:
        return str(self.value)
