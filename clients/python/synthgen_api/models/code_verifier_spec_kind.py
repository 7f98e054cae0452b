from enum import StrEnum


class CodeVerifierSpecKind(StrEnum):
    CODE = "code"

    def __str__(self) -> str:
        return str(self.value)
