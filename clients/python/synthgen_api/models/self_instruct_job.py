from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.self_instruct_job_cache_type_1 import SelfInstructJobCacheType1
from ..models.self_instruct_job_format import SelfInstructJobFormat
from ..models.self_instruct_job_recipe import SelfInstructJobRecipe
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.budget import Budget
    from ..models.decontamination_spec import DecontaminationSpec
    from ..models.dedup_spec import DedupSpec
    from ..models.filters import Filters
    from ..models.generator_ref import GeneratorRef
    from ..models.judge_spec import JudgeSpec
    from ..models.self_instruct_job_metadata import SelfInstructJobMetadata
    from ..models.self_instruct_params import SelfInstructParams
    from ..models.structured_output import StructuredOutput
    from ..models.verify_spec import VerifySpec
    from ..models.webhook import Webhook
    from ..models.weighted_generator import WeightedGenerator


T = TypeVar("T", bound="SelfInstructJob")


@_attrs_define
class SelfInstructJob:
    """A Self-Instruct job: `target` new instructions with instances.

    Attributes:
        generator (GeneratorRef): A model at a provider configured on the server; jobs never pass URLs or keys.
        recipe (SelfInstructJobRecipe):
        budget (Budget | None | Unset):
        cache (bool | SelfInstructJobCacheType1 | Unset): Reuse answers from the shared response cache for identical
            requests (same provider, model, messages and sampling, seed included): true for deterministic requests only
            (temperature 0 or a seed), "force" for every request. Cached answers cost nothing (docs/costs.md). Default:
            False.
        concurrency (int | Unset): In-flight provider requests. Default: 32.
        deadline (float | None | str | Unset):
        decontamination (DecontaminationSpec | None | Unset):
        dedup (DedupSpec | None | Unset):
        error_budget (float | Unset): Share of the target (or of the calls made, if more) that may be lost to provider
            errors after retries; past it the job stops and fails naming the provider. Default: 0.02.
        filters (Filters | Unset): Quality filters on the text a recipe proposes, before a record is kept.
        format_ (SelfInstructJobFormat | Unset):  Default: SelfInstructJobFormat.NATIVE.
        judge (JudgeSpec | None | Unset):
        metadata (SelfInstructJobMetadata | Unset):
        min_yield (float | None | Unset):
        mix (list[WeightedGenerator] | Unset): Generators drawn by weight per item, where the recipe supports mixing;
            `generator` stays the default.
        parallelism (int | None | Unset):
        params (SelfInstructParams | Unset): Self-Instruct knobs; defaults follow the original code.
        refuse_licences (list[str] | Unset): Refuse the job if any generator or judge carries one of these licence tags.
        seed (int | None | Unset):
        structured_output (None | StructuredOutput | Unset):
        target (int | None | Unset):
        verify (None | Unset | VerifySpec):
        webhook (None | Unset | Webhook):
    """

    generator: GeneratorRef
    recipe: SelfInstructJobRecipe
    budget: Budget | None | Unset = UNSET
    cache: bool | SelfInstructJobCacheType1 | Unset = False
    concurrency: int | Unset = 32
    deadline: float | None | str | Unset = UNSET
    decontamination: DecontaminationSpec | None | Unset = UNSET
    dedup: DedupSpec | None | Unset = UNSET
    error_budget: float | Unset = 0.02
    filters: Filters | Unset = UNSET
    format_: SelfInstructJobFormat | Unset = SelfInstructJobFormat.NATIVE
    judge: JudgeSpec | None | Unset = UNSET
    metadata: SelfInstructJobMetadata | Unset = UNSET
    min_yield: float | None | Unset = UNSET
    mix: list[WeightedGenerator] | Unset = UNSET
    parallelism: int | None | Unset = UNSET
    params: SelfInstructParams | Unset = UNSET
    refuse_licences: list[str] | Unset = UNSET
    seed: int | None | Unset = UNSET
    structured_output: None | StructuredOutput | Unset = UNSET
    target: int | None | Unset = UNSET
    verify: None | Unset | VerifySpec = UNSET
    webhook: None | Unset | Webhook = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.budget import Budget
        from ..models.decontamination_spec import DecontaminationSpec
        from ..models.dedup_spec import DedupSpec
        from ..models.judge_spec import JudgeSpec
        from ..models.structured_output import StructuredOutput
        from ..models.verify_spec import VerifySpec
        from ..models.webhook import Webhook

        generator = self.generator.to_dict()

        recipe = self.recipe.value

        budget: dict[str, Any] | None | Unset
        if isinstance(self.budget, Unset):
            budget = UNSET
        elif isinstance(self.budget, Budget):
            budget = self.budget.to_dict()
        else:
            budget = self.budget

        cache: bool | str | Unset
        if isinstance(self.cache, Unset):
            cache = UNSET
        elif isinstance(self.cache, SelfInstructJobCacheType1):
            cache = self.cache.value
        else:
            cache = self.cache

        concurrency = self.concurrency

        deadline: float | None | str | Unset
        if isinstance(self.deadline, Unset):
            deadline = UNSET
        else:
            deadline = self.deadline

        decontamination: dict[str, Any] | None | Unset
        if isinstance(self.decontamination, Unset):
            decontamination = UNSET
        elif isinstance(self.decontamination, DecontaminationSpec):
            decontamination = self.decontamination.to_dict()
        else:
            decontamination = self.decontamination

        dedup: dict[str, Any] | None | Unset
        if isinstance(self.dedup, Unset):
            dedup = UNSET
        elif isinstance(self.dedup, DedupSpec):
            dedup = self.dedup.to_dict()
        else:
            dedup = self.dedup

        error_budget = self.error_budget

        filters: dict[str, Any] | Unset = UNSET
        if not isinstance(self.filters, Unset):
            filters = self.filters.to_dict()

        format_: str | Unset = UNSET
        if not isinstance(self.format_, Unset):
            format_ = self.format_.value

        judge: dict[str, Any] | None | Unset
        if isinstance(self.judge, Unset):
            judge = UNSET
        elif isinstance(self.judge, JudgeSpec):
            judge = self.judge.to_dict()
        else:
            judge = self.judge

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        min_yield: float | None | Unset
        if isinstance(self.min_yield, Unset):
            min_yield = UNSET
        else:
            min_yield = self.min_yield

        mix: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.mix, Unset):
            mix = []
            for mix_item_data in self.mix:
                mix_item = mix_item_data.to_dict()
                mix.append(mix_item)

        parallelism: int | None | Unset
        if isinstance(self.parallelism, Unset):
            parallelism = UNSET
        else:
            parallelism = self.parallelism

        params: dict[str, Any] | Unset = UNSET
        if not isinstance(self.params, Unset):
            params = self.params.to_dict()

        refuse_licences: list[str] | Unset = UNSET
        if not isinstance(self.refuse_licences, Unset):
            refuse_licences = self.refuse_licences

        seed: int | None | Unset
        if isinstance(self.seed, Unset):
            seed = UNSET
        else:
            seed = self.seed

        structured_output: dict[str, Any] | None | Unset
        if isinstance(self.structured_output, Unset):
            structured_output = UNSET
        elif isinstance(self.structured_output, StructuredOutput):
            structured_output = self.structured_output.to_dict()
        else:
            structured_output = self.structured_output

        target: int | None | Unset
        if isinstance(self.target, Unset):
            target = UNSET
        else:
            target = self.target

        verify: dict[str, Any] | None | Unset
        if isinstance(self.verify, Unset):
            verify = UNSET
        elif isinstance(self.verify, VerifySpec):
            verify = self.verify.to_dict()
        else:
            verify = self.verify

        webhook: dict[str, Any] | None | Unset
        if isinstance(self.webhook, Unset):
            webhook = UNSET
        elif isinstance(self.webhook, Webhook):
            webhook = self.webhook.to_dict()
        else:
            webhook = self.webhook

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "generator": generator,
                "recipe": recipe,
            }
        )
        if budget is not UNSET:
            field_dict["budget"] = budget
        if cache is not UNSET:
            field_dict["cache"] = cache
        if concurrency is not UNSET:
            field_dict["concurrency"] = concurrency
        if deadline is not UNSET:
            field_dict["deadline"] = deadline
        if decontamination is not UNSET:
            field_dict["decontamination"] = decontamination
        if dedup is not UNSET:
            field_dict["dedup"] = dedup
        if error_budget is not UNSET:
            field_dict["error_budget"] = error_budget
        if filters is not UNSET:
            field_dict["filters"] = filters
        if format_ is not UNSET:
            field_dict["format"] = format_
        if judge is not UNSET:
            field_dict["judge"] = judge
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if min_yield is not UNSET:
            field_dict["min_yield"] = min_yield
        if mix is not UNSET:
            field_dict["mix"] = mix
        if parallelism is not UNSET:
            field_dict["parallelism"] = parallelism
        if params is not UNSET:
            field_dict["params"] = params
        if refuse_licences is not UNSET:
            field_dict["refuse_licences"] = refuse_licences
        if seed is not UNSET:
            field_dict["seed"] = seed
        if structured_output is not UNSET:
            field_dict["structured_output"] = structured_output
        if target is not UNSET:
            field_dict["target"] = target
        if verify is not UNSET:
            field_dict["verify"] = verify
        if webhook is not UNSET:
            field_dict["webhook"] = webhook

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.budget import Budget
        from ..models.decontamination_spec import DecontaminationSpec
        from ..models.dedup_spec import DedupSpec
        from ..models.filters import Filters
        from ..models.generator_ref import GeneratorRef
        from ..models.judge_spec import JudgeSpec
        from ..models.self_instruct_job_metadata import SelfInstructJobMetadata
        from ..models.self_instruct_params import SelfInstructParams
        from ..models.structured_output import StructuredOutput
        from ..models.verify_spec import VerifySpec
        from ..models.webhook import Webhook
        from ..models.weighted_generator import WeightedGenerator

        d = dict(src_dict)
        generator = GeneratorRef.from_dict(d.pop("generator"))

        recipe = SelfInstructJobRecipe(d.pop("recipe"))

        def _parse_budget(data: object) -> Budget | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                budget_type_0 = Budget.from_dict(data)

                return budget_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Budget | None | Unset, data)

        budget = _parse_budget(d.pop("budget", UNSET))

        def _parse_cache(data: object) -> bool | SelfInstructJobCacheType1 | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                cache_type_1 = SelfInstructJobCacheType1(data)

                return cache_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(bool | SelfInstructJobCacheType1 | Unset, data)

        cache = _parse_cache(d.pop("cache", UNSET))

        concurrency = d.pop("concurrency", UNSET)

        def _parse_deadline(data: object) -> float | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | str | Unset, data)

        deadline = _parse_deadline(d.pop("deadline", UNSET))

        def _parse_decontamination(data: object) -> DecontaminationSpec | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                decontamination_type_0 = DecontaminationSpec.from_dict(data)

                return decontamination_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DecontaminationSpec | None | Unset, data)

        decontamination = _parse_decontamination(d.pop("decontamination", UNSET))

        def _parse_dedup(data: object) -> DedupSpec | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                dedup_type_0 = DedupSpec.from_dict(data)

                return dedup_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DedupSpec | None | Unset, data)

        dedup = _parse_dedup(d.pop("dedup", UNSET))

        error_budget = d.pop("error_budget", UNSET)

        _filters = d.pop("filters", UNSET)
        filters: Filters | Unset
        if isinstance(_filters, Unset):
            filters = UNSET
        else:
            filters = Filters.from_dict(_filters)

        _format_ = d.pop("format", UNSET)
        format_: SelfInstructJobFormat | Unset
        if isinstance(_format_, Unset):
            format_ = UNSET
        else:
            format_ = SelfInstructJobFormat(_format_)

        def _parse_judge(data: object) -> JudgeSpec | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                judge_type_0 = JudgeSpec.from_dict(data)

                return judge_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JudgeSpec | None | Unset, data)

        judge = _parse_judge(d.pop("judge", UNSET))

        _metadata = d.pop("metadata", UNSET)
        metadata: SelfInstructJobMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = SelfInstructJobMetadata.from_dict(_metadata)

        def _parse_min_yield(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        min_yield = _parse_min_yield(d.pop("min_yield", UNSET))

        _mix = d.pop("mix", UNSET)
        mix: list[WeightedGenerator] | Unset = UNSET
        if _mix is not UNSET:
            mix = []
            for mix_item_data in _mix:
                mix_item = WeightedGenerator.from_dict(mix_item_data)

                mix.append(mix_item)

        def _parse_parallelism(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        parallelism = _parse_parallelism(d.pop("parallelism", UNSET))

        _params = d.pop("params", UNSET)
        params: SelfInstructParams | Unset
        if isinstance(_params, Unset):
            params = UNSET
        else:
            params = SelfInstructParams.from_dict(_params)

        refuse_licences = cast(list[str], d.pop("refuse_licences", UNSET))

        def _parse_seed(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        seed = _parse_seed(d.pop("seed", UNSET))

        def _parse_structured_output(data: object) -> None | StructuredOutput | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                structured_output_type_0 = StructuredOutput.from_dict(data)

                return structured_output_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StructuredOutput | Unset, data)

        structured_output = _parse_structured_output(d.pop("structured_output", UNSET))

        def _parse_target(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        target = _parse_target(d.pop("target", UNSET))

        def _parse_verify(data: object) -> None | Unset | VerifySpec:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                verify_type_0 = VerifySpec.from_dict(data)

                return verify_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | VerifySpec, data)

        verify = _parse_verify(d.pop("verify", UNSET))

        def _parse_webhook(data: object) -> None | Unset | Webhook:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                webhook_type_0 = Webhook.from_dict(data)

                return webhook_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | Webhook, data)

        webhook = _parse_webhook(d.pop("webhook", UNSET))

        self_instruct_job = cls(
            generator=generator,
            recipe=recipe,
            budget=budget,
            cache=cache,
            concurrency=concurrency,
            deadline=deadline,
            decontamination=decontamination,
            dedup=dedup,
            error_budget=error_budget,
            filters=filters,
            format_=format_,
            judge=judge,
            metadata=metadata,
            min_yield=min_yield,
            mix=mix,
            parallelism=parallelism,
            params=params,
            refuse_licences=refuse_licences,
            seed=seed,
            structured_output=structured_output,
            target=target,
            verify=verify,
            webhook=webhook,
        )

        return self_instruct_job
