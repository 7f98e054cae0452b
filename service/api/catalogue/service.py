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
        self._registry = registry
        self._providers = ProviderList(data=registry.info())
        self._benchmarks = BenchmarkList(data=sorted(settings.benchmark_files))

    def recipes(self) -> RecipeList:
        return self._recipes

    def providers(self, scope: str | None) -> ProviderList:
        """The providers the caller's tenant may use (`scope` None: an admin, all)."""
        if scope is None or not any(c.tenants for c in self._registry.configs.values()):
            return self._providers
        return ProviderList(data=self._registry.info(scope))

    def benchmarks(self) -> BenchmarkList:
        return self._benchmarks
