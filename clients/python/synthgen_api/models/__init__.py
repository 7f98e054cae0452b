"""Contains all the data models used in inputs/outputs"""

from .acceptance import Acceptance
from .alpaca_job import AlpacaJob
from .alpaca_job_cache_type_1 import AlpacaJobCacheType1
from .alpaca_job_format import AlpacaJobFormat
from .alpaca_job_metadata import AlpacaJobMetadata
from .alpaca_job_recipe import AlpacaJobRecipe
from .alpaca_params import AlpacaParams
from .alpaca_params_mode import AlpacaParamsMode
from .api_key import ApiKey
from .api_key_role import ApiKeyRole
from .api_key_source import ApiKeySource
from .api_key_status import ApiKeyStatus
from .benchmark_list import BenchmarkList
from .bucket import Bucket
from .budget import Budget
from .code_verifier_spec import CodeVerifierSpec
from .code_verifier_spec_kind import CodeVerifierSpecKind
from .code_verifier_spec_language import CodeVerifierSpecLanguage
from .cost import Cost
from .cost_generators import CostGenerators
from .cost_stages import CostStages
from .decontamination_spec import DecontaminationSpec
from .decontamination_spec_field import DecontaminationSpecField
from .decontamination_spec_inline import DecontaminationSpecInline
from .decontamination_spec_mode import DecontaminationSpecMode
from .dedup_spec import DedupSpec
from .dedup_spec_field import DedupSpecField
from .delta import Delta
from .distribution import Distribution
from .diversity import Diversity
from .embedding_dedup import EmbeddingDedup
from .embedding_dedup_scope import EmbeddingDedupScope
from .estimate import Estimate
from .evol_instruct_job import EvolInstructJob
from .evol_instruct_job_cache_type_1 import EvolInstructJobCacheType1
from .evol_instruct_job_format import EvolInstructJobFormat
from .evol_instruct_job_metadata import EvolInstructJobMetadata
from .evol_instruct_job_recipe import EvolInstructJobRecipe
from .evol_instruct_params import EvolInstructParams
from .evol_instruct_params_eliminate_item import EvolInstructParamsEliminateItem
from .evol_instruct_params_operations_item import EvolInstructParamsOperationsItem
from .exact_verifier_spec import ExactVerifierSpec
from .exact_verifier_spec_kind import ExactVerifierSpecKind
from .export_job_format import ExportJobFormat
from .export_job_output_type_1 import ExportJobOutputType1
from .export_job_output_type_2_type_1 import ExportJobOutputType2Type1
from .export_job_output_type_3_type_1 import ExportJobOutputType3Type1
from .filters import Filters
from .generator_count import GeneratorCount
from .generator_ref import GeneratorRef
from .generator_yield import GeneratorYield
from .instance import Instance
from .job import Job
from .job_comparison import JobComparison
from .job_comparison_differences import JobComparisonDifferences
from .job_comparison_reject_mix import JobComparisonRejectMix
from .job_generators import JobGenerators
from .job_links import JobLinks
from .job_page import JobPage
from .job_report import JobReport
from .job_report_generators import JobReportGenerators
from .job_report_rejected_by_reason import JobReportRejectedByReason
from .job_report_served_models import JobReportServedModels
from .job_status import JobStatus
from .json_schema_verifier_spec import JsonSchemaVerifierSpec
from .json_schema_verifier_spec_kind import JsonSchemaVerifierSpecKind
from .json_schema_verifier_spec_schema_type_0 import JsonSchemaVerifierSpecSchemaType0
from .judge_spec import JudgeSpec
from .judge_verifier_spec import JudgeVerifierSpec
from .judge_verifier_spec_kind import JudgeVerifierSpecKind
from .key_list import KeyList
from .key_request import KeyRequest
from .key_request_role import KeyRequestRole
from .list_jobs_status_type_1 import ListJobsStatusType1
from .list_jobs_status_type_2_type_1 import ListJobsStatusType2Type1
from .list_jobs_status_type_3_type_1 import ListJobsStatusType3Type1
from .magpie_job import MagpieJob
from .magpie_job_cache_type_1 import MagpieJobCacheType1
from .magpie_job_format import MagpieJobFormat
from .magpie_job_metadata import MagpieJobMetadata
from .magpie_job_recipe import MagpieJobRecipe
from .magpie_params import MagpieParams
from .magpie_params_template import MagpieParamsTemplate
from .math_verifier_spec import MathVerifierSpec
from .math_verifier_spec_kind import MathVerifierSpecKind
from .min_hash_dedup import MinHashDedup
from .model_identity import ModelIdentity
from .new_api_key import NewApiKey
from .new_api_key_role import NewApiKeyRole
from .new_api_key_source import NewApiKeySource
from .new_api_key_status import NewApiKeyStatus
from .orca_job import OrcaJob
from .orca_job_cache_type_1 import OrcaJobCacheType1
from .orca_job_format import OrcaJobFormat
from .orca_job_metadata import OrcaJobMetadata
from .orca_job_recipe import OrcaJobRecipe
from .orca_params import OrcaParams
from .orca_params_collection import OrcaParamsCollection
from .orca_params_empty_system import OrcaParamsEmptySystem
from .orca_params_order import OrcaParamsOrder
from .orca_query import OrcaQuery
from .orca_query_collection_type_0 import OrcaQueryCollectionType0
from .outcome_count import OutcomeCount
from .persona_hub_job import PersonaHubJob
from .persona_hub_job_cache_type_1 import PersonaHubJobCacheType1
from .persona_hub_job_format import PersonaHubJobFormat
from .persona_hub_job_metadata import PersonaHubJobMetadata
from .persona_hub_job_recipe import PersonaHubJobRecipe
from .persona_hub_params import PersonaHubParams
from .persona_hub_params_relations_type_0_item import PersonaHubParamsRelationsType0Item
from .persona_hub_params_template import PersonaHubParamsTemplate
from .problem import Problem
from .problem_errors_type_0_item import ProblemErrorsType0Item
from .progress import Progress
from .progress_rejected_by_reason import ProgressRejectedByReason
from .provider_info import ProviderInfo
from .provider_list import ProviderList
from .provider_wait import ProviderWait
from .provider_wait_circuit import ProviderWaitCircuit
from .push_request import PushRequest
from .push_request_output_type_0 import PushRequestOutputType0
from .push_result import PushResult
from .quota_info import QuotaInfo
from .quota_update import QuotaUpdate
from .quota_update_limits import QuotaUpdateLimits
from .range_ import Range
from .reasoning_item import ReasoningItem
from .reasoning_job import ReasoningJob
from .reasoning_job_cache_type_1 import ReasoningJobCacheType1
from .reasoning_job_format import ReasoningJobFormat
from .reasoning_job_metadata import ReasoningJobMetadata
from .reasoning_job_recipe import ReasoningJobRecipe
from .reasoning_params import ReasoningParams
from .recipe_info import RecipeInfo
from .recipe_info_spec_schema import RecipeInfoSpecSchema
from .recipe_list import RecipeList
from .regex_verifier_spec import RegexVerifierSpec
from .regex_verifier_spec_kind import RegexVerifierSpecKind
from .responses_job import ResponsesJob
from .responses_job_cache_type_1 import ResponsesJobCacheType1
from .responses_job_format import ResponsesJobFormat
from .responses_job_metadata import ResponsesJobMetadata
from .responses_job_recipe import ResponsesJobRecipe
from .responses_params import ResponsesParams
from .review_link import ReviewLink
from .review_link_request import ReviewLinkRequest
from .rotate_request import RotateRequest
from .sample_info import SampleInfo
from .sampling import Sampling
from .seed_task import SeedTask
from .self_instruct_job import SelfInstructJob
from .self_instruct_job_cache_type_1 import SelfInstructJobCacheType1
from .self_instruct_job_format import SelfInstructJobFormat
from .self_instruct_job_metadata import SelfInstructJobMetadata
from .self_instruct_job_recipe import SelfInstructJobRecipe
from .self_instruct_params import SelfInstructParams
from .self_instruct_params_capitalize import SelfInstructParamsCapitalize
from .self_instruct_params_mode import SelfInstructParamsMode
from .self_rewarding_job import SelfRewardingJob
from .self_rewarding_job_cache_type_1 import SelfRewardingJobCacheType1
from .self_rewarding_job_format import SelfRewardingJobFormat
from .self_rewarding_job_metadata import SelfRewardingJobMetadata
from .self_rewarding_job_recipe import SelfRewardingJobRecipe
from .self_rewarding_params import SelfRewardingParams
from .served_model import ServedModel
from .shards import Shards
from .share import Share
from .spot_check import SpotCheck
from .spot_check_request import SpotCheckRequest
from .spot_check_summary import SpotCheckSummary
from .spot_check_summary_by_generator import SpotCheckSummaryByGenerator
from .spot_check_summary_by_reason import SpotCheckSummaryByReason
from .spot_check_summary_by_verdict import SpotCheckSummaryByVerdict
from .spot_check_verdicts import SpotCheckVerdicts
from .spot_item import SpotItem
from .spot_item_record import SpotItemRecord
from .stage_count import StageCount
from .stored_verdict import StoredVerdict
from .structured_output import StructuredOutput
from .structured_output_schema import StructuredOutputSchema
from .tenant_quotas import TenantQuotas
from .tenant_quotas_limits import TenantQuotasLimits
from .tenant_quotas_overrides import TenantQuotasOverrides
from .tenant_quotas_used import TenantQuotasUsed
from .tool import Tool
from .tool_calls_job import ToolCallsJob
from .tool_calls_job_cache_type_1 import ToolCallsJobCacheType1
from .tool_calls_job_format import ToolCallsJobFormat
from .tool_calls_job_metadata import ToolCallsJobMetadata
from .tool_calls_job_recipe import ToolCallsJobRecipe
from .tool_calls_params import ToolCallsParams
from .tool_function import ToolFunction
from .tool_function_parameters import ToolFunctionParameters
from .tool_type import ToolType
from .ultra_chat_job import UltraChatJob
from .ultra_chat_job_cache_type_1 import UltraChatJobCacheType1
from .ultra_chat_job_format import UltraChatJobFormat
from .ultra_chat_job_metadata import UltraChatJobMetadata
from .ultra_chat_job_recipe import UltraChatJobRecipe
from .ultra_chat_params import UltraChatParams
from .ultra_chat_params_sector import UltraChatParamsSector
from .ultra_feedback_job import UltraFeedbackJob
from .ultra_feedback_job_cache_type_1 import UltraFeedbackJobCacheType1
from .ultra_feedback_job_format import UltraFeedbackJobFormat
from .ultra_feedback_job_metadata import UltraFeedbackJobMetadata
from .ultra_feedback_job_recipe import UltraFeedbackJobRecipe
from .ultra_feedback_params import UltraFeedbackParams
from .ultra_feedback_params_principles_type_0_item import (
    UltraFeedbackParamsPrinciplesType0Item,
)
from .verdict import Verdict
from .verdict_verdict import VerdictVerdict
from .verification import Verification
from .verification_pass_at_k import VerificationPassAtK
from .verify_spec import VerifySpec
from .verify_spec_keep import VerifySpecKeep
from .verify_spec_mode import VerifySpecMode
from .webhook import Webhook
from .webhook_delivery import WebhookDelivery
from .webhook_secret import WebhookSecret
from .weighted_generator import WeightedGenerator

__all__ = (
    "Acceptance",
    "AlpacaJob",
    "AlpacaJobCacheType1",
    "AlpacaJobFormat",
    "AlpacaJobMetadata",
    "AlpacaJobRecipe",
    "AlpacaParams",
    "AlpacaParamsMode",
    "ApiKey",
    "ApiKeyRole",
    "ApiKeySource",
    "ApiKeyStatus",
    "BenchmarkList",
    "Bucket",
    "Budget",
    "CodeVerifierSpec",
    "CodeVerifierSpecKind",
    "CodeVerifierSpecLanguage",
    "Cost",
    "CostGenerators",
    "CostStages",
    "DecontaminationSpec",
    "DecontaminationSpecField",
    "DecontaminationSpecInline",
    "DecontaminationSpecMode",
    "DedupSpec",
    "DedupSpecField",
    "Delta",
    "Distribution",
    "Diversity",
    "EmbeddingDedup",
    "EmbeddingDedupScope",
    "Estimate",
    "EvolInstructJob",
    "EvolInstructJobCacheType1",
    "EvolInstructJobFormat",
    "EvolInstructJobMetadata",
    "EvolInstructJobRecipe",
    "EvolInstructParams",
    "EvolInstructParamsEliminateItem",
    "EvolInstructParamsOperationsItem",
    "ExactVerifierSpec",
    "ExactVerifierSpecKind",
    "ExportJobFormat",
    "ExportJobOutputType1",
    "ExportJobOutputType2Type1",
    "ExportJobOutputType3Type1",
    "Filters",
    "GeneratorCount",
    "GeneratorRef",
    "GeneratorYield",
    "Instance",
    "Job",
    "JobComparison",
    "JobComparisonDifferences",
    "JobComparisonRejectMix",
    "JobGenerators",
    "JobLinks",
    "JobPage",
    "JobReport",
    "JobReportGenerators",
    "JobReportRejectedByReason",
    "JobReportServedModels",
    "JobStatus",
    "JsonSchemaVerifierSpec",
    "JsonSchemaVerifierSpecKind",
    "JsonSchemaVerifierSpecSchemaType0",
    "JudgeSpec",
    "JudgeVerifierSpec",
    "JudgeVerifierSpecKind",
    "KeyList",
    "KeyRequest",
    "KeyRequestRole",
    "ListJobsStatusType1",
    "ListJobsStatusType2Type1",
    "ListJobsStatusType3Type1",
    "MagpieJob",
    "MagpieJobCacheType1",
    "MagpieJobFormat",
    "MagpieJobMetadata",
    "MagpieJobRecipe",
    "MagpieParams",
    "MagpieParamsTemplate",
    "MathVerifierSpec",
    "MathVerifierSpecKind",
    "MinHashDedup",
    "ModelIdentity",
    "NewApiKey",
    "NewApiKeyRole",
    "NewApiKeySource",
    "NewApiKeyStatus",
    "OrcaJob",
    "OrcaJobCacheType1",
    "OrcaJobFormat",
    "OrcaJobMetadata",
    "OrcaJobRecipe",
    "OrcaParams",
    "OrcaParamsCollection",
    "OrcaParamsEmptySystem",
    "OrcaParamsOrder",
    "OrcaQuery",
    "OrcaQueryCollectionType0",
    "OutcomeCount",
    "PersonaHubJob",
    "PersonaHubJobCacheType1",
    "PersonaHubJobFormat",
    "PersonaHubJobMetadata",
    "PersonaHubJobRecipe",
    "PersonaHubParams",
    "PersonaHubParamsRelationsType0Item",
    "PersonaHubParamsTemplate",
    "Problem",
    "ProblemErrorsType0Item",
    "Progress",
    "ProgressRejectedByReason",
    "ProviderInfo",
    "ProviderList",
    "ProviderWait",
    "ProviderWaitCircuit",
    "PushRequest",
    "PushRequestOutputType0",
    "PushResult",
    "QuotaInfo",
    "QuotaUpdate",
    "QuotaUpdateLimits",
    "Range",
    "ReasoningItem",
    "ReasoningJob",
    "ReasoningJobCacheType1",
    "ReasoningJobFormat",
    "ReasoningJobMetadata",
    "ReasoningJobRecipe",
    "ReasoningParams",
    "RecipeInfo",
    "RecipeInfoSpecSchema",
    "RecipeList",
    "RegexVerifierSpec",
    "RegexVerifierSpecKind",
    "ResponsesJob",
    "ResponsesJobCacheType1",
    "ResponsesJobFormat",
    "ResponsesJobMetadata",
    "ResponsesJobRecipe",
    "ResponsesParams",
    "ReviewLink",
    "ReviewLinkRequest",
    "RotateRequest",
    "SampleInfo",
    "Sampling",
    "SeedTask",
    "SelfInstructJob",
    "SelfInstructJobCacheType1",
    "SelfInstructJobFormat",
    "SelfInstructJobMetadata",
    "SelfInstructJobRecipe",
    "SelfInstructParams",
    "SelfInstructParamsCapitalize",
    "SelfInstructParamsMode",
    "SelfRewardingJob",
    "SelfRewardingJobCacheType1",
    "SelfRewardingJobFormat",
    "SelfRewardingJobMetadata",
    "SelfRewardingJobRecipe",
    "SelfRewardingParams",
    "ServedModel",
    "Shards",
    "Share",
    "SpotCheck",
    "SpotCheckRequest",
    "SpotCheckSummary",
    "SpotCheckSummaryByGenerator",
    "SpotCheckSummaryByReason",
    "SpotCheckSummaryByVerdict",
    "SpotCheckVerdicts",
    "SpotItem",
    "SpotItemRecord",
    "StageCount",
    "StoredVerdict",
    "StructuredOutput",
    "StructuredOutputSchema",
    "TenantQuotas",
    "TenantQuotasLimits",
    "TenantQuotasOverrides",
    "TenantQuotasUsed",
    "Tool",
    "ToolCallsJob",
    "ToolCallsJobCacheType1",
    "ToolCallsJobFormat",
    "ToolCallsJobMetadata",
    "ToolCallsJobRecipe",
    "ToolCallsParams",
    "ToolFunction",
    "ToolFunctionParameters",
    "ToolType",
    "UltraChatJob",
    "UltraChatJobCacheType1",
    "UltraChatJobFormat",
    "UltraChatJobMetadata",
    "UltraChatJobRecipe",
    "UltraChatParams",
    "UltraChatParamsSector",
    "UltraFeedbackJob",
    "UltraFeedbackJobCacheType1",
    "UltraFeedbackJobFormat",
    "UltraFeedbackJobMetadata",
    "UltraFeedbackJobRecipe",
    "UltraFeedbackParams",
    "UltraFeedbackParamsPrinciplesType0Item",
    "Verdict",
    "VerdictVerdict",
    "Verification",
    "VerificationPassAtK",
    "VerifySpec",
    "VerifySpecKeep",
    "VerifySpecMode",
    "Webhook",
    "WebhookDelivery",
    "WebhookSecret",
    "WeightedGenerator",
)
