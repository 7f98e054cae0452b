from enum import StrEnum


class JudgeVerifierSpecKind(StrEnum):
    JUDGE = "judge"

    def __str__(self) -> str:
        return str(self.value)
