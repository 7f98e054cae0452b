from enum import StrEnum


class ApiKeySource(StrEnum):
    ENV = "env"
    MANAGED = "managed"

    def __str__(self) -> str:
        return str(self.value)
