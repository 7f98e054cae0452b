from enum import StrEnum


class UltraChatParamsSector(StrEnum):
    MATERIALS = "materials"
    WORLD = "world"
    WRITING = "writing"

    def __str__(self) -> str:
        return str(self.value)
