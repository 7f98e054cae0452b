"""Routes of the catalogue: recipes, providers, benchmark sets. Each handler calls
`CatalogueService` (the `catalogue` dependency, service/api/app.py)."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from service.api.auth import CallerDep, access, authorize
from service.api.catalogue.schemas import BenchmarkList, ProviderList, RecipeList
from service.api.catalogue.service import CatalogueService
from service.api.problems import problem_responses
from service.domain.access import READ

Catalogue = NamedDependency[CatalogueService]


@get("/v1/recipes", operation_id="listRecipes", guards=[authorize], tags=["catalogue"], opt=access(READ),
     responses=problem_responses(401, 403),
     summary="Recipes and the JSON Schema of each one's job spec")
async def list_recipes(catalogue: Catalogue) -> RecipeList:
    return catalogue.recipes()


@get("/v1/providers", operation_id="listProviders", guards=[authorize], tags=["catalogue"], opt=access(READ),
     responses=problem_responses(401, 403),
     summary="Configured providers the tenant may use: names, kinds, models (never URLs or keys)")
async def list_providers(catalogue: Catalogue, caller: CallerDep) -> ProviderList:
    return catalogue.providers(caller.scope)


@get("/v1/benchmarks", operation_id="listBenchmarks", guards=[authorize], tags=["catalogue"], opt=access(READ),
     responses=problem_responses(401, 403),
     summary="Benchmark sets registered for decontamination")
async def list_benchmarks(catalogue: Catalogue) -> BenchmarkList:
    return catalogue.benchmarks()


ROUTES = [list_recipes, list_providers, list_benchmarks]
