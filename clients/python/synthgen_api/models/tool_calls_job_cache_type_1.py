from enum import StrEnum


class ToolCallsJobCacheType1(StrEnum):
    FORCE = "force"

    def __str__(self) -> str:
        return str(self.value)
