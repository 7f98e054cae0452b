from enum import StrEnum


class OrcaParamsEmptySystem(StrEnum):
    EMPTY = "empty"
    OMIT = "omit"

    def __str__(self) -> str:
        return str(self.value)
