from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.job_comparison import JobComparison
from ...models.problem import Problem
from ...types import UNSET, Response


def _get_kwargs(
    *,
    a: str,
    b: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["a"] = a

    params["b"] = b

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/jobs/compare",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> JobComparison | Problem | None:
    if response.status_code == 200:
        response_200 = JobComparison.from_dict(response.json())

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
) -> Response[JobComparison | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    a: str,
    b: str,
) -> Response[JobComparison | Problem]:
    """Two jobs' reports side by side: what changed in length, diversity, judge scores, reject mix, model
    identity and cost per record, with short flags

    Args:
        a (str): The first job's id (the baseline).
        b (str): The second job's id (compared to a).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobComparison | Problem]
    """

    kwargs = _get_kwargs(
        a=a,
        b=b,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    a: str,
    b: str,
) -> JobComparison | Problem | None:
    """Two jobs' reports side by side: what changed in length, diversity, judge scores, reject mix, model
    identity and cost per record, with short flags

    Args:
        a (str): The first job's id (the baseline).
        b (str): The second job's id (compared to a).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobComparison | Problem
    """

    return sync_detailed(
        client=client,
        a=a,
        b=b,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    a: str,
    b: str,
) -> Response[JobComparison | Problem]:
    """Two jobs' reports side by side: what changed in length, diversity, judge scores, reject mix, model
    identity and cost per record, with short flags

    Args:
        a (str): The first job's id (the baseline).
        b (str): The second job's id (compared to a).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobComparison | Problem]
    """

    kwargs = _get_kwargs(
        a=a,
        b=b,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    a: str,
    b: str,
) -> JobComparison | Problem | None:
    """Two jobs' reports side by side: what changed in length, diversity, judge scores, reject mix, model
    identity and cost per record, with short flags

    Args:
        a (str): The first job's id (the baseline).
        b (str): The second job's id (compared to a).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobComparison | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            a=a,
            b=b,
        )
    ).parsed
