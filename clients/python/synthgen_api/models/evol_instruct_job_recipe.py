from enum import StrEnum


class EvolInstructJobRecipe(StrEnum):
    EVOL_INSTRUCT = "evol-instruct"

    def __str__(self) -> str:
        return str(self.value)
