from enum import StrEnum


class DecontaminationSpecField(StrEnum):
    BOTH = "both"
    PROMPT = "prompt"
    RESPONSE = "response"

    def __str__(self) -> str:
        return str(self.value)
