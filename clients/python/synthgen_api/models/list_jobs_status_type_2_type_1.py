from enum import StrEnum


class ListJobsStatusType2Type1(StrEnum):
    CANCELLED = "cancelled"
    CANCELLING = "cancelling"
    FAILED = "failed"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    WAITING_FOR_WORKER = "waiting_for_worker"

    def __str__(self) -> str:
        return str(self.value)
