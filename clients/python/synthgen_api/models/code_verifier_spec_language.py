from enum import StrEnum


class CodeVerifierSpecLanguage(StrEnum):
    PYTHON = "python"

    def __str__(self) -> str:
        return str(self.value)
