from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.cost import Cost
    from ..models.distribution import Distribution
    from ..models.diversity import Diversity
    from ..models.job_report_generators import JobReportGenerators
    from ..models.job_report_rejected_by_reason import JobReportRejectedByReason
    from ..models.job_report_served_models import JobReportServedModels
    from ..models.spot_check_summary import SpotCheckSummary
    from ..models.verification import Verification


T = TypeVar("T", bound="JobReport")


@_attrs_define
class JobReport:
    """
    Attributes:
        generators (JobReportGenerators):
        job_id (str):
        judge_scores (Distribution | None):
        nearest_similarity (Distribution | None):
        prompt_diversity (Diversity | None):
        prompt_words (Distribution | None):
        records (int):
        rejected_by_reason (JobReportRejectedByReason):
        response_diversity (Diversity | None):
        response_words (Distribution | None):
        computed (str | Unset):  Default: 'live'.
        cost (Cost | None | Unset):
        duplicate_rate (float | None | Unset):
        object_ (str | Unset):  Default: 'job.report'.
        parse_failure_rate (float | None | Unset):
        refusal_rate (float | None | Unset):
        rejects (int | Unset):  Default: 0.
        rouge_l_to_seeds (Distribution | None | Unset):
        served_models (JobReportServedModels | Unset):
        spotcheck (None | SpotCheckSummary | Unset):
        truncation_rate (float | None | Unset):
        verification (None | Unset | Verification):
    """

    generators: JobReportGenerators
    job_id: str
    judge_scores: Distribution | None
    nearest_similarity: Distribution | None
    prompt_diversity: Diversity | None
    prompt_words: Distribution | None
    records: int
    rejected_by_reason: JobReportRejectedByReason
    response_diversity: Diversity | None
    response_words: Distribution | None
    computed: str | Unset = "live"
    cost: Cost | None | Unset = UNSET
    duplicate_rate: float | None | Unset = UNSET
    object_: str | Unset = "job.report"
    parse_failure_rate: float | None | Unset = UNSET
    refusal_rate: float | None | Unset = UNSET
    rejects: int | Unset = 0
    rouge_l_to_seeds: Distribution | None | Unset = UNSET
    served_models: JobReportServedModels | Unset = UNSET
    spotcheck: None | SpotCheckSummary | Unset = UNSET
    truncation_rate: float | None | Unset = UNSET
    verification: None | Unset | Verification = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.cost import Cost
        from ..models.distribution import Distribution
        from ..models.diversity import Diversity
        from ..models.spot_check_summary import SpotCheckSummary
        from ..models.verification import Verification

        generators = self.generators.to_dict()

        job_id = self.job_id

        judge_scores: dict[str, Any] | None
        if isinstance(self.judge_scores, Distribution):
            judge_scores = self.judge_scores.to_dict()
        else:
            judge_scores = self.judge_scores

        nearest_similarity: dict[str, Any] | None
        if isinstance(self.nearest_similarity, Distribution):
            nearest_similarity = self.nearest_similarity.to_dict()
        else:
            nearest_similarity = self.nearest_similarity

        prompt_diversity: dict[str, Any] | None
        if isinstance(self.prompt_diversity, Diversity):
            prompt_diversity = self.prompt_diversity.to_dict()
        else:
            prompt_diversity = self.prompt_diversity

        prompt_words: dict[str, Any] | None
        if isinstance(self.prompt_words, Distribution):
            prompt_words = self.prompt_words.to_dict()
        else:
            prompt_words = self.prompt_words

        records = self.records

        rejected_by_reason = self.rejected_by_reason.to_dict()

        response_diversity: dict[str, Any] | None
        if isinstance(self.response_diversity, Diversity):
            response_diversity = self.response_diversity.to_dict()
        else:
            response_diversity = self.response_diversity

        response_words: dict[str, Any] | None
        if isinstance(self.response_words, Distribution):
            response_words = self.response_words.to_dict()
        else:
            response_words = self.response_words

        computed = self.computed

        cost: dict[str, Any] | None | Unset
        if isinstance(self.cost, Unset):
            cost = UNSET
        elif isinstance(self.cost, Cost):
            cost = self.cost.to_dict()
        else:
            cost = self.cost

        duplicate_rate: float | None | Unset
        if isinstance(self.duplicate_rate, Unset):
            duplicate_rate = UNSET
        else:
            duplicate_rate = self.duplicate_rate

        object_ = self.object_

        parse_failure_rate: float | None | Unset
        if isinstance(self.parse_failure_rate, Unset):
            parse_failure_rate = UNSET
        else:
            parse_failure_rate = self.parse_failure_rate

        refusal_rate: float | None | Unset
        if isinstance(self.refusal_rate, Unset):
            refusal_rate = UNSET
        else:
            refusal_rate = self.refusal_rate

        rejects = self.rejects

        rouge_l_to_seeds: dict[str, Any] | None | Unset
        if isinstance(self.rouge_l_to_seeds, Unset):
            rouge_l_to_seeds = UNSET
        elif isinstance(self.rouge_l_to_seeds, Distribution):
            rouge_l_to_seeds = self.rouge_l_to_seeds.to_dict()
        else:
            rouge_l_to_seeds = self.rouge_l_to_seeds

        served_models: dict[str, Any] | Unset = UNSET
        if not isinstance(self.served_models, Unset):
            served_models = self.served_models.to_dict()

        spotcheck: dict[str, Any] | None | Unset
        if isinstance(self.spotcheck, Unset):
            spotcheck = UNSET
        elif isinstance(self.spotcheck, SpotCheckSummary):
            spotcheck = self.spotcheck.to_dict()
        else:
            spotcheck = self.spotcheck

        truncation_rate: float | None | Unset
        if isinstance(self.truncation_rate, Unset):
            truncation_rate = UNSET
        else:
            truncation_rate = self.truncation_rate

        verification: dict[str, Any] | None | Unset
        if isinstance(self.verification, Unset):
            verification = UNSET
        elif isinstance(self.verification, Verification):
            verification = self.verification.to_dict()
        else:
            verification = self.verification

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "generators": generators,
                "job_id": job_id,
                "judge_scores": judge_scores,
                "nearest_similarity": nearest_similarity,
                "prompt_diversity": prompt_diversity,
                "prompt_words": prompt_words,
                "records": records,
                "rejected_by_reason": rejected_by_reason,
                "response_diversity": response_diversity,
                "response_words": response_words,
            }
        )
        if computed is not UNSET:
            field_dict["computed"] = computed
        if cost is not UNSET:
            field_dict["cost"] = cost
        if duplicate_rate is not UNSET:
            field_dict["duplicate_rate"] = duplicate_rate
        if object_ is not UNSET:
            field_dict["object"] = object_
        if parse_failure_rate is not UNSET:
            field_dict["parse_failure_rate"] = parse_failure_rate
        if refusal_rate is not UNSET:
            field_dict["refusal_rate"] = refusal_rate
        if rejects is not UNSET:
            field_dict["rejects"] = rejects
        if rouge_l_to_seeds is not UNSET:
            field_dict["rouge_l_to_seeds"] = rouge_l_to_seeds
        if served_models is not UNSET:
            field_dict["served_models"] = served_models
        if spotcheck is not UNSET:
            field_dict["spotcheck"] = spotcheck
        if truncation_rate is not UNSET:
            field_dict["truncation_rate"] = truncation_rate
        if verification is not UNSET:
            field_dict["verification"] = verification

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.cost import Cost
        from ..models.distribution import Distribution
        from ..models.diversity import Diversity
        from ..models.job_report_generators import JobReportGenerators
        from ..models.job_report_rejected_by_reason import JobReportRejectedByReason
        from ..models.job_report_served_models import JobReportServedModels
        from ..models.spot_check_summary import SpotCheckSummary
        from ..models.verification import Verification

        d = dict(src_dict)
        generators = JobReportGenerators.from_dict(d.pop("generators"))

        job_id = d.pop("job_id")

        def _parse_judge_scores(data: object) -> Distribution | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                judge_scores_type_0 = Distribution.from_dict(data)

                return judge_scores_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Distribution | None, data)

        judge_scores = _parse_judge_scores(d.pop("judge_scores"))

        def _parse_nearest_similarity(data: object) -> Distribution | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                nearest_similarity_type_0 = Distribution.from_dict(data)

                return nearest_similarity_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Distribution | None, data)

        nearest_similarity = _parse_nearest_similarity(d.pop("nearest_similarity"))

        def _parse_prompt_diversity(data: object) -> Diversity | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                prompt_diversity_type_0 = Diversity.from_dict(data)

                return prompt_diversity_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Diversity | None, data)

        prompt_diversity = _parse_prompt_diversity(d.pop("prompt_diversity"))

        def _parse_prompt_words(data: object) -> Distribution | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                prompt_words_type_0 = Distribution.from_dict(data)

                return prompt_words_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Distribution | None, data)

        prompt_words = _parse_prompt_words(d.pop("prompt_words"))

        records = d.pop("records")

        rejected_by_reason = JobReportRejectedByReason.from_dict(
            d.pop("rejected_by_reason")
        )

        def _parse_response_diversity(data: object) -> Diversity | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_diversity_type_0 = Diversity.from_dict(data)

                return response_diversity_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Diversity | None, data)

        response_diversity = _parse_response_diversity(d.pop("response_diversity"))

        def _parse_response_words(data: object) -> Distribution | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_words_type_0 = Distribution.from_dict(data)

                return response_words_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Distribution | None, data)

        response_words = _parse_response_words(d.pop("response_words"))

        computed = d.pop("computed", UNSET)

        def _parse_cost(data: object) -> Cost | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                cost_type_0 = Cost.from_dict(data)

                return cost_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Cost | None | Unset, data)

        cost = _parse_cost(d.pop("cost", UNSET))

        def _parse_duplicate_rate(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        duplicate_rate = _parse_duplicate_rate(d.pop("duplicate_rate", UNSET))

        object_ = d.pop("object", UNSET)

        def _parse_parse_failure_rate(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        parse_failure_rate = _parse_parse_failure_rate(
            d.pop("parse_failure_rate", UNSET)
        )

        def _parse_refusal_rate(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        refusal_rate = _parse_refusal_rate(d.pop("refusal_rate", UNSET))

        rejects = d.pop("rejects", UNSET)

        def _parse_rouge_l_to_seeds(data: object) -> Distribution | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                rouge_l_to_seeds_type_0 = Distribution.from_dict(data)

                return rouge_l_to_seeds_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Distribution | None | Unset, data)

        rouge_l_to_seeds = _parse_rouge_l_to_seeds(d.pop("rouge_l_to_seeds", UNSET))

        _served_models = d.pop("served_models", UNSET)
        served_models: JobReportServedModels | Unset
        if isinstance(_served_models, Unset):
            served_models = UNSET
        else:
            served_models = JobReportServedModels.from_dict(_served_models)

        def _parse_spotcheck(data: object) -> None | SpotCheckSummary | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                spotcheck_type_0 = SpotCheckSummary.from_dict(data)

                return spotcheck_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SpotCheckSummary | Unset, data)

        spotcheck = _parse_spotcheck(d.pop("spotcheck", UNSET))

        def _parse_truncation_rate(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        truncation_rate = _parse_truncation_rate(d.pop("truncation_rate", UNSET))

        def _parse_verification(data: object) -> None | Unset | Verification:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                verification_type_0 = Verification.from_dict(data)

                return verification_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | Verification, data)

        verification = _parse_verification(d.pop("verification", UNSET))

        job_report = cls(
            generators=generators,
            job_id=job_id,
            judge_scores=judge_scores,
            nearest_similarity=nearest_similarity,
            prompt_diversity=prompt_diversity,
            prompt_words=prompt_words,
            records=records,
            rejected_by_reason=rejected_by_reason,
            response_diversity=response_diversity,
            response_words=response_words,
            computed=computed,
            cost=cost,
            duplicate_rate=duplicate_rate,
            object_=object_,
            parse_failure_rate=parse_failure_rate,
            refusal_rate=refusal_rate,
            rejects=rejects,
            rouge_l_to_seeds=rouge_l_to_seeds,
            served_models=served_models,
            spotcheck=spotcheck,
            truncation_rate=truncation_rate,
            verification=verification,
        )

        job_report.additional_properties = d
        return job_report

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
