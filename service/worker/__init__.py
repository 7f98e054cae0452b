"""RQ worker side: the job function, the worker process and the reaper."""
