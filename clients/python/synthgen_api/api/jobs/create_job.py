from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.alpaca_job import AlpacaJob
from ...models.evol_instruct_job import EvolInstructJob
from ...models.job import Job
from ...models.magpie_job import MagpieJob
from ...models.orca_job import OrcaJob
from ...models.persona_hub_job import PersonaHubJob
from ...models.problem import Problem
from ...models.reasoning_job import ReasoningJob
from ...models.responses_job import ResponsesJob
from ...models.self_instruct_job import SelfInstructJob
from ...models.self_rewarding_job import SelfRewardingJob
from ...models.tool_calls_job import ToolCallsJob
from ...models.ultra_chat_job import UltraChatJob
from ...models.ultra_feedback_job import UltraFeedbackJob
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: AlpacaJob
    | EvolInstructJob
    | MagpieJob
    | OrcaJob
    | PersonaHubJob
    | ReasoningJob
    | ResponsesJob
    | SelfInstructJob
    | SelfRewardingJob
    | ToolCallsJob
    | UltraChatJob
    | UltraFeedbackJob,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/jobs",
    }

    if (
        isinstance(body, ResponsesJob)
        or isinstance(body, SelfInstructJob)
        or isinstance(body, AlpacaJob)
        or isinstance(body, EvolInstructJob)
        or isinstance(body, OrcaJob)
        or isinstance(body, UltraChatJob)
        or isinstance(body, UltraFeedbackJob)
        or isinstance(body, SelfRewardingJob)
        or isinstance(body, MagpieJob)
        or isinstance(body, PersonaHubJob)
        or isinstance(body, ReasoningJob)
    ):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Job | Problem | None:
    if response.status_code == 200:
        response_200 = Job.from_dict(response.json())

        return response_200

    if response.status_code == 202:
        response_202 = Job.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Job | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: AlpacaJob
    | EvolInstructJob
    | MagpieJob
    | OrcaJob
    | PersonaHubJob
    | ReasoningJob
    | ResponsesJob
    | SelfInstructJob
    | SelfRewardingJob
    | ToolCallsJob
    | UltraChatJob
    | UltraFeedbackJob,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[Job | Problem]:
    """Submit a job

     Validates the spec, checks the tenant's quotas, stores the job and queues it. Send Idempotency-Key
    to make retries safe: the same key and body return the same job.

    Args:
        idempotency_key (None | str | Unset): Makes retries safe: the same key and body return the
            same job for 24 h.
        body (AlpacaJob | EvolInstructJob | MagpieJob | OrcaJob | PersonaHubJob | ReasoningJob |
            ResponsesJob | SelfInstructJob | SelfRewardingJob | ToolCallsJob | UltraChatJob |
            UltraFeedbackJob):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Job | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: AlpacaJob
    | EvolInstructJob
    | MagpieJob
    | OrcaJob
    | PersonaHubJob
    | ReasoningJob
    | ResponsesJob
    | SelfInstructJob
    | SelfRewardingJob
    | ToolCallsJob
    | UltraChatJob
    | UltraFeedbackJob,
    idempotency_key: None | str | Unset = UNSET,
) -> Job | Problem | None:
    """Submit a job

     Validates the spec, checks the tenant's quotas, stores the job and queues it. Send Idempotency-Key
    to make retries safe: the same key and body return the same job.

    Args:
        idempotency_key (None | str | Unset): Makes retries safe: the same key and body return the
            same job for 24 h.
        body (AlpacaJob | EvolInstructJob | MagpieJob | OrcaJob | PersonaHubJob | ReasoningJob |
            ResponsesJob | SelfInstructJob | SelfRewardingJob | ToolCallsJob | UltraChatJob |
            UltraFeedbackJob):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Job | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: AlpacaJob
    | EvolInstructJob
    | MagpieJob
    | OrcaJob
    | PersonaHubJob
    | ReasoningJob
    | ResponsesJob
    | SelfInstructJob
    | SelfRewardingJob
    | ToolCallsJob
    | UltraChatJob
    | UltraFeedbackJob,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[Job | Problem]:
    """Submit a job

     Validates the spec, checks the tenant's quotas, stores the job and queues it. Send Idempotency-Key
    to make retries safe: the same key and body return the same job.

    Args:
        idempotency_key (None | str | Unset): Makes retries safe: the same key and body return the
            same job for 24 h.
        body (AlpacaJob | EvolInstructJob | MagpieJob | OrcaJob | PersonaHubJob | ReasoningJob |
            ResponsesJob | SelfInstructJob | SelfRewardingJob | ToolCallsJob | UltraChatJob |
            UltraFeedbackJob):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Job | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: AlpacaJob
    | EvolInstructJob
    | MagpieJob
    | OrcaJob
    | PersonaHubJob
    | ReasoningJob
    | ResponsesJob
    | SelfInstructJob
    | SelfRewardingJob
    | ToolCallsJob
    | UltraChatJob
    | UltraFeedbackJob,
    idempotency_key: None | str | Unset = UNSET,
) -> Job | Problem | None:
    """Submit a job

     Validates the spec, checks the tenant's quotas, stores the job and queues it. Send Idempotency-Key
    to make retries safe: the same key and body return the same job.

    Args:
        idempotency_key (None | str | Unset): Makes retries safe: the same key and body return the
            same job for 24 h.
        body (AlpacaJob | EvolInstructJob | MagpieJob | OrcaJob | PersonaHubJob | ReasoningJob |
            ResponsesJob | SelfInstructJob | SelfRewardingJob | ToolCallsJob | UltraChatJob |
            UltraFeedbackJob):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Job | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
