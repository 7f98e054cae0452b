"""Writing a job's records to a file: JSONL (one record per line, as served) or Parquet.

Parquet: pyarrow infers one schema from all the records (nested messages become
list<struct>, a key missing from some records is null there), so the records are
buffered and written once when the writer closes; the file is written to a temporary
name and renamed, so a failed export never leaves a half file under the target name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FORMATS = ("jsonl", "parquet")


class Writer:
    """`with Writer(path, "parquet") as w: w.write(record)`; `w.count` after."""

    def __init__(self, path: str | Path, format: str):
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        if format == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise RuntimeError("Parquet export needs pyarrow: pip install 'synthgen-client[parquet]'") from None
        self.path, self.format, self.count = Path(path), format, 0
        self._tmp = self.path.with_name(f".{self.path.name}.partial")
        self._rows: list[dict[str, Any]] = []
        self._fh: Any = None

    def __enter__(self) -> "Writer":
        if self.format == "jsonl":
            self._fh = open(self._tmp, "w", encoding="utf-8")
        return self

    def write(self, record: dict[str, Any]) -> None:
        if self._fh is not None:
            self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            self._rows.append(record)
        self.count += 1

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            if self._fh is not None:
                self._fh.close()
            elif exc_type is None:
                import pyarrow as pa
                import pyarrow.parquet as pq

                pq.write_table(pa.Table.from_pylist(self._rows), self._tmp)
            if exc_type is None:
                os.replace(self._tmp, self.path)
        finally:
            self._tmp.unlink(missing_ok=True)
