from enum import StrEnum


class ToolCallsJobRecipe(StrEnum):
    TOOL_CALLS = "tool-calls"

    def __str__(self) -> str:
        return str(self.value)
