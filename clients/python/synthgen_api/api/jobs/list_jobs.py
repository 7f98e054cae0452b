from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.job_page import JobPage
from ...models.list_jobs_status_type_1 import ListJobsStatusType1
from ...models.list_jobs_status_type_2_type_1 import ListJobsStatusType2Type1
from ...models.list_jobs_status_type_3_type_1 import ListJobsStatusType3Type1
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    status: ListJobsStatusType1
    | ListJobsStatusType2Type1
    | ListJobsStatusType3Type1
    | None
    | Unset = UNSET,
    tenant: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_limit: int | None | Unset
    if isinstance(limit, Unset):
        json_limit = UNSET
    else:
        json_limit = limit
    params["limit"] = json_limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif (
        isinstance(status, ListJobsStatusType1)
        or isinstance(status, ListJobsStatusType2Type1)
        or isinstance(status, ListJobsStatusType3Type1)
    ):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    json_tenant: None | str | Unset
    if isinstance(tenant, Unset):
        json_tenant = UNSET
    else:
        json_tenant = tenant
    params["tenant"] = json_tenant

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/jobs",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> JobPage | Problem | None:
    if response.status_code == 200:
        response_200 = JobPage.from_dict(response.json())

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
) -> Response[JobPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    status: ListJobsStatusType1
    | ListJobsStatusType2Type1
    | ListJobsStatusType3Type1
    | None
    | Unset = UNSET,
    tenant: None | str | Unset = UNSET,
) -> Response[JobPage | Problem]:
    """List the tenant's jobs, newest first

    Args:
        limit (int | None | Unset): Jobs per page, 1..500.
        cursor (None | str | Unset): Opaque cursor from the previous page.
        status (ListJobsStatusType1 | ListJobsStatusType2Type1 | ListJobsStatusType3Type1 | None |
            Unset): Only jobs in this status.
        tenant (None | str | Unset): An admin key lists this tenant's jobs (default: its own);
            other keys list only their own tenant's.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobPage | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        status=status,
        tenant=tenant,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    status: ListJobsStatusType1
    | ListJobsStatusType2Type1
    | ListJobsStatusType3Type1
    | None
    | Unset = UNSET,
    tenant: None | str | Unset = UNSET,
) -> JobPage | Problem | None:
    """List the tenant's jobs, newest first

    Args:
        limit (int | None | Unset): Jobs per page, 1..500.
        cursor (None | str | Unset): Opaque cursor from the previous page.
        status (ListJobsStatusType1 | ListJobsStatusType2Type1 | ListJobsStatusType3Type1 | None |
            Unset): Only jobs in this status.
        tenant (None | str | Unset): An admin key lists this tenant's jobs (default: its own);
            other keys list only their own tenant's.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobPage | Problem
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        status=status,
        tenant=tenant,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    status: ListJobsStatusType1
    | ListJobsStatusType2Type1
    | ListJobsStatusType3Type1
    | None
    | Unset = UNSET,
    tenant: None | str | Unset = UNSET,
) -> Response[JobPage | Problem]:
    """List the tenant's jobs, newest first

    Args:
        limit (int | None | Unset): Jobs per page, 1..500.
        cursor (None | str | Unset): Opaque cursor from the previous page.
        status (ListJobsStatusType1 | ListJobsStatusType2Type1 | ListJobsStatusType3Type1 | None |
            Unset): Only jobs in this status.
        tenant (None | str | Unset): An admin key lists this tenant's jobs (default: its own);
            other keys list only their own tenant's.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobPage | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        status=status,
        tenant=tenant,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    status: ListJobsStatusType1
    | ListJobsStatusType2Type1
    | ListJobsStatusType3Type1
    | None
    | Unset = UNSET,
    tenant: None | str | Unset = UNSET,
) -> JobPage | Problem | None:
    """List the tenant's jobs, newest first

    Args:
        limit (int | None | Unset): Jobs per page, 1..500.
        cursor (None | str | Unset): Opaque cursor from the previous page.
        status (ListJobsStatusType1 | ListJobsStatusType2Type1 | ListJobsStatusType3Type1 | None |
            Unset): Only jobs in this status.
        tenant (None | str | Unset): An admin key lists this tenant's jobs (default: its own);
            other keys list only their own tenant's.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobPage | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            status=status,
            tenant=tenant,
        )
    ).parsed
