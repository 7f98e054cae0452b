"""What the service offers: its recipes (with each one's job-spec schema), its
configured providers, and the benchmark sets registered for decontamination.

routes.py (the handlers), service.py (`CatalogueService`, built once at start),
schemas.py (the lists the routes answer).
"""
