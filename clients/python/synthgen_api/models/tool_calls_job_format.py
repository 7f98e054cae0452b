from enum import StrEnum


class ToolCallsJobFormat(StrEnum):
    ALPACA = "alpaca"
    NATIVE = "native"
    OPENAI = "openai"
    PREFERENCE = "preference"
    SHAREGPT = "sharegpt"

    def __str__(self) -> str:
        return str(self.value)
