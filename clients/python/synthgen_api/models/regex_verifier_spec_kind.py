from enum import StrEnum


class RegexVerifierSpecKind(StrEnum):
    REGEX = "regex"

    def __str__(self) -> str:
        return str(self.value)
