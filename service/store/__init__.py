"""Shared state: Redis (job hashes, record lists, RQ) and, later, Qdrant."""
