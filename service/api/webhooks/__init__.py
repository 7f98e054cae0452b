"""Webhooks, as callers see them: the tenant's signing secret (to verify events), and
what became of a job's webhook. Delivery is service/webhooks.py's.

routes.py (the handlers), service.py (`WebhookService`, built once at start), schemas.py
(what the routes answer).
"""
