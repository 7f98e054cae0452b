from enum import StrEnum


class AlpacaParamsMode(StrEnum):
    CHAT = "chat"
    COMPLETION = "completion"

    def __str__(self) -> str:
        return str(self.value)
