from enum import StrEnum


class OrcaJobRecipe(StrEnum):
    ORCA = "orca"

    def __str__(self) -> str:
        return str(self.value)
