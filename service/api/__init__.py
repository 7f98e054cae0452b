"""The HTTP API (Litestar), a package per feature: `jobs/`, `review/`, `catalogue/`,
`ops/`, each with routes.py (thin handlers), service.py (the logic, one object built at
start and injected by name) and schemas.py (what the routes take and answer). app.py
assembles them; bodies.py, problems.py, openapi.py and auth.py are shared. Why this
shape: docs/architecture.md, "The API: a package per feature"."""
