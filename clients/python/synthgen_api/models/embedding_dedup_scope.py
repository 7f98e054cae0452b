from enum import StrEnum


class EmbeddingDedupScope(StrEnum):
    COLLECTION = "collection"
    JOB = "job"

    def __str__(self) -> str:
        return str(self.value)
