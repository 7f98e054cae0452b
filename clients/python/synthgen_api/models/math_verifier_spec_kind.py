from enum import StrEnum


class MathVerifierSpecKind(StrEnum):
    MATH = "math"

    def __str__(self) -> str:
        return str(self.value)
