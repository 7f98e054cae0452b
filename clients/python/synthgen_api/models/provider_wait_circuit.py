from enum import StrEnum


class ProviderWaitCircuit(StrEnum):
    HALF_OPEN = "half-open"
    OPEN = "open"

    def __str__(self) -> str:
        return str(self.value)
