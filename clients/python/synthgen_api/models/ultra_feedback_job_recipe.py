from enum import StrEnum


class UltraFeedbackJobRecipe(StrEnum):
    ULTRAFEEDBACK = "ultrafeedback"

    def __str__(self) -> str:
        return str(self.value)
