from enum import StrEnum


class VerifySpecKeep(StrEnum):
    ALL = "all"
    BEST = "best"
    FIRST = "first"

    def __str__(self) -> str:
        return str(self.value)
