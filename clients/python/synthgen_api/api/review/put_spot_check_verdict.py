from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.stored_verdict import StoredVerdict
from ...models.verdict import Verdict
from ...types import Response


def _get_kwargs(
    job_id: str,
    record_id: str,
    *,
    body: Verdict,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/jobs/{job_id}/spotcheck/{record_id}".format(
            job_id=quote(str(job_id), safe=""),
            record_id=quote(str(record_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | StoredVerdict | None:
    if response.status_code == 200:
        response_200 = StoredVerdict.from_dict(response.json())

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

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | StoredVerdict]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    job_id: str,
    record_id: str,
    *,
    client: AuthenticatedClient,
    body: Verdict,
) -> Response[Problem | StoredVerdict]:
    """Record a reviewer's verdict on one sampled record, with reasons and a note

    Args:
        job_id (str): The job id returned by createJob.
        record_id (str): A record id from the spot-check sample.
        body (Verdict): A reviewer's decision on one sampled record.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | StoredVerdict]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
        record_id=record_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    job_id: str,
    record_id: str,
    *,
    client: AuthenticatedClient,
    body: Verdict,
) -> Problem | StoredVerdict | None:
    """Record a reviewer's verdict on one sampled record, with reasons and a note

    Args:
        job_id (str): The job id returned by createJob.
        record_id (str): A record id from the spot-check sample.
        body (Verdict): A reviewer's decision on one sampled record.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | StoredVerdict
    """

    return sync_detailed(
        job_id=job_id,
        record_id=record_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    job_id: str,
    record_id: str,
    *,
    client: AuthenticatedClient,
    body: Verdict,
) -> Response[Problem | StoredVerdict]:
    """Record a reviewer's verdict on one sampled record, with reasons and a note

    Args:
        job_id (str): The job id returned by createJob.
        record_id (str): A record id from the spot-check sample.
        body (Verdict): A reviewer's decision on one sampled record.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | StoredVerdict]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
        record_id=record_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    job_id: str,
    record_id: str,
    *,
    client: AuthenticatedClient,
    body: Verdict,
) -> Problem | StoredVerdict | None:
    """Record a reviewer's verdict on one sampled record, with reasons and a note

    Args:
        job_id (str): The job id returned by createJob.
        record_id (str): A record id from the spot-check sample.
        body (Verdict): A reviewer's decision on one sampled record.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | StoredVerdict
    """

    return (
        await asyncio_detailed(
            job_id=job_id,
            record_id=record_id,
            client=client,
            body=body,
        )
    ).parsed
