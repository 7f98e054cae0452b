from enum import StrEnum


class SelfRewardingJobRecipe(StrEnum):
    SELF_REWARDING = "self-rewarding"

    def __str__(self) -> str:
        return str(self.value)
