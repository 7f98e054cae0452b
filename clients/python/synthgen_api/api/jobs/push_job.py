from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.push_request import PushRequest
from ...models.push_result import PushResult
from ...types import Response


def _get_kwargs(
    job_id: str,
    *,
    body: PushRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/jobs/{job_id}/push".format(
            job_id=quote(str(job_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | PushResult | None:
    if response.status_code == 200:
        response_200 = PushResult.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | PushResult]:
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
    body: PushRequest,
) -> Response[Problem | PushResult]:
    """Push a finished job's dataset to the Hugging Face Hub

     The layout of `export?format=hf` (data/train-*.parquet and the dataset card), uploaded to a dataset
    repo with the token the operator configured (SYNTHGEN_HF_TOKEN). 409 `hub-not-configured` without
    one.

    Args:
        job_id (str): The job id returned by createJob.
        body (PushRequest): Where to push a finished job's dataset on the Hugging Face Hub.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | PushResult]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    job_id: str,
    *,
    client: AuthenticatedClient,
    body: PushRequest,
) -> Problem | PushResult | None:
    """Push a finished job's dataset to the Hugging Face Hub

     The layout of `export?format=hf` (data/train-*.parquet and the dataset card), uploaded to a dataset
    repo with the token the operator configured (SYNTHGEN_HF_TOKEN). 409 `hub-not-configured` without
    one.

    Args:
        job_id (str): The job id returned by createJob.
        body (PushRequest): Where to push a finished job's dataset on the Hugging Face Hub.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | PushResult
    """

    return sync_detailed(
        job_id=job_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient,
    body: PushRequest,
) -> Response[Problem | PushResult]:
    """Push a finished job's dataset to the Hugging Face Hub

     The layout of `export?format=hf` (data/train-*.parquet and the dataset card), uploaded to a dataset
    repo with the token the operator configured (SYNTHGEN_HF_TOKEN). 409 `hub-not-configured` without
    one.

    Args:
        job_id (str): The job id returned by createJob.
        body (PushRequest): Where to push a finished job's dataset on the Hugging Face Hub.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | PushResult]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    job_id: str,
    *,
    client: AuthenticatedClient,
    body: PushRequest,
) -> Problem | PushResult | None:
    """Push a finished job's dataset to the Hugging Face Hub

     The layout of `export?format=hf` (data/train-*.parquet and the dataset card), uploaded to a dataset
    repo with the token the operator configured (SYNTHGEN_HF_TOKEN). 409 `hub-not-configured` without
    one.

    Args:
        job_id (str): The job id returned by createJob.
        body (PushRequest): Where to push a finished job's dataset on the Hugging Face Hub.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | PushResult
    """

    return (
        await asyncio_detailed(
            job_id=job_id,
            client=client,
            body=body,
        )
    ).parsed
