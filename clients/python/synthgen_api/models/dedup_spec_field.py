from enum import StrEnum


class DedupSpecField(StrEnum):
    BOTH = "both"
    PROMPT = "prompt"
    RESPONSE = "response"

    def __str__(self) -> str:
        return str(self.value)
