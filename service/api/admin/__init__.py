"""Operators' routes (admin keys only): API keys (create, list, revoke, rotate) and each
tenant's quotas, changed without a restart.

routes.py (the handlers), service.py (`AdminService`, built once at start), schemas.py
(what the routes take and answer).
"""
