from enum import StrEnum


class VerdictVerdict(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"

    def __str__(self) -> str:
        return str(self.value)
