from enum import StrEnum


class KeyRequestRole(StrEnum):
    ADMIN = "admin"
    READ = "read"
    REVIEW = "review"
    SUBMIT = "submit"

    def __str__(self) -> str:
        return str(self.value)
