from enum import StrEnum


class ExactVerifierSpecKind(StrEnum):
    EXACT = "exact"

    def __str__(self) -> str:
        return str(self.value)
