"""Routes for operators: liveness, readiness, Prometheus metrics (public, no API key).

routes.py (the handlers), service.py (`OpsService`, built once at start), schemas.py
(the health answer).
"""
