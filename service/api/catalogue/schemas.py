"""What the catalogue routes answer."""

from __future__ import annotations

from typing import Any

import msgspec

from service.providers.registry import ProviderInfo


class RecipeInfo(msgspec.Struct):
    name: str
    summary: str
    raw_completion: str
    spec_schema: dict[str, Any]
    # Whether the spec's `mix` is honoured (drawn per item); else a mix is a 422 naming it.
    mix: bool = False


class RecipeList(msgspec.Struct):
    data: list[RecipeInfo]
    object: str = "list"


class ProviderList(msgspec.Struct):
    data: list[ProviderInfo]
    object: str = "list"


class BenchmarkList(msgspec.Struct):
    data: list[str]
    object: str = "list"
