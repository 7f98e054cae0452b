from enum import StrEnum


class ReasoningJobFormat(StrEnum):
    ALPACA = "alpaca"
    NATIVE = "native"
    OPENAI = "openai"
    PREFERENCE = "preference"
    SHAREGPT = "sharegpt"

    def __str__(self) -> str:
        return str(self.value)
