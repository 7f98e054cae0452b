from enum import StrEnum


class DecontaminationSpecMode(StrEnum):
    COVERAGE = "coverage"
    NGRAM = "ngram"

    def __str__(self) -> str:
        return str(self.value)
