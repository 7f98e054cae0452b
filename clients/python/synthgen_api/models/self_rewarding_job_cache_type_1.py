from enum import StrEnum


class SelfRewardingJobCacheType1(StrEnum):
    FORCE = "force"

    def __str__(self) -> str:
        return str(self.value)
