"""/v1/jobs: submit, list, read, cancel, and stream a job's records and rejects.

routes.py (the handlers), service.py (`JobService`, built once at start), schemas.py
(what the routes answer), paging.py (cursors and page limits).
"""
