from enum import StrEnum


class SelfInstructParamsMode(StrEnum):
    CHAT = "chat"
    COMPLETION = "completion"

    def __str__(self) -> str:
        return str(self.value)
