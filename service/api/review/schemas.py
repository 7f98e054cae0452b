"""What the review routes take (how to draw a sample, a reviewer's verdict) and answer
(the sample with its verdicts). What is stored of a review (sample info, stored
verdicts, the summary) is service/domain/review.py's."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from service import defaults
from service.api.bodies import JsonBody
from service.domain.review import Outcome, ReasonName, SampleInfo, SpotCheckSummary, StoredVerdict


class Verdict(msgspec.Struct, forbid_unknown_fields=True):
    """A reviewer's decision on one sampled record."""

    verdict: Annotated[Outcome, Meta(description="accept/reject for answers and dialogues; "
                                     "right/order_wrong/tie/both_bad for preference pairs")]
    reviewer: Annotated[str, Meta(min_length=1, max_length=defaults.MAX_REVIEWER_CHARS, pattern=r"\S",
                                  description="Who decided (free text until signed review links exist)")]
    reasons: Annotated[list[ReasonName], Meta(max_length=10, description=(
        "From the sample's reason list; at least one for reject and both_bad"))] = []
    note: Annotated[str, Meta(max_length=4000)] = ""


class SpotCheckRequest(msgspec.Struct, forbid_unknown_fields=True):
    """How to draw a sample."""

    size: Annotated[int, Meta(ge=1, le=10_000)] = 200
    seed: int | None = None
    interim: Annotated[bool, Meta(description="Allow drawing from a job that has not finished (the sample says so)")] = False
    redraw: Annotated[bool, Meta(description="Replace the current sample; only while it has no verdicts")] = False
    guidelines: Annotated[str, Meta(max_length=20_000, description="What reviewers should check; shown with the sample")] = ""
    reasons: Annotated[list[ReasonName], Meta(min_length=1, max_length=30, description=(
        "Reject reasons offered to reviewers; the defaults when omitted"))] | None = None


class SpotItem(msgspec.Struct):
    record: dict[str, Any]
    kind: str
    generator: str
    verdict: StoredVerdict | None


class SpotCheck(msgspec.Struct):
    job_id: str
    sample: SampleInfo
    summary: SpotCheckSummary
    verdicts: dict[str, list[str]]
    items: list[SpotItem]
    object: str = "spotcheck"


# The bodies of createSpotCheck (optional: the defaults) and putSpotCheckVerdict, read
# with Litestar's lax rules as they always were (service/api/bodies.py).
DRAW = JsonBody(SpotCheckRequest | None, optional=True, lax=True)
VERDICT = JsonBody(Verdict, lax=True)
