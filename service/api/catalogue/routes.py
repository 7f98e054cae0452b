"""Routes of the catalogue: recipes, providers, benchmark sets. Each handler calls
`CatalogueService` (the `catalogue` dependency, service/api/app.py)."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from service.api.auth import require_tenant
from service.api.catalogue.schemas import BenchmarkList, ProviderList, RecipeList
from service.api.catalogue.service import CatalogueService

Catalogue = NamedDependency[CatalogueService]


@get("/v1/recipes", operation_id="listRecipes", guards=[require_tenant], tags=["catalogue"],
     summary="Recipes and the JSON Schema of each one's job spec")
async def list_recipes(catalogue: Catalogue) -> RecipeList:
    return catalogue.recipes()


@get("/v1/providers", operation_id="listProviders", guards=[require_tenant], tags=["catalogue"],
     summary="Configured providers: names, kinds, models (never URLs or keys)")
async def list_providers(catalogue: Catalogue) -> ProviderList:
    return catalogue.providers()


@get("/v1/benchmarks", operation_id="listBenchmarks", guards=[require_tenant], tags=["catalogue"],
     summary="Benchmark sets registered for decontamination")
async def list_benchmarks(catalogue: Catalogue) -> BenchmarkList:
    return catalogue.benchmarks()


ROUTES = [list_recipes, list_providers, list_benchmarks]
