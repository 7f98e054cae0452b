from enum import StrEnum


class OrcaParamsOrder(StrEnum):
    AUTO = "auto"
    GIVEN = "given"
    TASKS = "tasks"

    def __str__(self) -> str:
        return str(self.value)
