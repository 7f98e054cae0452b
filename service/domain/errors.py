"""Errors the domain raises; the API turns them into problem+json."""

from __future__ import annotations

from typing import Any

import msgspec


class FieldError(msgspec.Struct, omit_defaults=True):
    """One offending field, as a JSON-path-like dotted name."""

    field: str
    message: str
    value: Any = None


class InvalidSpec(Exception):
    """A well-formed spec that cannot run (422)."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


def invalid(field: str, message: str, value: Any = None) -> InvalidSpec:
    return InvalidSpec([FieldError(field=field, message=message, value=value)])
