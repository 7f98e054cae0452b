from enum import StrEnum


class ApiKeyRole(StrEnum):
    ADMIN = "admin"
    READ = "read"
    REVIEW = "review"
    SUBMIT = "submit"

    def __str__(self) -> str:
        return str(self.value)
