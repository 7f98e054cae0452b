from enum import StrEnum


class ReasoningJobCacheType1(StrEnum):
    FORCE = "force"

    def __str__(self) -> str:
        return str(self.value)
