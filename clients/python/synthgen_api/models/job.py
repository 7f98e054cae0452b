from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.job_status import JobStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.cost import Cost
    from ..models.job_generators import JobGenerators
    from ..models.job_links import JobLinks
    from ..models.outcome_count import OutcomeCount
    from ..models.problem import Problem
    from ..models.progress import Progress
    from ..models.provider_wait import ProviderWait
    from ..models.shards import Shards
    from ..models.spot_check_summary import SpotCheckSummary
    from ..models.stage_count import StageCount
    from ..models.verification import Verification


T = TypeVar("T", bound="Job")


@_attrs_define
class Job:
    """A job as the API returns it.

    The spec is not embedded: a job with 100k inline prompts has a 6 MB spec, and every
    poll of its status (and every page of a list) would carry it. `links.spec` serves it
    as stored; `spec_hash` tells whether two jobs ran the same spec without fetching it.

    `waiting_for_provider` lists the provider models whose circuit is open (they kept
    failing) while this running job waits on them; empty otherwise. The job stays
    `running`: it resumes when a probe succeeds, or fails `provider-unavailable` after
    the provider's `circuit_wait`.

        Attributes:
            cost (Cost): What a job has spent so far at the configured prices (every shard's calls).

                `usd` in total, `per_kept_record_usd` (None before the first kept record), by
                generator (`provider/model`) and by stage (`generation`: the recipe's own calls;
                `judge`: the judge stage's and a recipe's judge model's). `unpriced_calls` counts
                answered calls to models the providers file gives no price for: they count as 0.
                The shared response cache (a job's `cache`): `cache_hits` answers it gave (no
                request sent, nothing spent), `cache_misses` requests it could not answer (sent, and
                their answers stored), `saved_usd` what the hits would have cost. While a job with a
                target runs: `remaining_usd` and `remaining_seconds`, projected from what it spent
                and how long it took per kept record so far (None before its first record).
                Batch mode (a job's `deadline`): `batch_calls` calls answered through a provider's
                batch API (charged at its batch discount), `batch_online` batched requests their
                batch left unanswered (it expired or was cancelled), sent online instead.
            created_at (str):
            error (None | Problem):
            finished_at (None | str):
            funnel (list[StageCount]):
            generators (JobGenerators):
            id (str):
            links (JobLinks):
            note (None | str):
            outcomes (list[OutcomeCount]):
            progress (Progress):
            recipe (str):
            seed (int | None):
            shards (Shards): How the job is spread over workers: at most `parallelism` shards, each worked on
                by one worker at a time; `running` are held by a worker now, `ended` finished their
                part. Counters, funnel and outcomes are the sum over every shard.
            spec_hash (str):
            spotcheck (None | SpotCheckSummary):
            started_at (None | str):
            status (JobStatus):
            verification (None | Verification):
            expires_at (None | str | Unset):
            object_ (str | Unset):  Default: 'job'.
            waiting_for_provider (list[ProviderWait] | Unset):
    """

    cost: Cost
    created_at: str
    error: None | Problem
    finished_at: None | str
    funnel: list[StageCount]
    generators: JobGenerators
    id: str
    links: JobLinks
    note: None | str
    outcomes: list[OutcomeCount]
    progress: Progress
    recipe: str
    seed: int | None
    shards: Shards
    spec_hash: str
    spotcheck: None | SpotCheckSummary
    started_at: None | str
    status: JobStatus
    verification: None | Verification
    expires_at: None | str | Unset = UNSET
    object_: str | Unset = "job"
    waiting_for_provider: list[ProviderWait] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.problem import Problem
        from ..models.spot_check_summary import SpotCheckSummary
        from ..models.verification import Verification

        cost = self.cost.to_dict()

        created_at = self.created_at

        error: dict[str, Any] | None
        if isinstance(self.error, Problem):
            error = self.error.to_dict()
        else:
            error = self.error

        finished_at: None | str
        finished_at = self.finished_at

        funnel = []
        for funnel_item_data in self.funnel:
            funnel_item = funnel_item_data.to_dict()
            funnel.append(funnel_item)

        generators = self.generators.to_dict()

        id = self.id

        links = self.links.to_dict()

        note: None | str
        note = self.note

        outcomes = []
        for outcomes_item_data in self.outcomes:
            outcomes_item = outcomes_item_data.to_dict()
            outcomes.append(outcomes_item)

        progress = self.progress.to_dict()

        recipe = self.recipe

        seed: int | None
        seed = self.seed

        shards = self.shards.to_dict()

        spec_hash = self.spec_hash

        spotcheck: dict[str, Any] | None
        if isinstance(self.spotcheck, SpotCheckSummary):
            spotcheck = self.spotcheck.to_dict()
        else:
            spotcheck = self.spotcheck

        started_at: None | str
        started_at = self.started_at

        status = self.status.value

        verification: dict[str, Any] | None
        if isinstance(self.verification, Verification):
            verification = self.verification.to_dict()
        else:
            verification = self.verification

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        else:
            expires_at = self.expires_at

        object_ = self.object_

        waiting_for_provider: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.waiting_for_provider, Unset):
            waiting_for_provider = []
            for waiting_for_provider_item_data in self.waiting_for_provider:
                waiting_for_provider_item = waiting_for_provider_item_data.to_dict()
                waiting_for_provider.append(waiting_for_provider_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cost": cost,
                "created_at": created_at,
                "error": error,
                "finished_at": finished_at,
                "funnel": funnel,
                "generators": generators,
                "id": id,
                "links": links,
                "note": note,
                "outcomes": outcomes,
                "progress": progress,
                "recipe": recipe,
                "seed": seed,
                "shards": shards,
                "spec_hash": spec_hash,
                "spotcheck": spotcheck,
                "started_at": started_at,
                "status": status,
                "verification": verification,
            }
        )
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if object_ is not UNSET:
            field_dict["object"] = object_
        if waiting_for_provider is not UNSET:
            field_dict["waiting_for_provider"] = waiting_for_provider

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.cost import Cost
        from ..models.job_generators import JobGenerators
        from ..models.job_links import JobLinks
        from ..models.outcome_count import OutcomeCount
        from ..models.problem import Problem
        from ..models.progress import Progress
        from ..models.provider_wait import ProviderWait
        from ..models.shards import Shards
        from ..models.spot_check_summary import SpotCheckSummary
        from ..models.stage_count import StageCount
        from ..models.verification import Verification

        d = dict(src_dict)
        cost = Cost.from_dict(d.pop("cost"))

        created_at = d.pop("created_at")

        def _parse_error(data: object) -> None | Problem:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_0 = Problem.from_dict(data)

                return error_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Problem, data)

        error = _parse_error(d.pop("error"))

        def _parse_finished_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))

        funnel = []
        _funnel = d.pop("funnel")
        for funnel_item_data in _funnel:
            funnel_item = StageCount.from_dict(funnel_item_data)

            funnel.append(funnel_item)

        generators = JobGenerators.from_dict(d.pop("generators"))

        id = d.pop("id")

        links = JobLinks.from_dict(d.pop("links"))

        def _parse_note(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        note = _parse_note(d.pop("note"))

        outcomes = []
        _outcomes = d.pop("outcomes")
        for outcomes_item_data in _outcomes:
            outcomes_item = OutcomeCount.from_dict(outcomes_item_data)

            outcomes.append(outcomes_item)

        progress = Progress.from_dict(d.pop("progress"))

        recipe = d.pop("recipe")

        def _parse_seed(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        seed = _parse_seed(d.pop("seed"))

        shards = Shards.from_dict(d.pop("shards"))

        spec_hash = d.pop("spec_hash")

        def _parse_spotcheck(data: object) -> None | SpotCheckSummary:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                spotcheck_type_0 = SpotCheckSummary.from_dict(data)

                return spotcheck_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SpotCheckSummary, data)

        spotcheck = _parse_spotcheck(d.pop("spotcheck"))

        def _parse_started_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        started_at = _parse_started_at(d.pop("started_at"))

        status = JobStatus(d.pop("status"))

        def _parse_verification(data: object) -> None | Verification:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                verification_type_0 = Verification.from_dict(data)

                return verification_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Verification, data)

        verification = _parse_verification(d.pop("verification"))

        def _parse_expires_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        object_ = d.pop("object", UNSET)

        _waiting_for_provider = d.pop("waiting_for_provider", UNSET)
        waiting_for_provider: list[ProviderWait] | Unset = UNSET
        if _waiting_for_provider is not UNSET:
            waiting_for_provider = []
            for waiting_for_provider_item_data in _waiting_for_provider:
                waiting_for_provider_item = ProviderWait.from_dict(
                    waiting_for_provider_item_data
                )

                waiting_for_provider.append(waiting_for_provider_item)

        job = cls(
            cost=cost,
            created_at=created_at,
            error=error,
            finished_at=finished_at,
            funnel=funnel,
            generators=generators,
            id=id,
            links=links,
            note=note,
            outcomes=outcomes,
            progress=progress,
            recipe=recipe,
            seed=seed,
            shards=shards,
            spec_hash=spec_hash,
            spotcheck=spotcheck,
            started_at=started_at,
            status=status,
            verification=verification,
            expires_at=expires_at,
            object_=object_,
            waiting_for_provider=waiting_for_provider,
        )

        job.additional_properties = d
        return job

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
