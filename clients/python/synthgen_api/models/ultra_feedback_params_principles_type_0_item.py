from enum import StrEnum


class UltraFeedbackParamsPrinciplesType0Item(StrEnum):
    HARMLESSNESS = "harmlessness"
    HELPFULNESS = "helpfulness"
    HONESTY = "honesty"
    TRUTHFULNESS = "truthfulness"
    VERBALIZED_CALIBRATION = "verbalized_calibration"

    def __str__(self) -> str:
        return str(self.value)
