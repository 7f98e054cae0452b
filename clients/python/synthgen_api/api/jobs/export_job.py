from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.export_job_format import ExportJobFormat
from ...models.export_job_output_type_1 import ExportJobOutputType1
from ...models.export_job_output_type_2_type_1 import ExportJobOutputType2Type1
from ...models.export_job_output_type_3_type_1 import ExportJobOutputType3Type1
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    job_id: str,
    *,
    format_: ExportJobFormat | Unset = ExportJobFormat.JSONL,
    output: ExportJobOutputType1
    | ExportJobOutputType2Type1
    | ExportJobOutputType3Type1
    | None
    | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    json_output: None | str | Unset
    if isinstance(output, Unset):
        json_output = UNSET
    elif (
        isinstance(output, ExportJobOutputType1)
        or isinstance(output, ExportJobOutputType2Type1)
        or isinstance(output, ExportJobOutputType3Type1)
    ):
        json_output = output.value
    else:
        json_output = output
    params["output"] = json_output

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/jobs/{job_id}/export".format(
            job_id=quote(str(job_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | str | None:
    if response.status_code == 200:
        response_200 = cast(str, response.content)
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
) -> Response[Problem | str]:
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
    format_: ExportJobFormat | Unset = ExportJobFormat.JSONL,
    output: ExportJobOutputType1
    | ExportJobOutputType2Type1
    | ExportJobOutputType3Type1
    | None
    | Unset = UNSET,
) -> Response[Problem | str]:
    """The job's records as one file: JSON lines, Parquet, or a Hugging Face dataset layout

     Streamed from the dataset store (docs/datasets.md). `format`: `jsonl`, `parquet` (zstd), or `hf`: a
    tar of `data/train-0000x-of-0000n.parquet` and a `README.md` dataset card written from the job.
    `output` reshapes each record into another output format (default: as stored).

    Args:
        job_id (str): The job id returned by createJob.
        format_ (ExportJobFormat | Unset): jsonl, parquet, or hf (a Hugging Face dataset layout,
            as a tar). Default: ExportJobFormat.JSONL.
        output (ExportJobOutputType1 | ExportJobOutputType2Type1 | ExportJobOutputType3Type1 |
            None | Unset): Reshape records into this output format (default: the job's own).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
        format_=format_,
        output=output,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    job_id: str,
    *,
    client: AuthenticatedClient,
    format_: ExportJobFormat | Unset = ExportJobFormat.JSONL,
    output: ExportJobOutputType1
    | ExportJobOutputType2Type1
    | ExportJobOutputType3Type1
    | None
    | Unset = UNSET,
) -> Problem | str | None:
    """The job's records as one file: JSON lines, Parquet, or a Hugging Face dataset layout

     Streamed from the dataset store (docs/datasets.md). `format`: `jsonl`, `parquet` (zstd), or `hf`: a
    tar of `data/train-0000x-of-0000n.parquet` and a `README.md` dataset card written from the job.
    `output` reshapes each record into another output format (default: as stored).

    Args:
        job_id (str): The job id returned by createJob.
        format_ (ExportJobFormat | Unset): jsonl, parquet, or hf (a Hugging Face dataset layout,
            as a tar). Default: ExportJobFormat.JSONL.
        output (ExportJobOutputType1 | ExportJobOutputType2Type1 | ExportJobOutputType3Type1 |
            None | Unset): Reshape records into this output format (default: the job's own).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return sync_detailed(
        job_id=job_id,
        client=client,
        format_=format_,
        output=output,
    ).parsed


async def asyncio_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient,
    format_: ExportJobFormat | Unset = ExportJobFormat.JSONL,
    output: ExportJobOutputType1
    | ExportJobOutputType2Type1
    | ExportJobOutputType3Type1
    | None
    | Unset = UNSET,
) -> Response[Problem | str]:
    """The job's records as one file: JSON lines, Parquet, or a Hugging Face dataset layout

     Streamed from the dataset store (docs/datasets.md). `format`: `jsonl`, `parquet` (zstd), or `hf`: a
    tar of `data/train-0000x-of-0000n.parquet` and a `README.md` dataset card written from the job.
    `output` reshapes each record into another output format (default: as stored).

    Args:
        job_id (str): The job id returned by createJob.
        format_ (ExportJobFormat | Unset): jsonl, parquet, or hf (a Hugging Face dataset layout,
            as a tar). Default: ExportJobFormat.JSONL.
        output (ExportJobOutputType1 | ExportJobOutputType2Type1 | ExportJobOutputType3Type1 |
            None | Unset): Reshape records into this output format (default: the job's own).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
        format_=format_,
        output=output,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    job_id: str,
    *,
    client: AuthenticatedClient,
    format_: ExportJobFormat | Unset = ExportJobFormat.JSONL,
    output: ExportJobOutputType1
    | ExportJobOutputType2Type1
    | ExportJobOutputType3Type1
    | None
    | Unset = UNSET,
) -> Problem | str | None:
    """The job's records as one file: JSON lines, Parquet, or a Hugging Face dataset layout

     Streamed from the dataset store (docs/datasets.md). `format`: `jsonl`, `parquet` (zstd), or `hf`: a
    tar of `data/train-0000x-of-0000n.parquet` and a `README.md` dataset card written from the job.
    `output` reshapes each record into another output format (default: as stored).

    Args:
        job_id (str): The job id returned by createJob.
        format_ (ExportJobFormat | Unset): jsonl, parquet, or hf (a Hugging Face dataset layout,
            as a tar). Default: ExportJobFormat.JSONL.
        output (ExportJobOutputType1 | ExportJobOutputType2Type1 | ExportJobOutputType3Type1 |
            None | Unset): Reshape records into this output format (default: the job's own).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return (
        await asyncio_detailed(
            job_id=job_id,
            client=client,
            format_=format_,
            output=output,
        )
    ).parsed
