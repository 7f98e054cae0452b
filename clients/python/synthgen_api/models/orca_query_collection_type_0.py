from enum import StrEnum


class OrcaQueryCollectionType0(StrEnum):
    COT = "cot"
    FLAN2021 = "flan2021"
    NIV2 = "niv2"
    T0 = "t0"

    def __str__(self) -> str:
        return str(self.value)
