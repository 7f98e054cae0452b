from enum import StrEnum


class SelfInstructParamsCapitalize(StrEnum):
    FIRST = "first"
    PYTHON = "python"

    def __str__(self) -> str:
        return str(self.value)
