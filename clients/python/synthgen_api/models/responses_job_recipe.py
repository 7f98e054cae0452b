from enum import StrEnum


class ResponsesJobRecipe(StrEnum):
    RESPONSES = "responses"

    def __str__(self) -> str:
        return str(self.value)
