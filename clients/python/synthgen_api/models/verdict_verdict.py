from enum import StrEnum


class VerdictVerdict(StrEnum):
    ACCEPT = "accept"
    BOTH_BAD = "both_bad"
    ORDER_WRONG = "order_wrong"
    REJECT = "reject"
    RIGHT = "right"
    TIE = "tie"

    def __str__(self) -> str:
        return str(self.value)
