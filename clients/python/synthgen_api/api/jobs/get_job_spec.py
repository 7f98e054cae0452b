from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.alpaca_job import AlpacaJob
from ...models.evol_instruct_job import EvolInstructJob
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
from ...types import Response


def _get_kwargs(
    job_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/jobs/{job_id}/spec".format(
            job_id=quote(str(job_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    AlpacaJob
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
    | UltraFeedbackJob
    | Problem
    | None
):
    if response.status_code == 200:

        def _parse_response_200(
            data: object,
        ) -> (
            AlpacaJob
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
            | UltraFeedbackJob
        ):
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = ResponsesJob.from_dict(data)

                return response_200_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_1 = SelfInstructJob.from_dict(data)

                return response_200_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_2 = AlpacaJob.from_dict(data)

                return response_200_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_3 = EvolInstructJob.from_dict(data)

                return response_200_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_4 = OrcaJob.from_dict(data)

                return response_200_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_5 = UltraChatJob.from_dict(data)

                return response_200_type_5
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_6 = UltraFeedbackJob.from_dict(data)

                return response_200_type_6
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_7 = SelfRewardingJob.from_dict(data)

                return response_200_type_7
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_8 = MagpieJob.from_dict(data)

                return response_200_type_8
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_9 = PersonaHubJob.from_dict(data)

                return response_200_type_9
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_10 = ReasoningJob.from_dict(data)

                return response_200_type_10
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_11 = ToolCallsJob.from_dict(data)

            return response_200_type_11

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[
    AlpacaJob
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
    | UltraFeedbackJob
    | Problem
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[
    AlpacaJob
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
    | UltraFeedbackJob
    | Problem
]:
    """The job's spec as stored (normalised: defaults filled in)

     Served apart from the job object, which only links here, so polling a job with a large inline spec
    stays small.

    Args:
        job_id (str): The job id returned by createJob.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AlpacaJob | EvolInstructJob | MagpieJob | OrcaJob | PersonaHubJob | ReasoningJob | ResponsesJob | SelfInstructJob | SelfRewardingJob | ToolCallsJob | UltraChatJob | UltraFeedbackJob | Problem]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    job_id: str,
    *,
    client: AuthenticatedClient,
) -> (
    AlpacaJob
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
    | UltraFeedbackJob
    | Problem
    | None
):
    """The job's spec as stored (normalised: defaults filled in)

     Served apart from the job object, which only links here, so polling a job with a large inline spec
    stays small.

    Args:
        job_id (str): The job id returned by createJob.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AlpacaJob | EvolInstructJob | MagpieJob | OrcaJob | PersonaHubJob | ReasoningJob | ResponsesJob | SelfInstructJob | SelfRewardingJob | ToolCallsJob | UltraChatJob | UltraFeedbackJob | Problem
    """

    return sync_detailed(
        job_id=job_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[
    AlpacaJob
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
    | UltraFeedbackJob
    | Problem
]:
    """The job's spec as stored (normalised: defaults filled in)

     Served apart from the job object, which only links here, so polling a job with a large inline spec
    stays small.

    Args:
        job_id (str): The job id returned by createJob.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AlpacaJob | EvolInstructJob | MagpieJob | OrcaJob | PersonaHubJob | ReasoningJob | ResponsesJob | SelfInstructJob | SelfRewardingJob | ToolCallsJob | UltraChatJob | UltraFeedbackJob | Problem]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    job_id: str,
    *,
    client: AuthenticatedClient,
) -> (
    AlpacaJob
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
    | UltraFeedbackJob
    | Problem
    | None
):
    """The job's spec as stored (normalised: defaults filled in)

     Served apart from the job object, which only links here, so polling a job with a large inline spec
    stays small.

    Args:
        job_id (str): The job id returned by createJob.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AlpacaJob | EvolInstructJob | MagpieJob | OrcaJob | PersonaHubJob | ReasoningJob | ResponsesJob | SelfInstructJob | SelfRewardingJob | ToolCallsJob | UltraChatJob | UltraFeedbackJob | Problem
    """

    return (
        await asyncio_detailed(
            job_id=job_id,
            client=client,
        )
    ).parsed
