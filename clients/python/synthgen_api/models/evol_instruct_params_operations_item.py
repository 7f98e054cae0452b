from enum import StrEnum


class EvolInstructParamsOperationsItem(StrEnum):
    ADD_CONSTRAINTS = "add_constraints"
    BREADTH = "breadth"
    COMPLICATE_INPUT = "complicate_input"
    CONCRETIZING = "concretizing"
    DEEPENING = "deepening"
    INCREASE_REASONING = "increase_reasoning"

    def __str__(self) -> str:
        return str(self.value)
