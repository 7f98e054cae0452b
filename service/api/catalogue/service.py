"""What the catalogue routes answer, worked out once at start: none of it changes while
the process runs (recipes are code, providers and benchmark sets are server config)."""

from __future__ import annotations

import msgspec

from service.api.catalogue.schemas import BenchmarkList, ProviderList, RecipeInfo, RecipeList
from service.providers.registry import Registry
from service.recipes import RECIPES
from service.settings import Settings


def recipe_list() -> RecipeList:
    """Every registered recipe, with the JSON Schema of its job spec."""
    return RecipeList(data=[
        RecipeInfo(name=name, summary=r.summary, raw_completion=r.raw_completion,
                   spec_schema=msgspec.json.schema(r.Spec), mix=r.mixes)
        for name, r in RECIPES.items()
    ])


class CatalogueService:
    """The recipes, providers and benchmark sets this server offers."""

    def __init__(self, registry: Registry, settings: Settings):
        self._recipes = recipe_list()
        self._providers = ProviderList(data=registry.info())
        self._benchmarks = BenchmarkList(data=sorted(settings.benchmark_files))

    def recipes(self) -> RecipeList:
        return self._recipes

    def providers(self) -> ProviderList:
        return self._providers

    def benchmarks(self) -> BenchmarkList:
        return self._benchmarks
