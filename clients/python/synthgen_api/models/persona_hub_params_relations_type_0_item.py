from enum import StrEnum


class PersonaHubParamsRelationsType0Item(StrEnum):
    DISLIKE = "dislike"
    LIKE = "like"
    READ = "read"
    WRITE = "write"

    def __str__(self) -> str:
        return str(self.value)
