"""synthgen: synthetic-data generation as a service.

A job spec comes in over HTTP (service.api), is stored in Redis and queued on RQ
(service.store), run by a worker as one asyncio pipeline (service.worker,
service.pipeline) that drives a recipe (service.recipes) against model providers
(service.providers), and its records are streamed back over HTTP.
"""

__version__ = "0.1.0"
