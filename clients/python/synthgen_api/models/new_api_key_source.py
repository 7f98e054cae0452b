from enum import StrEnum


class NewApiKeySource(StrEnum):
    ENV = "env"
    MANAGED = "managed"

    def __str__(self) -> str:
        return str(self.value)
