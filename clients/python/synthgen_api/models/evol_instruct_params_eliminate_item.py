from enum import StrEnum


class EvolInstructParamsEliminateItem(StrEnum):
    COPIED_PROMPT = "copied_prompt"
    NO_GAIN = "no_gain"
    SORRY = "sorry"
    STOPWORDS = "stopwords"

    def __str__(self) -> str:
        return str(self.value)
