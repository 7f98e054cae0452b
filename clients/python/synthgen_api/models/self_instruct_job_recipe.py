from enum import StrEnum


class SelfInstructJobRecipe(StrEnum):
    SELF_INSTRUCT = "self-instruct"

    def __str__(self) -> str:
        return str(self.value)
