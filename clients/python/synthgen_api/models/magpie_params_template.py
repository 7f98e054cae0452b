from enum import StrEnum


class MagpieParamsTemplate(StrEnum):
    AUTO = "auto"
    CHATML = "chatml"
    GEMMA_1_1 = "gemma-1.1"
    GEMMA_2 = "gemma-2"
    LLAMA_3 = "llama-3"
    MISTRAL = "mistral"
    PHI_3 = "phi-3"
    QWEN2 = "qwen2"
    QWEN2_5 = "qwen2.5"

    def __str__(self) -> str:
        return str(self.value)
