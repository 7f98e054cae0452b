"""A job's report and its human spot-check: draw a sample, record verdicts, export them,
and the review page reviewers use.

routes.py (the handlers and the page), service.py (`ReviewService`, built once at
start), schemas.py (what the routes take and answer). The rules of a review are
service/domain/review.py's.
"""
