"""What the job routes take and answer: a job spec (any recipe's), a job (its state,
with links and its error as a problem), and a page of jobs."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from service.api.bodies import JsonBody
from service.api.problems import Problem
from service.domain.job import JobState, rfc3339
from service.domain.limits import ProviderWait
from service.pipeline.formats import Format
from service.recipes import JobSpec


class JobLinks(msgspec.Struct):
    self: str
    spec: str
    records: str
    rejects: str
    cancel: str
    report: str
    spotcheck: str
    review_page: str

    @classmethod
    def of(cls, job_id: str) -> "JobLinks":
        base = f"/v1/jobs/{job_id}"
        return cls(self=base, spec=f"{base}/spec", records=f"{base}/records", rejects=f"{base}/rejects",
                   cancel=f"{base}/cancel", report=f"{base}/report", spotcheck=f"{base}/spotcheck",
                   review_page=f"/review?job={job_id}")


class Job(JobState):
    """A job as the API returns it.

    The spec is not embedded: a job with 100k inline prompts has a 6 MB spec, and every
    poll of its status (and every page of a list) would carry it. `links.spec` serves it
    as stored; `spec_hash` tells whether two jobs ran the same spec without fetching it.

    `waiting_for_provider` lists the provider models whose circuit is open (they kept
    failing) while this running job waits on them; empty otherwise. The job stays
    `running`: it resumes when a probe succeeds, or fails `provider-unavailable` after
    the provider's `circuit_wait`.
    """

    error: Problem | None  # JobState's field, served as a problem (same place, same fields)
    links: JobLinks
    # Never stored: read at request time for a running job (store/limits.py).
    waiting_for_provider: list[ProviderWait] = []
    # When the retention sweep deletes this finished job (ISO 8601, like finished_at);
    # None while it runs, or when finished jobs are kept until deleted (docs/datasets.md).
    expires_at: str | None = None
    object: str = "job"

    @classmethod
    def of(cls, state: JobState, waits: list[ProviderWait] | None = None, retention_s: float = 0) -> "Job":
        fields = {f: getattr(state, f) for f in JobState.__struct_fields__}
        e = state.error
        fields["error"] = Problem(type=e.type, title=e.title, status=e.status, detail=e.detail) if e else None
        return cls(**fields, links=JobLinks.of(state.id), waiting_for_provider=waits or [],
                   expires_at=_expiry(state.finished_at, retention_s))


def _expiry(finished_at: str | None, retention_s: float) -> str | None:
    if not finished_at or retention_s <= 0:
        return None
    from datetime import datetime

    return rfc3339(datetime.fromisoformat(finished_at.replace("Z", "+00:00")).timestamp() + retention_s)


class JobPage(msgspec.Struct):
    data: list[Job]
    next_cursor: str | None
    object: str = "list"


class PushRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Where to push a finished job's dataset on the Hugging Face Hub."""

    repo_id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$",
                                 max_length=193,
                                 description="The dataset repo, `owner/name` (made if missing)")]
    private: Annotated[bool, Meta(description="Make a new repo private (an existing repo keeps its setting)")] = True
    output: Annotated[Format | None, Meta(description="Reshape records into this output format (default: as "
                                                      "stored)")] = None


class PushResult(msgspec.Struct):
    """What was pushed: the repo, the commit, the files of the layout."""

    repo_id: str
    commit_url: str
    files: list[str]
    records: int
    object: str = "job.push"


PUSH = JsonBody(PushRequest, lax=True)

# createJob's body: the tagged union of the recipes' specs, decoded once (service/api/bodies.py).
JOB_SPEC = JsonBody(JobSpec, kind="invalid-spec")
