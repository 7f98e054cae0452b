from enum import StrEnum


class ExportJobFormat(StrEnum):
    HF = "hf"
    JSONL = "jsonl"
    PARQUET = "parquet"

    def __str__(self) -> str:
        return str(self.value)
